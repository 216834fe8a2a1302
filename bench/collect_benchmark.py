"""Collection benchmark: multi-region concurrency speed-up and API calls per resource per type.

Method: an account is built in moto (in-process) across R regions; every API call is given an
injected latency (a botocore ``before-send`` hook that sleeps), standing in for the network
round trip moto does not have. The same collection then runs with one worker (serial) and with
the default pool, and for one region alone; each timing is the median of K runs, and the
ratios are taken within the same process and run. API calls per resource per type come from
the runner's own accounting (the botocore ``before-call`` hook, attributed per collector).
Not a test: figures go to the README.

    python bench/collect_benchmark.py [--regions 6] [--per-region 20] [--latency-ms 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGIONS = [
    "us-east-1",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "us-west-2",
    "sa-east-1",
    "ap-northeast-1",
    "ca-central-1",
]
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def build(session: Any, regions: list[str], per_region: int) -> None:
    """Instances, volumes, buckets (and whatever else moto serves quickly) per region."""
    for region in regions:
        ec2 = session.client("ec2", region_name=region)
        image = ec2.register_image(Name=f"bench-{region}")["ImageId"]
        ec2.run_instances(ImageId=image, MinCount=per_region, MaxCount=per_region)
        for _ in range(per_region // 2):
            ec2.create_volume(AvailabilityZone=f"{region}a", Size=10)
        s3 = session.client("s3", region_name=region)
        for index in range(max(1, per_region // 10)):
            kwargs: dict[str, Any] = {}
            if region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            s3.create_bucket(Bucket=f"bench-{region}-{index}", **kwargs)


def timed(session: Any, regions: list[str], workers: int) -> tuple[float, Any]:
    from collectors.runner import collect
    from engine.clock import fixed_clock

    start = time.perf_counter()
    result = collect(session, regions, clock=fixed_clock(NOW), max_workers=workers)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=6)
    parser.add_argument("--per-region", type=int, default=20)
    # a same-region AWS API round trip is tens to a few hundred ms; moto answers in ~1 ms
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
    )
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_PROFILE"]:
        del os.environ[key]
    import boto3
    from moto import mock_aws

    regions = REGIONS[: args.regions]
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        build(session, regions, args.per_region)
        delay = args.latency_ms / 1000
        session.events.register("before-send", lambda **_: time.sleep(delay))
        serial, parallel, single = [], [], []
        result = None
        for _ in range(args.runs):
            serial.append(timed(session, regions, 1)[0])
            seconds, result = timed(session, regions, args.workers)
            parallel.append(seconds)
            single.append(timed(session, regions[:1], args.workers)[0])
    assert result is not None
    per_type: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for row in result.manifest.counts:
        counts[row["resource_type"]] = counts.get(row["resource_type"], 0) + row["count"]
    for rtype, calls in result.api_calls_by_type.items():
        total = sum(calls.values())
        n = counts.get(rtype, 0)
        per_type[rtype] = {
            "resources": n,
            "api_calls": total,
            "calls_per_resource": round(total / n, 3) if n else None,
            "by_operation": calls,
        }
    figures = {
        "regions": len(regions),
        "per_region": args.per_region,
        "latency_ms": args.latency_ms,
        "runs": args.runs,
        "workers": args.workers,
        "serial_s": statistics.median(serial),
        "parallel_s": statistics.median(parallel),
        "one_region_s": statistics.median(single),
        "speedup": statistics.median(s / p for s, p in zip(serial, parallel, strict=True)),
        "parallel_over_one_region": statistics.median(
            p / o for p, o in zip(parallel, single, strict=True)
        ),
        "resources": len(result.resources),
        "errors": len(result.manifest.errors),
        "api_calls_per_resource": per_type,
    }
    if args.json:
        print(json.dumps(figures, indent=2, sort_keys=True))
        return 0
    print(
        f"{figures['regions']} regions, ~{args.per_region} instances each, {args.latency_ms:g} ms "
        f"injected per API call, medians of {args.runs} runs, {len(result.resources)} resources"
    )
    print(f"  serial (1 worker)          {figures['serial_s']:8.2f} s")
    print(
        f"  pooled ({args.workers} workers)         {figures['parallel_s']:8.2f} s"
        f"   speed-up x{figures['speedup']:.1f}"
    )
    print(
        f"  one region alone           {figures['one_region_s']:8.2f} s"
        f"   all regions / one region x{figures['parallel_over_one_region']:.2f}"
    )
    print("API calls per resource, by type")
    for rtype, row in sorted(per_type.items()):
        print(
            f"  {rtype:<24} {row['resources']:>6} resources {row['api_calls']:>6} calls "
            f"{row['calls_per_resource'] if row['calls_per_resource'] is not None else '-':>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
