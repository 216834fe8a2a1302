"""DynamoDB tables: ``ListTables`` and per-table reads to ``Resource`` ``aws.dynamodb.table``.

First stage of the pipeline (collect). ListTables returns names only, and DynamoDB has no
batch describe, so ``fetch`` makes four calls per table: DescribeTable, DescribeContinuousBackups
(point-in-time recovery), DescribeTimeToLive and ListTagsOfResource. A failed call is a recorded
collection error, and the resource names the attributes it left null (``unreadable``) instead
of pretending they are off; a table whose DescribeTable fails is still yielded.

The raw item ``fetch`` yields (and the recorded fixtures hold) is::

    {"TableName",
     "Table": DescribeTable Table | None,
     "ContinuousBackups": DescribeContinuousBackups ContinuousBackupsDescription | None,
     "TimeToLive": DescribeTimeToLive TimeToLiveDescription | None,
     "Tags": [{"Key", "Value"}] | None,
     "__unreadable__": {"table" | "continuous_backups" | "ttl" | "tags": error code}}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from collectors.base import Api, Collector, ScanContext, register, tags_to_dict, to_iso
from collectors.secrets import redact_tags
from engine.model import Resource

AWS_ERRORS = (ClientError, BotoCoreError)
# A failed call, or an answer without the part we asked for: either way, recorded as unreadable.
_READ_ERRORS = (*AWS_ERRORS, KeyError, TypeError)

# The attributes each per-table read fills, all None when that read failed.
_GROUPS: dict[str, tuple[str, ...]] = {
    "table": (
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
    ),
    "continuous_backups": ("pitr_status",),
    "ttl": ("ttl_enabled",),
    "tags": (),
}


@register
class DynamoDbTableCollector(Collector):
    """Every DynamoDB table in a region."""

    resource_type = "aws.dynamodb.table"
    service = "dynamodb"
    operation = "ListTables"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        client = api.client("dynamodb", region)
        for page in client.get_paginator("list_tables").paginate():
            for name in page.get("TableNames", []):
                yield self._read_table(api, client, region, name)

    def _read_table(self, api: Api, client: Any, region: str, name: str) -> dict[str, Any]:
        arn = f"arn:aws:dynamodb:{region}:{api.account_id}:table/{name}"
        unreadable: dict[str, str] = {}

        def read(group: str, operation: str, call: Callable[[], Any]) -> Any:
            try:
                return call()
            except _READ_ERRORS as exc:
                unreadable[group] = api.record_error(
                    region,
                    "dynamodb",
                    operation,
                    exc,
                    resource_type=self.resource_type,
                    resource_id=arn,
                )
                return None

        table = read(
            "table", "DescribeTable", lambda: client.describe_table(TableName=name)["Table"]
        )
        backups = read(
            "continuous_backups",
            "DescribeContinuousBackups",
            lambda: client.describe_continuous_backups(TableName=name)[
                "ContinuousBackupsDescription"
            ],
        )
        ttl = read(
            "ttl",
            "DescribeTimeToLive",
            lambda: client.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
        )
        tags = None
        if table is None:
            # ListTagsOfResource needs the table ARN, which comes from DescribeTable.
            unreadable["tags"] = unreadable["table"]
        else:
            tags = read(
                "tags",
                "ListTagsOfResource",
                lambda: _list_tags(client, str(table.get("TableArn") or arn)),
            )
        return {
            "TableName": name,
            "Table": table,
            "ContinuousBackups": backups,
            "TimeToLive": ttl,
            "Tags": tags,
            "__unreadable__": unreadable,
        }

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        name = raw["TableName"]
        failed = {str(k): str(v) for k, v in (raw.get("__unreadable__") or {}).items()}
        attributes: dict[str, Any] = {"table_name": name}
        attributes |= _table(raw.get("Table") or {})
        pitr = ((raw.get("ContinuousBackups") or {}).get("PointInTimeRecoveryDescription")) or {}
        attributes["pitr_status"] = pitr.get("PointInTimeRecoveryStatus")
        # ENABLING already has the switch on; DISABLING is on its way off.
        ttl_status = (raw.get("TimeToLive") or {}).get("TimeToLiveStatus")
        attributes["ttl_enabled"] = ttl_status in ("ENABLED", "ENABLING")
        # filled by the backup coverage stage after collection; None means "not joined yet"
        attributes["backup"] = None
        unreadable: dict[str, str] = {}
        for group, fields in _GROUPS.items():
            if group in failed:
                attributes |= dict.fromkeys(fields)
                unreadable |= dict.fromkeys(fields or ("tags",), failed[group])
        attributes["unreadable"] = dict(sorted(unreadable.items()))
        tags = {} if "tags" in failed else redact_tags(tags_to_dict(raw.get("Tags")))
        status = attributes["status"]
        return Resource(
            resource_id=f"arn:{ctx.partition}:dynamodb:{ctx.region}:{ctx.account_id}:table/{name}",
            resource_type=DynamoDbTableCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            state=status.lower() if status else None,
            created_at=attributes["created_at"],
            tags=tags,
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )


def _list_tags(client: Any, arn: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    for page in client.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn):
        tags.extend(page.get("Tags", []))
    return tags


def _table(table: dict[str, Any]) -> dict[str, Any]:
    billing = _billing_mode(table)
    throughput = table.get("ProvisionedThroughput") or {}
    stream = table.get("StreamSpecification") or {}
    return {
        "status": table.get("TableStatus"),
        "billing_mode": billing,
        "item_count": table.get("ItemCount"),
        "size_bytes": table.get("TableSizeBytes"),
        # On-demand tables report 0 provisioned units; null says "not provisioned" plainly.
        "read_capacity_units": (
            throughput.get("ReadCapacityUnits") if billing == "PROVISIONED" else None
        ),
        "write_capacity_units": (
            throughput.get("WriteCapacityUnits") if billing == "PROVISIONED" else None
        ),
        "deletion_protection": bool(table.get("DeletionProtectionEnabled", False)),
        **_encryption(table.get("SSEDescription")),
        "stream_enabled": bool(stream.get("StreamEnabled", False)),
        "stream_view_type": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "created_at": to_iso(table.get("CreationDateTime")),
        # TableClassSummary is returned once a class was chosen; STANDARD is the default class.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.TableClasses.html
        # (read 2026-11-25)
        "table_class": (table.get("TableClassSummary") or {}).get("TableClass") or "STANDARD",
    }


def _billing_mode(table: dict[str, Any]) -> str:
    # DescribeTable omits BillingModeSummary for a table that has always been provisioned:
    # "You may need to switch to on-demand mode at least once in order to return a
    # BillingModeSummary response."
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BillingModeSummary.html
    # (read 2026-11-25). Absent therefore means PROVISIONED.
    return str((table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED")


def _encryption(sse: dict[str, Any] | None) -> dict[str, Any]:
    # Every table is encrypted at rest; by default under an AWS owned key, which DescribeTable
    # does not describe: SSEDescription only appears for KMS keys in the account (SSEType "The
    # only supported value is: KMS").
    # https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html and
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html
    # (both read 2026-11-25). An absent (or DISABLED, i.e. switched back) SSEDescription is
    # reported as "AES256", the AWS owned key.
    sse = sse or {}
    if sse.get("SSEType") == "KMS" and sse.get("Status") != "DISABLED":
        return {"sse_type": "KMS", "kms_key_arn": sse.get("KMSMasterKeyArn")}
    return {"sse_type": "AES256", "kms_key_arn": None}
