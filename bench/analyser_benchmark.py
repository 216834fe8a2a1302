"""Benchmark: one analyser Lambda on a whole scan, against DynamoDB Local. Does 1,000,000 fit?

Run from the repository root: ``python bench/analyser_benchmark.py [--resources N] [--scans K]
[--json]``. Needs DynamoDB Local (``scripts/install-dynamodb-local.sh``) and Java. 1,000,000
resources take about half an hour here, most of it the set-up writing the inventory.

What runs, each step in its own process so that every ``ru_maxrss`` is that step's own:

- DynamoDB Local (Java, in memory) and moto's server (S3 for the HTML report, SNS for the
  e-mail), both on 127.0.0.1, reached the way a deployment reaches any endpoint
  (``AWS_ENDPOINT_URL_DYNAMODB``, ``AWS_ENDPOINT_URL``).
- Set-up, per scan (not the analyser's time): N synthetic resources (``bench/synthetic.py``:
  clones of the simulated account, 1.65 findings per resource, the worst case) over the
  3 accounts x 4 regions they fall in, stored as the collector Lambdas store their parts
  (``DynamoStore.put_resources`` under ``engine.scheduled.part_id``, 5,000 resources a call, a
  part manifest last), four parts at a time as the Step Functions map runs them.
- The analyser: ``engine.scheduled.analyse_scan``, the function the Lambda handler calls, with
  the deployment's settings (the table, the report bucket, the topic): it reads the parts,
  evaluates, tracks history, ranks, stores the findings, writes the HTML report to S3 and
  publishes the e-mail. Scan 1 finds an empty history (every finding new); scan 2, a day later
  on the same inventory, is the daily steady state (every finding read back, still open).
- Figures per scan: the analyser's wall and CPU seconds, its peak RSS, and the seconds spent
  inside the store's reads and writes, the evaluator, the HTML report and the notification
  (each timed by wrapping the function, as ``bench/scale_benchmark.py`` does). Lambda gives a
  function at most 900 s and 10,240 MB; at 1,769 MB one full vCPU.
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html and
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html (read 2026-12-06).
- DynamoDB Local and this process share the machine's two cores, so the I/O figures are those
  of an emulator on a busy machine: read them as an upper bound of what DynamoDB itself takes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from engine.model import Resource, ScanManifest, count_resources  # noqa: E402

NOW = datetime(2026, 11, 25, tzinfo=UTC)
SEED = 20261125
TABLE = "aws-inventory-bench"
BUCKET = "aws-inventory-bench-reports"
PART_BATCH = 5_000
PARTS_AT_ONCE = 4
REGION = "us-east-1"
LAMBDA_MAX_SECONDS, LAMBDA_MAX_MB = 900, 10_240


def scan_id_of(k: int) -> str:
    return f"scan-bench-{k}"


def started_of(k: int) -> datetime:
    return NOW + timedelta(days=k - 1)


# --- set-up: the collectors' parts ------------------------------------------------------------


def store_parts(n: int, k: int) -> dict[str, Any]:
    """Store scan ``k``'s N resources as the collectors would, part by part."""
    import boto3

    from engine.clock import iso
    from engine.scheduled import part_id
    from engine.store.base import ScanSummary
    from engine.store.dynamodb import DynamoStore

    scan_id, started = scan_id_of(k), iso(started_of(k)) or ""
    parts: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    written: dict[tuple[str, str], int] = defaultdict(int)
    tallies: dict[tuple[str, str], dict[tuple[str, str, str], int]] = defaultdict(dict)
    start = time.perf_counter()
    # one store object: a part's items and its manifest must share the writer's id
    store = DynamoStore(boto3.client("dynamodb", region_name=REGION), TABLE)

    def flush(target: tuple[str, str], batch: list[Resource]) -> None:
        wrote = store.put_resources(part_manifest(scan_id, started, target, []), batch)
        if not wrote.ok:
            raise SystemExit(f"set-up: {len(wrote.unwritten)} resources not written")
        written[target] += wrote.written

    with ThreadPoolExecutor(PARTS_AT_ONCE) as pool:
        pending: list[Future[None]] = []
        for made in synthetic.iter_generate(n, SEED, NOW):
            target = (made.account_id, made.region)
            stored = replace(made, scan_id=part_id(scan_id, *target))
            count_resources([stored], tallies[target])
            parts[target].append(stored)
            if len(parts[target]) >= PART_BATCH:
                pending.append(pool.submit(flush, target, parts.pop(target)))
            if len(pending) >= 2 * PARTS_AT_ONCE:  # the inventory made no faster than stored
                pending.pop(0).result()
        pending += [pool.submit(flush, t, batch) for t, batch in parts.items() if batch]
        for future in pending:
            future.result()
    for target, tally in sorted(tallies.items()):
        manifest = part_manifest(scan_id, started, target, count_resources((), tally))
        store.put_manifest(manifest, ScanSummary(True, written[target], 0, ()))
    return {
        "scan_id": scan_id,
        "targets": [{"account_id": a, "region": r} for a, r in sorted(tallies)],
        "resources": sum(written.values()),
        "setup_seconds": time.perf_counter() - start,
    }


def part_manifest(
    scan_id: str, started: str, target: tuple[str, str], counts: list[dict[str, Any]]
) -> ScanManifest:
    from engine.scheduled import part_id

    account, region = target
    return ScanManifest(
        scan_id=part_id(scan_id, account, region),
        source="aws",
        simulated=False,
        started_at=started,
        finished_at=started,
        accounts=[account],
        regions=[region],
        resource_types=sorted({str(c["resource_type"]) for c in counts}),
        counts=counts,
    )


# --- the analyser -----------------------------------------------------------------------------


class Timers:
    """Seconds spent inside wrapped functions, by name (nested calls of one name once)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.depth: dict[str, int] = defaultdict(int)

    @contextmanager
    def wrap(self, owner: Any, attribute: str, name: str) -> Iterator[None]:
        original = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            self.depth[name] += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.depth[name] -= 1
                if not self.depth[name]:
                    self.seconds[name] += time.perf_counter() - start

        setattr(owner, attribute, timed)
        try:
            yield
        finally:
            setattr(owner, attribute, original)


def analyse(k: int, targets: list[dict[str, str]]) -> dict[str, Any]:
    """Run the analyser on scan ``k``; its figures."""
    import boto3

    from engine import scheduled
    from engine.clock import iso
    from engine.evaluator import Evaluator
    from engine.store.dynamodb import DynamoStore

    topic = boto3.client("sns", region_name=REGION).create_topic(Name="bench")["TopicArn"]
    settings = scheduled.Settings(
        table=TABLE, topic_arn=topic, notify_when="always", report_bucket=BUCKET
    )
    event = {"scan_id": scan_id_of(k), "started_at": iso(started_of(k)), "targets": targets}
    finished = started_of(k) + timedelta(minutes=10)
    timers = Timers()
    used: dict[str, float] = {}
    close = DynamoStore.close

    def closing(store: DynamoStore) -> None:  # the analyser's store: its units, as it closes
        used["write_units"] = used.get("write_units", 0.0) + store.write_units
        used["read_units"] = used.get("read_units", 0.0) + store.read_units
        close(store)

    with ExitStack() as stack:
        for owner, attribute, name in (
            (DynamoStore, "scan_resources", "read resources"),
            (DynamoStore, "prior_findings", "read previous findings"),
            (DynamoStore, "put_findings", "write findings"),
            (DynamoStore, "put_manifest", "write manifest"),
            (Evaluator, "run", "evaluate"),
            (scheduled, "_write_html", "HTML report to S3"),
            (scheduled, "_notify", "e-mail (SNS)"),
        ):
            stack.enter_context(timers.wrap(owner, attribute, name))
        stack.callback(setattr, DynamoStore, "close", close)
        DynamoStore.close = closing  # type: ignore[method-assign,assignment]
        cpu, wall = time.process_time(), time.perf_counter()
        summary = scheduled.analyse_scan(event, settings, boto3.Session(), lambda: finished)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "scan": k,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "inside": dict(timers.seconds),
        # strongly consistent reads: a unit per 4 KB; writes: a unit per KB (per item)
        **used,
        "resources": summary["resources"],
        "findings": sum(summary["findings"].values()) + summary["evaluation_errors"],
        "problems": summary["problems"],
        "notified": summary["notified"],
        "report": summary["report"],
    }


# --- the driver -------------------------------------------------------------------------------


def child(step: str, *args: str) -> dict[str, Any]:
    """Run one step in a fresh interpreter (its own peak RSS) and return its JSON."""
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"step {step} {' '.join(args)} failed:\n{done.stderr[-4000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


@contextmanager
def services() -> Iterator[None]:
    """DynamoDB Local and moto's server; the environment pointing at them."""
    import boto3

    from engine.store.dynamodb import DynamoStore
    from tests.support.dynamodb_local import LocalServer, require_jar_dir
    from tests.support.servers import moto_server_process

    saved = dict(os.environ)
    dynamo = LocalServer(require_jar_dir())
    try:
        dynamo.wait_ready()
        with moto_server_process() as moto, tempfile.TemporaryDirectory() as home:
            os.environ.update(
                AWS_ACCESS_KEY_ID="bench",
                AWS_SECRET_ACCESS_KEY="bench",
                AWS_DEFAULT_REGION=REGION,
                AWS_ENDPOINT_URL=moto,
                AWS_ENDPOINT_URL_DYNAMODB=dynamo.url,
                AWS_CONFIG_FILE=str(Path(home) / "config"),
                AWS_SHARED_CREDENTIALS_FILE=str(Path(home) / "credentials"),
            )
            DynamoStore(boto3.client("dynamodb", region_name=REGION), TABLE).create_table()
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        dynamo.stop()


def benchmark(n: int, scans: int) -> dict[str, Any]:
    rows = []
    with services():
        for k in range(1, scans + 1):
            setup = child("setup", str(n), str(k))
            run = child("analyse", str(k), json.dumps(setup["targets"]))
            rows.append({**run, "setup_seconds": setup["setup_seconds"]})
    return {"resources": n, "cpus": os.cpu_count(), "python": sys.version.split()[0], "scans": rows}


def table(result: dict[str, Any]) -> str:
    names = ["read resources", "evaluate", "read previous findings", "write findings"]
    names += ["HTML report to S3", "e-mail (SNS)"]
    head = ["scan", "findings", "wall s", "CPU s", "peak RSS MB", *[f"{n} s" for n in names]]
    head += ["read units", "write units"]
    lines = [
        f"{result['resources']:,} resources, {result['cpus']} CPUs, Python {result['python']}; "
        f"Lambda's limits: {LAMBDA_MAX_SECONDS} s, {LAMBDA_MAX_MB:,} MB.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---:|" * len(head),
    ]
    for row in result["scans"]:
        inside = row["inside"]
        cells = [
            "1 (first)" if row["scan"] == 1 else f"{row['scan']} (next day)",
            f"{row['findings']:,}",
            f"{row['wall_seconds']:,.0f}",
            f"{row['cpu_seconds']:,.0f}",
            f"{row['peak_rss_mb']:,.0f}",
            *[f"{inside.get(n, 0.0):,.1f}" for n in names],
            f"{row.get('read_units', 0.0):,.0f}",
            f"{row.get('write_units', 0.0):,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    problems = [p for row in result["scans"] for p in row["problems"]]
    lines += ["", f"problems: {problems or 'none'}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000, metavar="N")
    parser.add_argument("--scans", type=int, default=2, metavar="K")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        step, *rest = args.step
        if step == "setup":
            out = store_parts(int(rest[0]), int(rest[1]))
        else:
            out = analyse(int(rest[0]), json.loads(rest[1]))
        print(json.dumps(out))
        return 0
    if args.resources < 1 or args.scans < 1:
        parser.error("--resources and --scans must be at least 1")
    result = benchmark(args.resources, args.scans)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
