"""Benchmark: our evaluator against plain JMESPath, the whole pipeline, and peak memory.

Run from the repository root: ``python bench/benchmark.py [--resources N] [--runs K] [--json]``.

- Inventory: N resources cloned from the simulated account (every resource type, both sides
  of every shipped rule; ``bench/synthetic.py``), with seeded ids, accounts and regions; 100
  are validated against the schema. An evaluation is one (rule, resource) pair.
- Each of K runs times, back to back in rotating order: ours, ``evaluate()``; the baseline
  ``jmespath.search(source, doc, options)`` (jmespath caches parsed expressions: a lookup, not
  a parse); ``jmespath.compile`` once, then ``.search(doc, options)``. Baseline docs
  (``to_dict()`` plus ``params``) are built before the runs: a baseline is the condition alone,
  ours all ``evaluate`` does (docs, checks, severity, evidence, ``Finding``). Both must count
  the same fails. ``rank``, the ``Report`` and ``render`` text and json follow on ours' output.
- Figures are the median of K runs, with min and max; a ratio (our throughput / a baseline's)
  is taken within each run, then its median, so drift between runs cancels.
- Memory: each measurement once in a fresh subprocess (hidden ``--measure-peak``), reading
  ``ru_maxrss`` (KiB on Linux) after generating, after its own set-up and at the end. A child's
  ``ru_maxrss`` starts at its parent's peak, so they run before this process builds anything.
- The machine is shared and noisy: read these numbers, never use them as test assertions.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import jmespath

from engine.evaluator import Evaluation, evaluate
from engine.functions import FunctionContext, make_functions
from engine.model import Finding, Resource, ScanManifest, count_resources
from engine.ranker import rank
from engine.report import Report
from engine.reports import load_all, render
from engine.rules import RuleSet, load_rules
from engine.schema import validator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

NOW, SEED, STAMP = datetime(2026, 11, 25, tzinfo=UTC), 20261125, "2026-11-25T00:00:00Z"
WHATS = ("evaluate", "pipeline", "baseline_search", "baseline_compiled")
# condition source, where source (or None), compiled condition, compiled where, docs
Job = tuple[str, str | None, Any, Any, list[dict[str, Any]]]


def generate(n: int, seed: int = SEED) -> list[Resource]:
    """N resources cloned from the simulated account (see ``bench/synthetic.py``)."""
    return synthetic.generate(n, seed, NOW)


def baseline_jobs(rules: RuleSet, resources: list[Resource]) -> list[Job]:
    bases: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        bases.setdefault(r.resource_type, []).append(r.to_dict())
    jobs: list[Job] = []
    for rule in rules.rules:
        docs = [{**doc, "params": rule.params} for doc in bases.get(rule.resource_type, [])]
        where = rule.where.source if rule.where else None
        jobs.append(
            (
                rule.condition.source,
                where,
                jmespath.compile(rule.condition.source),
                jmespath.compile(where) if where else None,
                docs,
            )
        )
    return jobs


def run_baseline(jobs: list[Job], options: Any, compiled: bool) -> list[int]:
    """Each rule's fails: ``where`` (when the rule has one) and then the condition, as a user
    would write the two lines with the library."""
    counts = []
    for src, where_src, parsed, where, docs in jobs:
        if compiled:
            applies = [d for d in docs if where is None or where.search(d, options) is True]
            counts.append(sum(parsed.search(d, options) is True for d in applies))
        else:
            applies = [
                d
                for d in docs
                if where_src is None or jmespath.search(where_src, d, options) is True
            ]
            counts.append(sum(jmespath.search(src, d, options) is True for d in applies))
    return counts


def report_for(resources: list[Resource], evaluation: Evaluation, ranked: list[Finding]) -> Report:
    """What ``engine.pipeline.check`` builds after ``rank``, for an in-memory inventory."""
    manifest = ScanManifest(
        scan_id="bench",
        source="synthetic",
        simulated=False,
        started_at=STAMP,
        finished_at=STAMP,
        accounts=sorted({r.account_id for r in resources}),
        regions=sorted({r.region for r in resources}),
        resource_types=sorted({r.resource_type for r in resources}),
        counts=count_resources(resources),
        evaluation=evaluation.summary(),
    )
    return Report(manifest=manifest, findings=ranked, now=STAMP)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # the previous measurement's garbage is not this one's cost
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def setup(n: int, seed: int) -> tuple[RuleSet, Any, list[Resource]]:
    """Shipped rules, jmespath options with our functions, the inventory; reporters imported."""
    load_all()
    options = jmespath.Options(custom_functions=make_functions(FunctionContext(NOW)))
    return load_rules(), options, generate(n, seed)


def measure_peak(what: str, n: int, seed: int) -> dict[str, int]:
    """One measurement in this (fresh) process; KiB."""
    rules, options, resources = setup(n, seed)
    after_generate = maxrss()
    jobs = baseline_jobs(rules, resources) if what.startswith("baseline") else []
    after_setup = maxrss()
    if jobs:
        run_baseline(jobs, options, compiled=what == "baseline_compiled")
    else:
        evaluation = evaluate(resources, rules, NOW)
        if what == "pipeline":
            report = report_for(resources, evaluation, rank(evaluation.findings))
            render("text", report)
            render("json", report)
    return {"after_generate": after_generate, "after_setup": after_setup, "peak": maxrss()}


def peak_memory(n: int, seed: int) -> dict[str, dict[str, int]]:
    """Each measurement in a fresh process, so that one's peak cannot hide another's."""
    script = [sys.executable, str(Path(__file__).resolve()), "--resources", str(n)]
    out = {}
    for what in WHATS:
        command = [*script, "--seed", str(seed), "--measure-peak", what]
        out[what] = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    return out


def timed_runs(
    rules: RuleSet, options: Any, resources: list[Resource], runs: int, total: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, Any]]:
    """Per run: evaluations/s of each side and seconds of each pipeline stage; outcomes."""
    jobs = baseline_jobs(rules, resources)
    side: dict[str, Callable[[], Any]] = {
        "ours": partial(evaluate, resources, rules, NOW),
        "baseline_search": partial(run_baseline, jobs, options, compiled=False),
        "baseline_compiled": partial(run_baseline, jobs, options, compiled=True),
    }
    eps: dict[str, list[float]] = {name: [] for name in side}
    stages: dict[str, list[float]] = {"evaluate": [], "rank": [], "report": []}
    for k in range(runs):
        out: dict[str, Any] = {}
        for name in [*side][k % 3 :] + [*side][: k % 3]:  # rotate who goes first
            seconds, out[name] = timed(side[name])
            eps[name].append(total / seconds)
        evaluation: Evaluation = out["ours"]
        fails = [evaluation.stats[rule.id].failed for rule in rules.rules]
        if out["baseline_search"] != fails or out["baseline_compiled"] != fails:
            raise SystemExit(f"the baselines and ours disagree on fails: {out} vs {fails}")
        stages["evaluate"].append(total / eps["ours"][-1])
        seconds, ranked = timed(partial(rank, evaluation.findings))
        stages["rank"].append(seconds)
        seconds, report = timed(partial(report_for, resources, evaluation, ranked))
        stages["report"].append(seconds)
        for fmt in ("text", "json"):
            stages.setdefault(f"render_{fmt}", []).append(timed(partial(render, fmt, report))[0])
        per_rule = evaluation.summary()["per_rule"]
        del out, evaluation, ranked, report  # every run starts from the same heap
    stages["total"] = [sum(per_run) for per_run in zip(*stages.values(), strict=True)]
    return eps, stages, per_rule


def benchmark(n: int, runs: int, seed: int) -> dict[str, Any]:
    floor = maxrss()
    memory = peak_memory(n, seed)  # first, while this process holds only its imports
    rules, options, resources = setup(n, seed)
    sample = random.Random(seed).sample(resources, min(100, n))
    problems = (e for r in sample for e in validator("resource").iter_errors(r.to_dict()))
    if problem := next(problems, None):
        raise SystemExit(f"a synthetic resource does not fit the schema: {problem.message}")
    by_type = Counter(r.resource_type for r in resources)
    total = sum(by_type[rule.resource_type] for rule in rules.rules)
    eps, stages, per_rule = timed_runs(rules, options, resources, runs, total)
    ratios = {b: [o / x for o, x in zip(eps["ours"], eps[b], strict=True)] for b in WHATS[2:]}
    machine = {"cpu_count": os.cpu_count(), "python": platform.python_version()}
    return {
        "machine": machine | {"platform": platform.platform()},
        "resources": n,
        "runs": runs,
        "seed": seed,
        "by_type": dict(sorted(by_type.items())),
        "rules": len(rules),
        "evaluations": total,
        "per_rule": per_rule,
        "evaluations_per_second": {name: spread(values) for name, values in eps.items()},
        "ratio_ours_over": {name: spread(values) for name, values in ratios.items()},
        "pipeline_seconds": {stage: spread(values) for stage, values in stages.items()},
        "memory_kib": memory,
        "memory_floor_kib": floor,
    }


def table(result: dict[str, Any]) -> str:
    m, types = result["machine"], ", ".join(f"{n} {t}" for t, n in result["by_type"].items())
    lines = [
        f"Machine: {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}",
        f"N={result['resources']} resources ({types}), K={result['runs']} runs, "
        f"seed {result['seed']}; {result['rules']} rules, {result['evaluations']} evaluations",
        f"\n{'Outcomes per rule (ours)':<40}{'pass':>9}{'fail':>9}{'error':>9}{'n/a':>9}",
    ]
    for rule_id, o in result["per_rule"].items():
        counts = (o["pass"], o["fail"], o["error"], o["not_applicable"])
        lines.append(f"  {rule_id:<38}" + "".join(f"{c:>9}" for c in counts))
    sections = [("Evaluations per second", "evaluations_per_second", ",.0f")]
    sections += [("Ratio ours / baseline (same run)", "ratio_ours_over", ".3f")]
    for title, key, fmt in [*sections, ("Pipeline stage (seconds)", "pipeline_seconds", ".3f")]:
        lines.append(f"\n{title:<40}{'median':>12}{'min':>12}{'max':>12}")
        for name, s in result[key].items():
            lines.append(f"  {name:<38}" + "".join(f"{v:>12{fmt}}" for v in s.values()))
    head = f"{'after generate':>16}{'after setup':>14}{'peak':>12}{'increment':>12}"
    lines.append(f"\n{'Peak RSS, fresh process (KiB)':<30}{head}")
    for what, kib in result["memory_kib"].items():
        gen, ready, peak = kib["after_generate"], kib["after_setup"], kib["peak"]
        lines.append(f"  {what:<28}{gen:>16,}{ready:>14,}{peak:>12,}{peak - ready:>12,}")
    floor = result["memory_floor_kib"]
    lines.append(f"  (floor: this process's peak when the children started: {floor:,} KiB)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000, metavar="N")
    parser.add_argument("--runs", type=int, default=5, metavar="K")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--measure-peak", choices=WHATS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.resources < 1 or args.runs < 1:
        parser.error("--resources and --runs must be at least 1")
    if args.measure_peak:
        print(json.dumps(measure_peak(args.measure_peak, args.resources, args.seed)))
        return 0
    result = benchmark(args.resources, args.runs, args.seed)
    print(json.dumps(result, indent=2, sort_keys=True) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
