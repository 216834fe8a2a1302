"""Running a rule's inline ``tests``: the cases that must pass, fail or not apply.

Used by ``engine rules test`` and by the test suite. Test resources are written with only the
fields the rule reads; the rest is filled with neutral defaults. Cases run through the same
``Evaluator`` as a real scan, with the tests' own clock and params.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.clock import iso, parse_timestamp
from engine.errors import RuleError, RuleErrors, RuleTestFailure
from engine.evaluator import Evaluator
from engine.model import Resource
from engine.rules import Rule, RuleSet, check_param_value

DEFAULT_TEST_NOW = "2026-01-01T00:00:00Z"
EXPECTED = {"pass": "pass", "fail": "fail", "not_applicable": "not_applicable"}
RESOURCE_FIELDS = frozenset(Resource.__dataclass_fields__)


@dataclass(frozen=True)
class CaseResult:
    rule_id: str
    kind: str
    index: int
    ok: bool
    message: str


def test_resource(rule: Rule, partial: dict[str, Any], label: str, now: str) -> Resource:
    """A full Resource from a test case's partial one."""
    unknown = sorted(set(partial) - RESOURCE_FIELDS)
    if unknown:
        raise ValueError(f"unknown resource field(s): {', '.join(unknown)}")
    return Resource(
        resource_id=str(partial.get("resource_id", f"arn:test:{rule.id}:{label}")),
        resource_type=str(partial.get("resource_type", rule.resource_type)),
        account_id=str(partial.get("account_id", "000000000000")),
        region=str(partial.get("region", "us-east-1")),
        name=partial.get("name"),
        state=partial.get("state"),
        created_at=partial.get("created_at"),
        tags=dict(partial.get("tags") or {}),
        attributes=dict(partial.get("attributes") or {}),
        collected_at=str(partial.get("collected_at", now)),
        scan_id=str(partial.get("scan_id", "rule-test")),
    )


def run_rule_tests(rule: Rule) -> list[CaseResult]:
    """Every inline case of one rule, each with whether it held and why not."""
    tests = rule.tests
    now_text = str(tests.get("now", DEFAULT_TEST_NOW))
    try:
        now = parse_timestamp(now_text)
    except ValueError as exc:
        raise RuleErrors(
            [
                RuleError(
                    rule.file,
                    rule.line("tests", "now"),
                    rule.id,
                    "tests.now",
                    f"bad timestamp: {exc}",
                )
            ]
        ) from exc
    overrides = dict(tests.get("params") or {})
    for name, value in overrides.items():
        spec = rule.param_specs.get(name)
        problem = "unknown param" if spec is None else check_param_value(spec, value)
        if problem:
            raise RuleErrors(
                [
                    RuleError(
                        rule.file,
                        rule.line("tests", "params", name),
                        rule.id,
                        f"tests.params.{name}",
                        problem,
                    )
                ]
            )
    subject = rule.with_params(overrides)
    evaluator = Evaluator(RuleSet((subject,)), now)
    results: list[CaseResult] = []
    for kind, expected in EXPECTED.items():
        for index, case in enumerate(tests.get(kind) or []):
            results.append(
                _run_case(
                    subject,
                    evaluator,
                    kind=kind,
                    expected=expected,
                    index=index,
                    case=case,
                    now=iso(now) or now_text,
                )
            )
    return results


def _run_case(
    rule: Rule,
    evaluator: Evaluator,
    *,
    kind: str,
    expected: str,
    index: int,
    case: dict[str, Any],
    now: str,
) -> CaseResult:
    wrapped = "resource" in case
    partial = case["resource"] if wrapped else case
    label = f"{kind}[{index}]"
    try:
        resource = test_resource(rule, partial, label, now)
    except (ValueError, TypeError) as exc:
        return CaseResult(rule.id, kind, index, False, str(exc))
    doc = resource.to_dict()
    doc["params"] = rule.params
    outcome = evaluator.evaluate_one(rule, doc, resource)
    if outcome.kind != expected:
        why = f": {outcome.error}" if outcome.error else ""
        return CaseResult(
            rule.id, kind, index, False, f"expected {expected}, got {outcome.kind}{why}"
        )
    if wrapped and kind == "fail":
        if "severity" in case and case["severity"] != outcome.severity:
            return CaseResult(
                rule.id,
                kind,
                index,
                False,
                f"expected severity {case['severity']}, got {outcome.severity}",
            )
        for key, value in (case.get("evidence") or {}).items():
            if outcome.evidence.get(key) != value:
                got = outcome.evidence.get(key)
                return CaseResult(
                    rule.id, kind, index, False, f"expected evidence {key}={value!r}, got {got!r}"
                )
    return CaseResult(rule.id, kind, index, True, "ok")


def check_rules(rules: RuleSet) -> tuple[int, list[RuleTestFailure]]:
    """Run every rule's tests; returns (cases run, failures as located errors)."""
    failures: list[RuleTestFailure] = []
    count = 0
    for rule in rules.rules:
        for result in run_rule_tests(rule):
            count += 1
            if not result.ok:
                field = f"tests.{result.kind}[{result.index}]"
                failures.append(
                    RuleTestFailure(
                        rule.file,
                        rule.line("tests", result.kind, result.index),
                        rule.id,
                        field,
                        result.message,
                    )
                )
    return count, failures
