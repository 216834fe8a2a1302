"""Faults survived, nothing lost: the whole pipeline under injected AWS, store and model faults.

One small two-region account on moto (``tests/support/faults.py``) is scanned by the CLI
(``engine.cli.main``, as a user runs it) or by ``engine.pipeline.check`` where the fault needs
a knob the CLI does not have (a store's retry budget, the model's timeout). Faults are injected
at the botocore boundary (event handlers answering in place of the service), into DynamoDB on
moto and on DynamoDB Local, and into a fake Bedrock on 127.0.0.1. For every fault the test
asserts what the user sees (the message), the exit code, and that every resource and finding
of the healthy parts is the same as in a run without the fault.

Faults: a region's APIs denied; a throttling storm past the retry budget; DynamoDB
UnprocessedItems and throttling on write, transient and persistent, and a write access denied;
SNS publish denied; Bedrock hanging past its timeout and answering garbage; a run killed in
the middle of its store write, then run again with the same scan id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from collectors.session import MAX_ATTEMPTS
from engine.cli import exit_code, main
from engine.explain import ExplainConfig, make_client
from engine.pipeline import CheckOptions, check
from engine.rules import load_rules, shipped_rules_dir
from engine.sources import SnapshotSource
from tests.support.fake_bedrock import FakeBedrock, Reply, fake_bedrock, tool_reply
from tests.support.faults import (
    ACCOUNT,
    HOME,
    OTHER,
    answer_with,
    in_region,
    on_every_client,
    small_account,
)

NOW = "2026-11-25T00:00:00Z"
CLOCK = datetime(2026, 11, 25, tzinfo=UTC)
# The rules of the types the account has; backup coverage is off because moto lacks
# ListProtectedResources (it would make every run partial, the healthy one included).
RULE_DIRS = [str(shipped_rules_dir() / name) for name in ("ec2", "ebs", "s3")]
RULES = load_rules(RULE_DIRS)
SCAN = [
    "--region", HOME, "--region", OTHER, "--now", NOW, "--fail-on", "none",
    "--no-backup-coverage", *[arg for d in RULE_DIRS for arg in ("--rules", d)],
]  # fmt: skip

Key = tuple[str, str, str, str]


@dataclass
class Run:
    code: int
    out: str
    err: str
    report: dict[str, Any]

    def findings(self, region: str | None = None) -> set[Key]:
        return {
            (f["rule_id"], f["resource_id"], f["outcome"], f["severity"])
            for f in self.report["findings"]
            if region is None or f["region"] == region
        }

    def counts(self, region: str) -> dict[str, int]:
        return {
            c["resource_type"]: c["count"]
            for c in self.report["scan"]["counts"]
            if c["region"] == region
        }

    def errors(self) -> list[dict[str, Any]]:
        return list(self.report["scan"]["errors"])


@pytest.fixture(scope="module")
def account() -> Iterator[boto3.Session]:
    with small_account() as session:
        yield session


@pytest.fixture
def cli(account: boto3.Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``engine check`` on the account: text to stdout, the JSON report to a file."""

    def run(*extra: str, history: str | None = None) -> Run:
        out = tmp_path / "report.json"
        out.unlink(missing_ok=True)
        store = ["--history", history] if history else ["--no-history"]
        argv = ["check", *SCAN, *store, "--format", "text", "--format", "json", "-o", "-"]
        code = main([*argv, "-o", str(out), *extra])
        captured = capsys.readouterr()
        report = json.loads(out.read_text()) if out.exists() else {}
        return Run(code, captured.out, captured.err, report)

    return run


@pytest.fixture(scope="module")
def healthy(account: boto3.Session, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same scan with no fault: what every healthy part must still look like."""
    out = tmp_path_factory.mktemp("healthy") / "report.json"
    code = main(["check", *SCAN, "--no-history", "--format", "json", "-o", str(out)])
    run = Run(code, "", "", json.loads(out.read_text()))
    assert code == 0 and not run.errors(), "the fault-free scan must be clean"
    assert run.findings(HOME) and run.findings(OTHER), "both regions must have findings"
    return run


def collection_error_lines(text: str) -> list[str]:
    """The text report's collection errors, one string each (wrapped lines joined)."""
    block = text.split("COLLECTION ERRORS", 1)[1].split("\n\n", 1)[0]
    items: list[str] = []
    for line in block.splitlines()[1:]:
        if line.startswith("  - "):
            items.append(line[4:])
        else:
            items[-1] += " " + line.strip()
    return items


# --- collection ----------------------------------------------------------------------------


def test_a_denied_region_is_reported_and_the_other_region_is_intact(cli: Any, healthy: Run) -> None:
    deny = answer_with(
        403, "AccessDenied", "explicit deny in a service control policy", in_region(OTHER)
    )
    with on_every_client("before-send", deny):
        run = cli()
    assert run.code == 3
    assert "Scan: PARTIAL: some calls failed, see below" in run.out
    lines = collection_error_lines(run.out)
    assert (
        f"{ACCOUNT} {OTHER} ec2.DescribeInstances AccessDenied: explicit deny in a service control policy"
        in lines
    )
    assert {e["region"] for e in run.errors()} == {OTHER}
    assert {(e["service"], e["operation"]) for e in run.errors()} >= {
        ("ec2", "DescribeInstances"), ("ec2", "DescribeVolumes"), ("s3", "GetBucketVersioning"),
    }  # fmt: skip
    # healthy parts: the home region exactly as without the fault
    assert run.counts(HOME) == healthy.counts(HOME)
    assert run.findings(HOME) == healthy.findings(HOME)
    # the bucket in the denied region is listed account-wide, so it is there, and no rule that
    # reads a setting it could not read passes: each is an evaluation error naming the cause
    other_bucket = f"arn:aws:s3:::fault-{OTHER}"
    bucket_findings = {(k[0], k[2]) for k in run.findings(OTHER) if k[1] == other_bucket}
    s3_rules = {r.id for r in RULES.rules if r.resource_type == "aws.s3.bucket"}
    assert bucket_findings == {(rule, "error") for rule in s3_rules}
    assert "could not be collected: versioning (AccessDenied)" in run.out


def test_a_throttling_storm_past_the_retry_budget_keeps_old_findings_open(
    cli: Any, healthy: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)
    history = str(tmp_path / "history.sqlite")
    first = cli(history=history)
    assert first.code == 0
    sent: list[str] = []

    def storm(request: Any, event_name: str) -> bool:
        hit = event_name.endswith("DescribeInstances") and in_region(OTHER)(request, event_name)
        sent.extend([event_name] if hit else [])
        return hit

    with on_every_client(
        "before-send.ec2",
        answer_with(503, "RequestLimitExceeded", "Request limit exceeded.", storm),
    ):
        run = cli(history=history)
    assert len(sent) == MAX_ATTEMPTS, "retried to the bound, then given up"
    assert run.code == 3
    assert collection_error_lines(run.out) == [
        f"{ACCOUNT} {OTHER} ec2.DescribeInstances RequestLimitExceeded: Request limit exceeded."
    ]
    # everything but the throttled listing is as without the fault
    assert run.counts(HOME) == healthy.counts(HOME)
    assert run.counts(OTHER) == {
        k: v for k, v in healthy.counts(OTHER).items() if k != "aws.ec2.instance"
    }
    throttled = {k for k in healthy.findings(OTHER) if ":instance/" in k[1]}
    assert run.findings() - throttled == healthy.findings() - throttled
    # ... and the throttled instances' findings are neither lost nor resolved: kept open
    kept = [
        f
        for f in run.report["findings"]
        if f["region"] == OTHER and ":instance/" in f["resource_id"]
    ]
    assert {
        (f["rule_id"], f["resource_id"], f["outcome"], f["severity"]) for f in kept
    } == throttled
    assert all(f["status"] == "open" and "kept open: not re-checked" in f["note"] for f in kept)


# --- notification and the model ------------------------------------------------------------


def test_an_sns_publish_failure_is_exit_3_with_every_report_written(cli: Any, healthy: Run) -> None:
    topic = f"arn:aws:sns:{HOME}:{ACCOUNT}:inventory-alerts"
    denied = answer_with(
        403, "AuthorizationError", "not authorized to publish (KMS key policy)", lambda *_: True
    )
    with on_every_client("before-send.sns.Publish", denied):
        run = cli("--notify", "sns", "--topic-arn", topic, "--notify-when", "always")
    assert run.code == 3
    assert (
        "engine: notify sns: AuthorizationError: not authorized to publish (KMS key policy)"
        in run.err
    )
    assert run.findings() == healthy.findings()
    assert "FINDINGS (highest rank first)" in run.out


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    with fake_bedrock() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        yield fake
        assert fake.errors == []


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(status=200, body=b"<html>not json</html>"), "the model did not call submit_ranking"),
        (tool_reply("{'ranking': [unterminated"), "tool input is not valid JSON"),
        (tool_reply({"ranking": "all of them", "summary": 42}), "tool input has no 'ranking' list"),
        (Reply(status=500, body=b"\x00\xff garbage"), "Bedrock sent an unreadable answer"),
    ],
    ids=["html-body", "broken-json-tool-input", "schema-violation", "500-garbage"],
)
def test_a_garbage_answer_from_bedrock_falls_back_to_the_rules_ranking(
    cli: Any, healthy: Run, bedrock: FakeBedrock, reply: Reply, reason: str
) -> None:
    bedrock.then(reply)
    run = cli("--explain", "bedrock")
    assert len(bedrock.requests) >= 1
    assert run.code == healthy.code == 0
    assert run.report["ranked_by"] == "rules"
    notes = [n for n in run.report["notes"] if "Bedrock" in n]
    assert len(notes) == 1 and "\n" not in notes[0] and reason in notes[0], run.report["notes"]
    assert notes[0].endswith("Findings are ranked by the rules.")
    assert run.findings() == healthy.findings()
    assert [f["finding_id"] for f in run.report["findings"]] == [
        f["finding_id"] for f in healthy.report["findings"]
    ], "the deterministic ranking, unchanged"


@pytest.fixture(scope="module")
def snapshot(account: boto3.Session, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The account as a snapshot: a fixed scan id, for the pipeline-level faults."""
    path = tmp_path_factory.mktemp("snapshot") / "snapshot.json"
    argv = ["collect", "--region", HOME, "--region", OTHER, "--now", NOW, "--no-backup-coverage"]
    assert main([*argv, "-o", str(path)]) == 0
    return path


def findings_of(report: Any) -> set[Key]:
    return {(f.rule_id, f.resource_id, f.outcome, f.severity) for f in report.findings}


def test_bedrock_hanging_past_its_timeout_falls_back_within_the_budget(
    snapshot: Path, healthy: Run, bedrock: FakeBedrock
) -> None:
    bedrock.then(Reply(delay_s=30))
    config = ExplainConfig(timeout_s=1, connect_timeout_s=1, total_budget_s=4)
    options = CheckOptions(
        explain=config, bedrock_client=lambda: make_client(config, endpoint_url=bedrock.url)
    )
    report = check(SnapshotSource(snapshot), RULES, CLOCK, options=options)
    assert report.ranked_by == "rules"
    assert "Bedrock did not answer within 1 s (read timeout)" in " ".join(report.notes)
    assert exit_code(report, "none") == 0
    assert findings_of(report) == healthy.findings()
    assert len(bedrock.requests) == 1, "a timeout is not retried past the budget"
