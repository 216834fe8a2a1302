"""``engine check`` with several formats at once, each streamed to its file or to stdout (the same
bytes either way), the error for an output that cannot be written, and the SNS email sent over a
real HTTP boundary (moto's server on 127.0.0.1), read back from an SQS subscription."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import pytest

from engine.cli import _complete_list, main
from engine.reports import load_all
from tests.support.servers import moto_server_process

NOW = "2026-11-25T00:00:00Z"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "snapshot.json"
    assert main(["collect", "--simulated", "--now", NOW, "--output", str(path)]) == 0
    return path


def test_several_formats_in_one_run(
    snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "html", "junit", "sarif", "email")}
    argv = ["check", "--inventory", str(snapshot), "--now", NOW, "--fail-on", "none"]
    for fmt, path in outs.items():
        argv += ["--format", fmt, "--output", str(path)]
    assert main(argv) == 0
    assert capsys.readouterr().out == ""
    findings = json.loads(outs["json"].read_text())["findings"]
    assert findings
    cases = ET.fromstring(outs["junit"].read_text()).iter("testcase")
    total = sum(1 for _ in cases)
    doc = json.loads(outs["json"].read_text())
    evaluated = sum(sum(v.values()) for v in doc["scan"]["evaluation"]["per_rule"].values())
    assert total == evaluated, "JUnit lists every evaluation: the passes were recorded"
    assert outs["html"].read_text().startswith("<!DOCTYPE html>")
    assert len(json.loads(outs["sarif"].read_text())["runs"][0]["results"]) == len(findings)
    email = outs["email"].read_text()
    assert email.startswith("AWS Inventory Alert - ")
    assert str(outs["html"].resolve()) in email, "the email says where the full report is"


@pytest.mark.parametrize("fmt", load_all())
def test_stdout_and_file_get_the_same_bytes(
    snapshot: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], fmt: str
) -> None:
    """One run, the same format twice: streamed to stdout and to a file, byte for byte."""
    path = tmp_path / "deep" / "er" / f"report.{fmt}"  # missing folders are made
    argv = ["check", "--inventory", str(snapshot), "--now", NOW, "--fail-on", "none"]
    argv += ["--format", fmt, "--output", "-", "--format", fmt, "--output", str(path)]
    assert main(argv) == 0
    written = path.read_bytes()
    assert len(written) > 1_000
    assert capsysbinary.readouterr().out == written
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left"


def test_unwritable_output_is_one_line_naming_it_and_exit_3(
    snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "report.json"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    target = blocker / "report.html"
    argv = ["check", "--inventory", str(snapshot), "--now", NOW, "--fail-on", "none"]
    argv += ["--format", "json", "--output", str(first), "--format", "html", "-o", str(target)]
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"engine: error: cannot write {target}: ")
    assert json.loads(first.read_text())["findings"], "the output before it was written whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "report.json"]


def test_a_capped_html_page_names_the_complete_report_of_its_run() -> None:
    pairs = [("html", "r.html"), ("json", "-"), ("junit", "r.xml"), ("sarif", "all.sarif")]
    assert _complete_list(pairs) == "the sarif report written with this page, all.sarif"
    assert "engine check --format json" in _complete_list([("html", "r.html"), ("json", "-")])


def test_real_stdout_of_the_cli_process(snapshot: Path, tmp_path: Path) -> None:
    """The process's own stdout (not pytest's capture) carries the same bytes as the file."""
    path = tmp_path / "report.html"
    argv = ["check", "--inventory", str(snapshot), "--now", NOW, "--fail-on", "none"]
    argv += ["--no-history", "--format", "html", "-o", "-", "--format", "html", "-o", str(path)]
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", *argv],
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == path.read_bytes()
    assert done.stdout.startswith(b"<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "json", "--format", "html"], "several --format need one --output each"),
        (
            ["--format", "json", "--output", "-", "--format", "text", "--output", "-"],
            "only one --output may be '-'",
        ),
        (["--format", "json", "--output", "a", "--output", "b"], "1 --format but 2 --output"),
        (["--format", "pdf"], "unknown format 'pdf'"),
        (["--notify", "sns"], "--notify sns needs --topic-arn"),
        (["--notify", "sns", "--topic-arn", "not-an-arn"], "not an SNS topic ARN"),
    ],
)
def test_output_usage_errors(
    snapshot: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["check", "--inventory", str(snapshot), *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.server
def test_email_sent_through_sns_matches_the_preview(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with moto_server_process() as url:
        kwargs = {
            "region_name": "us-east-1",
            "endpoint_url": url,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        sns, sqs = boto3.client("sns", **kwargs), boto3.client("sqs", **kwargs)
        topic = sns.create_topic(Name="inventory-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", url)
        base = ["check", "--simulated", "--now", NOW, "--fail-on", "none", "--no-history"]
        assert main([*base, "--format", "email"]) == 0
        preview = capsys.readouterr().out
        code = main(
            [
                *base,
                "--notify",
                "sns",
                "--topic-arn",
                topic,
                "--notify-when",
                "always",
                "--format",
                "json",
                "--output",
                "-",
            ]
        )
        err = capsys.readouterr().err
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
    assert code == 0, err
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    subject, _, body = preview.partition("\n\n")
    assert envelope["Subject"] == subject
    # the same email, but for the scan id (each run is a new scan)
    scan_id = re.compile(r"scan-\d{8}T\d{6}Z-[0-9a-f]{8}")
    assert scan_id.sub("SCAN", envelope["Message"].rstrip("\n")) == scan_id.sub(
        "SCAN", body.rstrip("\n")
    )
    assert len(envelope["Subject"]) <= 100
    assert "notify sns" in err


@pytest.mark.server
def test_publish_failure_is_exit_3_with_the_report_still_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with moto_server_process() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", url)
        out = tmp_path / "report.json"
        code = main(
            [
                "check",
                "--simulated",
                "--now",
                NOW,
                "--fail-on",
                "none",
                "--format",
                "json",
                "--output",
                str(out),
                "--notify",
                "sns",
                "--topic-arn",
                "arn:aws:sns:us-east-1:123456789012:missing",
                "--notify-when",
                "always",
            ]
        )
    assert code == 3
    assert json.loads(out.read_text())["findings"]
    assert "notify sns" in capsys.readouterr().err
