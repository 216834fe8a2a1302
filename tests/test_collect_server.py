"""``engine check`` against a real HTTP boundary: moto's threaded server via ``AWS_ENDPOINT_URL``.

The CLI runs as a subprocess with only environment variables pointing it at 127.0.0.1, as a
user would point it at any endpoint. One test puts a proxy in front that denies every call
signed for eu-west-1: the scan is partial, the errors are in the manifest, the exit code is 3,
and us-east-1's findings are all still reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from engine.rules import shipped_rules_dir
from tests.support.servers import denying_proxy, moto_server

pytestmark = pytest.mark.server
NO_BACKUP_RULES = tuple(
    arg
    for folder in sorted(shipped_rules_dir().iterdir())
    if folder.is_dir() and folder.name not in ("backup", "data", "__pycache__")
    for arg in ("--rules", str(folder))
)
REGIONS = ("us-east-1", "eu-west-1")
LATER = (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")


def populate(endpoint: str) -> None:
    """Per region: one running and one stopped instance, one unversioned bucket."""
    for region in REGIONS:
        ec2 = boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for name in ("running", "stopped"):
            made = ec2.run_instances(
                ImageId=image,
                MinCount=1,
                MaxCount=1,
                InstanceType="t3.micro",
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [{"Key": "Name", "Value": f"{name}-{region}"}],
                    }
                ],
            )
            if name == "stopped":
                ec2.stop_instances(InstanceIds=[made["Instances"][0]["InstanceId"]])
        s3 = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        kwargs: dict[str, Any] = {}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(Bucket=f"plain-bucket-{region}", **kwargs)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        populate(url)
        yield url


def engine(endpoint: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        }
    )
    # moto does not implement AWS Backup's selection APIs: leave backup coverage out here
    # (the simulated account extends moto with them; see simulator/moto_backup_selections.py)
    if args and args[0] in ("check", "collect") and "--inventory" not in args:
        args = (*args, "--no-backup-coverage")
    if args and args[0] == "check":
        # ... so the backup rules (which would rightly report "coverage not collected" errors)
        # are left out, and the history is this test's own
        args = (*args, *NO_BACKUP_RULES, "--no-history")
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_through_aws_endpoint_url(endpoint: str, tmp_path: Path) -> None:
    done = engine(
        endpoint,
        "check",
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        "--now",
        LATER,
        "--format",
        "json",
        "--fail-on",
        "none",
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["scan"]["regions"] == ["eu-west-1", "us-east-1"]
    assert doc["scan"]["errors"] == [] and doc["scan"]["partial"] is False
    assert doc["scan"]["api_calls"]["ec2.DescribeInstances"] == 2
    stopped = sorted(
        f["resource_name"]
        for f in doc["findings"]
        if f["rule_id"] == "ec2-instance-stopped-too-long"
    )
    assert stopped == ["stopped-eu-west-1", "stopped-us-east-1"]
    unversioned = sorted(
        f["resource_name"]
        for f in doc["findings"]
        if f["rule_id"] == "s3-bucket-versioning-disabled"
    )
    assert unversioned == ["plain-bucket-eu-west-1", "plain-bucket-us-east-1"]


def test_collect_then_check_snapshot(endpoint: str, tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    done = engine(
        endpoint,
        "collect",
        "--region",
        "all",
        "--now",
        LATER,
        "--output",
        str(snapshot),
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(snapshot.read_text())
    assert len(doc["scan"]["regions"]) > 10  # 'all' expanded through DescribeRegions
    assert {r["region"] for r in doc["resources"]} == set(REGIONS)
    offline = engine(
        "http://127.0.0.1:9",
        "check",
        "--inventory",
        str(snapshot),
        "--now",
        LATER,
        "--format",
        "json",
        "--fail-on",
        "none",
        home=tmp_path,
    )
    assert offline.returncode == 0, offline.stderr
    online = engine(
        endpoint,
        "check",
        "--region",
        "all",
        "--now",
        LATER,
        "--format",
        "json",
        "--fail-on",
        "none",
        home=tmp_path,
    )
    found_offline = json.loads(offline.stdout)["findings"]
    assert found_offline, "the snapshot reproduces the findings"
    assert found_offline == json.loads(online.stdout)["findings"]


def test_denied_region_is_partial_exit_3_and_healthy_region_reported(
    endpoint: str, tmp_path: Path
) -> None:
    with denying_proxy(endpoint, {"eu-west-1"}) as (proxy, denied):
        done = engine(
            proxy,
            "check",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--now",
            LATER,
            "--format",
            "json",
            home=tmp_path,
        )
        text = engine(
            proxy,
            "check",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--now",
            LATER,
            home=tmp_path,
        )
    assert done.returncode == 3, done.stderr
    assert "ec2:eu-west-1" in denied
    doc = json.loads(done.stdout)
    scan = doc["scan"]
    assert scan["partial"] is True
    codes = {(e["region"], e["service"], e["operation"], e["error_code"]) for e in scan["errors"]}
    assert ("eu-west-1", "ec2", "DescribeInstances", "UnauthorizedOperation") in codes
    assert ("eu-west-1", "s3", "GetBucketVersioning", "AccessDenied") in codes
    by_rule_region = {(f["rule_id"], f["region"], f["outcome"]) for f in doc["findings"]}
    # us-east-1 is complete and reported
    assert ("ec2-instance-stopped-too-long", "us-east-1", "fail") in by_rule_region
    assert ("s3-bucket-versioning-disabled", "us-east-1", "fail") in by_rule_region
    # eu-west-1's bucket was listed but its settings could not be read: errors, never passes
    assert ("s3-bucket-versioning-disabled", "eu-west-1", "error") in by_rule_region
    assert ("s3-bucket-no-lifecycle", "eu-west-1", "error") in by_rule_region
    assert not any(f["region"] == "eu-west-1" and f["outcome"] == "fail" for f in doc["findings"])
    assert text.returncode == 3
    assert "Scan: PARTIAL" in text.stdout
    assert "COLLECTION ERRORS" in text.stdout
    assert "eu-west-1 ec2.DescribeInstances UnauthorizedOperation" in text.stdout
