"""Benchmark: the Resource schema check per resource, plain jsonschema against resource_errors.

Run from the repository root: ``python bench/schema_benchmark.py [--resources N] [--runs K]
[--json]``.

- Inventory: ``bench.synthetic.generate(N)`` (the simulated account cloned N times: every
  resource type, every attribute as the collectors built it), as the dicts the collectors'
  runner and the snapshot reader validate (``Resource.to_dict()``, through JSON).
- Two sets: the valid inventory, and a copy in which each resource has one bad value (an
  unknown attribute, an impossible ``collected_at`` date, a tag that is not a string, an
  unknown ``state`` of an enum attribute, in turn), where ``resource_errors`` pays for its
  compiled check and then for jsonschema.
- "before" is ``list(validator("resource").iter_errors(doc))``, what ``engine.inventory`` and
  ``collectors.runner`` called; "after" is ``engine.schema.resource_errors(doc)``. Both are
  checked to give the same errors (message, path, keyword) on every document first.
- Each of K runs times both over the whole set in CPU time (``time.process_time``), before then
  after, and takes the ratio within the run; figures are the median of K runs with min and max.
  Compiling the checks (once per process) is timed on its own.
- The machine is shared and noisy: read these numbers, never use them as test assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jsonschema import Draft202012Validator

from bench.synthetic import generate
from engine.schema import resource_errors, schema, validator
from engine.schema_compile import compile_resource_checks

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SEED = 20261125


def documents(n: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = json.loads(
        json.dumps([r.to_dict() for r in generate(n, SEED, NOW)])
    )
    return docs


def broken(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each document with one bad value, four kinds in turn."""
    out: list[dict[str, Any]] = json.loads(json.dumps(docs))
    for index, doc in enumerate(out):
        kind = index % 4
        if kind == 0:
            doc["attributes"]["not_in_the_schema"] = True
        elif kind == 1:
            doc["collected_at"] = "2026-02-30T00:00:00Z"
        elif kind == 2:
            doc["tags"]["owner"] = 7
        else:
            doc["resource_type"] = "aws.no.such_type"
    return out


def agree(docs: list[dict[str, Any]]) -> int:
    """Check before and after give the same errors; the number of documents refused."""
    check = validator("resource")
    refused = 0
    for doc in docs:
        before = [(e.message, list(e.absolute_path), e.validator) for e in check.iter_errors(doc)]
        after = [(e.message, list(e.absolute_path), e.validator) for e in resource_errors(doc)]
        if before != after:
            raise SystemExit(f"{doc['resource_id']}: {before} != {after}")
        refused += bool(before)
    return refused


def cpu_seconds(step: Callable[[dict[str, Any]], Any], docs: list[dict[str, Any]]) -> float:
    started = time.process_time()
    for doc in docs:
        step(doc)
    return time.process_time() - started


def one_run(docs: list[dict[str, Any]]) -> dict[str, float]:
    check = validator("resource")
    before = cpu_seconds(lambda doc: list(check.iter_errors(doc)), docs)
    after = cpu_seconds(resource_errors, docs)
    return {
        "before_us": before / len(docs) * 1e6,
        "after_us": after / len(docs) * 1e6,
        "ratio": before / after,
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        key: {
            "median": statistics.median(r[key] for r in runs),
            "min": min(r[key] for r in runs),
            "max": max(r[key] for r in runs),
        }
        for key in runs[0]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.process_time()
    checks = compile_resource_checks(schema("resource"), Draft202012Validator.FORMAT_CHECKER)
    compile_ms = (time.process_time() - started) * 1e3
    sets = {"valid": documents(args.resources)}
    sets["one bad value"] = broken(sets["valid"])
    summary: dict[str, Any] = {
        "resources": args.resources,
        "runs": args.runs,
        "compiled_types": sorted(checks),
        "compile_ms": compile_ms,
        "results": {},
    }
    for name, docs in sets.items():
        refused = agree(docs)  # also warms both paths up
        figures = median_of([one_run(docs) for _ in range(args.runs)])
        summary["results"][name] = {"refused": refused, **figures}
    print(json.dumps(summary, indent=1) if args.json else render(summary))
    return 0


def render(s: dict[str, Any]) -> str:
    lines = [
        f"{s['resources']:,} resources ({len(s['compiled_types'])} types compiled in "
        f"{s['compile_ms']:.0f} ms), CPU time per resource, median of {s['runs']} runs",
        "",
        "| set | refused | before (jsonschema) µs | after (resource_errors) µs | before/after |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in s["results"].items():
        lines.append(
            f"| {name} | {r['refused']:,} "
            f"| {r['before_us']['median']:.1f} ({r['before_us']['min']:.1f}-"
            f"{r['before_us']['max']:.1f}) "
            f"| {r['after_us']['median']:.1f} ({r['after_us']['min']:.1f}-"
            f"{r['after_us']['max']:.1f}) "
            f"| {r['ratio']['median']:.1f}x ({r['ratio']['min']:.1f}-{r['ratio']['max']:.1f}) |"
        )
    valid = s["results"]["valid"]
    per_million = (valid["before_us"]["median"], valid["after_us"]["median"])
    lines += [
        "",
        f"At a million valid resources: {per_million[0]:.0f} s before, "
        f"{per_million[1]:.0f} s after.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
