"""Build the Lambda deployment zip: our packages plus their dependencies, for python3.12.

    python scripts/build_lambda.py [--arch x86_64|arm64] [--output build/lambda.zip]

One zip serves both handlers (``lambdas.collector.handler``, ``lambdas.analyser.handler``).
Dependencies are installed with pip for the Lambda platform (manylinux wheels for the chosen
architecture, CPython 3.12), so a C extension built for this machine never ships by mistake.
boto3 and botocore are bundled rather than taken from the runtime (AWS recommends bundling
the SDK so that newer APIs, e.g. DescribeClusterVersions, are there). The simulator, tests and
benchmarks are left out. The sizes are printed and checked against Lambda's limits: 50 MB zipped
for a direct upload, 250 MB unzipped.
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (read 2026-11-25)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "collectors", "rules", "lambdas")
PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
LIMIT_ZIPPED, LIMIT_UNZIPPED = 50 * 1024 * 1024, 250 * 1024 * 1024
REQUIREMENTS = (
    "boto3>=1.34",
    "jmespath>=1.0.1,<2",
    "PyYAML>=6.0",
    "jsonschema>=4.20",
    "rfc3339-validator>=0.1.4",
    "Jinja2>=3.1",
    "aws-lambda-powertools>=3.0",
)
SKIP = ("__pycache__", ".pyc", "/tests/", ".dist-info/RECORD")


def build(arch: str, output: Path) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="lambda-build-") as scratch:
        target = Path(scratch) / "package"
        subprocess.run(  # noqa: S603 - a fixed pip command line
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                "--platform",
                PLATFORMS[arch],
                "--implementation",
                "cp",
                "--python-version",
                "3.12",
                "--only-binary=:all:",
                "--no-warn-conflicts",  # --target: what this machine has installed is irrelevant
                *REQUIREMENTS,
            ],
            check=True,
        )
        for name in PACKAGES:
            shutil.copytree(
                ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        output.parent.mkdir(parents=True, exist_ok=True)
        unzipped = 0
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(target.rglob("*")):
                name = path.relative_to(target).as_posix()
                if path.is_dir() or any(s in f"/{name}" for s in SKIP):
                    continue
                unzipped += path.stat().st_size
                zf.write(path, name)
    return output.stat().st_size, unzipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "lambda.zip")
    args = parser.parse_args()
    zipped, unzipped = build(args.arch, args.output)
    sizes = f"{zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped"
    print(f"{args.output}: {sizes} ({args.arch})")
    if zipped > LIMIT_ZIPPED or unzipped > LIMIT_UNZIPPED:
        print(
            "over Lambda's deployment package limits (50 MB zipped, 250 MB unzipped)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
