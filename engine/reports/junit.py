"""``--format junit``: JUnit XML for CI systems, one test case per rule x resource evaluated.

Where it sits: the last stage (report), one registered format (``write_junit(report, out)``).
One ``<testsuite>`` per rule (sorted by id), one ``<testcase classname=rule name=resource ARN>``
per evaluation (sorted by resource):

* a finding -> ``<failure>`` (message: the title; type: the severity; text: evidence,
  explanation and remediation);
* an evaluation error -> ``<error>``: never a pass;
* a pass (from ``Report.others``) -> an empty test case;
* not applicable (the rule's ``where`` excluded the resource), or a suppressed finding ->
  ``<skipped>`` with the reason.

Resolved findings are left out: this run evaluated those resources, so they appear as passes.
Passes and not-applicable outcomes are only known when the pipeline recorded them
(``check(..., record_others=True)``); when it did not, each suite says how many evaluations are
missing in its ``<system-out>`` rather than looking complete.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any, TextIO

from engine.model import Finding
from engine.report import Report
from engine.reports import FORMATS

# Characters XML 1.0 cannot carry at all (https://www.w3.org/TR/xml/#charsets, read 2026-11-25):
# untrusted resource names and tags may contain them, and one would make the file unparsable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_COUNTED = ("failure", "error", "skipped")


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("?", value if isinstance(value, str) else str(value))


@FORMATS.register("junit")
def write_junit(report: Report, out: TextIO) -> None:
    out.write(render_junit(report))


def render_junit(report: Report) -> str:
    cases = _cases(report)
    root = ET.Element("testsuites", name="aws-inventory-engine")
    stats = (report.manifest.evaluation or {}).get("per_rule", {})
    for rule_id in sorted(cases):
        suite = _suite(report, rule_id, cases[rule_id], stats.get(rule_id))
        root.append(suite)
    _count(root, list(root))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _cases(report: Report) -> dict[str, list[tuple[str, ET.Element]]]:
    cases: dict[str, list[tuple[str, ET.Element]]] = {}
    for f in report.findings:
        if f.status != "resolved":
            cases.setdefault(f.rule_id, []).append((f.resource_id, _finding_case(f)))
    for rule_id, resource_id, outcome in report.others:
        case = _case(rule_id, resource_id)
        if outcome == "not_applicable":
            ET.SubElement(case, "skipped", message="not applicable: the rule's 'where' excludes it")
        cases.setdefault(rule_id, []).append((resource_id, case))
    return cases


def _case(rule_id: str, resource_id: str) -> ET.Element:
    return ET.Element("testcase", classname=xml_text(rule_id), name=xml_text(resource_id))


def _finding_case(f: Finding) -> ET.Element:
    case = _case(f.rule_id, f.resource_id)
    if f.outcome == "error":
        error = ET.SubElement(case, "error", message="could not evaluate", type="EvaluationError")
        error.text = xml_text(f.error or "unknown error")
    elif f.status == "suppressed":
        ET.SubElement(case, "skipped", message=xml_text(f"suppressed: {f.note or 'no reason'}"))
    else:
        failure = ET.SubElement(case, "failure", message=xml_text(f.title), type=f.severity)
        failure.text = xml_text(_details(f))
    return case


def _details(f: Finding) -> str:
    lines = [
        f"resource: {f.resource_id}" + (f" ({f.resource_name})" if f.resource_name else ""),
        f"account {f.account_id}, region {f.region}, category {f.category}, status {f.status}",
    ]
    lines += [f"evidence: {key} = {_value(value)}" for key, value in sorted(f.evidence.items())]
    if f.explanation:
        lines.append(f"why it matters ({f.explained_by}): {f.explanation}")
    lines.append(f"fix: {f.remediation}")
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return json.dumps(value)  # scalars: the default encoder, much faster than a keyed one


def _suite(
    report: Report,
    rule_id: str,
    cases: list[tuple[str, ET.Element]],
    stats: dict[str, int] | None,
) -> ET.Element:
    suite = ET.Element(
        "testsuite",
        name=xml_text(rule_id),
        timestamp=report.now.rstrip("Z"),
        hostname="aws",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("scan_id", report.manifest.scan_id), ("ranked_by", report.ranked_by)):
        ET.SubElement(props, "property", name=name, value=xml_text(value))
    for _, case in sorted(cases, key=lambda pair: pair[0]):
        suite.append(case)
    _count(suite, [c for _, c in cases])
    if stats is not None:
        missing = sum(stats.values()) - len(cases)
        if missing > 0:
            out = ET.SubElement(suite, "system-out")
            out.text = (
                f"{missing} evaluation(s) of this rule were not recorded by this run "
                "(passes and not-applicable outcomes need check(..., record_others=True))"
            )
    return suite


def _count(element: ET.Element, children: list[ET.Element]) -> None:
    """Set tests/failures/errors/skipped from the test cases (or suites) below."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for child in children:
        if child.tag == "testsuite":
            for key in totals:
                totals[key] += int(child.get(key, "0"))
            continue
        totals["tests"] += 1
        for tag, key in zip(_COUNTED, ("failures", "errors", "skipped"), strict=True):
            if child.find(tag) is not None:
                totals[key] += 1
    for key, value in totals.items():
        element.set(key, str(value))
