"""Benchmark: the history stores (DynamoDB Local and SQLite) on one 10,000-resource scan.

Run from the repository root: ``python bench/store_benchmark.py [--resources N] [--runs K]
[--json] [--no-dynamodb]``. Needs DynamoDB Local: ``scripts/install-dynamodb-local.sh``.

- Inventory: ``bench.benchmark.generate(N)`` (seeded EC2 instances and S3 buckets with every
  attribute of their schemas); findings from the shipped rules (``evaluate``), so evidence
  sizes are real. One scan = N resources (``put_resource_batch``, timed apart: the collectors'
  write) + its findings + the manifest (``record_scan``, the analyser's write).
- Each of K runs writes the scan into a fresh store (a new table on a DynamoDB Local started
  here, a new SQLite file), then reads it back as the next run's history would: the latest
  scan of one scope, the scan's findings, and (for the inventory) its resources; then one
  finding's history. Figures are the median of K runs with min and max. The DynamoDB store
  writes with its default 8 parallel BatchWriteItem calls and reads pages with 8 Queries.
- Items/s count resources and findings (records), whatever items or pages hold them; MB/s is
  their JSON (``engine.store.codec.to_json``, what a page compresses) over the same seconds:
  the same numerator for every layout, so the figures compare across versions.
- DynamoDB units come from ``ConsumedCapacity`` (``ReturnConsumedCapacity=TOTAL``: table plus
  GSI). DynamoDB Local computes them with the service's rules (1 write unit per KB per copy,
  1 read unit per 4 KB for a strongly consistent read, half for an eventually consistent one).
- Monthly cost at on-demand prices, us-east-1, for one scan a day (30 a month), scaling the
  measured units per resource linearly: writes + the history read + storage for the retention
  (90 days of daily scans; stored bytes taken as 1 KB per write unit, an upper bound: a write
  unit is 1 KB of one item or index copy, rounded up).
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
from engine.store import put_resource_batch, record_scan
from engine.store.base import Store
from engine.store.codec import to_json
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


def json_mb(resources: list[Resource], findings: list[Finding]) -> float:
    """The scan's records as JSON, in MB: what the stores write and read back."""
    size = sum(len(to_json(r.to_dict(), r.resource_id)) for r in resources)
    size += sum(len(to_json(f.fields(), f.finding_id)) for f in findings)
    return size / 1e6


def one_run(
    store: Store, resources: list[Resource], findings: list[Finding], manifest: ScanManifest
) -> dict[str, float]:
    megabytes = json_mb(resources, findings)
    started = time.perf_counter()
    stored_resources = put_resource_batch(store, manifest, resources)
    resources_s = time.perf_counter() - started
    written = record_scan(store, manifest, findings, resources_written=stored_resources)
    write_s = time.perf_counter() - started
    if written.error is not None:
        raise SystemExit(f"write failed: {written.error}")
    by_kind = {r.kind: r.write_units for r in written.results}
    reads_before = getattr(store, "read_units", 0.0)
    started = time.perf_counter()
    latest = store.latest_scan(manifest.accounts[0], manifest.regions[0])
    if latest is None or latest.scan_id != manifest.scan_id:
        raise SystemExit(f"latest_scan returned {latest!r}, not the scan just written")
    back = store.scan_findings(manifest.scan_id)
    history_read_units = getattr(store, "read_units", 0.0) - reads_before
    findings_s = time.perf_counter() - started
    stored = store.scan_resources(manifest.scan_id)
    read_s = time.perf_counter() - started
    if (len(back), len(stored)) != (len(findings), len(resources)):
        raise SystemExit(f"read back {len(back)} findings and {len(stored)} resources")
    read_units = getattr(store, "read_units", 0.0) - reads_before
    one = findings[len(findings) // 2].finding_id
    started = time.perf_counter()
    if len(store.finding_history(one)) != 1:
        raise SystemExit(f"finding_history({one}) is not the one record written")
    history_s = time.perf_counter() - started
    items = len(resources) + len(findings) + 1
    return {
        "write_s": write_s,
        "read_s": read_s,
        "write_items_per_s": items / write_s,
        "read_items_per_s": (len(back) + len(stored)) / read_s,
        "write_mb_per_s": megabytes / write_s,
        "write_resources_s": resources_s,
        "write_findings_s": write_s - resources_s,  # and the manifest
        "read_findings_s": findings_s,  # and the latest scan's manifest
        "read_resources_s": read_s - findings_s,
        "read_mb_per_s": megabytes / read_s,
        "write_units": written.write_units,
        "write_units_resources": by_kind["resource"],
        "write_units_findings": by_kind["finding"],
        "history_read_units": history_read_units,
        "read_units": read_units,
        "finding_history_s": history_s,
        "finding_history_units": getattr(store, "read_units", 0.0) - reads_before - read_units,
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


def monthly_costs(per_resource: dict[str, float]) -> list[dict[str, float]]:
    rows = []
    for n in SCALES:
        writes = per_resource["write_units"] * n * SCANS_PER_MONTH
        reads = per_resource["history_read_units"] * n * SCANS_PER_MONTH
        # every write unit is at most 1 KB stored (of an item or its index copy)
        stored_gb = per_resource["write_units"] * n * RETENTION_DAYS * 1e3 / 1e9
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
        "json_mb": json_mb(resources, findings),
        "runs": args.runs,
        "results": results,
    }
    if "dynamodb-local" in results:
        d = results["dynamodb-local"]
        per = {
            "write_units": d["write_units"]["median"] / len(resources),
            "history_read_units": d["history_read_units"]["median"] / len(resources),
            "findings": len(findings) / len(resources),
        }
        summary["per_resource"] = per
        summary["monthly_usd"] = monthly_costs(per)
    print(json.dumps(summary, indent=1) if args.json else render(summary))
    return 0


def render(s: dict[str, Any]) -> str:
    lines = [
        f"{s['resources']:,} resources + {s['findings']:,} findings ({s['json_mb']:.1f} MB of "
        f"JSON), median of {s['runs']} runs",
        "",
        "| store | write items/s | write MB/s | read items/s | read MB/s "
        "| write s (resources / findings) | read s (findings / resources) "
        "| write units (resources / findings) | read units | one finding's history |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in s["results"].items():
        m = {key: value["median"] for key, value in r.items()}
        lines.append(
            f"| {name} | {m['write_items_per_s']:,.0f} | {m['write_mb_per_s']:.1f} "
            f"| {m['read_items_per_s']:,.0f} | {m['read_mb_per_s']:.1f} "
            f"| {m['write_s']:.2f} ({m['write_resources_s']:.2f} / {m['write_findings_s']:.2f}) "
            f"| {m['read_s']:.2f} ({m['read_findings_s']:.2f} / {m['read_resources_s']:.2f}) "
            f"| {m['write_units']:,.0f} ({m['write_units_resources']:,.0f} / "
            f"{m['write_units_findings']:,.0f}) | {m['read_units']:,.0f} "
            f"| {m['finding_history_s'] * 1000:.0f} ms, {m['finding_history_units']:,.1f} units |"
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
            f"{per['findings']:.2f} findings.",
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
