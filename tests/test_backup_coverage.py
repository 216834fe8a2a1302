"""fetch_backup_coverage against botocore's Stubber (moto lacks the selection and protected-resource
APIs), failures recorded and marked incomplete, and the join that turns them into evaluation errors.

The Stubber validates every stubbed answer against the backup service model's output shape, so
the responses below have the real API shapes.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from collectors import load_all
from collectors.backup_coverage import RESOURCE_TYPE, fetch_backup_coverage, parse_selection
from collectors.base import Api
from engine.backup_join import (
    BackupCoverage,
    Conditions,
    Plan,
    Selection,
    TagCondition,
    join_backup,
)
from engine.evaluator import evaluate
from engine.model import CollectionError, Resource
from engine.rules import RuleSet, load_rule_file

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT, REGION = "123456789012", "eu-west-1"
PLAN_A = "aaaaaaaa-1111-2222-3333-444444444444"
PLAN_B = "bbbbbbbb-1111-2222-3333-444444444444"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole"
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DB = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:prod-orders"
VOLUME = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0123456789abcdef0"


@pytest.fixture
def stubbed(aws_env: None) -> tuple[Api, Stubber, list[CollectionError]]:
    client = boto3.client("backup", region_name=REGION)
    errors: list[CollectionError] = []
    api = Api(ACCOUNT, (REGION,), lambda service, region: client, errors.append)
    stubber = Stubber(client)
    stubber.activate()
    return api, stubber, errors


def plan_item(plan_id: str, name: str) -> dict[str, Any]:
    return {
        "BackupPlanArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:{plan_id}",
        "BackupPlanId": plan_id,
        "CreationDate": CREATED,
        "VersionId": "ZmQ1ZWRlYjYtYzQ0Ny00Mj",
        "BackupPlanName": name,
    }


def selection_item(plan_id: str, selection_id: str, name: str) -> dict[str, Any]:
    return {
        "SelectionId": selection_id,
        "SelectionName": name,
        "BackupPlanId": plan_id,
        "CreationDate": CREATED,
        "IamRoleArn": ROLE,
    }


def get_selection(plan_id: str, selection_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "BackupSelection": {"IamRoleArn": ROLE, **body},
        "SelectionId": selection_id,
        "BackupPlanId": plan_id,
        "CreationDate": CREATED,
    }


PROD_DB = {
    "SelectionName": "prod-databases",
    "Resources": ["arn:aws:rds:*:*:db:prod-*"],
    "NotResources": ["arn:aws:rds:*:*:db:*-replica"],
    # as GetBackupSelection answers unset fields: empty lists
    "ListOfTags": [],
    "Conditions": {
        "StringEquals": [],
        "StringNotEquals": [],
        "StringLike": [],
        "StringNotLike": [],
    },
}
TAGGED = {
    "SelectionName": "tagged",
    "ListOfTags": [
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "Backup", "ConditionValue": "weekly"}
    ],
    "Conditions": {
        "StringEquals": [{"ConditionKey": "aws:ResourceTag/Backup", "ConditionValue": "daily"}],
        "StringNotLike": [{"ConditionKey": "aws:ResourceTag/stage", "ConditionValue": "test*"}],
    },
}
WEEKLY = {"SelectionName": "weekly-volumes", "Resources": ["arn:aws:ec2:*:*:volume/*"]}


def stub_everything(stubber: Stubber) -> None:
    """Two pages of plans, selections per plan, two pages of protected resources."""
    stubber.add_response(
        "list_backup_plans", {"BackupPlansList": [plan_item(PLAN_B, "weekly")], "NextToken": "p2"}
    )
    stubber.add_response(
        "list_backup_plans",
        {"BackupPlansList": [plan_item(PLAN_A, "daily")]},
        {"NextToken": "p2"},
    )
    # plans are read in name order: daily (A) first, then weekly (B)
    stubber.add_response(
        "list_backup_selections",
        {
            "BackupSelectionsList": [
                selection_item(PLAN_A, "sel-tagged", "tagged"),
                selection_item(PLAN_A, "sel-prod", "prod-databases"),
            ]
        },
        {"BackupPlanId": PLAN_A},
    )
    stubber.add_response(
        "get_backup_selection",
        get_selection(PLAN_A, "sel-tagged", TAGGED),
        {"BackupPlanId": PLAN_A, "SelectionId": "sel-tagged"},
    )
    stubber.add_response(
        "get_backup_selection",
        get_selection(PLAN_A, "sel-prod", PROD_DB),
        {"BackupPlanId": PLAN_A, "SelectionId": "sel-prod"},
    )
    stubber.add_response(
        "list_backup_selections",
        {"BackupSelectionsList": [selection_item(PLAN_B, "sel-weekly", "weekly-volumes")]},
        {"BackupPlanId": PLAN_B},
    )
    stubber.add_response(
        "get_backup_selection",
        get_selection(PLAN_B, "sel-weekly", WEEKLY),
        {"BackupPlanId": PLAN_B, "SelectionId": "sel-weekly"},
    )
    stubber.add_response(
        "list_protected_resources",
        {
            "Results": [
                {
                    "ResourceArn": DB,
                    "ResourceType": "RDS",
                    "LastBackupTime": datetime(2026, 11, 24, 5, 0, 0, 123000, tzinfo=UTC),
                }
            ],
            "NextToken": "r2",
        },
    )
    stubber.add_response(
        "list_protected_resources",
        {"Results": [{"ResourceArn": VOLUME, "ResourceType": "EBS", "LastBackupTime": CREATED}]},
        {"NextToken": "r2"},
    )


def test_fetch_reads_plans_selections_and_protected_resources(
    stubbed: tuple[Api, Stubber, list[CollectionError]],
) -> None:
    api, stubber, errors = stubbed
    stub_everything(stubber)
    coverage = fetch_backup_coverage(api, REGION)
    stubber.assert_no_pending_responses()
    assert errors == []
    assert coverage == BackupCoverage(
        plans=(
            Plan(
                PLAN_A,
                "daily",
                (
                    Selection(
                        "prod-databases",
                        resources=("arn:aws:rds:*:*:db:prod-*",),
                        not_resources=("arn:aws:rds:*:*:db:*-replica",),
                    ),
                    Selection(
                        "tagged",
                        list_of_tags=(TagCondition("Backup", "weekly"),),
                        conditions=Conditions(
                            string_equals=(TagCondition("Backup", "daily"),),
                            string_not_like=(TagCondition("stage", "test*"),),
                        ),
                    ),
                ),
            ),
            Plan(PLAN_B, "weekly", (Selection("weekly-volumes", ("arn:aws:ec2:*:*:volume/*",)),)),
        ),
        last_backup_times={DB: "2026-11-24T05:00:00Z", VOLUME: "2026-01-02T03:04:05Z"},
    )


def test_no_plans_is_a_complete_empty_coverage(
    stubbed: tuple[Api, Stubber, list[CollectionError]],
) -> None:
    api, stubber, errors = stubbed
    stubber.add_response("list_backup_plans", {"BackupPlansList": []})
    stubber.add_response("list_protected_resources", {"Results": []})
    coverage = fetch_backup_coverage(api, REGION)
    assert coverage == BackupCoverage(plans=(), last_backup_times={})
    assert coverage.complete and errors == []


def _fail_at(stubber: Stubber, operation: str) -> None:
    """Stub the calls up to ``operation``, which answers AccessDeniedException."""
    steps: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [
        ("list_backup_plans", {"BackupPlansList": [plan_item(PLAN_A, "daily")]}, None),
        (
            "list_backup_selections",
            {"BackupSelectionsList": [selection_item(PLAN_A, "sel-prod", "prod-databases")]},
            {"BackupPlanId": PLAN_A},
        ),
        (
            "get_backup_selection",
            get_selection(PLAN_A, "sel-prod", PROD_DB),
            {"BackupPlanId": PLAN_A, "SelectionId": "sel-prod"},
        ),
        ("list_protected_resources", {"Results": []}, None),
    ]
    for method, answer, params in steps:
        if method == operation:
            stubber.add_client_error(
                method,
                service_error_code="AccessDeniedException",
                service_message="User is not authorized to perform: backup:" + method,
                http_status_code=403,
            )
            return
        stubber.add_response(method, answer, params)


@pytest.mark.parametrize(
    ("method", "operation", "resource_id"),
    [
        ("list_backup_plans", "ListBackupPlans", None),
        (
            "list_backup_selections",
            "ListBackupSelections",
            f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:{PLAN_A}",
        ),
        (
            "get_backup_selection",
            "GetBackupSelection",
            f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:{PLAN_A}",
        ),
        ("list_protected_resources", "ListProtectedResources", None),
    ],
)
def test_a_failed_call_is_recorded_and_marks_the_coverage_incomplete(
    stubbed: tuple[Api, Stubber, list[CollectionError]],
    method: str,
    operation: str,
    resource_id: str | None,
) -> None:
    api, stubber, errors = stubbed
    _fail_at(stubber, method)
    coverage = fetch_backup_coverage(api, REGION)
    stubber.assert_no_pending_responses()  # and nothing was called after the failure
    assert coverage == BackupCoverage.incomplete("AccessDeniedException")
    assert coverage.plans == () and not coverage.complete
    assert len(errors) == 1
    error = errors[0]
    assert (error.account_id, error.region, error.service) == (ACCOUNT, REGION, "backup")
    assert (error.operation, error.error_code) == (operation, "AccessDeniedException")
    assert (error.resource_type, error.resource_id) == (RESOURCE_TYPE, resource_id)


def test_a_selection_that_cannot_be_evaluated_marks_the_coverage_incomplete(
    stubbed: tuple[Api, Stubber, list[CollectionError]],
) -> None:
    api, stubber, errors = stubbed
    odd = {
        "SelectionName": "by-request-tag",
        "Conditions": {
            "StringEquals": [{"ConditionKey": "aws:RequestTag/team", "ConditionValue": "a"}]
        },
    }
    stubber.add_response("list_backup_plans", {"BackupPlansList": [plan_item(PLAN_A, "daily")]})
    stubber.add_response(
        "list_backup_selections",
        {"BackupSelectionsList": [selection_item(PLAN_A, "sel-odd", "by-request-tag")]},
        {"BackupPlanId": PLAN_A},
    )
    stubber.add_response("get_backup_selection", get_selection(PLAN_A, "sel-odd", odd))
    coverage = fetch_backup_coverage(api, REGION)
    assert coverage == BackupCoverage.incomplete("UnsupportedSelection")
    assert [(e.operation, e.error_code) for e in errors] == [
        ("GetBackupSelection", "UnsupportedSelection")
    ]
    assert "aws:RequestTag/team" in errors[0].message


@pytest.mark.parametrize(
    "raw",
    [
        {"SelectionName": "s", "Conditions": {"StringEqualsIgnoreCase": []}},
        {
            "SelectionName": "s",
            "ListOfTags": [
                {"ConditionType": "STRINGLIKE", "ConditionKey": "a", "ConditionValue": "b"}
            ],
        },
        {
            "SelectionName": "s",
            "Conditions": {"StringLike": [{"ConditionKey": "team", "ConditionValue": "a"}]},
        },
    ],
)
def test_parse_selection_refuses_what_it_cannot_evaluate(raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="selection 's'"):
        parse_selection(raw)


def test_parse_selection_accepts_prefixed_list_of_tags_keys() -> None:
    # the AWS CDK writes "aws:ResourceTag/<key>" into ListOfTags
    raw = {
        "SelectionName": "cdk",
        "ListOfTags": [
            {
                "ConditionType": "STRINGEQUALS",
                "ConditionKey": "aws:ResourceTag/Backup",
                "ConditionValue": "x",
            }
        ],
    }
    assert parse_selection(raw).list_of_tags == (TagCondition("Backup", "x"),)


def test_the_stage_is_not_a_resource_collector() -> None:
    # Importing the module (as collectors.load_all does) registers nothing and builds no client.
    script = (
        "import boto3, collectors.base as base\n"
        "before = dict(base.REGISTRY.items())\n"
        "boto3.client = boto3.Session.client = None\n"
        "import collectors.backup_coverage\n"
        "assert dict(base.REGISTRY.items()) == before, 'registered something'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT)
    assert RESOURCE_TYPE not in load_all()


# --- join: an unreadable coverage is an evaluation error, never a pass --------------------

RULE = """\
id: rds-instance-not-in-backup-plan
title: RDS instance is not covered by an AWS Backup plan
resource: aws.rds.instance
category: reliability
severity: high
condition: length(attributes.backup.plans) == `0`
remediation: Add the instance to a backup plan.
references: {}
tests:
  pass:
    - {attributes: {backup: {plans: [daily], last_recovery_point_at: null}}}
  fail:
    - {attributes: {backup: {plans: [], last_recovery_point_at: null}}}
"""


def rds_instance(identifier: str) -> Resource:
    return Resource(
        resource_id=f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{identifier}",
        resource_type="aws.rds.instance",
        account_id=ACCOUNT,
        region=REGION,
        name=identifier,
        state="available",
        created_at=None,
        tags={},
        attributes={"db_cluster_identifier": None, "backup": None, "unreadable": {}},
        collected_at="2026-11-25T09:00:00Z",
        scan_id="scan-test",
    )


def test_failed_fetch_then_join_gives_an_evaluation_error(
    stubbed: tuple[Api, Stubber, list[CollectionError]], tmp_path: Path
) -> None:
    api, stubber, _ = stubbed
    _fail_at(stubber, "list_protected_resources")
    coverage = {(ACCOUNT, REGION): fetch_backup_coverage(api, REGION)}
    joined = join_backup([rds_instance("prod-orders")], coverage)
    assert joined[0].attributes["backup"] is None
    assert joined[0].attributes["unreadable"] == {"backup": "AccessDeniedException"}

    rule_file = tmp_path / "rds-instance-not-in-backup-plan.yaml"
    rule_file.write_text(RULE)
    rules = RuleSet((load_rule_file(rule_file),))
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    [finding] = evaluate(joined, rules, now).findings
    assert finding.outcome == "error"
    assert finding.error == "could not be collected: backup (AccessDeniedException)"
    # the same rule on a readable coverage: a real fail, and a pass when covered
    readable = join_backup([rds_instance("prod-orders")], {(ACCOUNT, REGION): BackupCoverage()})
    assert [f.outcome for f in evaluate(readable, rules, now).findings] == ["fail"]
    plan = Plan("p", "daily", (Selection("all", resources=("*",)),))
    covered = join_backup(
        [rds_instance("prod-orders")], {(ACCOUNT, REGION): BackupCoverage((plan,))}
    )
    assert evaluate(covered, rules, now).findings == []
