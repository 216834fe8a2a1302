"""``engine rules list``: the rules catalogue, as text, JSON or Markdown (for the README).

Generated from the rule files, never written by hand.
"""

from __future__ import annotations

import json
from typing import Any

from engine.jmes_compile import backend_summary
from engine.rules import Rule, RuleSet


def evaluator_backend(rule: Rule) -> str:
    """``python`` (compiled) or ``jmespath (<why it fell back>)`` for the rule's expressions."""
    exprs = [rule.condition, rule.where, rule.cost, *(s.when for s in rule.severity)]
    exprs += [e for _, e in rule.evidence]
    return backend_summary(e.program for e in exprs if e is not None)


def _row(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "resource": rule.resource_type,
        "category": rule.category,
        "severity": rule.severities if len(rule.severity) > 1 else rule.base_severity,
        "references": rule.references,
        "params": rule.params,
        "evaluator": evaluator_backend(rule),
        "file": rule.file,
    }


def _refs(rule: Rule) -> str:
    refs = rule.references
    parts = []
    for key, label in (
        ("security_hub", "Security Hub"),
        ("aws_config", "AWS Config"),
        ("prowler", "Prowler"),
    ):
        if refs.get(key):
            parts.append(f"{label} {', '.join(refs[key])}")
    return "; ".join(parts) or "-"


def _severity(rule: Rule) -> str:
    if len(rule.severity) == 1:
        return rule.base_severity
    return " / ".join(dict.fromkeys(rule.severities))


def render_catalogue(rules: RuleSet, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([_row(r) for r in rules.rules], indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
        lines = ["| id | title | resource | severity | references |", "|---|---|---|---|---|"]
        for r in rules.rules:
            lines.append(
                f"| `{r.id}` | {r.title} | `{r.resource_type}` | {_severity(r)} | {_refs(r)} |"
            )
        return "\n".join(lines) + "\n"
    lines = []
    for r in rules.rules:
        params = ", ".join(f"{k}={v}" for k, v in sorted(r.params.items())) or "-"
        lines.append(f"{r.id}  [{_severity(r)}, {r.category}]  {r.resource_type}")
        lines.append(f"    {r.title}")
        lines.append(
            f"    references: {_refs(r)}   params: {params}   evaluator: {evaluator_backend(r)}"
        )
    return "\n".join(lines) + "\n"
