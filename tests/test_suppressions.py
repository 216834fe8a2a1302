"""Suppressions: kept and marked, counted apart, never failing --fail-on; expired and stale
entries reported; bad files answered with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import ConfigError
from engine.suppressions import load_suppressions

NOW = "2026-11-25T00:00:00Z"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("supp") / "snapshot.json"
    assert main(["collect", "--simulated", "--now", NOW, "--output", str(path)]) == 0
    return path


def check(
    capsys: pytest.CaptureFixture[str], snapshot: Path, supp: Path, *extra: str
) -> tuple[int, dict, str]:
    code = main(
        [
            "check",
            "--inventory",
            str(snapshot),
            "--now",
            NOW,
            "--format",
            "json",
            "--suppressions",
            str(supp),
            *extra,
        ]
    )
    out = capsys.readouterr().out
    code_text = main(
        ["check", "--inventory", str(snapshot), "--now", NOW, "--suppressions", str(supp), *extra]
    )
    text = capsys.readouterr().out
    assert code == code_text
    return code, json.loads(out), text


def test_suppressed_findings_are_kept_marked_and_do_not_fail(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    supp = tmp_path / "suppressions.yaml"
    supp.write_text(
        "suppressions:\n"
        "  - rule: ec2-instance-stopped-too-long\n"
        "    resource: 'arn:aws:ec2:*'\n"
        "    reason: batch hosts are kept for the quarterly run\n"
        "    expires: 2027-01-31\n"
        "  - rule: 's3-*'\n"
        "    tags: {Purpose: archive}\n"
        "    reason: archive bucket is managed by another team\n"
        "    expires: 2027-01-31\n"
    )
    code, doc, text = check(capsys, snapshot, supp, "--fail-on", "medium")
    stopped = [f for f in doc["findings"] if f["rule_id"] == "ec2-instance-stopped-too-long"]
    assert stopped and all(f["status"] == "suppressed" for f in stopped)
    assert all(
        f["note"] == "suppressed until 2027-01-31: batch hosts are kept for the quarterly run"
        for f in stopped
    )
    archive = [f for f in doc["findings"] if "archive" in f["resource_id"]]
    assert archive and all(f["status"] == "suppressed" for f in archive)
    still = [f for f in doc["findings"] if f["status"] != "suppressed"]
    assert still, "unrelated findings are untouched"
    assert "Suppressed (accepted risks, not counted above):" in text
    # medium findings remain (versioning on other buckets): exit 1 from those, not the suppressed
    assert code == 1


def test_expired_and_stale_entries_are_reported(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    supp = tmp_path / "suppressions.yaml"
    supp.write_text(
        "suppressions:\n"
        "  - {rule: ec2-instance-stopped-too-long, resource: 'arn:aws:ec2:*', reason: old excuse, expires: 2026-11-24}\n"
        "  - {rule: no-such-rule, resource: '*', reason: typo in a rule id, expires: 2027-01-01}\n"
    )
    code, doc, text = check(capsys, snapshot, supp, "--fail-on", "none")
    assert code == 0
    stopped = [f for f in doc["findings"] if f["rule_id"] == "ec2-instance-stopped-too-long"]
    assert stopped and all(f["status"] != "suppressed" for f in stopped)
    assert (
        "suppressions[0] (line 2: ec2-instance-stopped-too-long on arn:aws:ec2:*) expired on 2026-11-24"
        in text
    )
    assert "suppressions[1] (line 3: no-such-rule on *) matches no finding (stale)" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "suppressions:\n  - {rule: x, reason: why not, expires: 2027-01-01}\n",
            "supp.yaml:2: suppressions[0]: ",
        ),
        (
            "suppressions:\n  - {rule: x, resource: '*', reason: ok ok, expires: tomorrow}\n",
            "supp.yaml:2: suppressions[0].expires: 'tomorrow' does not match",
        ),
        (
            "suppressions:\n  - {rule: x, resource: '*', reason: ok ok, expires: 2027-02-30}\n",
            "supp.yaml:2: bad value at suppressions[0].expires: day is out of range",
        ),
        (
            "suppressions:\n  - {rule: x, resource: '*', reason: ok ok, expires: 2027-01-01, colour: red}\n",
            "supp.yaml:2: suppressions[0]: Additional properties",
        ),
        ("- 1\n", "supp.yaml:1: -: "),
        ("suppressions: [\n", "supp.yaml:2: invalid YAML"),
    ],
)
def test_bad_files_are_located(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "supp.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_suppressions(path)
    assert str(info.value).startswith(f"{tmp_path}/{message}"), str(info.value)
