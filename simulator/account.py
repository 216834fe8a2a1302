"""The built-in simulated AWS account behind ``engine check --simulated``.

This is the demo and test account, not product code. It sits before the pipeline: inside
``simulated_account(now)`` moto answers every AWS call in-process, a small deterministic
account has been built through plain boto3 calls, and the real collectors run against it
unchanged. Nothing leaves the process and nothing in the user's AWS set-up is read or used.

What it builds, in ``us-east-1`` and ``eu-west-1`` (dates relative to ``now``): per region a
running instance, one stopped 45 days ago and one stopped 10 days ago; four S3 buckets with
the versioning, lifecycle, encryption and public-access settings listed in ``describe()``.

moto always writes a timestamp into a stopped instance's ``StateTransitionReason``, so an
instance whose stop time cannot be determined cannot be built through boto3 alone; the
collector tests cover that case from recorded responses instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import boto3

from engine.errors import RuntimeFailure

if TYPE_CHECKING:
    from mypy_boto3_ec2.literals import InstanceTypeType
    from mypy_boto3_s3.literals import (
        BucketLocationConstraintType,
        BucketVersioningStatusType,
        ServerSideEncryptionType,
    )
    from mypy_boto3_s3.type_defs import ServerSideEncryptionByDefaultTypeDef

SIMULATED_REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")
_SEED = 20261125
# freezegun's freeze_time, passed in because it is imported lazily
_Freeze = Callable[[datetime], AbstractContextManager[Any]]


@dataclass(frozen=True, slots=True)
class _Instance:
    name: str  # the region is appended: "web-us-east-1"
    instance_type: InstanceTypeType
    environment: str
    launched_days_ago: int
    stopped_days_ago: int | None = None


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


_INSTANCES = (
    _Instance("web", "t3.micro", "prod", launched_days_ago=120),
    _Instance("legacy-batch", "m5.large", "prod", launched_days_ago=400, stopped_days_ago=45),
    _Instance("dev-sandbox", "t3.medium", "dev", launched_days_ago=200, stopped_days_ago=10),
)
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
    """One line per simulated resource, for ``--simulated`` output and the README."""
    lines = []
    for region in SIMULATED_REGIONS:
        for spec in _INSTANCES:
            state = (
                f"stopped {spec.stopped_days_ago} days ago"
                if spec.stopped_days_ago is not None
                else "running"
            )
            lines.append(
                f"{region}: EC2 instance {spec.name}-{region} ({spec.instance_type}), {state}"
            )
    for bucket in _BUCKETS:
        lifecycle = "a lifecycle rule" if bucket.lifecycle else "no lifecycle rule"
        versioning = bucket.versioning[-1] if bucket.versioning else "never enabled"
        lines.append(
            f"{bucket.region}: S3 bucket sim-<account>-{bucket.purpose}-{bucket.region}, "
            f"versioning {versioning}, {lifecycle}, encryption {bucket.encryption or 'none'}, "
            f"public access block {'on' if bucket.public_access_block else 'off'}"
        )
    return lines


@contextmanager
def simulated_account(now: datetime) -> Iterator[boto3.Session]:
    """Build the simulated account as of ``now`` and yield a session that reads it."""
    # Imported here: moto and freezegun are the optional "simulate" extra, and slow to import.
    try:
        from freezegun import freeze_time
        from moto import mock_aws
        from moto.moto_api._internal import mock_random
    except ModuleNotFoundError as exc:
        raise RuntimeFailure(
            "the simulated account needs moto and freezegun: "
            "pip install 'aws-inventory-engine[simulate]'"
        ) from exc
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    # moto draws its ids (instances, volumes, VPCs, AMIs) from one seedable generator; seeded,
    # the same calls give the same ids, so two simulated runs give byte-identical findings.
    # https://docs.getmoto.org/en/latest/docs/configuration/recorder/index.html (read
    # 2026-11-25; the documented ``moto.moto_api.mock_random`` lives in ``_internal`` in 5.2).
    # Its state is put back afterwards so other moto users in the process are unaffected.
    random_state = mock_random.getstate()
    try:
        with _isolated_environment(), mock_aws():
            mock_random.seed(_SEED)
            # moto's conventional fake credentials, not a secret
            session = boto3.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106
                region_name="us-east-1",
            )
            account_id = session.client("sts").get_caller_identity()["Account"]
            for region in SIMULATED_REGIONS:
                _build_instances(session, region, moment, freeze_time)
            for bucket in _BUCKETS:
                _build_bucket(session, account_id, bucket, moment, freeze_time)
            yield session
    finally:
        mock_random.setstate(random_state)


@contextmanager
def _isolated_environment() -> Iterator[None]:
    """Hide the user's AWS set-up (profiles, endpoints, tokens, config files); restore it after.

    Every ``AWS_*`` variable is removed, not only the well-known ones: an endpoint override
    (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), a FIPS or dual-stack switch or a
    web-identity role would otherwise send calls past moto or fail them. Process-wide, like
    ``os.environ`` itself; clients built before entering keep their old configuration.
    """
    with tempfile.TemporaryDirectory(prefix="engine-simulated-") as scratch:
        missing = os.path.join(scratch, "does-not-exist")
        wanted = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_EC2_METADATA_DISABLED": "true",
            # moto seeds about a thousand public AMIs (and their snapshots) per region unless
            # told not to; the simulator registers its own image instead.
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
        touched = {k for k in os.environ if k.startswith("AWS_")} | set(wanted) | {"MOTO_AMIS_PATH"}
        saved = {key: os.environ.get(key) for key in touched}
        try:
            for key in touched:
                os.environ.pop(key, None)
            os.environ.update(wanted)
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _build_instances(session: boto3.Session, region: str, now: datetime, freeze: _Freeze) -> None:
    # freezegun backdates what moto stamps: LaunchTime, the root volume's AttachTime and the
    # "User initiated (... UTC)" StateTransitionReason written on stop.
    ec2 = session.client("ec2", region_name=region)
    image_id = ec2.register_image(Name=f"sim-base-{region}", Architecture="x86_64")["ImageId"]
    for spec in _INSTANCES:
        with freeze(now - timedelta(days=spec.launched_days_ago)):
            answer = ec2.run_instances(
                ImageId=image_id,
                InstanceType=spec.instance_type,
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [
                            {"Key": "Name", "Value": f"{spec.name}-{region}"},
                            {"Key": "Environment", "Value": spec.environment},
                        ],
                    }
                ],
            )
        if spec.stopped_days_ago is not None:
            with freeze(now - timedelta(days=spec.stopped_days_ago)):
                ec2.stop_instances(InstanceIds=[answer["Instances"][0]["InstanceId"]])


def _build_bucket(
    session: boto3.Session, account_id: str, spec: _Bucket, now: datetime, freeze: _Freeze
) -> None:
    s3 = session.client("s3", region_name=spec.region)
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
