"""The SNS email: golden body for the simulated account, SNS limits, truncation, the extensions."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from engine.report import Report
from engine.reports import FORMATS, render
from engine.reports.email import (
    MESSAGE_MAX_BYTES,
    render_email,
    render_email_preview,
    write_email_preview,
)
from tests.support.reports import check_golden, simulated_report, synthetic_report

LOCATION = "s3://inventory-reports/2026-11-25/report.html"
#: lines the truncated email may hold that the full one does not: the counts of what is missing
VARIABLE = re.compile(r"^(NOTE: this email was shortened|\s*\.\.\. and \d+ more)")


@pytest.fixture(scope="module")
def simulated() -> Report:
    return simulated_report()


@pytest.fixture(scope="module")
def huge() -> Report:
    # 5,000 rules: thousands of critical groups, far more than 256 KB if nothing were dropped
    return synthetic_report(100_000, rules=5_000)


def test_golden_email_for_the_simulated_account(simulated: Report) -> None:
    message = render_email(simulated, LOCATION)
    check_golden("email_simulated.txt", message.preview())


def test_original_design_shape(simulated: Report) -> None:
    message = render_email(simulated, LOCATION)
    total = sum(int(c["count"]) for c in simulated.manifest.counts)
    assert message.subject.startswith(f"AWS Inventory Alert - {total} Resources Scanned")
    lines = message.body.splitlines()
    assert lines[1] == f"Generated: {simulated.now}"
    for heading in ("SUMMARY", "CRITICAL FINDINGS", "TOP RECOMMENDATIONS"):
        assert heading in lines
    assert lines.index("SUMMARY") < lines.index("CRITICAL FINDINGS")
    assert lines.index("CRITICAL FINDINGS") < lines.index("TOP RECOMMENDATIONS")
    assert f"Total resources: {total}" in lines
    assert f"Resource types: {len(simulated.resource_counts())}" in lines
    recommendations = lines[lines.index("TOP RECOMMENDATIONS") + 1 :]
    numbered = [line for line in recommendations if re.match(r"^\d+\. ", line)]
    assert [int(line.split(".")[0]) for line in numbered] == list(range(1, len(numbered) + 1))
    assert numbered, "the simulated account has findings, so there are recommendations"
    assert f"Full report: {LOCATION}" in lines
    assert message.left_out == 0


def test_registered_preview_is_exactly_what_is_sent(simulated: Report) -> None:
    assert FORMATS.get("email") is write_email_preview
    preview = render("email", simulated)
    assert preview == render_email_preview(simulated)
    message = render_email(simulated)
    assert preview == f"{message.subject}\n\n{message.body}"


def test_sns_limits_hold_for_100000_findings(huge: Report) -> None:
    message = render_email(huge, LOCATION)
    assert len(message.subject) < 100
    assert all(" " <= c <= "~" for c in message.subject)
    size = len(message.body.encode("utf-8"))
    assert size < MESSAGE_MAX_BYTES
    assert size > MESSAGE_MAX_BYTES * 0.9, "the budget should be used, not wasted"
    assert message.left_out > 0
    note = next(line for line in message.body.splitlines() if "shortened" in line)
    assert f"{message.left_out} entries were left out" in note


def test_truncation_never_cuts_a_line_and_keeps_the_highest_ranks(huge: Report) -> None:
    full = render_email(huge, LOCATION, max_bytes=10**9)
    short = render_email(huge, LOCATION)
    assert full.left_out == 0 and short.left_out > 0
    full_lines = set(full.body.splitlines())
    extra = [ln for ln in short.body.splitlines() if ln not in full_lines]
    assert extra, "the shortened email says what is missing"
    assert all(VARIABLE.match(line) for line in extra), extra[:5]
    assert short.body.endswith("\n")

    def ranks(body: str) -> list[int]:
        return [int(m) for m in re.findall(r"^   - #(\d+) ", body, flags=re.MULTILINE)]

    kept, every = set(ranks(short.body)), set(ranks(full.body))
    assert kept and kept < every
    assert max(kept) < min(every - kept)


def test_partial_scan_and_fallback_ranking_are_noted() -> None:
    report = synthetic_report(50, rules=5)
    body = render_email(report).body
    assert "NOTE: PARTIAL SCAN. 2 call(s) failed" in body
    assert "123456789012 ap-southeast-2 ec2.DescribeInstances: UnauthorizedOperation" in body
    assert "123456789012 eu-west-1 lambda.ListFunctions: ThrottlingException" in body
    # why the model did not rank it is one of the pipeline's notes; who did is in the summary
    assert f"NOTE: {report.notes[0]}" in body
    assert "Ranked by: rules" in body.splitlines()
    assert " - PARTIAL SCAN" in render_email(report).subject
    complete = synthetic_report(50, rules=5, partial=False)
    assert "PARTIAL" not in render_email(replace(complete, notes=[])).preview()
    assert "NOTE:" not in render_email(replace(complete, notes=[])).body


def test_changes_savings_and_explanations() -> None:
    report = synthetic_report(300, rules=5, partial=False)
    body = render_email(report).body
    new = sum(1 for f in report.findings if f.status == "new")
    resolved = sum(1 for f in report.findings if f.status == "resolved")
    still = sum(1 for f in report.failures if f.status == "open")
    assert f"New: {new} | Resolved: {resolved} | Still open: {still}" in body
    assert resolved > 0 and "  - [" in body
    current = [f for f in report.failures if f.status in ("new", "open")]
    savings = round(sum(f.estimated_monthly_cost_usd or 0 for f in current), 2)
    assert f"Estimated monthly savings: ${savings:,.2f} (an estimate" in body
    lines = body.splitlines()
    explained = [i for i, ln in enumerate(lines) if ln.startswith("     why it matters (")]
    assert explained
    for index in explained:  # beside the evidence, never instead of it
        assert lines[index - 1].startswith("     evidence: ")
        assert "(bedrock:test-model)" in lines[index]


def test_untrusted_names_cannot_inject_lines_or_escapes(simulated: Report) -> None:
    first = simulated.findings[0]
    evil = replace(first, resource_name="evil\n\x1b[31mFAKE SUMMARY\r", status="new")
    body = render_email(replace(simulated, findings=[evil, *simulated.findings[1:]])).body
    assert "\x1b" not in body and "\r" not in body
    assert "\nFAKE SUMMARY" not in body
    assert "evil??[31mFAKE SUMMARY?" in body


def test_subject_for_a_simulated_partial_scan_stays_short() -> None:
    report = synthetic_report(10, rules=2)
    report = replace(report, manifest=replace(report.manifest, simulated=True))
    subject = render_email(report).subject
    assert subject == "AWS Inventory Alert - 12 Resources Scanned - PARTIAL SCAN - SIMULATED"
    assert len(subject) < 100
