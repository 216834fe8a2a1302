"""``engine`` end to end on the simulated account and on snapshot files: outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.rules import load_rules, shipped_rules_dir
from engine.schema import validator

NOW = "2026-11-25T00:00:00Z"


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "snapshot.json"
    assert main(["collect", "--simulated", "--now", NOW, "--output", str(path)]) == 0
    return path


def test_simulated_json_has_every_rule_and_pass_side(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, ["check", "--simulated", "--now", NOW, "--format", "json", "--fail-on", "none"]
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["scan"]["simulated"] is True
    assert doc["scan"]["partial"] is False
    findings = doc["findings"]
    for finding in findings:
        errors = list(validator("finding").iter_errors(finding))
        assert not errors, errors
    rules_hit = {f["rule_id"] for f in findings}
    shipped = {rule.id for rule in load_rules().rules}
    assert rules_hit == shipped, "every shipped rule has a finding in the simulated account"
    # ... and a pass side: resources it judged and did not flag
    per_rule = doc["scan"]["evaluation"]["per_rule"]
    one_sided = {r: v for r, v in per_rule.items() if not (v["pass"] > 0 and v["fail"] > 0)}
    assert one_sided == {}
    stopped = {
        f["resource_name"] for f in findings if f["rule_id"] == "ec2-instance-stopped-too-long"
    }
    assert stopped == {"legacy-batch-us-east-1", "legacy-batch-eu-west-1"}
    assert [f["rank"] for f in findings] == list(range(1, len(findings) + 1))
    assert all(f["references"] for f in findings)


def test_findings_section_is_byte_identical(
    capsys: pytest.CaptureFixture[str], snapshot: Path
) -> None:
    outputs = []
    for _ in range(2):
        code, out, _ = run(
            capsys,
            [
                "check",
                "--inventory",
                str(snapshot),
                "--now",
                NOW,
                "--format",
                "json",
                "--fail-on",
                "none",
                "--no-history",
            ],
        )
        assert code == 0
        outputs.append(json.dumps(json.loads(out)["findings"], sort_keys=True))
    assert outputs[0] == outputs[1]
    code, out, _ = run(
        capsys,
        [
            "check",
            "--simulated",
            "--now",
            NOW,
            "--format",
            "json",
            "--fail-on",
            "none",
            "--no-history",
        ],
    )
    assert json.dumps(json.loads(out)["findings"], sort_keys=True) == outputs[0]


def test_snapshot_round_trip_without_aws(
    capsys: pytest.CaptureFixture[str], snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing AWS is reachable: a snapshot check must not try.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    doc = json.loads(snapshot.read_text())
    assert doc["format"] == "aws-inventory-snapshot"
    assert len(doc["resources"]) == sum(c["count"] for c in doc["scan"]["counts"]) > 0
    code, out, _ = run(
        capsys, ["check", "--inventory", str(snapshot), "--now", NOW, "--fail-on", "none"]
    )
    assert code == 0
    assert "SIMULATED ACCOUNT" in out
    assert "ec2-instance-stopped-too-long" in out


@pytest.mark.parametrize("fail_on", ["critical", "high", "medium", "low", "info", "none"])
def test_fail_on_threshold(
    capsys: pytest.CaptureFixture[str], snapshot: Path, fail_on: str
) -> None:
    code, out, _ = run(
        capsys,
        [
            "check",
            "--inventory",
            str(snapshot),
            "--now",
            NOW,
            "--format",
            "json",
            "--fail-on",
            fail_on,
        ],
    )
    doc = json.loads(out)
    order = ["critical", "high", "medium", "low", "info"]
    live = [f for f in doc["findings"] if f["outcome"] == "fail" and f["status"] != "suppressed"]
    severities = {f["severity"] for f in live}
    assert severities, "the simulated account has findings"
    expected = (
        0 if fail_on == "none" else int(bool(severities & set(order[: order.index(fail_on) + 1])))
    )
    assert not doc["scan"]["partial"] and not any(f["outcome"] == "error" for f in doc["findings"])
    assert code == expected


def test_bad_snapshot_names_file_record_and_field(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    doc: dict[str, Any] = json.loads(snapshot.read_text())
    doc["resources"][3]["attributes"]["versioning"] = "Maybe"
    doc["resources"][3]["resource_type"] = "aws.s3.bucket"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code, _, err = run(capsys, ["check", "--inventory", str(bad), "--now", NOW])
    assert code == 2
    assert err.startswith(f"engine: error: {bad}: resources[3] (")
    assert "attributes" in err
    extra = json.loads(snapshot.read_text())
    extra["resources"][0]["surprise"] = 1
    bad.write_text(json.dumps(extra))
    code, _, err = run(capsys, ["check", "--inventory", str(bad), "--now", NOW])
    assert code == 2
    assert "resources[0]" in err and "surprise" in err
    bad.write_text("{not json")
    code, _, err = run(capsys, ["check", "--inventory", str(bad)])
    assert (code, err.strip()) == (
        2,
        f"engine: error: {bad}:1: invalid JSON: Expecting property name enclosed in double quotes",
    )


def test_evaluation_error_gives_exit_3_and_is_shown(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    doc = json.loads(snapshot.read_text())
    bucket = next(r for r in doc["resources"] if r["resource_type"] == "aws.s3.bucket")
    # the collector could not read the lifecycle settings: null values, named in unreadable
    bucket["attributes"]["lifecycle_rule_count"] = None
    bucket["attributes"]["lifecycle_enabled_rule_count"] = None
    bucket["attributes"]["unreadable"] = {
        "lifecycle_rule_count": "AccessDenied",
        "lifecycle_enabled_rule_count": "AccessDenied",
    }
    path = tmp_path / "nulls.json"
    path.write_text(json.dumps(doc))
    # and a rule whose function raises on every instance (a name is not a timestamp)
    extra = tmp_path / "rules"
    extra.mkdir()
    (extra / "instance-name-age.yaml").write_text(
        "id: instance-name-age\ntitle: Instance name is an old date\nresource: aws.ec2.instance\n"
        "category: cost\nseverity: low\ncondition: days_since(name) > `1`\n"
        "remediation: Nothing to do here.\nreferences: {}\n"
        "tests: {pass: [{name: '2025-12-31'}], fail: [{name: '2020-01-01'}]}\n"
    )
    rules = ["--rules", str(shipped_rules_dir()), "--rules", str(extra)]
    code, out, _ = run(
        capsys, ["check", "--inventory", str(path), "--now", NOW, "--fail-on", "none", *rules]
    )
    assert code == 3
    assert "[ERROR] s3-bucket-no-lifecycle" in out
    assert (
        "could not evaluate: could not be collected: lifecycle_enabled_rule_count (AccessDenied)"
        in out
    )
    assert "[ERROR] instance-name-age" in out
    code, out, _ = run(
        capsys, ["check", "--inventory", str(path), "--now", NOW, "--format", "json", *rules]
    )
    assert code == 3
    errors = {f["rule_id"]: f for f in json.loads(out)["findings"] if f["outcome"] == "error"}
    assert set(errors) == {"s3-bucket-no-lifecycle", "instance-name-age"}
    assert errors["s3-bucket-no-lifecycle"]["resource_id"] == bucket["resource_id"]
    assert "ValueError" in errors["instance-name-age"]["error"]
    # the versioning rule still judged the same bucket: only what could not be read is an error
    assert (
        json.loads(out)["scan"]["evaluation"]["per_rule"]["s3-bucket-versioning-disabled"]["error"]
        == 0
    )


def test_params_file_applies(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("ec2-instance-stopped-too-long:\n  max_stopped_days: 60\n")
    code, out, _ = run(
        capsys,
        [
            "check",
            "--inventory",
            str(snapshot),
            "--now",
            NOW,
            "--params",
            str(params),
            "--format",
            "json",
        ],
    )
    ids = {f["rule_id"] for f in json.loads(out)["findings"]}
    assert "ec2-instance-stopped-too-long" not in ids
    params.write_text("ec2-instance-stopped-too-long:\n  max_stoped_days: 60\n")
    code, _, err = run(capsys, ["check", "--inventory", str(snapshot), "--params", str(params)])
    assert code == 2
    assert err.strip().endswith(
        "params.yaml:2: ec2-instance-stopped-too-long: params.max_stoped_days: unknown param (known: max_stopped_days)"
    )


def test_output_file_and_usage_errors(
    capsys: pytest.CaptureFixture[str], snapshot: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "report.json"
    code, out, _ = run(
        capsys,
        [
            "check",
            "--inventory",
            str(snapshot),
            "--now",
            NOW,
            "--format",
            "json",
            "--output",
            str(target),
            "--fail-on",
            "none",
        ],
    )
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["findings"]
    code, _, err = run(capsys, ["check", "--inventory", str(snapshot), "--format", "yaml"])
    assert code == 2 and "unknown format 'yaml'" in err
    code, _, err = run(capsys, ["check", "--inventory", str(snapshot), "--now", "yesterday"])
    assert code == 2 and "--now" in err
    code, _, err = run(capsys, ["check", "--simulated", "--region", "us-east-1"])
    assert code == 2 and "--simulated" in err
    code, _, err = run(capsys, ["bogus"])
    assert code == 2 and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["resource", "rule", "finding"])
def test_schema_command(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, _ = run(capsys, ["schema", name])
    assert code == 0
    doc = json.loads(out)
    assert doc["title"].lower() == name
    if name == "resource":
        assert doc["additionalProperties"] is False
        assert set(doc["$defs"]) >= {"aws.ec2.instance", "aws.s3.bucket"}


def test_rules_list_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, ["rules", "list", "--format", "json"])
    assert code == 0
    rows = json.loads(out)
    assert {r["id"] for r in rows} >= {"ec2-instance-stopped-too-long"}
    code, out, _ = run(capsys, ["rules", "list", "--format", "markdown"])
    assert out.startswith("| id | title |")
