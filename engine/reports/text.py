"""``--format text``: the terminal report a person reads after ``engine check``.

A summary (resources by type and region, outcomes, findings by severity), what could not be
collected or evaluated, then the ranked findings with rule id, resource, evidence and
remediation. Resource names and tags are untrusted: control characters (terminal escapes
included) are replaced before printing.

Where it sits: the last stage (report), one registered format (``write_text(report, out)``),
written section by section and then one finding at a time: never one string in memory.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, TextIO

from engine.model import Finding
from engine.report import Report
from engine.reports import FORMATS, to_string

WIDTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value: Any) -> str:
    """One line of untrusted text, control characters replaced by '?'."""
    text = (
        value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    )
    return _CONTROL.sub("?", text)


def _wrap(text: str, indent: str, subsequent: str | None = None) -> list[str]:
    return list(_wrapped(text, indent, indent if subsequent is None else subsequent))


@lru_cache(maxsize=4096)  # a rule's fix and a finding's title repeat across many findings
def _wrapped(text: str, indent: str, follow: str) -> tuple[str, ...]:
    line = clean(text)
    fits = len(indent) + len(line) <= WIDTH and line.isprintable()  # no NBSP and such
    if fits and line.strip() and not line.endswith(" "):
        return (indent + line,)  # what textwrap returns for one line that fits
    return tuple(
        textwrap.wrap(line, width=WIDTH, initial_indent=indent, subsequent_indent=follow)
        or [indent]
    )


@FORMATS.register("text")
def write_text(report: Report, out: TextIO) -> None:
    """The sections, then one finding at a time; the same text as ``render_text``."""
    lines = _Lines(out)
    for section in (_header, _summary, _executive_summary, _collection_errors):
        lines.add(section(report))
    for block in _findings(report):
        lines.add(block)
    lines.end()


def render_text(report: Report) -> str:
    return to_string(write_text, report)


class _Lines:
    r"""Writes blocks of lines joined by newlines, without trailing whitespace, ending in one.

    The result is ``"\n".join(all lines).rstrip() + "\n"``, written as it comes: whitespace
    is held back until something visible follows it, so the end can still be stripped.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.held = ""  # whitespace not written yet: it may turn out to be trailing
        self.started = False

    def add(self, lines: list[str]) -> None:
        if not lines:
            return
        text = ("\n" if self.started else "") + "\n".join(lines)
        self.started = True
        whole = self.held + text
        visible = whole.rstrip()
        if visible:
            self.out.write(visible)
        self.held = whole[len(visible) :]

    def end(self) -> None:
        self.out.write("\n")


def _header(report: Report) -> list[str]:
    m = report.manifest
    title = "AWS inventory check"
    if m.simulated:
        title += " - SIMULATED ACCOUNT (built-in demo data, no real AWS account was read)"
    return [
        title,
        "=" * min(WIDTH, len(title)),
        f"Scan {m.scan_id}  source {clean(m.source)}  evaluated at {report.now}",
        f"Accounts: {', '.join(m.accounts) or '-'}   Regions: {', '.join(m.regions) or '-'}",
        f"Ranked by: {report.ranked_by}",
        *[f"Note: {clean(n)}" for n in report.notes],
        "",
    ]


def _summary(report: Report) -> list[str]:
    counts = report.resource_counts()
    total = sum(sum(r.values()) for r in counts.values())
    lines = ["SUMMARY", f"  Resources scanned: {total}"]
    for rtype in sorted(counts):
        regions = "  ".join(f"{reg}: {n}" for reg, n in sorted(counts[rtype].items()))
        lines.append(f"    {rtype:<24} {regions}")
    evaluation = report.manifest.evaluation or {}
    outcomes = evaluation.get("outcomes", {})
    if evaluation:
        lines.append(
            f"  Rules evaluated: {evaluation.get('rules_evaluated', 0)}  "
            f"(pass {outcomes.get('pass', 0)}, fail {outcomes.get('fail', 0)}, "
            f"error {outcomes.get('error', 0)}, not applicable {outcomes.get('not_applicable', 0)})"
        )
    sev = report.severity_counts()
    by_sev = ", ".join(f"{name} {n}" for name, n in sev.items())
    lines.append(f"  Findings: {len(report.failures)}  ({by_sev})")
    suppressed = sum(1 for f in report.findings if f.status == "suppressed")
    if suppressed:
        lines.append(f"  Suppressed (accepted risks, not counted above): {suppressed}")
    if report.errors:
        lines.append(
            f"  Evaluation errors: {len(report.errors)} (rules that could not be evaluated)"
        )
    savings = report.estimated_monthly_savings()
    if savings:
        lines.append(f"  Potential monthly savings (estimate): ${savings:,.2f}")
    status = "PARTIAL: some calls failed, see below" if report.manifest.partial else "complete"
    lines += [f"  Scan: {status}", ""]
    return lines


def _executive_summary(report: Report) -> list[str]:
    if not report.summary:
        return []
    lines = [
        f"EXECUTIVE SUMMARY (written by {report.ranked_by}; the findings and evidence below are"
        " the rules engine's)"
    ]
    for paragraph in report.summary.splitlines():
        lines += _wrap(paragraph, "  ") if paragraph.strip() else [""]
    return [*lines, ""]


def _collection_errors(report: Report) -> list[str]:
    errors = report.manifest.errors
    if not errors:
        return []
    lines = [f"COLLECTION ERRORS ({len(errors)}): these parts of the account were not fully read"]
    for e in errors:
        what = f"{e.service}.{e.operation}"
        # continuation lines indented, not bulleted: one bullet per error
        lines += _wrap(
            f"{e.account_id} {e.region} {what} {e.error_code}: {e.message}", "  - ", "    "
        )
    lines.append("")
    return lines


def _findings(report: Report) -> Iterator[list[str]]:
    """The heading, then one block of lines per finding."""
    if not report.findings:
        yield ["FINDINGS", "  No findings.", ""]
        return
    yield ["FINDINGS (highest rank first)"]
    for f in report.findings:
        yield _finding(f)


def _finding(f: Finding) -> list[str]:
    label = "ERROR" if f.outcome == "error" else f.severity.upper()
    name = f" ({clean(f.resource_name)})" if f.resource_name else ""
    lines = [
        f"{f.rank:>4}. [{label}] {f.rule_id}: {clean(f.title)}",
        f"      resource: {clean(f.resource_id)}{name}",
        f"      account {f.account_id}  region {f.region}  category {f.category}"
        f"  status {f.status}",
    ]
    if f.error:
        lines += _wrap(f"could not evaluate: {f.error}", "      ")
    if f.evidence:
        evidence = ", ".join(f"{k}={clean(v)}" for k, v in sorted(f.evidence.items()))
        lines += _wrap(f"evidence: {evidence}", "      ")
    if f.estimated_monthly_cost_usd:
        lines.append(
            f"      estimated monthly cost: ${f.estimated_monthly_cost_usd:,.2f} (estimate)"
        )
    if f.explanation:
        lines += _wrap(f"why it matters ({f.explained_by}): {f.explanation}", "      ")
    lines += _wrap(f"fix: {f.remediation}", "      ")
    lines.append("")
    return lines
