"""The shipped rule packs beyond their inline tests: costs, clocks, live lifecycle data, nulls.

Inline ``tests`` cannot check an estimated cost, change the clock per case, feed live lifecycle
dates or expect an evaluation error; these tests do, through the real loader and evaluator.
Lifecycle dates come from the shipped dataset (``rules/data/eol.yaml``, read 2026-11-24).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from engine.evaluator import evaluate
from engine.lifecycle import LiveDates
from engine.model import Finding, Resource
from engine.rules import Rule, RuleSet, load_rules

RULES = {rule.id: rule for rule in load_rules().rules}
SCAN = datetime(2026, 11, 25, tzinfo=UTC)
ATTACHED = [
    {"instance_id": "i-1", "device": "/dev/sdf", "delete_on_termination": None, "state": "attached"}
]
BACKUP_RULES: dict[str, tuple[str, dict[str, Any]]] = {
    "ec2-instance-no-backup-plan": ("aws.ec2.instance", {}),
    "ebs-volume-no-backup-plan": ("aws.ebs.volume", {"attachments": ATTACHED}),
    "rds-instance-no-backup-plan": ("aws.rds.instance", {"db_cluster_identifier": None}),
    "rds-cluster-no-backup-plan": ("aws.rds.cluster", {}),
    "dynamodb-table-no-backup-plan": ("aws.dynamodb.table", {"status": "ACTIVE"}),
    "ec2-instance-no-recent-recovery-point": ("aws.ec2.instance", {}),
    "ebs-volume-no-recent-recovery-point": ("aws.ebs.volume", {}),
    "rds-instance-no-recent-recovery-point": ("aws.rds.instance", {"db_cluster_identifier": None}),
    "rds-cluster-no-recent-recovery-point": ("aws.rds.cluster", {}),
    "dynamodb-table-no-recent-recovery-point": ("aws.dynamodb.table", {"status": "ACTIVE"}),
}


def run(
    rule_id: str,
    attributes: dict[str, Any],
    *,
    now: datetime = SCAN,
    state: str | None = "running",
    params: dict[str, Any] | None = None,
    live: dict[tuple[str, str], LiveDates] | None = None,
) -> tuple[str, Finding | None]:
    """Evaluate one shipped rule on one resource: (outcome, finding or None)."""
    rule: Rule = RULES[rule_id].with_params(params or {})
    resource = Resource(
        resource_id=f"arn:aws:test:us-east-1:123456789012:thing/{rule_id}",
        resource_type=rule.resource_type,
        account_id="123456789012",
        region="us-east-1",
        name="subject",
        state=state,
        created_at=None,
        tags={},
        attributes=attributes,
        collected_at="2026-11-25T00:00:00Z",
        scan_id="semantics",
    )
    result = evaluate([resource], RuleSet((rule,)), now, record_others=True, lifecycle_live=live)
    if result.findings:
        (finding,) = result.findings
        return finding.outcome, finding
    ((_, _, outcome),) = result.others
    return outcome, None


def failed(rule_id: str, attributes: dict[str, Any], **kwargs: Any) -> Finding:
    outcome, finding = run(rule_id, attributes, **kwargs)
    assert outcome == "fail", (outcome, finding.error if finding else None)
    assert finding is not None
    return finding


def rds(engine: str | None, version: str | None, **extra: Any) -> dict[str, Any]:
    base = {
        "engine": engine,
        "engine_version": version,
        "db_cluster_identifier": None,
        "engine_lifecycle_support": None,
        "vcpus": 2,
        "multi_az": False,
    }
    return {**base, **extra}


# --- estimated monthly costs (us-east-1 prices in rules/data/prices.yaml) ----------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        # MySQL 5.7: 1,000 days past end of standard support (2024-02-29): year 3, $0.200/vCPU-h
        (rds("mysql", "5.7.44", vcpus=2), 2 * 0.200 * 730),
        (rds("mysql", "5.7.44", vcpus=2, multi_az=True), 2 * 0.200 * 730 * 2),
        # PostgreSQL 13: 270 days past 2026-02-28: years 1-2, $0.100/vCPU-h; standby doubles
        (rds("postgres", "13.4", vcpus=4, multi_az=True), 4 * 0.100 * 730 * 2),
        (rds("aurora-postgresql", "11.21", vcpus=16, db_cluster_identifier="a"), 16 * 0.2 * 730),
        # no vCPU count (db.serverless): no estimate rather than a wrong one, still a finding
        (rds("aurora-postgresql", "11.21", vcpus=None, db_cluster_identifier="a"), None),
    ],
)
def test_rds_extended_support_cost(attributes: dict[str, Any], expected: float | None) -> None:
    finding = failed("rds-instance-extended-support-charges", attributes)
    if expected is None:
        assert finding.estimated_monthly_cost_usd is None
    else:
        assert finding.estimated_monthly_cost_usd == pytest.approx(expected, abs=0.01)


def test_rds_extended_support_year_three_starts_after_two_years() -> None:
    # PostgreSQL 12 left standard support on 2025-02-28; year 3 pricing from 2027-03-01.
    year_two = failed(
        "rds-instance-extended-support-charges",
        rds("postgres", "12.19"),
        now=datetime(2027, 2, 28, tzinfo=UTC),
    )
    year_three = failed(
        "rds-instance-extended-support-charges",
        rds("postgres", "12.19"),
        now=datetime(2027, 3, 1, tzinfo=UTC),
    )
    assert year_two.evidence["pricing_year"] == "year_1_2"
    assert year_two.estimated_monthly_cost_usd == pytest.approx(146.0)
    assert year_three.evidence["pricing_year"] == "year_3"
    assert year_three.estimated_monthly_cost_usd == pytest.approx(292.0)


@pytest.mark.parametrize(
    ("size", "saving"),
    [
        (8, 0.16),  # 8 x (0.10 - 0.08)
        (100, 2.0),
        (200, 3.0),  # gp3 needs 150 - 125 = 25 MiB/s more: $1
        (500, 5.0),  # 250 - 125 MiB/s more: $5
        (1000, 15.0),  # 3,000 IOPS: none extra yet
        (2000, 20.0),  # 3,000 IOPS more ($15) and 125 MiB/s more ($5)
        (16000, 250.0),  # 16,000 IOPS cap: 13,000 more ($65) and $5
    ],
)
def test_gp2_to_gp3_saving_at_equal_sustained_performance(size: int, saving: float) -> None:
    finding = failed(
        "ebs-volume-gp2-to-gp3", {"attachments": ATTACHED, "volume_type": "gp2", "size_gib": size}
    )
    assert finding.estimated_monthly_cost_usd == pytest.approx(saving, abs=0.01)


def test_gp2_to_gp3_threshold_param() -> None:
    small = {"attachments": ATTACHED, "volume_type": "gp2", "size_gib": 8}
    outcome, _ = run("ebs-volume-gp2-to-gp3", small, params={"min_monthly_savings_usd": 1.0})
    assert outcome == "pass"
    assert (
        run(
            "ebs-volume-gp2-to-gp3",
            {**small, "size_gib": 100},
            params={"min_monthly_savings_usd": 1.0},
        )[0]
        == "fail"
    )


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"volume_type": "gp2", "size_gib": 100}, 10.0),
        ({"volume_type": "gp3", "size_gib": 500, "iops": 3000, "throughput": 125}, 40.0),
        ({"volume_type": "gp3", "size_gib": 500, "iops": 6000, "throughput": 250}, 60.0),
        ({"volume_type": "gp3", "size_gib": 500, "iops": None, "throughput": None}, 40.0),
        ({"volume_type": "io1", "size_gib": 100, "iops": 5000}, 12.5),  # storage only
        ({"volume_type": "exotic", "size_gib": 100}, None),  # no price: no estimate
        ({"volume_type": "gp2", "size_gib": None}, None),
    ],
)
def test_unattached_volume_cost(attributes: dict[str, Any], expected: float | None) -> None:
    finding = failed(
        "ebs-volume-unattached", {"state": "available", "attachments": [], **attributes}
    )
    assert finding.estimated_monthly_cost_usd == expected


def test_eks_extended_support_cost_is_the_price_difference() -> None:
    finding = failed(
        "eks-cluster-extended-support-charges",
        {"version": "1.32", "upgrade_policy_support_type": "EXTENDED"},
    )
    assert finding.estimated_monthly_cost_usd == pytest.approx((0.60 - 0.10) * 730)


# --- severity follows the clock ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "severity", "days_left"),
    [
        (datetime(2026, 11, 25, tzinfo=UTC), "medium", 126),
        (datetime(2027, 1, 1, tzinfo=UTC), "high", 89),
        (datetime(2026, 10, 1, tzinfo=UTC), "low", 181),
    ],
)
def test_rds_extended_support_escalates_as_the_end_nears(
    now: datetime, severity: str, days_left: int
) -> None:
    # PostgreSQL 11: Extended Support ends 2027-03-31.
    finding = failed("rds-instance-engine-extended-support", rds("postgres", "11.22"), now=now)
    assert (finding.severity, finding.evidence["days_left"]) == (severity, days_left)


def test_past_end_of_extended_support_moves_to_the_end_of_life_rule() -> None:
    after = datetime(2027, 3, 31, tzinfo=UTC)
    assert run("rds-instance-engine-extended-support", rds("postgres", "11.22"), now=after)[0] == (
        "pass"
    )
    finding = failed("rds-instance-engine-end-of-life", rds("postgres", "11.22"), now=after)
    assert finding.severity == "critical"
    assert finding.evidence["days_left"] == 0


def test_lambda_phases_follow_the_clock() -> None:
    # nodejs20.x: deprecated 2026-04-30, create blocked 2027-02-01, update blocked 2027-03-03.
    phases = {
        datetime(2026, 4, 29, tzinfo=UTC): None,
        datetime(2026, 4, 30, tzinfo=UTC): "medium",
        datetime(2027, 2, 1, tzinfo=UTC): "high",
        datetime(2027, 3, 3, tzinfo=UTC): "critical",
    }
    zip_function = {"package_type": "Zip", "runtime": "nodejs20.x"}
    for now, severity in phases.items():
        outcome, finding = run("lambda-function-runtime-deprecated", zip_function, now=now)
        assert (finding.severity if finding else None) == severity, now
        assert outcome == ("fail" if severity else "pass")


# --- live lifecycle data wins over the dataset ------------------------------------------------


def test_live_rds_dates_win_and_are_named_in_the_evidence() -> None:
    live = {
        ("rds-mysql", "5.7"): LiveDates(
            end_of_standard_support=date(2024, 2, 29),
            end_of_extended_support=date(2027, 1, 31),
            source="rds:DescribeDBMajorEngineVersions",
            fetched_on=date(2026, 11, 25),
        )
    }
    finding = failed("rds-instance-engine-extended-support", rds("mysql", "5.7.44"), live=live)
    assert finding.severity == "high"  # 67 days left live; 948 in the dataset
    assert finding.evidence["days_left"] == 67
    assert finding.evidence["lifecycle_source"] == "rds:DescribeDBMajorEngineVersions"
    assert finding.evidence["lifecycle_data_date"] == "2026-11-25"
    assert "2029-06-30 in the dataset" in finding.evidence["lifecycle_note"]


def test_live_eks_dates_win() -> None:
    live = {
        ("eks", "1.35"): LiveDates(
            date(2026, 11, 1), date(2027, 11, 1), "eks:X", date(2026, 11, 25)
        )
    }
    finding = failed("eks-cluster-version-extended-support", {"version": "1.35"}, live=live)
    assert finding.evidence["lifecycle_source"] == "eks:X"
    assert run("eks-cluster-version-extended-support", {"version": "1.35"})[0] == "pass"


# --- an unexpected null is an evaluation error, never a pass ----------------------------------


@pytest.mark.parametrize(
    ("rule_id", "attributes"),
    [
        ("lambda-function-runtime-deprecated", {"package_type": "Zip", "runtime": None}),
        ("lambda-function-runtime-deprecation-soon", {"package_type": "Zip", "runtime": None}),
        ("lambda-function-runtime-lifecycle-unknown", {"package_type": "Zip", "runtime": None}),
        ("rds-instance-engine-extended-support", rds(None, "5.7.44")),
        ("rds-instance-engine-end-of-life", rds("mysql", None)),
        ("rds-instance-engine-lifecycle-unknown", rds(None, None)),
        ("rds-instance-extended-support-charges", rds("postgres", None)),
        ("rds-cluster-engine-extended-support", {"engine": "aurora-mysql", "engine_version": None}),
        ("rds-cluster-engine-end-of-life", {"engine": None, "engine_version": "11.21"}),
        ("rds-cluster-engine-lifecycle-unknown", {"engine": None, "engine_version": None}),
        ("eks-cluster-version-extended-support", {"version": None}),
        ("eks-cluster-version-end-of-life", {"version": None}),
        ("eks-cluster-version-lifecycle-unknown", {"version": None}),
        ("eks-cluster-extended-support-charges", {"version": None}),
        (
            "eks-cluster-endpoint-public",
            {"endpoint_public_access": True, "public_access_cidrs": None},
        ),
        (
            "rds-instance-backup-retention-too-short",
            {
                "is_read_replica": False,
                "db_cluster_identifier": None,
                "backup_retention_days": None,
            },
        ),
        ("rds-cluster-backup-retention-too-short", {"backup_retention_days": None}),
        ("dynamodb-table-pitr-disabled", {"pitr_status": None}),
        ("dynamodb-table-no-backup-plan", {"status": None, "backup": {"plans": []}}),
        ("ebs-volume-gp2-to-gp3", {"attachments": ATTACHED, "volume_type": None}),
    ],
)
def test_unexpected_null_is_an_error(rule_id: str, attributes: dict[str, Any]) -> None:
    outcome, finding = run(rule_id, attributes)
    assert outcome == "error"
    assert finding is not None
    assert finding.error


@pytest.mark.parametrize("rule_id", sorted(BACKUP_RULES))
def test_backup_coverage_not_collected_is_an_error(rule_id: str) -> None:
    _, scope = BACKUP_RULES[rule_id]
    # the backup stage did not run (or the inventory predates it): backup is null
    assert run(rule_id, {**scope, "backup": None})[0] == "error"
    # the backup stage could not read the coverage of the account and region
    unreadable = {**scope, "backup": None, "unreadable": {"backup": "AccessDeniedException"}}
    assert run(rule_id, unreadable)[0] == "error"


def test_out_of_scope_resources_stay_not_applicable_without_coverage() -> None:
    # The scope is judged before coverage: a cluster member or terminated instance is not an
    # error merely because no coverage was collected for it.
    member = {"db_cluster_identifier": "prod", "backup": None}
    assert run("rds-instance-no-recent-recovery-point", member)[0] == "not_applicable"
    assert run("rds-instance-no-backup-plan", member)[0] == "not_applicable"
    gone = {"backup": None}
    assert run("ec2-instance-no-recent-recovery-point", gone, state="terminated")[0] == (
        "not_applicable"
    )


def _names_unreadable_cause(rule_id: str) -> None:
    _, scope = BACKUP_RULES[rule_id]
    unreadable = {**scope, "backup": None, "unreadable": {"backup": "AccessDeniedException"}}
    _, finding = run(rule_id, unreadable)
    assert finding is not None
    assert "AccessDeniedException" in (finding.error or "")


@pytest.mark.parametrize("rule_id", sorted(r for r in BACKUP_RULES if "backup-plan" in r))
def test_unreadable_coverage_error_names_the_cause(rule_id: str) -> None:
    _names_unreadable_cause(rule_id)


@pytest.mark.parametrize("rule_id", sorted(r for r in BACKUP_RULES if "recovery-point" in r))
def test_unreadable_coverage_error_names_the_cause_in_where(rule_id: str) -> None:
    _names_unreadable_cause(rule_id)


def test_image_functions_are_not_applicable_to_any_runtime_rule() -> None:
    image = {"package_type": "Image", "runtime": None}
    for rule_id in RULES:
        if rule_id.startswith("lambda-function-runtime-"):
            assert run(rule_id, image)[0] == "not_applicable", rule_id


# --- params switch semantics to the referenced control's --------------------------------------


def test_dynamodb_kms_rule_is_on_by_default_and_can_be_switched_off() -> None:
    owned_key = {"sse_type": "AES256", "kms_key_arn": None}
    # on by default, as AWS Config's dynamodb-table-encrypted-kms is
    assert run("dynamodb-table-not-kms-encrypted", owned_key)[0] == "fail"
    assert (
        run("dynamodb-table-not-kms-encrypted", owned_key, params={"require_kms": False})[0]
        == "not_applicable"
    )
    any_key = {"sse_type": "KMS", "kms_key_arn": "arn:aws:kms:us-east-1:1:key/a"}
    assert (
        run("dynamodb-table-not-kms-encrypted", any_key, params={"require_kms": True})[0] == "pass"
    )


def test_eks_require_private_endpoint_gives_eks1_semantics() -> None:
    restricted = {"endpoint_public_access": True, "public_access_cidrs": ["203.0.113.0/24"]}
    assert run("eks-cluster-endpoint-public", restricted)[0] == "pass"
    finding = failed(
        "eks-cluster-endpoint-public", restricted, params={"require_private_endpoint": True}
    )
    assert finding.severity == "medium"
    private = {"endpoint_public_access": False, "public_access_cidrs": ["0.0.0.0/0"]}
    assert (
        run("eks-cluster-endpoint-public", private, params={"require_private_endpoint": True})[0]
        == "pass"
    )


def test_ebs_encryption_scope_of_ec2_3() -> None:
    unattached = {"encrypted": False, "attachments": []}
    assert run("ebs-volume-unencrypted", unattached)[0] == "fail"
    assert (
        run("ebs-volume-unencrypted", unattached, params={"include_unattached": False})[0]
        == "not_applicable"
    )


def test_recovery_point_age_param() -> None:
    covered = {"backup": {"plans": ["weekly"], "last_recovery_point_at": "2026-11-20T00:00:00Z"}}
    assert run("ec2-instance-no-recent-recovery-point", covered)[0] == "fail"
    assert (
        run("ec2-instance-no-recent-recovery-point", covered, params={"max_age_days": 7})[0]
        == "pass"
    )


# --- what every shipped lifecycle and cost rule promises --------------------------------------


def _new_rules() -> list[Rule]:
    existing = {
        "ec2-instance-stopped-too-long",
        "s3-bucket-no-lifecycle",
        "s3-bucket-versioning-disabled",
    }
    return [rule for rule in RULES.values() if rule.id not in existing]


def test_lifecycle_rules_name_their_source_and_deadline() -> None:
    for rule in RULES.values():
        if "lifecycle(" not in rule.condition.source:
            continue
        evidence = {name for name, _ in rule.evidence}
        assert "lifecycle_source" in evidence, rule.id
        if rule.category == "lifecycle":
            assert "lifecycle_data_date" in evidence, rule.id
            if not rule.id.endswith("-lifecycle-unknown"):
                assert "days_left" in evidence, rule.id


def test_new_cost_rules_estimate_a_cost() -> None:
    for rule in _new_rules():
        if rule.category == "cost":
            assert rule.cost is not None, rule.id


def test_new_rules_are_verified_and_fully_referenced() -> None:
    for rule in _new_rules():
        assert rule.last_verified == "2026-11-25", rule.id
        assert rule.description, rule.id
        assert all(url.startswith("https://") for url in rule.references["docs"]), rule.id
        assert rule.tests.get("now"), f"{rule.id}: inline tests run on an explicit clock"
