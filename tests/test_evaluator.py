"""The evaluator's four outcomes; an error is never read as a pass."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.errors import RuleErrors
from engine.evaluator import Evaluator, evaluate
from engine.model import Resource
from engine.params import apply_params, load_params
from engine.rules import RuleSet, load_rules

NOW = datetime(2026, 6, 1, tzinfo=UTC)

RULE = """\
id: stale-instance
title: Instance stopped for more than {max_days} days
resource: aws.ec2.instance
category: cost
severity:
  - {when: "days_since(attributes.stopped_at) > `100`", severity: high}
  - {severity: low}
where: "state != 'terminated'"
condition: "state == 'stopped' && days_since(attributes.stopped_at) > params.max_days"
evidence:
  days: days_since(attributes.stopped_at)
  type: attributes.instance_type
remediation: Terminate it or start it again.
references: {}
params:
  max_days: {type: integer, default: 30, minimum: 0}
tests:
  pass: [{state: running, attributes: {stopped_at: null, instance_type: t3.micro}}]
  fail: [{state: stopped, attributes: {stopped_at: "2026-01-01T00:00:00Z", instance_type: t3.micro}}]
"""


def instance(rid: str, state: str, stopped_at: Any, **extra: Any) -> Resource:
    attributes = {"stopped_at": stopped_at, "instance_type": "m5.large", **extra}
    return Resource(
        resource_id=f"arn:aws:ec2:us-east-1:123456789012:instance/{rid}",
        resource_type="aws.ec2.instance",
        account_id="123456789012",
        region="us-east-1",
        name=rid,
        state=state,
        created_at=None,
        tags={},
        attributes=attributes,
        collected_at="2026-06-01T00:00:00Z",
        scan_id="s",
    )


@pytest.fixture
def rules(tmp_path: Path) -> RuleSet:
    (tmp_path / "stale-instance.yaml").write_text(RULE)
    return load_rules([tmp_path])


def outcomes(rules: RuleSet, resources: list[Resource]) -> dict[str, tuple[str, ...]]:
    result = evaluate(resources, rules, NOW)
    by_resource = {
        f.resource_id.rsplit("/", 1)[1]: (f.outcome, f.severity, f.error or "")
        for f in result.findings
    }
    return by_resource


def test_pass_fail_not_applicable_counts(rules: RuleSet) -> None:
    resources = [
        instance("running", "running", None),
        instance("old", "stopped", "2026-04-01T00:00:00Z"),
        instance("ancient", "stopped", "2025-01-01T00:00:00Z"),
        instance("gone", "terminated", "2020-01-01T00:00:00Z"),
    ]
    result = evaluate(resources, rules, NOW)
    assert result.totals() == {"pass": 1, "fail": 2, "error": 0, "not_applicable": 1}
    found = {f.resource_id.rsplit("/", 1)[1]: f for f in result.findings}
    assert found["old"].severity == "low"
    assert found["ancient"].severity == "high"
    assert found["old"].evidence == {"days": 61, "type": "m5.large"}
    assert found["old"].title == "Instance stopped for more than 30 days"


def test_null_condition_is_an_error_not_a_pass(rules: RuleSet) -> None:
    # stopped_at null: days_since(null) is null, and null > 30 is null in JMESPath.
    got = outcomes(rules, [instance("unknown", "stopped", None)])
    kind, _, error = got["unknown"]
    assert kind == "error"
    assert "condition yielded null" in error


def test_function_raising_is_an_error(rules: RuleSet) -> None:
    got = outcomes(rules, [instance("garbled", "stopped", "not a date")])
    assert got["garbled"][0] == "error"
    assert "ValueError" in got["garbled"][2]


def test_missing_attribute_is_an_error(rules: RuleSet) -> None:
    bare = instance("bare", "stopped", None)
    del bare.attributes["stopped_at"]
    got = outcomes(rules, [bare])
    assert got["bare"][0] == "error"
    assert "has no attributes.stopped_at" in got["bare"][2]


def test_unreadable_attribute_is_an_error(rules: RuleSet) -> None:
    flagged = instance("denied", "stopped", None, unreadable={"stopped_at": "AccessDenied"})
    got = outcomes(rules, [flagged])
    assert got["denied"] == ("error", "low", "could not be collected: stopped_at (AccessDenied)")


def test_where_must_be_boolean(tmp_path: Path) -> None:
    (tmp_path / "stale-instance.yaml").write_text(
        RULE.replace("where: \"state != 'terminated'\"", "where: attributes.instance_type")
    )
    got = outcomes(load_rules([tmp_path]), [instance("x", "stopped", "2026-01-01T00:00:00Z")])
    assert got["x"][0] == "error"
    assert "where yielded a string" in got["x"][2]


def test_params_override_changes_outcome(rules: RuleSet, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("stale-instance:\n  max_days: 90\n")
    relaxed = apply_params(rules, load_params(params, rules))
    resources = [instance("old", "stopped", "2026-04-01T00:00:00Z")]
    assert evaluate(resources, rules, NOW).totals()["fail"] == 1
    result = evaluate(resources, relaxed, NOW)
    assert result.totals()["pass"] == 1
    assert relaxed.rules[0].title == "Instance stopped for more than 90 days"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("nope:\n  max_days: 1\n", "params.yaml:1: nope: -: unknown rule id"),
        (
            "stale-instance:\n  max_dayz: 1\n",
            "params.yaml:2: stale-instance: params.max_dayz: unknown param (known: max_days)",
        ),
        (
            "stale-instance:\n  max_days: ten\n",
            "params.yaml:2: stale-instance: params.max_days: expected integer, got str",
        ),
        (
            "stale-instance:\n  max_days: -1\n",
            "params.yaml:2: stale-instance: params.max_days: -1 is below the minimum 0",
        ),
        (
            "stale-instance:\n  max_days: true\n",
            "params.yaml:2: stale-instance: params.max_days: expected integer, got boolean",
        ),
        ("- 1\n", "params.yaml:1: -: -: a params file must map rule ids to {param: value}"),
    ],
)
def test_params_file_errors(rules: RuleSet, tmp_path: Path, content: str, expected: str) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(content)
    with pytest.raises(RuleErrors) as info:
        load_params(params, rules)
    assert str(info.value.errors[0]).endswith(expected)


def test_finding_ids_are_stable_and_types_dispatched(rules: RuleSet) -> None:
    bucket = Resource(
        resource_id="arn:aws:s3:::b",
        resource_type="aws.s3.bucket",
        account_id="123456789012",
        region="us-east-1",
        name="b",
        state=None,
        created_at=None,
        tags={},
        attributes={},
        collected_at="x",
        scan_id="s",
    )
    one = evaluate([instance("old", "stopped", "2026-04-01T00:00:00Z"), bucket], rules, NOW)
    two = evaluate([instance("old", "stopped", "2026-04-01T00:00:00Z")], rules, NOW)
    assert one.resources == 2
    assert [f.finding_id for f in one.findings] == [f.finding_id for f in two.findings]
    assert len(one.findings[0].finding_id) == 32


FLAG_RULE = """\
id: flagged
title: Instance flagged
resource: aws.ec2.instance
category: security
severity: medium
where: "state != 'terminated'"
condition: attributes.imds_v2_required
remediation: Unflag it.
references: {}
tests:
  pass: [{state: running, attributes: {imds_v2_required: false}}]
  fail: [{state: running, attributes: {imds_v2_required: true}}]
"""


@pytest.mark.parametrize("order", ["booleans first", "numbers first"])
def test_a_number_never_shares_a_pattern_with_a_boolean(tmp_path: Path, order: str) -> None:
    # Kernel values that are equal (0 == False, 1 == True) but not the same: a resource must
    # not reuse another's outcome pattern, whichever comes first; 0 is an error, not a pass.
    (tmp_path / "flagged.yaml").write_text(FLAG_RULE)
    rules = load_rules([tmp_path])
    batch = [
        instance("no", "running", None, imds_v2_required=False),
        instance("yes", "running", None, imds_v2_required=True),
        instance("zero", "running", None, imds_v2_required=0),
        instance("one", "running", None, imds_v2_required=1),
    ]
    if order == "numbers first":
        batch.reverse()
    result = evaluate(batch, rules, NOW)
    assert result.totals() == {"pass": 1, "fail": 1, "error": 2, "not_applicable": 0}
    got = outcomes(rules, batch)
    assert got["yes"] == ("fail", "medium", "")
    assert "condition yielded a number (0)" in got["zero"][2]
    assert "condition yielded a number (1)" in got["one"][2]


def test_outcome_counts_over_repeated_patterns_equal_rule_by_rule(rules: RuleSet) -> None:
    # Many resources share a few kernel patterns: the counted passes and not-applicables, the
    # fails and errors must be exactly those of the rule-by-rule path, batch after batch.
    kinds = [
        ("running", None),
        ("stopped", "2026-04-01T00:00:00Z"),
        ("terminated", "2020-01-01T00:00:00Z"),
        ("stopped", None),
        ("stopped", "2025-01-01T00:00:00Z"),
    ]
    resources = [instance(f"i{n}", *kinds[n % len(kinds)]) for n in range(53)]
    fast = Evaluator(rules, NOW)
    found = fast.run(resources[:20])[0] + fast.run(resources[20:])[0]
    slow = evaluate(resources, rules, NOW, kernels=False)
    assert {k: v.to_dict() for k, v in fast.stats.items()} == {
        k: v.to_dict() for k, v in slow.stats.items()
    }
    counts = {"pass": 11, "fail": 21, "error": 10, "not_applicable": 11}
    assert fast.stats["stale-instance"].to_dict() == counts
    assert [f.to_dict() for f in found] == [f.to_dict() for f in slow.findings]
