"""Lambda package size and cold-start import time of each handler.

Builds the deployment zip (``scripts/build_lambda.py``), unzips it, and times ``import`` of each
handler module in a fresh interpreter that sees only the package (as a cold Lambda does): the
median of K runs. Not a test; figures go to the README.

    python bench/lambda_benchmark.py [--arch x86_64] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from build_lambda import build  # noqa: E402

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
ENV = {
    "INVENTORY_TABLE_NAME": "aws-inventory",
    "POWERTOOLS_METRICS_NAMESPACE": "AwsInventoryEngine",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def cold_import(folder: Path, module: str) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(folder), **ENV}
    out = subprocess.run(
        [sys.executable, "-S", "-c", PROBE.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
    )
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="x86_64")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "lambda.zip"
        zipped, unzipped = build(args.arch, archive)
        folder = Path(scratch) / "unzipped"
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(folder)
        print(
            f"package ({args.arch}): {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped"
        )
        for module in ("lambdas.collector", "lambdas.analyser"):
            times = [cold_import(folder, module) for _ in range(args.runs)]
            print(
                f"cold import {module:<20} median {statistics.median(times) * 1000:6.0f} ms"
                f"  (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {args.runs} runs)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
