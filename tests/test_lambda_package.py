"""The deployment zip: built for the Lambda platform, within Lambda's size limits, holding what
the handlers import (rules, schemas, templates) and nothing of the simulator or the tests; the
handlers import from it in a fresh interpreter that sees only the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from build_lambda import LIMIT_UNZIPPED, LIMIT_ZIPPED, build  # noqa: E402


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, int]:
    folder = tmp_path_factory.mktemp("lambda")
    archive = folder / "lambda.zip"
    zipped, unzipped = build("x86_64", archive)
    tree = folder / "unzipped"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tree)
    return archive, tree, zipped, unzipped


def test_within_limits_and_complete(package: tuple[Path, Path, int, int]) -> None:
    archive, _, zipped, unzipped = package
    assert zipped <= LIMIT_ZIPPED and unzipped <= LIMIT_UNZIPPED
    names = set(zipfile.ZipFile(archive).namelist())
    for needed in (
        "lambdas/collector.py",
        "lambdas/analyser.py",
        "engine/pipeline.py",
        "rules/data/eol.yaml",
        "rules/data/prices.yaml",
        "engine/schemas/rule.schema.json",
        "engine/reports/templates/report.html.j2",
        "collectors/s3_bucket.py",
    ):
        assert needed in names, needed
    assert any(n.startswith("rules/ec2/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("yaml/_yaml") and ".so" in n for n in names), "PyYAML's Linux wheel"
    assert not any(n.startswith(("simulator/", "tests/", "moto/", "bench/")) for n in names)


@pytest.mark.parametrize("module", ["lambdas.collector", "lambdas.analyser"])
def test_handlers_import_from_the_package_alone(
    package: tuple[Path, Path, int, int], module: str
) -> None:
    _, tree, _, _ = package
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(tree),
        "INVENTORY_TABLE_NAME": "t",
        "POWERTOOLS_METRICS_NAMESPACE": "AwsInventoryEngine",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    probe = f"import {module} as m, engine; assert engine.__file__.startswith({str(tree)!r}); print(m.handler.__name__)"
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "handler"
