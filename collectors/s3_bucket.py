"""S3 buckets: ``ListBuckets`` plus per-bucket settings to ``Resource`` of type ``aws.s3.bucket``.

First stage of the pipeline (collect). S3 lists buckets once per account, so the collector is
global: ``fetch`` lists every bucket, finds each one's region, keeps those in the scanned
regions and reads versioning, lifecycle, default encryption, the bucket's public access block
and tags with a client of the bucket's own region. A setting that is simply absent is "not
configured"; a call that fails is a recorded collection error, and the resource says which
settings it could not read (attribute ``unreadable``) instead of pretending they are off.

The raw item ``fetch`` yields (and the recorded fixtures hold) is::

    {"Name", "CreationDate", "__region__",
     "Versioning": GetBucketVersioning response | None,
     "Lifecycle": GetBucketLifecycleConfiguration response | None,
     "Encryption": GetBucketEncryption response | None,
     "PublicAccessBlock": GetPublicAccessBlock response | None,
     "TagSet": [{"Key", "Value"}] | None,
     "__unreadable__": {setting name: error code}}

with ``ResponseMetadata`` removed and ``None`` meaning "not configured" (or unreadable).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from collectors.base import (
    Api,
    Collector,
    ScanContext,
    error_code,
    register,
    tags_to_dict,
    to_iso,
)
from collectors.secrets import redact_tags
from engine.model import Resource

AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True, slots=True)
class _Setting:
    """One per-bucket read: where it goes in the raw item and which error means 'absent'."""

    name: str  # the key in ``unreadable``
    key: str  # the key in the raw item
    method: str  # boto3 client method
    operation: str  # AWS operation name, for the manifest
    not_configured: str | None  # error code meaning "no such configuration"


# S3 answers a missing configuration with an error rather than an empty document.
_SETTINGS = (
    _Setting("versioning", "Versioning", "get_bucket_versioning", "GetBucketVersioning", None),
    _Setting(
        "lifecycle",
        "Lifecycle",
        "get_bucket_lifecycle_configuration",
        "GetBucketLifecycleConfiguration",
        "NoSuchLifecycleConfiguration",
    ),
    _Setting(
        "encryption",
        "Encryption",
        "get_bucket_encryption",
        "GetBucketEncryption",
        "ServerSideEncryptionConfigurationNotFoundError",
    ),
    _Setting(
        "public_access_block",
        "PublicAccessBlock",
        "get_public_access_block",
        "GetPublicAccessBlock",
        "NoSuchPublicAccessBlockConfiguration",
    ),
    _Setting("tags", "TagSet", "get_bucket_tagging", "GetBucketTagging", "NoSuchTagSet"),
)

# The attributes each setting fills, all None when the setting could not be read.
_GROUPS: dict[str, tuple[str, ...]] = {
    "versioning": ("versioning", "mfa_delete"),
    "lifecycle": ("lifecycle_rule_count", "lifecycle_enabled_rule_count"),
    "encryption": ("encryption_algorithm", "kms_key_id", "bucket_key_enabled"),
    "public_access_block": ("public_access_block", "public_access_block_configured"),
    "tags": (),
}
_PAB_FLAGS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


def bucket_region(location_constraint: str | None) -> str:
    """The region of a GetBucketLocation answer.

    "Buckets in Region us-east-1 have a LocationConstraint of null. Buckets with a
    LocationConstraint of EU reside in eu-west-1."
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html (read 2026-11-25)
    """
    if not location_constraint:
        return "us-east-1"
    if location_constraint == "EU":
        return "eu-west-1"
    return location_constraint


@register
class S3BucketCollector(Collector):
    """Every S3 bucket of the account whose region is being scanned."""

    resource_type = "aws.s3.bucket"
    service = "s3"
    operation = "ListBuckets"
    global_service = True

    #: buckets read at once: S3 has no batch call for bucket settings (5-6 calls a bucket)
    BUCKET_WORKERS = 8

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        client = api.client("s3", region)
        buckets = list(_list_buckets(client))
        for raw in api.map(
            lambda b: self._read_bucket(api, client, b), buckets, self.BUCKET_WORKERS
        ):
            if raw is not None:
                yield raw

    def _read_bucket(self, api: Api, client: Any, bucket: dict[str, Any]) -> dict[str, Any] | None:
        """Region and settings of one listed bucket; None when it is outside the scan."""
        name = bucket["Name"]
        # ListBuckets has returned each bucket's BucketRegion since 2024, which saves one
        # GetBucketLocation call per bucket; older endpoints (and moto) omit it.
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_Bucket.html (read 2026-11-25)
        location: str | None = bucket.get("BucketRegion") or None
        try:
            if location is None:
                location = client.get_bucket_location(Bucket=name).get("LocationConstraint")
        except AWS_ERRORS as exc:
            # Without its region the bucket cannot be placed in (or kept out of) the scan.
            api.record_error(
                "global",
                "s3",
                "GetBucketLocation",
                exc,
                resource_type=self.resource_type,
                resource_id=f"arn:aws:s3:::{name}",
            )
            return None
        where = bucket_region(location)
        if where not in api.regions:
            return None
        raw: dict[str, Any] = {
            "Name": name,
            "CreationDate": bucket.get("CreationDate"),
            "__region__": where,
        }
        raw.update(self._read_settings(api, name, where))
        return raw

    def _read_settings(self, api: Api, name: str, where: str) -> dict[str, Any]:
        client = api.client("s3", where)
        raw: dict[str, Any] = {}
        unreadable: dict[str, str] = {}
        for setting in _SETTINGS:
            raw[setting.key] = None
            try:
                answer = dict(getattr(client, setting.method)(Bucket=name))
            except AWS_ERRORS as exc:
                if setting.not_configured and error_code(exc) == setting.not_configured:
                    continue
                unreadable[setting.name] = api.record_error(
                    where,
                    "s3",
                    setting.operation,
                    exc,
                    resource_type=self.resource_type,
                    resource_id=f"arn:aws:s3:::{name}",
                )
                continue
            answer.pop("ResponseMetadata", None)
            raw[setting.key] = answer.get("TagSet", []) if setting.name == "tags" else answer
        raw["__unreadable__"] = unreadable
        return raw

    def region_of(self, raw: dict[str, Any], region: str) -> str:
        return str(raw["__region__"])

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        name = raw["Name"]
        failed = {str(k): str(v) for k, v in (raw.get("__unreadable__") or {}).items()}
        attributes: dict[str, Any] = {"bucket_name": name}
        attributes |= _versioning(raw.get("Versioning"))
        attributes |= _lifecycle(raw.get("Lifecycle"))
        attributes |= _encryption(raw.get("Encryption"))
        attributes |= _public_access_block(raw.get("PublicAccessBlock"))
        # ``unreadable`` names each attribute left null by a failed call (and ``tags``), so the
        # evaluator turns any rule reading one of them into an error, never a pass.
        unreadable: dict[str, str] = {}
        for setting, fields in _GROUPS.items():
            if setting in failed:
                attributes |= dict.fromkeys(fields)
                unreadable |= dict.fromkeys(fields or ("tags",), failed[setting])
        attributes["unreadable"] = dict(sorted(unreadable.items()))
        tags = {} if "tags" in failed else redact_tags(tags_to_dict(raw.get("TagSet")))
        return Resource(
            resource_id=f"arn:{ctx.partition}:s3:::{name}",
            resource_type=S3BucketCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            state=None,
            created_at=to_iso(raw.get("CreationDate")),
            tags=tags,
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )


def _list_buckets(client: Any) -> Iterator[dict[str, Any]]:
    # ListBuckets gained pagination in 2024; older botocore has no paginator for it.
    if client.can_paginate("list_buckets"):
        for page in client.get_paginator("list_buckets").paginate():
            yield from page.get("Buckets", [])
    else:
        yield from client.list_buckets().get("Buckets", [])


def _versioning(answer: dict[str, Any] | None) -> dict[str, Any]:
    # "If the versioning state has never been set on a bucket, it has no versioning state; a
    # GetBucketVersioning request does not return a versioning state value."
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
    # (read 2026-11-25). We call that state "Disabled".
    answer = answer or {}
    return {
        "versioning": answer.get("Status") or "Disabled",
        "mfa_delete": answer.get("MFADelete") == "Enabled",
    }


def _lifecycle(answer: dict[str, Any] | None) -> dict[str, Any]:
    rules = (answer or {}).get("Rules") or []
    return {
        "lifecycle_rule_count": len(rules),
        "lifecycle_enabled_rule_count": sum(1 for r in rules if r.get("Status") == "Enabled"),
    }


def _encryption(answer: dict[str, Any] | None) -> dict[str, Any]:
    # Since 2023-01-05 every bucket has at least SSE-S3 (AES256) default encryption, so AWS
    # rarely answers "not configured"; moto still does (pre-2023 behaviour).
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
    # (read 2026-11-25)
    rules = ((answer or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default:
            return {
                "encryption_algorithm": default.get("SSEAlgorithm"),
                "kms_key_id": default.get("KMSMasterKeyID"),
                "bucket_key_enabled": bool(rule.get("BucketKeyEnabled", False)),
            }
    return {"encryption_algorithm": None, "kms_key_id": None, "bucket_key_enabled": False}


def _public_access_block(answer: dict[str, Any] | None) -> dict[str, Any]:
    # The bucket's own block only; the account-level block (S3 Control) is a separate setting.
    config = (answer or {}).get("PublicAccessBlockConfiguration")
    flags = config or {}
    return {
        "public_access_block": {
            attr: bool(flags.get(field, False)) for attr, field in _PAB_FLAGS.items()
        },
        "public_access_block_configured": config is not None,
    }
