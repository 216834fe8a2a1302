"""Simulated DynamoDB tables: per region both sides of point-in-time recovery, deletion
protection, billing mode and KMS encryption.

Recorded in ``ctx.made`` as ``dynamodb:<name>-<region>`` -> table ARN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from simulator.base import SIMULATED_REGIONS, BuildContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.literals import BillingModeType

ORDER = 50


@dataclass(frozen=True, slots=True)
class _Table:
    name: str  # the region is appended: "orders-us-east-1"
    billing: BillingModeType
    created_days_ago: int
    pitr: bool = False
    deletion_protection: bool = False
    kms: bool = False  # a customer managed KMS key instead of the AWS owned default
    ttl: bool = False
    stream: bool = False
    backup_daily: bool = False


_TABLES = (
    # protected: PITR, deletion protection, provisioned capacity, tagged for daily backups
    _Table("orders", "PROVISIONED", 500, pitr=True, deletion_protection=True, backup_daily=True),
    # unprotected: no PITR, no deletion protection; on-demand, TTL and a stream
    _Table("sessions", "PAY_PER_REQUEST", 150, ttl=True, stream=True),
    # KMS encrypted with PITR, but deletion protection off
    _Table("audit-log", "PAY_PER_REQUEST", 300, pitr=True, kms=True, backup_daily=True),
)


def describe() -> list[str]:
    lines = []
    for region in SIMULATED_REGIONS:
        for spec in _TABLES:
            lines.append(
                f"{region}: DynamoDB table {spec.name}-{region} ({spec.billing}, "
                f"PITR {'on' if spec.pitr else 'off'}, deletion protection "
                f"{'on' if spec.deletion_protection else 'off'}, "
                f"{'KMS key' if spec.kms else 'AWS owned key'}"
                f"{', tagged Backup=daily' if spec.backup_daily else ''})"
            )
    return lines


def build(ctx: BuildContext) -> None:
    for region in ctx.regions:
        client = ctx.session.client("dynamodb", region_name=region)
        for spec in _TABLES:
            _build_table(ctx, client, region, spec)


def _build_table(ctx: BuildContext, client: Any, region: str, spec: _Table) -> None:
    name = f"{spec.name}-{region}"
    tags = [{"Key": "Environment", "Value": "prod"}]
    if spec.backup_daily:
        tags.append({"Key": "Backup", "Value": "daily"})
    extra: dict[str, Any] = {}
    if spec.billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}
    if spec.kms:
        # moto does not check the key; a real account would name an existing KMS key.
        key = f"arn:aws:kms:{region}:{ctx.account_id}:key/00000000-0000-4000-8000-0000000000d1"
        extra["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}
    if spec.stream:
        extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    with ctx.freeze(ctx.now - timedelta(days=spec.created_days_ago)):
        answer = client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode=spec.billing,
            DeletionProtectionEnabled=spec.deletion_protection,
            Tags=tags,
            **extra,
        )
    if spec.pitr:
        client.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    if spec.ttl:
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )
    ctx.made[f"dynamodb:{name}"] = answer["TableDescription"]["TableArn"]
