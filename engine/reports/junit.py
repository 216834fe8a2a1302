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
from typing import Any, TextIO, TypeAlias

from engine.model import Finding
from engine.report import Report
from engine.reports import FORMATS, to_string

# Characters XML 1.0 cannot carry at all (https://www.w3.org/TR/xml/#charsets, read 2026-11-25):
# untrusted resource names and tags may contain them, and one would make the file unparsable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CHILD = "\n    "  # before each child of a <testsuite>: two levels of ET.indent's two spaces
BATCH = 64  # test cases serialised per ElementTree call (a write of some 40 KB)
#: a test case before it is XML: the finding, or the outcome recorded for a pass or not applicable
Case: TypeAlias = Finding | str


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("?", value if isinstance(value, str) else str(value))


@FORMATS.register("junit")
def write_junit(report: Report, out: TextIO) -> None:
    """The XML ``ET.indent`` and ``ET.tostring`` would give for the whole tree, written one
    suite head and one batch of test cases at a time: the tree is never built whole."""
    cases = _cases(report)
    stats = (report.manifest.evaluation or {}).get("per_rule", {})
    root = ET.Element("testsuites", name="aws-inventory-engine")
    _set_counts(root, [_counts(members) for members in cases.values()])
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    if not cases:
        out.write(ET.tostring(root, encoding="unicode") + "\n")
        return
    out.write(_open_tag(root))
    for rule_id in sorted(cases):
        out.write("\n  ")
        _write_suite(out, report, rule_id, cases[rule_id], stats.get(rule_id))
    out.write("\n</testsuites>\n")


def render_junit(report: Report) -> str:
    return to_string(write_junit, report)


def _cases(report: Report) -> dict[str, list[tuple[str, Case]]]:
    """Each rule's test cases as (resource id, finding or recorded outcome), not yet XML."""
    cases: dict[str, list[tuple[str, Case]]] = {}
    for f in report.findings:
        if f.status != "resolved":
            cases.setdefault(f.rule_id, []).append((f.resource_id, f))
    for rule_id, resource_id, outcome in report.others:
        cases.setdefault(rule_id, []).append((resource_id, outcome))
    return cases


def _kind(case: Case) -> str | None:
    """The child element a test case carries: failure, error, skipped, or none (a pass)."""
    if isinstance(case, str):
        return "skipped" if case == "not_applicable" else None
    if case.outcome == "error":
        return "error"
    return "skipped" if case.status == "suppressed" else "failure"


def _case(rule_id: str, resource_id: str, case: Case) -> ET.Element:
    element = ET.Element("testcase", classname=xml_text(rule_id), name=xml_text(resource_id))
    kind = _kind(case)
    if isinstance(case, str):
        if kind == "skipped":
            message = "not applicable: the rule's 'where' excludes it"
            ET.SubElement(element, "skipped", message=message)
    elif kind == "error":
        error = ET.SubElement(
            element, "error", message="could not evaluate", type="EvaluationError"
        )
        error.text = xml_text(case.error or "unknown error")
    elif kind == "skipped":
        reason = xml_text(f"suppressed: {case.note or 'no reason'}")
        ET.SubElement(element, "skipped", message=reason)
    else:
        failure = ET.SubElement(
            element, "failure", message=xml_text(case.title), type=case.severity
        )
        failure.text = xml_text(_details(case))
    return element


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


def _write_suite(
    out: TextIO,
    report: Report,
    rule_id: str,
    cases: list[tuple[str, Case]],
    stats: dict[str, int] | None,
) -> None:
    suite = ET.Element(
        "testsuite",
        name=xml_text(rule_id),
        timestamp=report.now.rstrip("Z"),
        hostname="aws",
    )
    _set_counts(suite, [_counts(cases)])
    out.write(_open_tag(suite))
    props = ET.Element("properties")
    for name, value in (("scan_id", report.manifest.scan_id), ("ranked_by", report.ranked_by)):
        ET.SubElement(props, "property", name=name, value=xml_text(value))
    out.write(_CHILD + _indented(props))
    ordered = sorted(cases, key=lambda pair: pair[0])
    for start in range(0, len(ordered), BATCH):
        out.write(_batch(rule_id, ordered[start : start + BATCH]))
    if stats is not None:
        missing = sum(stats.values()) - len(cases)
        if missing > 0:
            system_out = ET.Element("system-out")
            system_out.text = (
                f"{missing} evaluation(s) of this rule were not recorded by this run "
                "(passes and not-applicable outcomes need check(..., record_others=True))"
            )
            out.write(_CHILD + _indented(system_out))
    out.write("\n  </testsuite>")


def _batch(rule_id: str, cases: list[tuple[str, Case]]) -> str:
    """Test cases, each on its own indented line: serialised together inside a throwaway
    element (one ``tostring`` call per batch, not per case), whose tags are then cut off."""
    holder = ET.Element("batch")
    holder.text = _CHILD
    for resource_id, case in cases:
        element = _case(rule_id, resource_id, case)
        ET.indent(element, level=2)
        element.tail = _CHILD
        holder.append(element)
    holder[-1].tail = None
    text = ET.tostring(holder, encoding="unicode")
    return text[len("<batch>") : -len("</batch>")]


def _indented(element: ET.Element) -> str:
    """One child of a test suite, indented as ``ET.indent`` indents it inside the tree."""
    ET.indent(element, level=2)
    return ET.tostring(element, encoding="unicode")


def _open_tag(element: ET.Element) -> str:
    """``<tag attributes...>``, escaped by ElementTree itself (``element`` is empty)."""
    text = ET.tostring(element, encoding="unicode", short_empty_elements=False)
    return text[: -len(f"</{element.tag}>")]


def _counts(cases: list[tuple[str, Case]]) -> dict[str, int]:
    kinds = [_kind(case) for _, case in cases]
    return {
        "tests": len(kinds),
        "failures": kinds.count("failure"),
        "errors": kinds.count("error"),
        "skipped": kinds.count("skipped"),
    }


def _set_counts(element: ET.Element, parts: list[dict[str, int]]) -> None:
    """Set tests/failures/errors/skipped, in that order, to the sums of ``parts``."""
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(sum(part[key] for part in parts)))
