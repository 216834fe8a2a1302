"""aws.dynamodb.table: pure normalise from recorded items, fetch against moto, and denied
per-table calls that leave the table present with the attributes they read unreadable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from freezegun import freeze_time
from moto import mock_aws

from collectors.base import REGISTRY
from collectors.dynamodb_table import DynamoDbTableCollector
from engine.model import CollectionError, Resource
from tests.support.collectors import CTX, denial, fixture_items, make_api, validate_resource

ITEMS = fixture_items("dynamodb_table")
TABLE_ATTRIBUTES = (
    "status",
    "billing_mode",
    "item_count",
    "size_bytes",
    "read_capacity_units",
    "write_capacity_units",
    "deletion_protection",
    "sse_type",
    "kms_key_arn",
    "stream_enabled",
    "stream_view_type",
    "created_at",
    "table_class",
)


def normalise(name: str) -> Resource:
    return DynamoDbTableCollector.normalise(next(i for i in ITEMS if i["TableName"] == name), CTX)


def test_registered_under_its_type() -> None:
    assert REGISTRY.get("aws.dynamodb.table") is DynamoDbTableCollector
    assert (DynamoDbTableCollector.service, DynamoDbTableCollector.operation) == (
        "dynamodb",
        "ListTables",
    )


def test_always_provisioned_table_without_billing_summary_or_sse_description() -> None:
    resource = normalise("orders")
    assert resource.resource_id == "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    assert (resource.name, resource.state) == ("orders", "active")
    assert resource.created_at == "2022-05-06T07:08:09Z"
    assert resource.tags == {"Environment": "prod", "Backup": "daily"}
    assert resource.attributes == {
        "table_name": "orders",
        "status": "ACTIVE",
        "billing_mode": "PROVISIONED",  # BillingModeSummary absent
        "item_count": 120345,
        "size_bytes": 73400320,
        "read_capacity_units": 25,
        "write_capacity_units": 10,
        "deletion_protection": True,
        "sse_type": "AES256",  # SSEDescription absent: the AWS owned key
        "kms_key_arn": None,
        "stream_enabled": False,
        "stream_view_type": None,
        "created_at": "2022-05-06T07:08:09Z",
        "table_class": "STANDARD",  # TableClassSummary absent: the default class
        "pitr_status": "DISABLED",  # although ContinuousBackupsStatus says ENABLED
        "ttl_enabled": False,
        "backup": None,
        "unreadable": {},
    }


def test_on_demand_kms_table_with_stream_ttl_and_infrequent_access() -> None:
    resource = normalise("sessions")
    attributes = resource.attributes
    assert attributes["billing_mode"] == "PAY_PER_REQUEST"
    # on-demand tables report 0 provisioned units; the collector says "not provisioned"
    assert (attributes["read_capacity_units"], attributes["write_capacity_units"]) == (None, None)
    assert attributes["sse_type"] == "KMS"
    assert attributes["kms_key_arn"].endswith(":key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert (attributes["stream_enabled"], attributes["stream_view_type"]) == (
        True,
        "NEW_AND_OLD_IMAGES",
    )
    assert attributes["table_class"] == "STANDARD_INFREQUENT_ACCESS"
    assert attributes["pitr_status"] == "ENABLED"
    assert attributes["ttl_enabled"] is True
    assert attributes["deletion_protection"] is False
    assert resource.tags == {}


def test_denied_continuous_backups_leaves_only_pitr_unreadable() -> None:
    resource = normalise("ledger")
    assert resource.attributes["unreadable"] == {"pitr_status": "AccessDeniedException"}
    assert resource.attributes["pitr_status"] is None
    assert resource.attributes["billing_mode"] == "PROVISIONED"
    assert resource.attributes["ttl_enabled"] is False  # DISABLING
    assert resource.tags == {"connection_string": "[redacted]"}


def test_denied_describe_table_keeps_the_table_with_null_attributes() -> None:
    resource = normalise("restricted")
    assert resource.resource_id == "arn:aws:dynamodb:us-east-1:123456789012:table/restricted"
    assert (resource.state, resource.created_at, resource.tags) == (None, None, {})
    assert all(resource.attributes[name] is None for name in TABLE_ATTRIBUTES)
    # the calls that did succeed still count
    assert resource.attributes["pitr_status"] == "ENABLED"
    assert resource.attributes["ttl_enabled"] is True
    assert resource.attributes["unreadable"] == dict.fromkeys(
        sorted((*TABLE_ATTRIBUTES, "tags")), "AccessDeniedException"
    )


@pytest.mark.parametrize("item", ITEMS, ids=[i["TableName"] for i in ITEMS])
def test_resources_match_the_schema(item: dict[str, Any]) -> None:
    validate_resource(DynamoDbTableCollector.normalise(item, CTX))


# --- fetch, against moto ------------------------------------------------------------------


def create_tables(region: str, now: datetime) -> None:
    client = boto3.client("dynamodb", region_name=region)
    keys: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    }
    with freeze_time(now - timedelta(days=90)):
        client.create_table(
            TableName="protected",
            BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
            DeletionProtectionEnabled=True,
            Tags=[{"Key": "Backup", "Value": "daily"}],
            **keys,
        )
    client.update_continuous_backups(
        TableName="protected",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    client.create_table(
        TableName="bare",
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": f"arn:aws:kms:{region}:123456789012:key/k1",
        },
        **keys,
    )
    client.update_time_to_live(
        TableName="bare", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )


@pytest.mark.usefixtures("aws_env")
def test_fetch_reads_every_table_with_its_settings() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    errors: list[CollectionError] = []
    with mock_aws():
        create_tables("eu-west-1", now)
        raw = list(DynamoDbTableCollector().fetch(make_api(("eu-west-1",), errors), "eu-west-1"))

    assert errors == []
    resources = {r.name: r for r in (DynamoDbTableCollector.normalise(i, CTX) for i in raw)}
    assert sorted(resources) == ["bare", "protected"]
    protected, bare = resources["protected"].attributes, resources["bare"].attributes
    assert resources["protected"].created_at == "2026-08-27T09:00:00Z"
    assert resources["protected"].tags == {"Backup": "daily"}
    assert (protected["pitr_status"], bare["pitr_status"]) == ("ENABLED", "DISABLED")
    assert (protected["deletion_protection"], bare["deletion_protection"]) == (True, False)
    assert (protected["billing_mode"], bare["billing_mode"]) == ("PROVISIONED", "PAY_PER_REQUEST")
    assert (protected["read_capacity_units"], protected["write_capacity_units"]) == (5, 2)
    assert (protected["sse_type"], bare["sse_type"]) == ("AES256", "KMS")
    assert bare["kms_key_arn"] == "arn:aws:kms:eu-west-1:123456789012:key/k1"
    assert (protected["ttl_enabled"], bare["ttl_enabled"]) == (False, True)
    for resource in resources.values():
        validate_resource(resource)


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize(
    ("operation", "unreadable"),
    [
        ("DescribeContinuousBackups", {"pitr_status"}),
        ("DescribeTimeToLive", {"ttl_enabled"}),
        ("ListTagsOfResource", {"tags"}),
        ("DescribeTable", {*TABLE_ATTRIBUTES, "tags"}),
    ],
)
def test_one_denied_per_table_call_is_recorded_and_the_table_kept(
    operation: str, unreadable: set[str]
) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/protected"

    def only_protected(params: Any) -> bool:
        return "protected" in (params.get("TableName") or params.get("ResourceArn") or "")

    errors: list[CollectionError] = []
    hooks = {f"dynamodb.{operation}": denial(operation, only_protected)}
    with mock_aws():
        create_tables("eu-west-1", now)
        api = make_api(("eu-west-1",), errors, hooks)
        raw = list(DynamoDbTableCollector().fetch(api, "eu-west-1"))

    assert [(e.operation, e.error_code, e.resource_id, e.resource_type) for e in errors] == [
        (operation, "AccessDeniedException", arn, "aws.dynamodb.table")
    ]
    resources = {r.name: r for r in (DynamoDbTableCollector.normalise(i, CTX) for i in raw)}
    assert sorted(resources) == ["bare", "protected"]
    protected = resources["protected"]
    assert set(protected.attributes["unreadable"]) == unreadable
    assert set(protected.attributes["unreadable"].values()) == {"AccessDeniedException"}
    assert all(protected.attributes[name] is None for name in unreadable - {"tags"})
    if "tags" in unreadable:
        assert protected.tags == {}
    assert resources["bare"].attributes["unreadable"] == {}
    for resource in resources.values():
        validate_resource(resource)
