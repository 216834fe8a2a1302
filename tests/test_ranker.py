"""The deterministic ranker: severity dominates, then errors, category, urgency, cost; ties by ids."""

from __future__ import annotations

import random

from engine.model import Finding
from engine.ranker import rank


def finding(
    rule: str,
    resource: str,
    severity: str,
    category: str = "cost",
    outcome: str = "fail",
    days_left: int | None = None,
    cost: float | None = None,
) -> Finding:
    evidence = {} if days_left is None else {"days_left": days_left}
    return Finding(
        finding_id=f"{rule}-{resource}",
        rule_id=rule,
        resource_id=resource,
        resource_type="t",
        resource_name=None,
        account_id="1",
        region="r",
        outcome=outcome,  # type: ignore[arg-type]
        severity=severity,
        category=category,
        title="t",
        evidence=evidence,  # type: ignore[arg-type]
        remediation="r",
        references={},
        status="new",
        first_seen="x",
        last_seen="x",
        estimated_monthly_cost_usd=cost,
    )


def test_severity_dominates_everything_else() -> None:
    low = finding("a", "1", "low", "security", "error", days_left=0, cost=1_000_000)
    medium = finding("b", "1", "medium", "cost")
    assert [f.rule_id for f in rank([low, medium])] == ["b", "a"]


def test_urgency_cost_and_errors_order_within_a_severity() -> None:
    far = finding("eol", "far", "high", "lifecycle", days_left=300)
    near = finding("eol", "near", "high", "lifecycle", days_left=10)
    past = finding("eol", "past", "high", "lifecycle", days_left=-5)
    error = finding("eol", "broken", "high", "lifecycle", "error")
    cheap = finding("cost", "cheap", "medium", cost=1)
    dear = finding("cost", "dear", "medium", cost=500)
    order = [f.resource_id for f in rank([far, near, past, error, cheap, dear])]
    assert order == ["broken", "past", "near", "far", "dear", "cheap"]


def test_ties_broken_by_rule_then_resource_and_ranks_numbered() -> None:
    items = [finding(r, res, "medium") for r in ("b-rule", "a-rule") for res in ("z", "y")]
    shuffled = items[:]
    random.Random(7).shuffle(shuffled)
    ranked = rank(shuffled)
    assert [(f.rule_id, f.resource_id) for f in ranked] == [
        ("a-rule", "y"),
        ("a-rule", "z"),
        ("b-rule", "y"),
        ("b-rule", "z"),
    ]
    assert [f.rank for f in ranked] == [1, 2, 3, 4]
    assert rank(items) == ranked
