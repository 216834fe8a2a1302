"""The shipped rule packs: every rule's inline tests, and invariants over the registries.

Like Cloud Custodian's meta-tests: walk every registry and assert what must hold for all.
"""

from __future__ import annotations

import pytest

from collectors import load_all
from engine.rules import Rule, load_rules
from engine.ruletest import run_rule_tests
from engine.schema import type_fragments

RULES = load_rules()


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_rule_inline_tests(rule: Rule) -> None:
    results = run_rule_tests(rule)
    failures = [f"{r.kind}[{r.index}]: {r.message}" for r in results if not r.ok]
    assert not failures, failures
    kinds = {r.kind for r in results}
    assert {"pass", "fail"} <= kinds, "every rule is tested from both sides"


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: r.id)
def test_rule_metadata(rule: Rule) -> None:
    assert rule.file.endswith(f"{rule.id}.yaml")
    assert rule.references, "every shipped rule cites where its semantics come from"
    assert rule.references.get("docs"), "and links the documentation"
    assert rule.last_verified, "and says when that was checked"
    assert rule.remediation


def test_every_rule_type_has_a_collector_and_schema() -> None:
    collectors = load_all()
    for rule in RULES.rules:
        assert rule.resource_type in collectors, rule.id
    assert set(collectors) == set(type_fragments()), "every collector documents its attributes"


def test_no_two_rules_share_a_condition() -> None:
    seen: dict[tuple[str, str], str] = {}
    for rule in RULES.rules:
        key = (rule.resource_type, " ".join(rule.condition.source.split()))
        assert key not in seen, f"{rule.id} repeats {seen.get(key)}"
        seen[key] = rule.id


def test_attribute_schemas_document_every_attribute() -> None:
    for name, fragment in type_fragments().items():
        assert fragment.get("additionalProperties") is False, name
        for attr, spec in fragment["properties"].items():
            assert spec.get("description"), f"{name}.{attr} has no description"
