"""History through the CLI: a second run shows findings open since the first; a fixed resource
shows as resolved once; --no-history is a pure dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main

NOW, LATER, LATEST = "2026-11-25T00:00:00Z", "2026-11-25T06:00:00Z", "2026-11-25T12:00:00Z"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    main(["check", "--simulated", "--format", "json", "--fail-on", "none", *args])
    return json.loads(capsys.readouterr().out)


def test_new_then_open_then_resolved(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = ["--history", str(tmp_path / "history.sqlite")]
    first = run(capsys, "--now", NOW, *history)
    assert first["findings"] and {f["status"] for f in first["findings"]} == {"new"}
    second = run(capsys, "--now", LATER, *history)
    assert {f["status"] for f in second["findings"]} == {"open"}
    by_id = {f["finding_id"]: f for f in first["findings"]}
    for finding in second["findings"]:
        assert finding["first_seen"] == by_id[finding["finding_id"]]["first_seen"] == NOW
        assert finding["last_seen"] == LATER
    third = run(capsys, "--now", LATEST, "--simulated-fix", "scratch-bucket-versioning", *history)
    resolved = [f for f in third["findings"] if f["status"] == "resolved"]
    assert [(f["rule_id"], f["resource_name"]) for f in resolved] == [
        ("s3-bucket-versioning-disabled", "sim-123456789012-scratch-us-east-1")
    ]
    assert resolved[0]["first_seen"] == NOW and resolved[0]["note"]
    fourth = run(
        capsys,
        "--now",
        "2026-11-25T18:00:00Z",
        "--simulated-fix",
        "scratch-bucket-versioning",
        *history,
    )
    assert not [f for f in fourth["findings"] if f["status"] == "resolved"], "reported once"


def test_default_history_and_no_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert {f["status"] for f in run(capsys, "--now", NOW)["findings"]} == {"new"}
    assert {f["status"] for f in run(capsys, "--now", LATER)["findings"]} == {"open"}
    assert {f["status"] for f in run(capsys, "--now", LATER, "--no-history")["findings"]} == {"new"}


def test_bad_history_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--simulated", "--simulated-fix", "nope", "--no-history"]) == 3
    assert "unknown simulated fix" in capsys.readouterr().err
    assert main(["check", "--simulated-fix", "scratch-bucket-versioning"]) == 2
    assert "--simulated-fix needs --simulated" in capsys.readouterr().err
