"""aws.s3.bucket: pure normalise from recorded items, and fetch against moto."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from collectors.base import REGISTRY, Api, ScanContext
from collectors.s3_bucket import S3BucketCollector, bucket_region
from engine.model import CollectionError

ROOT = Path(__file__).resolve().parents[1]
ITEMS: list[dict[str, Any]] = json.loads((ROOT / "tests/fixtures/api/s3_bucket.json").read_text())[
    "items"
]
SCHEMA = json.loads((ROOT / "engine/schemas/types/aws.s3.bucket.json").read_text())
ATTRIBUTES = [
    "bucket_name",
    "versioning",
    "mfa_delete",
    "lifecycle_rule_count",
    "lifecycle_enabled_rule_count",
    "encryption_algorithm",
    "kms_key_id",
    "bucket_key_enabled",
    "public_access_block",
    "public_access_block_configured",
    "unreadable",
]
ALL_OFF = {
    "block_public_acls": False,
    "ignore_public_acls": False,
    "block_public_policy": False,
    "restrict_public_buckets": False,
}


def normalise(name: str) -> Any:
    item = next(i for i in ITEMS if i["Name"] == name)
    ctx = ScanContext("123456789012", item["__region__"], "scan-test", "2026-11-25T09:00:00Z")
    return S3BucketCollector.normalise(item, ctx)


def test_registered_as_a_global_collector() -> None:
    assert REGISTRY.get("aws.s3.bucket") is S3BucketCollector
    assert S3BucketCollector.global_service is True
    assert (S3BucketCollector.service, S3BucketCollector.operation) == ("s3", "ListBuckets")


def test_fully_configured_bucket() -> None:
    resource = normalise("acme-prod-logs")
    assert resource.resource_id == "arn:aws:s3:::acme-prod-logs"
    assert (resource.name, resource.state, resource.region) == ("acme-prod-logs", None, "us-east-1")
    assert resource.created_at == "2023-04-18T07:15:42Z"
    assert resource.tags == {"Environment": "prod", "DataClass": "internal"}
    assert resource.attributes == {
        "bucket_name": "acme-prod-logs",
        "versioning": "Enabled",
        "mfa_delete": False,
        "lifecycle_rule_count": 2,
        "lifecycle_enabled_rule_count": 1,
        "encryption_algorithm": "aws:kms",
        "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "bucket_key_enabled": True,
        "public_access_block": {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": True,
        },
        "public_access_block_configured": True,
        "unreadable": {},
    }


def test_nothing_configured_reads_as_off_not_unknown() -> None:
    resource = normalise("acme-legacy-uploads")
    assert resource.region == "eu-west-1"
    assert resource.tags == {}
    assert resource.attributes == {
        "bucket_name": "acme-legacy-uploads",
        "versioning": "Disabled",  # S3 returns no Status for a never-versioned bucket
        "mfa_delete": False,
        "lifecycle_rule_count": 0,
        "lifecycle_enabled_rule_count": 0,
        "encryption_algorithm": None,
        "kms_key_id": None,
        "bucket_key_enabled": False,
        "public_access_block": ALL_OFF,
        "public_access_block_configured": False,
        "unreadable": {},
    }


def test_unreadable_settings_are_null_and_named() -> None:
    attributes = normalise("acme-partner-exchange").attributes
    # keyed by the attributes left null, so a rule reading any of them is an error
    assert attributes["unreadable"] == {
        "versioning": "AccessDenied",
        "mfa_delete": "AccessDenied",
        "tags": "AccessDenied",
    }
    assert attributes["versioning"] is None
    assert attributes["mfa_delete"] is None
    # the settings that were read are still there
    assert attributes["lifecycle_rule_count"] == 1
    assert attributes["encryption_algorithm"] == "AES256"
    assert attributes["kms_key_id"] is None
    assert attributes["public_access_block"] == {
        "block_public_acls": True,
        "ignore_public_acls": False,
        "block_public_policy": True,
        "restrict_public_buckets": False,
    }
    assert attributes["public_access_block_configured"] is True


def test_suspended_versioning_mfa_delete_and_dsse() -> None:
    resource = normalise("acme-analytics-scratch")
    assert resource.attributes["versioning"] == "Suspended"
    assert resource.attributes["mfa_delete"] is True
    assert resource.attributes["encryption_algorithm"] == "aws:kms:dsse"
    assert resource.attributes["public_access_block_configured"] is False
    assert resource.tags == {}


def test_creation_date_as_datetime() -> None:
    item = dict(ITEMS[0], CreationDate=datetime.fromisoformat(ITEMS[0]["CreationDate"]))
    ctx = ScanContext("123456789012", "us-east-1", "scan-test", "2026-11-25T09:00:00Z")
    assert S3BucketCollector.normalise(item, ctx) == normalise("acme-prod-logs")


@pytest.mark.parametrize(
    ("location", "region"),
    [
        (None, "us-east-1"),
        ("", "us-east-1"),
        ("EU", "eu-west-1"),
        ("eu-west-1", "eu-west-1"),
        ("ap-southeast-2", "ap-southeast-2"),
    ],
)
def test_bucket_region(location: str | None, region: str) -> None:
    assert bucket_region(location) == region


def test_region_of_is_the_bucket_region() -> None:
    assert S3BucketCollector().region_of(ITEMS[1], "us-east-1") == "eu-west-1"


@pytest.mark.parametrize("item", ITEMS, ids=[item["Name"] for item in ITEMS])
def test_attributes_match_the_type_schema(item: dict[str, Any]) -> None:
    ctx = ScanContext("123456789012", item["__region__"], "scan-test", "2026-11-25T09:00:00Z")
    attributes = S3BucketCollector.normalise(item, ctx).attributes
    jsonschema.Draft202012Validator(SCHEMA).validate(attributes)
    assert sorted(attributes) == sorted(ATTRIBUTES) == sorted(SCHEMA["required"])


# --- fetch, against moto ------------------------------------------------------------------


def deny(operation: str) -> Any:
    """A botocore event hook that fails one operation as AWS would with AccessDenied."""

    def hook(**_: Any) -> None:
        error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
        raise ClientError(error, operation)

    return hook


def make_api(
    regions: tuple[str, ...], errors: list[CollectionError], denied: str | None = None
) -> Api:
    def factory(service: str, region: str) -> Any:
        client = boto3.client(service, region_name=region)
        if denied:
            client.meta.events.register(f"before-call.s3.{denied}", deny(denied))
        return client

    return Api("123456789012", regions, factory, errors.append)


def create_buckets() -> None:
    east = boto3.client("s3", region_name="us-east-1")
    east.create_bucket(Bucket="test-east-configured")
    east.put_bucket_versioning(
        Bucket="test-east-configured", VersioningConfiguration={"Status": "Enabled"}
    )
    east.put_bucket_lifecycle_configuration(
        Bucket="test-east-configured",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "on",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 30},
                },
                {
                    "ID": "off",
                    "Status": "Disabled",
                    "Filter": {"Prefix": "x/"},
                    "Expiration": {"Days": 9},
                },
            ]
        },
    )
    east.put_bucket_encryption(
        Bucket="test-east-configured",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    east.put_public_access_block(
        Bucket="test-east-configured",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    east.put_bucket_tagging(
        Bucket="test-east-configured", Tagging={"TagSet": [{"Key": "Team", "Value": "data"}]}
    )
    for region, name in (("eu-west-1", "test-eu-bare"), ("ap-southeast-2", "test-sydney")):
        boto3.client("s3", region_name=region).create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}
        )


@pytest.mark.usefixtures("aws_env")
def test_fetch_reads_settings_and_keeps_only_scanned_regions() -> None:
    errors: list[CollectionError] = []
    collector = S3BucketCollector()
    with mock_aws():
        create_buckets()
        api = make_api(("us-east-1", "eu-west-1"), errors)
        raw = {item["Name"]: item for item in collector.fetch(api, "eu-west-1")}

    assert errors == []
    assert sorted(raw) == ["test-east-configured", "test-eu-bare"]  # Sydney is not scanned
    assert {name: collector.region_of(item, "eu-west-1") for name, item in raw.items()} == {
        "test-east-configured": "us-east-1",
        "test-eu-bare": "eu-west-1",
    }
    ctx = ScanContext("123456789012", "us-east-1", "scan-test", "2026-11-25T09:00:00Z")
    configured = collector.normalise(raw["test-east-configured"], ctx)
    assert configured.tags == {"Team": "data"}
    assert configured.attributes["versioning"] == "Enabled"
    assert configured.attributes["lifecycle_rule_count"] == 2
    assert configured.attributes["lifecycle_enabled_rule_count"] == 1
    assert configured.attributes["encryption_algorithm"] == "AES256"
    assert configured.attributes["public_access_block_configured"] is True
    assert configured.attributes["unreadable"] == {}
    bare = collector.normalise(raw["test-eu-bare"], ctx)
    assert bare.attributes["versioning"] == "Disabled"
    assert bare.attributes["lifecycle_rule_count"] == 0
    assert bare.attributes["encryption_algorithm"] is None
    assert bare.attributes["public_access_block"] == ALL_OFF
    assert bare.tags == {}
    for resource in (configured, bare):
        jsonschema.Draft202012Validator(SCHEMA).validate(resource.attributes)


@pytest.mark.usefixtures("aws_env")
def test_failed_per_bucket_call_is_recorded_and_marked_unreadable() -> None:
    errors: list[CollectionError] = []
    collector = S3BucketCollector()
    with mock_aws():
        create_buckets()
        api = make_api(("us-east-1",), errors, denied="GetBucketVersioning")
        raw = list(collector.fetch(api, "us-east-1"))

    assert [item["Name"] for item in raw] == ["test-east-configured"]
    assert errors == [
        CollectionError(
            account_id="123456789012",
            region="us-east-1",
            service="s3",
            operation="GetBucketVersioning",
            error_code="AccessDenied",
            message="Access Denied",
            resource_type="aws.s3.bucket",
            resource_id="arn:aws:s3:::test-east-configured",
        )
    ]
    ctx = ScanContext("123456789012", "us-east-1", "scan-test", "2026-11-25T09:00:00Z")
    attributes = collector.normalise(raw[0], ctx).attributes
    assert attributes["unreadable"] == {"versioning": "AccessDenied", "mfa_delete": "AccessDenied"}
    assert attributes["versioning"] is None
    assert attributes["mfa_delete"] is None
    assert attributes["lifecycle_rule_count"] == 2
    assert attributes["encryption_algorithm"] == "AES256"
    assert attributes["public_access_block_configured"] is True
    jsonschema.Draft202012Validator(SCHEMA).validate(attributes)


@pytest.mark.usefixtures("aws_env")
def test_bucket_whose_region_cannot_be_read_is_recorded_and_skipped() -> None:
    errors: list[CollectionError] = []
    with mock_aws():
        create_buckets()
        api = make_api(("us-east-1", "eu-west-1"), errors, denied="GetBucketLocation")
        raw = list(S3BucketCollector().fetch(api, "us-east-1"))

    assert raw == []
    assert len(errors) == 3  # one per listed bucket: its region, and so its scope, is unknown
    assert {(e.region, e.operation, e.error_code) for e in errors} == {
        ("global", "GetBucketLocation", "AccessDenied")
    }


def test_bucket_region_from_list_buckets_saves_get_bucket_location() -> None:
    # Stubber: moto's ListBuckets does not return BucketRegion (AWS has since 2024).
    from botocore.stub import Stubber

    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stub = Stubber(client)
    stub.add_response(
        "list_buckets",
        {
            "Buckets": [
                {
                    "Name": "far-away",
                    "CreationDate": "2026-01-01T00:00:00Z",
                    "BucketRegion": "ap-south-1",
                },
            ]
        },
    )
    errors: list[CollectionError] = []
    api = Api("123456789012", ("eu-west-1",), lambda service, region: client, errors.append)
    with stub:
        items = list(S3BucketCollector().fetch(api, "us-east-1"))
        stub.assert_no_pending_responses()
    # the bucket is outside the scanned regions: skipped without a GetBucketLocation call
    assert items == []
    assert errors == []
