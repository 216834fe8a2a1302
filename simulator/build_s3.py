"""Simulated S3 buckets, two per region, covering both sides of every S3 rule."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from simulator.base import BuildContext

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import (
        BucketLocationConstraintType,
        BucketVersioningStatusType,
        ServerSideEncryptionType,
    )
    from mypy_boto3_s3.type_defs import ServerSideEncryptionByDefaultTypeDef

ORDER = 20
#: ``--simulated-fix`` names this module understands, and what each changes
FIXES = {"scratch-bucket-versioning": "turn versioning on for the scratch bucket in us-east-1"}


@dataclass(frozen=True, slots=True)
class _Bucket:
    purpose: str
    region: str
    created_days_ago: int
    versioning: tuple[BucketVersioningStatusType, ...] = ()  # statuses applied in order
    lifecycle: bool = False
    encryption: ServerSideEncryptionType | None = None  # default SSEAlgorithm
    public_access_block: bool = False
    tagged: bool = True


_BUCKETS = (
    # passes everything: versioned, expiring, encrypted, public access blocked
    _Bucket(
        "logs",
        "us-east-1",
        300,
        ("Enabled",),
        lifecycle=True,
        encryption="AES256",
        public_access_block=True,
    ),
    # never versioned, no lifecycle, untagged
    _Bucket("scratch", "us-east-1", 90, tagged=False),
    # versioning was enabled, then suspended; KMS default encryption with a bucket key
    _Bucket(
        "archive", "eu-west-1", 500, ("Enabled", "Suspended"), lifecycle=True, encryption="aws:kms"
    ),
    # versioned, but no lifecycle rule
    _Bucket("assets", "eu-west-1", 250, ("Enabled",)),
)


def describe() -> list[str]:
    lines = []
    for bucket in _BUCKETS:
        lifecycle = "a lifecycle rule" if bucket.lifecycle else "no lifecycle rule"
        versioning = bucket.versioning[-1] if bucket.versioning else "never enabled"
        lines.append(
            f"{bucket.region}: S3 bucket sim-<account>-{bucket.purpose}-{bucket.region}, "
            f"versioning {versioning}, {lifecycle}, encryption {bucket.encryption or 'none'}, "
            f"public access block {'on' if bucket.public_access_block else 'off'}"
        )
    return lines


def build(ctx: BuildContext) -> None:
    for spec in _BUCKETS:
        fixed = spec.purpose == "scratch" and "scratch-bucket-versioning" in ctx.fixes
        _build_bucket(ctx, replace(spec, versioning=("Enabled",)) if fixed else spec)


def _build_bucket(ctx: BuildContext, spec: _Bucket) -> None:
    s3 = ctx.session.client("s3", region_name=spec.region)
    account_id, now, freeze = ctx.account_id, ctx.now, ctx.freeze
    name = f"sim-{account_id}-{spec.purpose}-{spec.region}"
    with freeze(now - timedelta(days=spec.created_days_ago)):
        if spec.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={
                    "LocationConstraint": cast("BucketLocationConstraintType", spec.region)
                },
            )
    for status in spec.versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    if spec.lifecycle:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": f"{spec.purpose}-retention",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
                        "Expiration": {"Days": 365},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    }
                ]
            },
        )
    if spec.encryption:
        default: ServerSideEncryptionByDefaultTypeDef = {"SSEAlgorithm": spec.encryption}
        if spec.encryption == "aws:kms":
            # moto does not check the key; a real account would name an existing KMS key.
            default["KMSMasterKeyID"] = f"arn:aws:kms:{spec.region}:{account_id}:alias/sim-s3"
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": default,
                        "BucketKeyEnabled": spec.encryption == "aws:kms",
                    }
                ]
            },
        )
    if spec.public_access_block:
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    if spec.tagged:
        s3.put_bucket_tagging(
            Bucket=name,
            Tagging={
                "TagSet": [
                    {"Key": "Environment", "Value": "prod"},
                    {"Key": "Purpose", "Value": spec.purpose},
                ]
            },
        )
