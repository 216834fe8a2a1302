"""Synthetic reports for the reporter tests and measurements: many findings, every shape.

Built only from the engine's own value types (``Finding``, ``ScanManifest``, ``Report``) and
ranked by the real ranker, so the reporters see what the pipeline would hand them: fails and
evaluation errors, every severity, category and history status, lifecycle evidence with dates,
model explanations, costs, a partial scan and a ranking that fell back to rules.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from engine.model import CATEGORIES, SEVERITIES, CollectionError, Finding, ScanManifest, finding_id
from engine.ranker import rank
from engine.report import Report

NOW = "2026-11-25T06:00:00Z"
ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
STATUSES = ("new", "open", "open", "open", "suppressed", "resolved")
RUNTIMES = ("python3.8", "nodejs16.x", "python3.9", "java8", "ruby2.7")


def _finding(i: int, rules: int) -> Finding:
    rule = i % rules
    severity = SEVERITIES[rule % len(SEVERITIES)]
    category = CATEGORIES[rule % len(CATEGORIES)]
    region = REGIONS[i % len(REGIONS)]
    arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:fn-{i:06d}"
    rule_id = f"synthetic-rule-{rule:03d}"
    evidence: dict[str, object] = {"index": i, "owner_tag": f"team-{i % 17}", "size_gb": i % 500}
    if category == "lifecycle":
        runtime = RUNTIMES[rule % len(RUNTIMES)]
        end = date(2025, 1, 1) + timedelta(days=90 * (rule % 8))
        evidence |= {
            "runtime": runtime,
            "end_of_standard_support": end.isoformat(),
            "end_of_extended_support": (end + timedelta(days=365)).isoformat(),
            "days_left": (end - date(2026, 11, 25)).days,
        }
    error = i % 997 == 0
    return Finding(
        finding_id=finding_id(rule_id, arn),
        rule_id=rule_id,
        resource_id=arn,
        resource_type="aws.lambda.function",
        resource_name=f"fn-{i:06d}-ünïcode",
        account_id=ACCOUNT,
        region=region,
        outcome="error" if error else "fail",
        severity=severity,
        category=category,
        title=f"Synthetic condition number {rule} holds",
        evidence={} if error else evidence,
        remediation=f"Fix synthetic condition {rule}: change the setting and redeploy.",
        references={"security_hub": [f"X.{rule}"], "docs": ["https://docs.aws.amazon.com/"]},
        status="new" if error else STATUSES[i % len(STATUSES)],  # type: ignore[arg-type]
        first_seen="2026-10-01T00:00:00Z",
        last_seen=NOW,
        explanation=None if i % 3 else f"Finding {i} matters because synthetic reasons apply.",
        explained_by="rules" if i % 3 else "bedrock:test-model",
        error="condition yielded null, not a boolean" if error else None,
        estimated_monthly_cost_usd=round(i % 50 * 1.25, 2) or None,
        note="accepted until 2027-01-01" if STATUSES[i % len(STATUSES)] == "suppressed" else None,
    )


def synthetic_report(count: int, rules: int = 60, partial: bool = True) -> Report:
    findings = rank([_finding(i, rules) for i in range(count)])
    errors = (
        [
            CollectionError(
                ACCOUNT,
                "ap-southeast-2",
                "ec2",
                "DescribeInstances",
                "UnauthorizedOperation",
                "explicit deny in a service control policy",
            ),
            CollectionError(
                ACCOUNT,
                "eu-west-1",
                "lambda",
                "ListFunctions",
                "ThrottlingException",
                "Rate exceeded",
            ),
        ]
        if partial
        else []
    )
    manifest = ScanManifest(
        scan_id="scan-synthetic",
        source="aws",
        simulated=False,
        started_at="2026-11-25T05:58:00Z",
        finished_at=NOW,
        accounts=[ACCOUNT],
        regions=list(REGIONS),
        resource_types=["aws.lambda.function"],
        counts=[
            {
                "account_id": ACCOUNT,
                "region": r,
                "resource_type": "aws.lambda.function",
                "count": count // 3 + 1,
            }
            for r in REGIONS
        ],
        api_calls={"lambda.ListFunctions": 30},
        errors=errors,
        evaluation={"rules_evaluated": rules, "per_rule": {}},
        engine_version="0.1.0",
    )
    return Report(
        manifest=manifest,
        findings=findings,
        now=NOW,
        ranked_by="rules",
        notes=["Bedrock ranking unavailable (ThrottlingException); ranked by rules."],
    )


GOLDEN = Path(__file__).resolve().parent.parent / "golden"
SIMULATED_NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def simulated_report() -> Report:
    """The simulated account through the real pipeline at a fixed clock.

    The scan id carries a random part by design (two runs never share one) and the manifest
    may carry wall-clock measurements (``duration_s``); both are pinned here so that golden
    files compare byte for byte.
    """
    from engine.pipeline import CheckOptions, check
    from engine.rules import load_rules
    from engine.sources import SimulatedSource

    options = CheckOptions(record_others=True)
    report = check(SimulatedSource(), load_rules(), SIMULATED_NOW, options=options)
    pinned: dict[str, object] = {"scan_id": "scan-golden"}
    if "duration_s" in {f.name for f in fields(report.manifest)}:
        pinned["duration_s"] = 0.0
    return replace(report, manifest=replace(report.manifest, **pinned))  # type: ignore[arg-type]


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``tests/golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites it instead.

    A missing golden file fails: it is only ever written on purpose.
    """
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        raise AssertionError(f"{path} is missing: run the tests with UPDATE_GOLDEN=1 to write it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile="rendered",
                n=2,
            )
        )
        raise AssertionError(
            f"{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it "
            f"after review):\n{diff[:6000]}"
        )
