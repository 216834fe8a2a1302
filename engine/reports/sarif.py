"""``--format sarif``: SARIF 2.1.0 for code-scanning and CI tools.

Where it sits: the last stage (report), one registered format (``write_sarif(report, out)``).
One run: the rules as ``tool.driver.rules`` (every loaded rule when the report carries its
``RuleSet``, else the rules that produced findings), one result per finding with the resource
ARN as a logical location. Mapping, following the OASIS spec
(https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os-complete.html,
read 2026-11-25):

* severity -> ``level``: critical and high ``error``, medium ``warning``, low and info ``note``;
* an evaluation error -> ``kind: review`` (the tool could not decide; a person must look), whose
  level must then be ``none`` (section 3.27.10);
* history -> ``baselineState``: new ``new``, open ``unchanged``, resolved ``absent``;
* suppressed -> a ``suppressions`` entry of kind ``external`` with the reason;
* collection errors -> ``invocations[0].toolExecutionNotifications``, and a partial scan sets
  ``executionSuccessful`` to false.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from engine import __version__
from engine.model import Finding
from engine.report import Report
from engine.reports import FORMATS, to_string, write_joined
from engine.rules import Rule, RuleSet

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "aws-inventory-engine"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
BASELINE = {"new": "new", "open": "unchanged", "resolved": "absent"}


def report_rules(report: Report) -> RuleSet | None:
    """The rules behind the report, when the pipeline attached them (``Report.rules``)."""
    rules = getattr(report, "rules", None)
    return rules if isinstance(rules, RuleSet) else None


@FORMATS.register("sarif")
def write_sarif(report: Report, out: TextIO) -> None:
    """The log indented, its results one per line (keys sorted): readable and fast to write.

    ``json.dumps`` with ``indent`` runs the pure-Python encoder, far too slow for 100,000
    results; so the small outer document is indented and the results are written into it one
    at a time, compact, where a marker stood in for them.
    """
    descriptors = _descriptors(report, report_rules(report))
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    before, after = _around_results(sarif_log(report, descriptors))
    out.write(before)
    results = (
        json.dumps(_result(f, index), sort_keys=True, ensure_ascii=False) for f in report.findings
    )
    pad = "\n" + " " * 8
    write_joined(out, results, separator="," + pad, ends=("[" + pad, "\n      ]"), empty="[]")
    out.write(after + "\n")


def render_sarif(report: Report) -> str:
    return to_string(write_sarif, report)


def _around_results(log: dict[str, Any]) -> tuple[str, str]:
    """The indented log before and after its (empty) results array."""
    run = log["runs"][0]
    outer = json.dumps(log, ensure_ascii=False)
    marker = "@results@"
    while marker in outer:
        marker += "@"  # never collide with text that happens to be in the document
    run["results"] = marker
    text = json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False)
    before, _, after = text.partition(json.dumps(marker))
    return before, after


def sarif_log(report: Report, descriptors: list[dict[str, Any]]) -> dict[str, Any]:
    """The SARIF log with an empty ``results`` array (``write_sarif`` streams them in)."""
    m = report.manifest
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": m.engine_version or __version__,
                "rules": descriptors,
            }
        },
        "automationDetails": {"id": f"{TOOL_NAME}/{m.scan_id}"},
        "invocations": [_invocation(report)],
        "results": [],
        "properties": {
            "scanId": m.scan_id,
            "source": m.source,
            "simulated": m.simulated,
            "accounts": list(m.accounts),
            "regions": list(m.regions),
            "evaluatedAt": report.now,
            "rankedBy": report.ranked_by,
            "notes": list(report.notes),
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _descriptors(report: Report, rules: RuleSet | None) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if rules is not None:
        for rule in rules.rules:
            out[rule.id] = _from_rule(rule)
    for f in report.findings:
        if f.rule_id not in out:
            out[f.rule_id] = _from_finding(f)
    return [out[key] for key in sorted(out)]


def _from_rule(rule: Rule) -> dict[str, Any]:
    descriptor = _descriptor(
        rule.id,
        title=rule.title,
        severity=rule.base_severity,
        category=rule.category,
        remediation=rule.remediation,
        references=rule.references,
    )
    if rule.description:
        descriptor["fullDescription"] = {"text": rule.description}
    descriptor["properties"]["resourceType"] = rule.resource_type
    descriptor["properties"]["severities"] = rule.severities
    return descriptor


def _from_finding(f: Finding) -> dict[str, Any]:
    descriptor = _descriptor(
        f.rule_id,
        title=f.title,
        severity=f.severity,
        category=f.category,
        remediation=f.remediation,
        references=f.references,
    )
    descriptor["properties"]["resourceType"] = f.resource_type
    return descriptor


def _descriptor(
    rule_id: str,
    *,
    title: str,
    severity: str,
    category: str,
    remediation: str,
    references: dict[str, Any],
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title},
        "help": {"text": remediation},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "category": category,
            "severity": severity,
            "references": references,
            "tags": [category],
        },
    }
    docs = references.get("docs") or []
    if docs:
        descriptor["helpUri"] = docs[0]
    return descriptor


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id],
        "message": {"text": _message(f)},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "name": f.resource_name or f.resource_id,
                        "fullyQualifiedName": f.resource_id,
                        "kind": "resource",
                    }
                ]
            }
        ],
        "partialFingerprints": {"findingId/v1": f.finding_id},
        "properties": _properties(f),
    }
    if f.outcome == "error":
        result.update(kind="review", level="none")
    else:
        result.update(kind="fail", level=LEVELS[f.severity])
    if f.status in BASELINE:
        result["baselineState"] = BASELINE[f.status]
    if f.status == "suppressed":
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.note or "suppressed"}
        ]
    return result


def _message(f: Finding) -> str:
    target = f"{f.resource_name} ({f.resource_id})" if f.resource_name else f.resource_id
    if f.outcome == "error":
        return f"Could not evaluate {f.rule_id} on {target}: {f.error or 'unknown error'}"
    return f"{f.title}: {target}"


def _properties(f: Finding) -> dict[str, Any]:
    props: dict[str, Any] = {
        "severity": f.severity,
        "category": f.category,
        "status": f.status,
        "resourceType": f.resource_type,
        "accountId": f.account_id,
        "region": f.region,
        "evidence": f.evidence,
        "firstSeen": f.first_seen,
        "lastSeen": f.last_seen,
        "rank": f.rank,
        "remediation": f.remediation,
    }
    optional = {
        "explanation": f.explanation,
        "estimatedMonthlyCostUsd": f.estimated_monthly_cost_usd,
        "note": f.note,
    }
    props.update({k: v for k, v in optional.items() if v is not None})
    if f.explanation:
        props["explainedBy"] = f.explained_by
    return props


def _invocation(report: Report) -> dict[str, Any]:
    m = report.manifest
    return {
        "executionSuccessful": not m.partial,
        "startTimeUtc": m.started_at,
        "endTimeUtc": m.finished_at,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {
                    "text": f"{e.account_id} {e.region} {e.service}.{e.operation}: "
                    f"{e.error_code}: {e.message}"
                },
                "properties": e.to_dict(),
            }
            for e in m.errors
        ],
    }
