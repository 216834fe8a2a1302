"""Benchmark: one table of what a scan costs at 1,000, 10,000 and 100,000 resources.

Run from the repository root: ``python bench/scale_benchmark.py [--sizes 1000,10000,100000]
[--runs K] [--json] [--accounts A] [--regions R]``. 1,000,000 resources run only when asked for
with ``--sizes`` (about 2 GB of memory and ten minutes). The default sizes take a few minutes
on an idle 2-CPU machine (``--jobs 2`` runs two sizes at once); longer on a busy one.

Per size, in a fresh subprocess (hidden ``--measure N``), so that its ``ru_maxrss`` is that
size's own peak and no size inherits another's heap:

- Inventory: ``bench/synthetic.py``, N clones of the built-in simulated account (every resource
  type, both sides of every shipped rule: 1.65 findings per resource, a worst case), seeded,
  passed to ``check()`` as a generator (``synthetic.iter_generate``; ``--materialise`` builds
  the list first).
- Pipeline: ``engine.pipeline.check(source, shipped rules, NOW, CheckOptions(store=...))``, the
  path the CLI and the analyser Lambda take, with ``store_resources=False`` as the analyser
  (the collectors stored the resources) and a new SQLite history file per run, so every run is
  a first scan; the store is wrapped (``TimedStore``) to time it. Then the SNS e-mail, and the
  HTML, text and JSON reports each streamed to a file as the CLI writes them. All of it inside
  ``engine.heap.settled_heap``, as the CLI and the analyser hold it.
- Times: medians of K runs (min and max in ``--json``). "evaluate+rank+e-mail" is ``check()``
  minus the time spent inside the store and making the inventory (evaluate, suppressions,
  history, rank), plus rendering the e-mail: the report the scheduled run sends. Evaluations/s
  = (rule, resource) pairs / the time inside ``Evaluator.run`` (each batch's evaluation, timed
  by wrapping the method), findings built.
- Peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the subprocess at its end (KiB on
  Linux), every report written; ``--json`` also gives it after the first run's analyser work.
- DynamoDB write units per scan: the first run writes the scan once more through the
  production store (``engine.store.dynamodb.DynamoStore``: one item per resource, compressed
  pages of resources and findings, manifest, pointers, registry) into ``bench/capacity.py``'s
  stand-in for the service, which charges each item as DynamoDB does (ceil(size / 1 KB), twice
  for an item in the GSI). The analyser's page encoding, timed there, counts as its CPU.
- Bedrock request size: ``engine.explain.prompt.build_request`` on the ranked findings with the
  default ``ExplainConfig`` limits: the Converse body's bytes (``Prompt.request_chars``); no
  network.
- Dollars: ``bench/costs.py`` (its docstring lists the prices, sources and assumptions).
- The machine is shared and noisy: read these numbers, never use them as test assertions.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Container, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import capacity, costs, synthetic
from engine.explain import ExplainConfig
from engine.explain.prompt import build_request
from engine.heap import settled_heap
from engine.history import Prior, scan_scopes
from engine.model import Finding, Resource, ScanManifest
from engine.pipeline import CheckOptions, check
from engine.report import Report
from engine.reports import load_all, write
from engine.reports.email import render_email
from engine.rules import RuleSet, load_rules
from engine.sources import Progress, Source
from engine.store import open_store
from engine.store.base import ScanSummary, Store, WriteResult

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, tzinfo=UTC)
STAMP = "2026-11-25T00:00:00Z"
SEED = 20261125
DEFAULT_SIZES = (1_000, 10_000, 100_000)
REPORT_LOCATION = "s3://aws-inventory-reports/reports/scan-bench/report.html"
COLUMNS = (
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
T = TypeVar("T")


class Stopwatch:
    """Seconds accumulated over several timed calls."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self.running = False  # inside a timed call now

    def time(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        start = time.perf_counter()
        self.running = True
        try:
            return fn(*args, **kwargs)
        finally:
            self.running = False
            self.seconds += time.perf_counter() - start
            self.calls += 1


# --- the history store, timed -----------------------------------------------------------------


class TimedStore:
    """A ``Store`` that writes through to another and times every call."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.name = inner.name
        self.store_time = Stopwatch()

    def put_resources(self, manifest: ScanManifest, resources: Sequence[Resource]) -> WriteResult:
        return self.store_time.time(self.inner.put_resources, manifest, resources)

    def put_findings(self, manifest: ScanManifest, findings: Sequence[Finding]) -> WriteResult:
        return self.store_time.time(self.inner.put_findings, manifest, findings)

    def put_manifest(self, manifest: ScanManifest, summary: ScanSummary) -> WriteResult:
        return self.store_time.time(self.inner.put_manifest, manifest, summary)

    def latest_scan(
        self, account_id: str, region: str, *, exclude_scan_id: str | None = None
    ) -> ScanManifest | None:
        return self.store_time.time(
            self.inner.latest_scan, account_id, region, exclude_scan_id=exclude_scan_id
        )

    def scan_manifest(self, scan_id: str) -> ScanManifest | None:
        return self.store_time.time(self.inner.scan_manifest, scan_id)

    def scan_findings(self, scan_id: str) -> list[Finding]:
        return self.store_time.time(self.inner.scan_findings, scan_id)

    def prior_findings(self, scan_id: str, found_again: Container[str]) -> list[Finding | Prior]:
        return self.store_time.time(self.inner.prior_findings, scan_id, found_again)

    def scan_resources(self, scan_id: str) -> list[Resource]:
        return self.store_time.time(self.inner.scan_resources, scan_id)

    def finding_history(self, finding_id: str) -> list[Finding]:
        return self.store_time.time(self.inner.finding_history, finding_id)

    def resource_history(self, resource_id: str) -> list[Resource]:
        return self.store_time.time(self.inner.resource_history, resource_id)

    def close(self) -> None:
        self.inner.close()


# --- the inventory ----------------------------------------------------------------------------


def pipeline_streams() -> bool:
    """Whether ``check`` takes an iterable inventory: ``Source.load`` no longer returns a list."""
    hint = Source.load.__annotations__.get("return", "")
    return "list[" not in str(hint)


def manifest_for(n: int, seed: int) -> ScanManifest:
    counts = synthetic.counts(n, seed, NOW)
    return ScanManifest(
        scan_id="scan-20261125T000000Z-bench",
        source="synthetic",
        simulated=False,
        started_at=STAMP,
        finished_at=STAMP,
        accounts=sorted({str(c["account_id"]) for c in counts}),
        regions=sorted({str(c["region"]) for c in counts}),
        resource_types=sorted({str(c["resource_type"]) for c in counts}),
        counts=counts,
    )


@dataclass
class SyntheticSource:
    """The synthetic inventory: a list made beforehand, or a generator timed as it goes."""

    n: int
    seed: int
    manifest: ScanManifest
    resources: list[Resource] | None = None
    watch: Stopwatch = field(default_factory=Stopwatch)
    #: the stage the generator may be pulled from, and the seconds it took in there
    evaluating: Stopwatch = field(default_factory=Stopwatch)
    seconds_in_evaluate: float = 0.0

    def load(self, now: datetime, progress: Progress | None) -> tuple[Any, ScanManifest]:
        if self.resources is not None:
            return self.resources, self.manifest
        return self._stream(), self.manifest

    def _stream(self) -> Iterator[Resource]:
        made = synthetic.iter_generate(self.n, self.seed, NOW)
        while True:
            start = time.perf_counter()
            item = next(made, None)
            took = time.perf_counter() - start
            self.watch.seconds += took
            if self.evaluating.running:
                self.seconds_in_evaluate += took
            if item is None:
                return
            yield item


@contextmanager
def evaluate_timed(watch: Stopwatch) -> Iterator[None]:
    """Time every batch the pipeline evaluates (``engine.evaluator.Evaluator.run``)."""
    from engine.evaluator import Evaluator

    original = Evaluator.run

    def run(self: Evaluator, resources: Any) -> Any:
        return watch.time(original, self, resources)

    Evaluator.run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        Evaluator.run = original  # type: ignore[method-assign]


# --- one size, in this (fresh) process --------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    gc.collect()  # the previous measurement's garbage is not this one's cost
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def evaluations_of(report: Report) -> int:
    per_rule = (report.manifest.evaluation or {}).get("per_rule", {})
    return sum(sum(outcomes.values()) for outcomes in per_rule.values())


def one_run(
    n: int,
    seed: int,
    rules: RuleSet,
    manifest: ScanManifest,
    resources: list[Resource] | None,
    first: bool,
) -> tuple[dict[str, float], dict[str, Any]]:
    """One pipeline run and its reports: seconds by stage, and (first run) the sizes."""
    sizes: dict[str, Any] = {}
    evaluate_watch = Stopwatch()
    source = SyntheticSource(n, seed, manifest, resources, evaluating=evaluate_watch)
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp, settled_heap():
        # settled_heap: the CLI and the analyser hold it over check() and the reports
        store = TimedStore(open_store(Path(tmp) / "history.sqlite"))
        options = CheckOptions(store=store, store_resources=False)
        with evaluate_timed(evaluate_watch):
            check_s, report = timed(lambda: check(source, rules, NOW, options=options))
        store.close()
        outside = store.store_time.seconds + source.watch.seconds
        seconds = {
            "check": check_s,
            "evaluate_rank": check_s - outside,
            "evaluate": (
                evaluate_watch.seconds - source.seconds_in_evaluate
                if evaluate_watch.calls
                else float("nan")
            ),
            "store": store.store_time.seconds,
        }
        seconds["email"], email = timed(lambda: render_email(report, REPORT_LOCATION))
        seconds["evaluate_rank_report"] = seconds["evaluate_rank"] + seconds["email"]
        for name in ("html", "text", "json"):
            seconds[name], size = timed(lambda name=name: written(name, report, Path(tmp)))
            sizes[f"{name}_bytes"] = size
        if first:
            sizes["analyser_peak_rss_mb"] = maxrss_mb()  # check, e-mail, HTML: its Lambda
            sizes |= first_run_sizes(n, seed, manifest, resources, report, email.body)
    return seconds, sizes


def written(name: str, report: Report, folder: Path) -> int:
    """Write one format to a file, streamed as the CLI writes it; its size in bytes."""
    path = folder / f"report.{name}"
    with path.open("w", encoding="utf-8", newline="", buffering=1 << 20) as out:
        write(name, report, out)
    size = path.stat().st_size
    path.unlink()
    return size


def first_run_sizes(
    n: int,
    seed: int,
    manifest: ScanManifest,
    resources: list[Resource] | None,
    report: Report,
    email_body: str,
) -> dict[str, Any]:
    """What the first run measures once: sizes, the Bedrock request, the DynamoDB capacity."""
    prompt = build_request(report.findings, now=NOW, limits=ExplainConfig().prompt_limits())
    made = resources if resources is not None else synthetic.iter_generate(n, seed, NOW)
    analyser = Stopwatch()  # the analyser's page encoding: CPU its Lambda spends
    sink = capacity.scan_capacity(report.manifest, report.findings, made, timer=analyser.time)
    return {
        "findings": len(report.failures),
        "errors": len(report.errors),
        "evaluations": evaluations_of(report),
        "email_bytes": len(email_body.encode()),
        "bedrock_request_bytes": prompt.request_chars,
        "bedrock_groups_sent": len(prompt.sent),
        "scopes": len(scan_scopes(report.manifest, report.findings)),
        "store_encode_seconds": analyser.seconds,
        "dynamodb": sink.to_dict(),
    }


def measure(n: int, runs: int, seed: int, stream: bool) -> dict[str, Any]:
    load_all()  # every reporter imported before any run is timed
    rules = load_rules()
    manifest = manifest_for(n, seed)
    resources, generate_s = None, 0.0
    if not stream:
        generate_s, resources = timed(lambda: synthetic.generate(n, seed, NOW))
    after_generate = maxrss_mb()
    stages: dict[str, list[float]] = {}
    sizes: dict[str, Any] = {}
    for k in range(runs):
        seconds, found = one_run(n, seed, rules, manifest, resources, first=k == 0)
        sizes |= found
        for stage, value in seconds.items():
            stages.setdefault(stage, []).append(value)
    by_type: Counter[str] = Counter()
    for row in manifest.counts:
        by_type[str(row["resource_type"])] += int(row["count"])
    evaluations = sizes["evaluations"]
    measured = not any(math.isnan(s) for s in stages["evaluate"])
    basis = stages["evaluate"] if measured else stages["evaluate_rank"]
    return {
        "resources": n,
        "runs": runs,
        "seed": seed,
        "streamed": stream,
        "by_type": dict(sorted(by_type.items())),
        **sizes,
        "evaluations_per_second": spread([evaluations / s for s in basis]),
        "throughput_basis": "evaluate" if measured else "evaluate+rank",
        "seconds": {
            stage: spread(values)
            for stage, values in stages.items()
            if not any(math.isnan(v) for v in values)
        },
        "generate_seconds": generate_s,
        "cpu_seconds": cpu_seconds(),  # this whole measurement, user + system
        "rss_mb": {
            "after_generate": after_generate,
            "analyser_peak": sizes["analyser_peak_rss_mb"],
            "peak": maxrss_mb(),
        },
    }


def scan_measure(r: dict[str, Any]) -> costs.ScanMeasure:
    sec = r["seconds"]
    mix = r["by_type"]
    calls = sum(costs.API_CALLS_PER_RESOURCE.get(t, 1.0) * c for t, c in mix.items())
    db = r["dynamodb"]
    pages = db["bytes"]
    analyser_cpu = sec["evaluate_rank"]["median"] + sec["html"]["median"] + sec["email"]["median"]
    return costs.ScanMeasure(
        resources=r["resources"],
        findings=r["findings"],
        evaluations=r["evaluations"],
        analyser_cpu_s=analyser_cpu + r["store_encode_seconds"],
        analyser_peak_rss_mb=r["rss_mb"]["analyser_peak"],
        write_units=sum(db["units"].values()),
        stored_bytes=sum(pages.values()),
        stored_items=sum(db["items"].values()),
        indexed_bytes=db["indexed_bytes"],
        indexed_items=db["indexed_items"],
        # the analyser reads the resource pages and the previous scan's finding pages (the
        # same size as this scan's in the daily steady state), and writes its finding pages
        read_bytes=pages.get("resource pages", 0.0) + pages.get("finding pages", 0.0),
        written_bytes=pages.get("finding pages", 0.0) + pages.get("manifests", 0.0),
        html_bytes=r["html_bytes"],
        email_bytes=r["email_bytes"],
        bedrock_request_bytes=r["bedrock_request_bytes"],
        api_calls_per_resource=calls / max(1, r["resources"]),
    )


# --- all sizes, and the table -----------------------------------------------------------------


def run_size(n: int, runs: int, seed: int, materialise: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(n)]
    command += ["--runs", str(runs), "--seed", str(seed)]
    if materialise:
        command.append("--materialise")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {n:,}-resource measurement failed:\n{done.stderr}")
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def warm_templates() -> None:
    """Build the synthetic templates' cache in a throwaway process: building them runs moto,
    and neither this process (whose peak becomes its children's ``ru_maxrss`` floor) nor a
    measured child may carry that."""
    code = "from bench import synthetic, scale_benchmark as s; synthetic.templates(s.NOW)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"cannot build the synthetic templates:\n{done.stderr}")


def benchmark(
    sizes: Sequence[int],
    runs: int,
    seed: int,
    materialise: bool,
    deployment: costs.Deployment,
    jobs: int = 1,
) -> dict[str, Any]:
    warm_templates()
    floor = maxrss_mb()
    largest_first = sorted(set(sizes), reverse=True)  # the longest starts first
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        measured = dict(
            zip(
                largest_first,
                pool.map(lambda n: run_size(n, runs, seed, materialise), largest_first),
                strict=True,
            )
        )
    rows = []
    for n in sizes:
        scan = scan_measure(measured[n])
        engine = costs.engine_monthly(scan, deployment)
        config = costs.aws_config_monthly(scan, deployment)
        rows.append(
            measured[n]
            | {"engine_monthly": engine.to_dict(), "aws_config_monthly": config.to_dict()}
        )
    return {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "runs": runs,
        "seed": seed,
        "jobs": jobs,
        "rss_floor_mb": floor,
        "deployment": {**vars(deployment), "targets": deployment.targets},
        "assumptions": vars(costs.Assumptions()),
        "prices_read_on": costs.READ_ON,
        "columns": list(COLUMNS),
        "rows": rows,
    }


def cells(row: dict[str, Any]) -> list[str]:
    sec = row["seconds"]
    renders = " / ".join(f"{sec[k]['median']:.2f}" for k in ("html", "text", "json"))
    return [
        f"{row['resources']:,}",
        f"{row['findings']:,}",
        f"{row['evaluations_per_second']['median']:,.0f}",
        f"{row['rss_mb']['peak']:,.0f}",
        f"{sec['evaluate_rank_report']['median']:.2f}",
        renders,
        f"{sum(row['dynamodb']['units'].values()):,.0f}",
        f"{row['bedrock_request_bytes']:,}",
        f"{row['engine_monthly']['total']:,.2f}",
        f"{row['aws_config_monthly']['total']:,.2f}",
    ]


def table(result: dict[str, Any]) -> str:
    m, d, rows = result["machine"], result["deployment"], result["rows"]
    streamed = {row["streamed"] for row in rows}
    passed = "a generator" if streamed == {True} else "a list" if streamed == {False} else "mixed"
    lines = [
        f"Machine: {m['cpu_count']} CPUs, Python {m['python']}; median of {result['runs']} runs, "
        f"seed {result['seed']}, {result['jobs']} size(s) at a time; inventory passed to check() "
        f"as {passed}.",
        f"Dollars: {d['accounts']} accounts x {d['regions']} regions, {d['scans_per_month']} "
        f"daily scans a month, us-east-1 list prices read {result['prices_read_on']} "
        "(bench/costs.py).",
        "",
        "| " + " | ".join(result["columns"]) + " |",
        "|" + "---:|" * len(result["columns"]),
    ]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    lines.append("")
    for row in rows:
        e, fig = row["engine_monthly"], row["engine_monthly"]["figures"]
        top = sorted(e["lines"].items(), key=lambda kv: -kv[1])[:3]
        parts = ", ".join(f"{name} {usd:,.2f}" for name, usd in top)
        config = row["aws_config_monthly"]["lines"]
        lines.append(
            f"- {row['resources']:,}: {row['evaluations']:,} evaluations; analyser ~"
            f"{fig['analyser_seconds']:,.0f} s at {fig['analyser_memory_mb']:,.0f} MB, collectors "
            f"~{fig['collector_seconds']:,.1f} s each; engine's largest lines {parts}; Config "
            f"{config['configuration_items']:,.2f} for items + "
            f"{config['rule_evaluations']:,.2f} for rule evaluations"
        )
        lines += [f"  - {note}" for note in e["notes"]]
    return "\n".join(lines)


def sizes_of(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--sizes: {exc}") from exc
    sizes = list(dict.fromkeys(sizes))  # each size once, in the order given
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("--sizes: one or more positive integers, comma-separated")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=sizes_of, default=list(DEFAULT_SIZES), metavar="N,N,...")
    parser.add_argument("--runs", type=int, default=3, metavar="K")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--accounts", type=int, default=costs.Deployment.accounts)
    parser.add_argument("--regions", type=int, default=costs.Deployment.regions)
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="J",
        help="sizes measured at once, each in its own process (1: one after the other)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--materialise", action="store_true", help="build the inventory as a list first"
    )
    parser.add_argument("--measure", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.runs, args.accounts, args.regions, args.jobs) < 1:
        parser.error("--runs, --accounts, --regions and --jobs must be at least 1")
    if args.measure is not None:
        stream = pipeline_streams() and not args.materialise
        print(json.dumps(measure(args.measure, args.runs, args.seed, stream)))
        return 0
    deployment = costs.Deployment(accounts=args.accounts, regions=args.regions)
    result = benchmark(args.sizes, args.runs, args.seed, args.materialise, deployment, args.jobs)
    print(json.dumps(result, indent=2, sort_keys=True) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
