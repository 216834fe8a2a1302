"""The benchmark script runs end to end on a small inventory and exercises both outcomes.

Only shapes and counts are asserted: timings vary with the machine and are never test bounds.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from engine.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "benchmark.py"
N = 300


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    command = [sys.executable, str(SCRIPT), "--resources", str(N), "--runs", "2", "--json"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr  # checked here, so that the failure shows stderr
    return json.loads(done.stdout)


def test_json_has_every_figure(result: dict[str, Any]) -> None:
    keys = "machine resources runs seed by_type rules evaluations per_rule evaluations_per_second"
    keys += " ratio_ours_over pipeline_seconds memory_kib memory_floor_kib"
    assert set(keys.split()) == set(result)
    assert (result["resources"], result["runs"]) == (N, 2)
    assert set(result["evaluations_per_second"]) == {"ours", "baseline_search", "baseline_compiled"}
    assert set(result["ratio_ours_over"]) == {"baseline_search", "baseline_compiled"}
    stages = "evaluate rank report render_text render_json total"
    assert set(result["pipeline_seconds"]) == set(stages.split())
    measured = "evaluate pipeline baseline_search baseline_compiled"
    assert set(result["memory_kib"]) == set(measured.split())
    for kib in result["memory_kib"].values():
        assert 0 < kib["after_generate"] <= kib["after_setup"] <= kib["peak"]


def test_evaluations_counted_from_the_generated_mix(result: dict[str, Any]) -> None:
    resources = _load_script().generate(N, result["seed"])
    by_type = Counter(r.resource_type for r in resources)
    expected = sum(by_type[rule.resource_type] for rule in load_rules().rules)
    assert result["by_type"] == dict(by_type)
    assert (
        result["evaluations"]
        == expected
        == sum(sum(outcomes.values()) for outcomes in result["per_rule"].values())
    )


def test_throughput_is_positive(result: dict[str, Any]) -> None:
    for figures in result["evaluations_per_second"].values():
        assert 0 < figures["min"] <= figures["median"] <= figures["max"]
    for figures in result["ratio_ours_over"].values():
        assert figures["median"] > 0


def test_every_shipped_rule_both_passes_and_fails(result: dict[str, Any]) -> None:
    assert set(result["per_rule"]) == {rule.id for rule in load_rules().rules}
    for rule_id, outcomes in result["per_rule"].items():
        assert outcomes["pass"] > 0, rule_id
        assert outcomes["fail"] > 0, rule_id
        assert outcomes["error"] == 0, rule_id


# --- bench/scale_benchmark.py: the one table, at a tiny size ------------------------------------

SCALE_SCRIPT = ROOT / "bench" / "scale_benchmark.py"
SCALE_N = 200
SCALE_ARGS = ["--sizes", str(SCALE_N), "--runs", "1", "--jobs", "1"]
SCALE_COLUMNS = (
    "resources",
    "findings",
    "evaluations/s",
    "peak RSS (MB)",
    "evaluate+rank+e-mail (s)",
    "write HTML / text / JSON (s)",
    "DynamoDB write units per scan",
    "Bedrock request (bytes)",
    "engine $/month",
    "AWS Config $/month",
)


def _run_scale(*extra: str) -> str:
    command = [sys.executable, str(SCALE_SCRIPT), *SCALE_ARGS, *extra]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def scale_table() -> str:
    return _run_scale()


@pytest.fixture(scope="module")
def scale_result() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_run_scale("--json"))
    return loaded


def _markdown_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]


def test_scale_table_has_every_column(scale_table: str) -> None:
    header, rule, *rows = _markdown_rows(scale_table)
    assert tuple(header) == SCALE_COLUMNS
    assert len(rule) == len(SCALE_COLUMNS)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["resources"] == f"{SCALE_N:,}"
    assert len(row["write HTML / text / JSON (s)"].split(" / ")) == 3
    for column in SCALE_COLUMNS:
        assert row[column], column  # every cell filled


def test_scale_json_has_every_figure(scale_result: dict[str, Any]) -> None:
    assert tuple(scale_result["columns"]) == SCALE_COLUMNS
    assert scale_result["runs"] == 1
    (row,) = scale_result["rows"]
    assert row["resources"] == SCALE_N
    assert sum(row["by_type"].values()) == SCALE_N
    assert 0 < row["findings"] < row["evaluations"]
    assert row["errors"] == 0
    for stage in ("check", "evaluate_rank", "store", "html", "text", "json", "email"):
        assert row["seconds"][stage]["median"] >= 0, stage
    seconds = row["seconds"]
    assert seconds["evaluate_rank_report"]["median"] == pytest.approx(
        seconds["evaluate_rank"]["median"] + seconds["email"]["median"]
    )
    assert row["evaluations_per_second"]["median"] > 0
    rss = row["rss_mb"]
    assert 0 < rss["after_generate"] <= rss["analyser_peak"] <= rss["peak"]
    # one write unit at least per item and per KB: an item per resource; the findings in
    # compressed pages, far fewer units than findings; the manifest in the table and the GSI
    db = row["dynamodb"]
    units, size = db["units"], db["bytes"]
    assert units["resource items"] >= SCALE_N == db["items"]["resource items"]
    assert size["finding pages"] / 1024 <= units["finding pages"] < row["findings"]
    assert units["manifests"] >= 2 and db["indexed_items"] >= 1
    assert row["bedrock_request_bytes"] > 0 and row["bedrock_groups_sent"] > 0
    assert row["html_bytes"] > 0 and 0 < row["email_bytes"] < 262_144
    for estimate in ("engine_monthly", "aws_config_monthly"):
        lines = row[estimate]["lines"]
        assert row[estimate]["total"] == pytest.approx(sum(lines.values()))
        assert all(usd >= 0 for usd in lines.values())
    assert set(row["aws_config_monthly"]["lines"]) == {"configuration_items", "rule_evaluations"}


# --- bench/analyser_benchmark.py --------------------------------------------------------------


def test_analyser_benchmark_runs_a_first_and_a_next_day_scan() -> None:
    """Both scans through ``analyse_scan`` on DynamoDB Local: the next day reads the first
    day's findings back (timed under the store method the pipeline calls), nothing is lost."""
    from tests.support.dynamodb_local import require_jar_dir

    require_jar_dir()  # skip, or fail under CI, naming the install script
    script = ROOT / "bench" / "analyser_benchmark.py"
    command = [sys.executable, str(script), "--resources", str(N), "--scans", "2", "--json"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)["scans"]
    for scan in (first, second):
        assert scan["resources"] == N and scan["findings"] > N and scan["problems"] == []
        assert scan["notified"]["sent"] and scan["report"].endswith("/report.html")
        assert {"read resources", "evaluate", "write findings"} <= set(scan["inside"])
        assert scan["write_units"] > 0 and scan["peak_rss_mb"] > 0
    assert "read previous findings" not in first["inside"]  # an empty history reads nothing
    assert second["inside"]["read previous findings"] > 0
    assert second["read_units"] > first["read_units"]
