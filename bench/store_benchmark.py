"""Benchmark: the history stores (DynamoDB Local and SQLite) on one 10,000-resource scan.

Run from the repository root: ``python bench/store_benchmark.py [--resources N] [--runs K]
[--json] [--no-dynamodb]``. Needs DynamoDB Local: ``scripts/install-dynamodb-local.sh``.

- Inventory: ``bench.benchmark.generate(N)`` (seeded EC2 instances and S3 buckets with every
  attribute of their schemas); findings from the shipped rules (``evaluate``), so evidence
  sizes are real. One scan = N resources + its findings + the manifest (``record_scan``).
- Each of K runs writes the scan into a fresh store (a new table on a DynamoDB Local started
  here, a new SQLite file), then reads it back as the next run's history would: the latest
  scan of one scope, the scan's findings, and (for the inventory) its resources. Figures are
  the median of K runs with min and max. DynamoDB writes are sequential BatchWriteItem calls
  from one thread: items/s here is a floor, not what parallel writers get.
- DynamoDB units come from ``ConsumedCapacity`` (``ReturnConsumedCapacity=TOTAL``: table plus
  GSI). DynamoDB Local computes them with the service's rules (1 write unit per KB per copy,
  1 read unit per 4 KB for a strongly consistent read, half for an eventually consistent one).
- Monthly cost at on-demand prices, us-east-1, for one scan a day (30 a month), scaling the
  measured units per resource linearly: writes + the history read + storage for the retention
  (90 days of daily scans, table and GSI copy, plus DynamoDB's 100 bytes per item and copy).
  Prices: $0.625 per million write request units, $0.125 per million read request units,
  $0.25 per GB-month of storage (the first 25 GB per account and region are free; ignored here).
  Source: https://aws.amazon.com/dynamodb/pricing/on-demand/ (read 2026-11-25; these are the
  prices in force since the on-demand price cut of 1 November 2024).
- The machine is shared and noisy: read these numbers, never use them as test assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchmark import NOW, generate
from engine.clock import iso, system_clock
from engine.evaluator import evaluate
from engine.model import Finding, Resource, ScanManifest, count_resources
from engine.rules import load_rules
from engine.store import record_scan
from engine.store.base import Store
from engine.store.codec import Layout, encode_finding, encode_resource
from engine.store.dynamodb import DynamoStore
from engine.store.sqlite import SqliteStore
from tests.support.dynamodb_local import LocalServer, find_jar_dir

WRU_PER_MILLION, RRU_PER_MILLION, GB_MONTH = 0.625, 0.125, 0.25
RETENTION_DAYS, SCANS_PER_MONTH = 90, 30
SCALES = (1_000, 10_000, 100_000)


def scan_of(n: int) -> tuple[list[Resource], list[Finding], ScanManifest]:
    resources = generate(n)
    evaluation = evaluate(resources, load_rules(), NOW)
    # The scan is dated now, not NOW (2026-06-01): its TTL (start + 90 days) must lie in the
    # future, or DynamoDB Local's TTL sweeper deletes items while we read them back.
    stamp = iso(system_clock()) or ""
    accounts = sorted({r.account_id for r in resources})
    regions = sorted({r.region for r in resources})
    manifest = ScanManifest(
        scan_id="bench-scan",
        source="synthetic",
        simulated=False,
        started_at=stamp,
        finished_at=stamp,
        accounts=accounts,
        regions=regions,
        resource_types=sorted({r.resource_type for r in resources}),
        counts=count_resources(resources),
        evaluation=evaluation.summary(),
    )
    return resources, evaluation.findings, manifest


def one_run(
    store: Store, resources: list[Resource], findings: list[Finding], manifest: ScanManifest
) -> dict[str, float]:
    started = time.perf_counter()
    written = record_scan(store, manifest, findings, resources)
    write_s = time.perf_counter() - started
    if written.error is not None:
        raise SystemExit(f"write failed: {written.error}")
    reads_before = getattr(store, "read_units", 0.0)
    started = time.perf_counter()
    latest = store.latest_scan(manifest.accounts[0], manifest.regions[0])
    if latest is None or latest.scan_id != manifest.scan_id:
        raise SystemExit(f"latest_scan returned {latest!r}, not the scan just written")
    back = store.scan_findings(manifest.scan_id)
    history_read_units = getattr(store, "read_units", 0.0) - reads_before
    stored = store.scan_resources(manifest.scan_id)
    read_s = time.perf_counter() - started
    if (len(back), len(stored)) != (len(findings), len(resources)):
        raise SystemExit(f"read back {len(back)} findings and {len(stored)} resources")
    items = len(resources) + len(findings) + 1
    return {
        "write_s": write_s,
        "read_s": read_s,
        "write_items_per_s": items / write_s,
        "read_items_per_s": (len(back) + len(stored)) / read_s,
        "write_units": written.write_units,
        "history_read_units": history_read_units,
        "read_units": getattr(store, "read_units", 0.0) - reads_before,
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


def bench_sqlite(runs: int, scan: tuple[Any, ...]) -> list[dict[str, float]]:
    out = []
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        for k in range(runs):
            path = Path(tmp) / f"run-{k}.sqlite"
            store = SqliteStore(path)
            figures = one_run(store, *scan)
            store.close()  # checkpoints the WAL into the file
            figures["file_mb"] = path.stat().st_size / 1e6
            out.append(figures)
    return out


def bench_dynamodb(runs: int, scan: tuple[Any, ...]) -> list[dict[str, float]]:
    jar_dir = find_jar_dir()
    if jar_dir is None:
        raise SystemExit("DynamoDB Local is not installed: run scripts/install-dynamodb-local.sh")
    server = LocalServer(jar_dir)
    try:
        server.wait_ready()
        # DynamoDB Local accepts any credentials; these are placeholders, not secrets.
        client = boto3.client(
            "dynamodb",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        out = []
        for _ in range(runs):
            store = DynamoStore(client, f"aws-inventory-{uuid.uuid4().hex[:8]}")
            store.create_table()
            out.append(one_run(store, *scan))
            client.delete_table(TableName=store.table)
        return out
    finally:
        server.stop()


def item_bytes(resources: list[Resource], findings: list[Finding], m: ScanManifest) -> float:
    """Mean stored size of one resource or finding item, from the codec's own sizing."""
    layout = Layout()
    sizes = [encode_resource(r, m, layout, "w").size for r in resources]
    sizes += [encode_finding(f, m, layout, "w").size for f in findings]
    return statistics.fmean(sizes)


def monthly_costs(per_resource: dict[str, float]) -> list[dict[str, float]]:
    rows = []
    for n in SCALES:
        writes = per_resource["write_units"] * n * SCANS_PER_MONTH
        reads = per_resource["history_read_units"] * n * SCANS_PER_MONTH
        # table + GSI copy, each with DynamoDB's 100 bytes of per-item overhead
        stored_gb = per_resource["items"] * n * RETENTION_DAYS * 2 * (per_resource["bytes"] + 100)
        stored_gb /= 1e9
        cost = {
            "writes": writes / 1e6 * WRU_PER_MILLION,
            "reads": reads / 1e6 * RRU_PER_MILLION,
            "storage": stored_gb * GB_MONTH,
        }
        rows.append({"resources": n, "storage_gb": stored_gb, **cost, "total": sum(cost.values())})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-dynamodb", action="store_true", help="SQLite only")
    args = parser.parse_args()
    resources, findings, manifest = scan_of(args.resources)
    scan = (resources, findings, manifest)
    results = {"sqlite": median_of(bench_sqlite(args.runs, scan))}
    if not args.no_dynamodb:
        results["dynamodb-local"] = median_of(bench_dynamodb(args.runs, scan))
    summary: dict[str, Any] = {
        "resources": len(resources),
        "findings": len(findings),
        "runs": args.runs,
        "results": results,
    }
    if "dynamodb-local" in results:
        d = results["dynamodb-local"]
        per = {
            "write_units": d["write_units"]["median"] / len(resources),
            "history_read_units": d["history_read_units"]["median"] / len(resources),
            "items": (len(resources) + len(findings)) / len(resources),
            "bytes": item_bytes(resources, findings, manifest),
        }
        summary["per_resource"] = per
        summary["monthly_usd"] = monthly_costs(per)
    print(json.dumps(summary, indent=1) if args.json else render(summary))
    return 0


def render(s: dict[str, Any]) -> str:
    lines = [
        f"{s['resources']:,} resources + {s['findings']:,} findings, median of {s['runs']} runs",
        "",
        "| store | write items/s | read items/s | write s | read s | write units | read units |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in s["results"].items():
        lines.append(
            f"| {name} | {r['write_items_per_s']['median']:,.0f} "
            f"| {r['read_items_per_s']['median']:,.0f} "
            f"| {r['write_s']['median']:.2f} ({r['write_s']['min']:.2f}-{r['write_s']['max']:.2f}) "
            f"| {r['read_s']['median']:.2f} ({r['read_s']['min']:.2f}-{r['read_s']['max']:.2f}) "
            f"| {r['write_units']['median']:,.0f} | {r['read_units']['median']:,.0f} |"
        )
    if "sqlite" in s["results"]:
        size = s["results"]["sqlite"]["file_mb"]["median"]
        lines += ["", f"SQLite file after one scan: {size:.1f} MB."]
    if "monthly_usd" in s:
        per = s["per_resource"]
        lines += [
            "",
            f"Per resource scanned: {per['write_units']:.2f} write units, "
            f"{per['history_read_units']:.3f} read units for the next run's history, "
            f"{per['items']:.2f} items of {per['bytes']:.0f} bytes on average.",
            "",
            "| resources scanned daily | writes $/month | reads $/month | storage GB "
            "| storage $/month | total $/month |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in s["monthly_usd"]:
            lines.append(
                f"| {row['resources']:,} | {row['writes']:.2f} | {row['reads']:.4f} "
                f"| {row['storage_gb']:.2f} | {row['storage']:.2f} | {row['total']:.2f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
