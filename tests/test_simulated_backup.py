"""The simulated account's AWS Backup: the moto extension answers the four operations moto lacks
with the service model's shapes, and the built account, collected and joined, has covered and
uncovered resources of every type AWS Backup protects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator

from collectors.backup_coverage import fetch_backup_coverage
from collectors.base import Api
from collectors.runner import collect
from collectors.session import ApiCallCounter, client_factory
from engine.backup_join import BACKUP_TYPES, BackupCoverage, join_backup
from engine.clock import fixed_clock, iso
from engine.model import CollectionError, Resource
from simulator import SIMULATED_REGIONS, describe, simulated_account
from simulator.moto_backup_selections import OPERATIONS, install, store_for

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ACCOUNT = "123456789012"  # moto's default account
MODEL = botocore.session.get_session().get_service_model("backup")


@dataclass
class Built:
    session: boto3.Session
    resources: list[Resource]
    coverage: dict[tuple[str, str], BackupCoverage]
    errors: list[CollectionError]
    counter: ApiCallCounter


@pytest.fixture(scope="module")
def built() -> Iterator[Built]:
    with simulated_account(NOW) as session:
        result = collect(session, list(SIMULATED_REGIONS), clock=fixed_clock(NOW), simulated=True)
        # the backup stage as the runner runs it after collection
        counter = ApiCallCounter()
        errors = list(result.errors)
        api = Api(ACCOUNT, SIMULATED_REGIONS, client_factory(session, counter), errors.append)
        coverage = {(ACCOUNT, r): fetch_backup_coverage(api, r) for r in SIMULATED_REGIONS}
        yield Built(session, join_backup(result.resources, coverage), coverage, errors, counter)


def valid(operation: str, answer: dict[str, Any]) -> None:
    """Raise unless ``answer`` fits the operation's output shape in botocore's service model."""
    body = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def named(built: Built, resource_type: str, region: str = "us-east-1") -> dict[str, Resource]:
    return {
        r.name or "": r
        for r in built.resources
        if r.resource_type == resource_type and r.region == region
    }


def days_ago(days: float) -> str | None:
    return iso(NOW - timedelta(days=days))


# --- the extension -------------------------------------------------------------------------


def test_the_four_operations_answer_in_the_models_shapes(built: Built) -> None:
    client: Any = built.session.client("backup", region_name="eu-west-1")
    plan_id = client.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "shape-test",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "sim-vault"}],
        }
    )["BackupPlanId"]
    body = {
        "SelectionName": "shape-test",
        "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
        "Resources": ["arn:aws:ec2:*:*:volume/*"],
        "Conditions": {
            "StringLike": [{"ConditionKey": "aws:ResourceTag/a", "ConditionValue": "b*"}]
        },
    }
    created = client.create_backup_selection(BackupPlanId=plan_id, BackupSelection=body)
    valid("CreateBackupSelection", created)
    listed = client.list_backup_selections(BackupPlanId=plan_id)
    valid("ListBackupSelections", listed)
    got = client.get_backup_selection(BackupPlanId=plan_id, SelectionId=created["SelectionId"])
    valid("GetBackupSelection", got)
    protected = client.list_protected_resources()
    valid("ListProtectedResources", protected)

    assert [s["SelectionId"] for s in listed["BackupSelectionsList"]] == [created["SelectionId"]]
    assert got["BackupSelection"]["Resources"] == body["Resources"]
    assert got["BackupSelection"]["Conditions"]["StringLike"] == body["Conditions"]["StringLike"]
    assert got["BackupSelection"]["NotResources"] == []  # unset lists answer empty
    assert got["BackupPlanId"] == plan_id
    assert isinstance(got["CreationDate"], datetime)
    assert protected["Results"] and all(
        isinstance(r["LastBackupTime"], datetime) for r in protected["Results"]
    )


def test_errors_are_the_documented_modelled_exceptions(built: Built) -> None:
    client: Any = built.session.client("backup", region_name="us-east-1")
    plan_id = client.list_backup_plans()["BackupPlansList"][0]["BackupPlanId"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_backup_selection(BackupPlanId=plan_id, SelectionId="no-such-selection")
    for call in (client.list_backup_selections, client.create_backup_selection):
        kwargs: dict[str, Any] = {"BackupPlanId": "no-such-plan"}
        if call == client.create_backup_selection:
            kwargs["BackupSelection"] = {
                "SelectionName": "x",
                "IamRoleArn": "arn:aws:iam::1:role/x",
            }
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            call(**kwargs)
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.list_protected_resources(NextToken="not-a-token")


def test_input_is_validated_by_botocore_before_the_store_sees_it(built: Built) -> None:
    client: Any = built.session.client("backup", region_name="us-east-1")
    plan_id = client.list_backup_plans()["BackupPlansList"][0]["BackupPlanId"]
    with pytest.raises(botocore.exceptions.ParamValidationError):
        client.create_backup_selection(BackupPlanId=plan_id, BackupSelection={"SelectionName": "x"})


def test_pages_follow_next_token(built: Built) -> None:
    client: Any = built.session.client("backup", region_name="us-east-1")
    whole = client.list_protected_resources()["Results"]
    pages = list(
        client.get_paginator("list_protected_resources").paginate(PaginationConfig={"PageSize": 2})
    )
    assert len(pages) == (len(whole) + 1) // 2 > 1
    assert [r for page in pages for r in page["Results"]] == whole


def test_only_the_installed_session_is_extended(built: Built) -> None:
    assert store_for(built.session) is not None
    assert install(built.session, ACCOUNT, (), fixed_clock(NOW)) is store_for(built.session)
    assert store_for(boto3.Session(region_name="us-east-1")) is None
    assert set(OPERATIONS) == {
        "CreateBackupSelection",
        "ListBackupSelections",
        "GetBackupSelection",
        "ListProtectedResources",
    }


def test_the_newest_recovery_point_wins(built: Built) -> None:
    store = store_for(built.session)
    assert store is not None
    arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/vol-0000000000000test"
    for days in (5, 2, 9):
        store.record_recovery_point("us-east-1", arn, "EBS", NOW - timedelta(days=days), "v")
    client: Any = built.session.client("backup", region_name="us-east-1")
    [row] = [r for r in client.list_protected_resources()["Results"] if r["ResourceArn"] == arn]
    assert row["LastBackupTime"] == NOW - timedelta(days=2)
    assert row["ResourceType"] == "EBS"
    assert row["LastBackupVaultArn"].endswith(":backup-vault:v")


def test_backup_calls_are_counted_like_any_other(built: Built) -> None:
    # The extension answers last: the per-client counting hook still sees every call.
    calls = built.counter.calls
    assert calls["backup.ListBackupPlans"] == len(SIMULATED_REGIONS)
    assert calls["backup.ListBackupSelections"] == 2 * len(SIMULATED_REGIONS)
    assert calls["backup.GetBackupSelection"] == 3 * len(SIMULATED_REGIONS)
    assert calls["backup.ListProtectedResources"] == len(SIMULATED_REGIONS)


# --- the built account -----------------------------------------------------------------------


def test_collected_and_joined_without_errors(built: Built) -> None:
    assert built.errors == []
    assert all(c.complete for c in built.coverage.values())
    for coverage in built.coverage.values():
        assert [p.name for p in coverage.plans] == ["sim-daily", "sim-weekly"]


@pytest.mark.parametrize("region", SIMULATED_REGIONS)
@pytest.mark.parametrize("resource_type", sorted(BACKUP_TYPES))
def test_every_backup_type_has_covered_and_uncovered_resources(
    built: Built, resource_type: str, region: str
) -> None:
    resources = named(built, resource_type, region).values()
    backups = [r.attributes["backup"] for r in resources]
    assert backups, f"no {resource_type} in {region}"
    assert any(b["plans"] for b in backups), f"no covered {resource_type}"
    assert any(not b["plans"] for b in backups), f"no uncovered {resource_type}"


def test_rds_coverage(built: Built) -> None:
    instances = named(built, "aws.rds.instance")
    clusters = named(built, "aws.rds.cluster")
    # us-east-1's backups ran six hours ago; eu-west-1's are days old (simulator/build_backup.py)
    expected = {
        # by ARN pattern db:prod-*
        "prod-orders-pg": (["sim-daily"], days_ago(0.25)),
        "prod-legacy-mysql": (["sim-daily"], days_ago(2)),
        # matches prod-* but NotResources *-replica excludes it
        "prod-orders-pg-replica": ([], None),
        # not selected, but an on-demand backup exists
        "dev-scratch-pg": ([], days_ago(10)),
        # not prod-*: not selected, no recovery point
        "reporting-pg10": ([], None),
        # prod-tagged by Environment, but the selection is by name (prod-*), not by tag
        "erp-oracle": ([], None),
        # Aurora members carry their cluster's coverage (cluster:prod-*)
        "prod-aurora-mysql-1": (["sim-daily"], days_ago(0.25)),
        "prod-aurora-mysql-2": (["sim-daily"], days_ago(0.25)),
        "prod-aurora-v1-1": (["sim-daily"], days_ago(3)),
        "next-aurora-pg-1": ([], None),
        # tagged Backup=daily itself, but Aurora is backed up per cluster
        "analytics-aurora-pg-1": ([], None),
    }
    got = {
        name: (r.attributes["backup"]["plans"], r.attributes["backup"]["last_recovery_point_at"])
        for name, r in instances.items()
    }
    assert got == expected
    assert instances["analytics-aurora-pg-1"].tags == {"Backup": "daily"}
    assert clusters["prod-aurora-mysql"].attributes["backup"] == {
        "plans": ["sim-daily"],
        "last_recovery_point_at": days_ago(0.25),
    }
    assert clusters["analytics-aurora-pg"].attributes["backup"] == {
        "plans": [],
        "last_recovery_point_at": None,
    }


def test_rds_attributes_as_built(built: Built) -> None:
    instances = named(built, "aws.rds.instance", "eu-west-1")
    legacy = instances["prod-legacy-mysql"].attributes
    assert (legacy["engine"], legacy["engine_major"]) == ("mysql", "5.7")
    orders = instances["prod-orders-pg"].attributes
    assert (orders["backup_retention_days"], orders["deletion_protection"]) == (7, True)
    assert (orders["multi_az"], orders["storage_encrypted"], orders["engine_major"]) == (
        True,
        True,
        "16",
    )
    scratch = instances["dev-scratch-pg"].attributes
    assert (scratch["backup_retention_days"], scratch["deletion_protection"]) == (1, False)
    assert instances["prod-orders-pg-replica"].attributes["read_replica_source"] == "prod-orders-pg"
    clusters = named(built, "aws.rds.cluster", "eu-west-1")
    aurora = clusters["prod-aurora-mysql"].attributes
    assert (aurora["engine_version"], aurora["engine_major"]) == ("8.0.mysql_aurora.3.04.0", "3")
    assert aurora["members"] == [
        {"db_instance_identifier": "prod-aurora-mysql-1", "is_writer": True},
        {"db_instance_identifier": "prod-aurora-mysql-2", "is_writer": False},
    ]
    assert clusters["analytics-aurora-pg"].attributes["engine_major"] == "11"
    created = clusters["analytics-aurora-pg"].created_at
    assert created == days_ago(1500)


def test_tag_and_arn_selections_of_other_types(built: Built) -> None:
    for resource in named(built, "aws.ec2.instance").values():
        backup = resource.attributes["backup"]
        if resource.name == "web-us-east-1":  # by ARN in sim-weekly
            assert "sim-weekly" in backup["plans"]
            assert backup["last_recovery_point_at"] == days_ago(3)
        assert ("sim-daily" in backup["plans"]) == (resource.tags.get("Backup") == "daily")
    for resource_type in ("aws.ebs.volume", "aws.dynamodb.table"):
        for resource in named(built, resource_type).values():
            backup = resource.attributes["backup"]
            tagged = resource.tags.get("Backup") == "daily"
            assert backup["plans"] == (["sim-daily"] if tagged else [])
            # us-east-1: the tagged daily backups ran six hours ago
            assert (backup["last_recovery_point_at"] == days_ago(0.25)) == tagged


def test_describe_mentions_the_backup_plans_and_databases() -> None:
    text = "\n".join(describe())
    assert "backup plan sim-daily" in text
    assert "Aurora cluster prod-aurora-mysql" in text
    assert "RDS read replica prod-orders-pg-replica" in text
