"""The simulated account: it builds, it is isolated from the user's AWS set-up, and the real
collectors read the expected resources from it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from collectors.runner import CollectResult, collect
from engine.clock import fixed_clock, parse_timestamp
from engine.model import Resource
from simulator import SIMULATED_REGIONS, describe, simulated_account

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture(scope="module")
def result() -> CollectResult:
    with simulated_account(NOW) as session:
        return collect(session, list(SIMULATED_REGIONS), clock=fixed_clock(NOW), simulated=True)


def by_name(result: CollectResult, resource_type: str) -> dict[str, Resource]:
    return {r.name or "": r for r in result.resources if r.resource_type == resource_type}


def test_collects_without_errors(result: CollectResult) -> None:
    assert result.manifest.errors == []
    assert not result.manifest.partial
    assert result.manifest.accounts == [ACCOUNT]
    assert sorted(result.manifest.regions) == sorted(SIMULATED_REGIONS)


def test_instances(result: CollectResult) -> None:
    instances = by_name(result, "aws.ec2.instance")
    assert sorted(instances) == sorted(
        f"{name}-{region}"
        for name in ("web", "legacy-batch", "dev-sandbox")
        for region in SIMULATED_REGIONS
    )
    for region in SIMULATED_REGIONS:
        web = instances[f"web-{region}"]
        assert (web.state, web.region) == ("running", region)
        assert web.tags == {"Name": f"web-{region}", "Environment": "prod"}
        assert web.attributes["stopped_at"] is None
        for name, days in (("legacy-batch", 45), ("dev-sandbox", 10)):
            stopped = instances[f"{name}-{region}"]
            assert stopped.state == "stopped"
            assert stopped.resource_id.startswith(f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-")
            stopped_at = parse_timestamp(stopped.attributes["stopped_at"])
            assert abs(stopped_at - (NOW - timedelta(days=days))) < timedelta(minutes=1)
            launched = parse_timestamp(stopped.attributes["launch_time"])
            assert launched < stopped_at
    assert instances["legacy-batch-us-east-1"].attributes["instance_type"] == "m5.large"


def test_buckets(result: CollectResult) -> None:
    buckets = by_name(result, "aws.s3.bucket")
    expected: dict[str, dict[str, Any]] = {
        f"sim-{ACCOUNT}-logs-us-east-1": {
            "versioning": "Enabled",
            "lifecycle_enabled_rule_count": 1,
            "encryption_algorithm": "AES256",
            "public_access_block_configured": True,
        },
        f"sim-{ACCOUNT}-scratch-us-east-1": {
            "versioning": "Disabled",
            "lifecycle_rule_count": 0,
            "encryption_algorithm": None,
            "public_access_block_configured": False,
        },
        f"sim-{ACCOUNT}-archive-eu-west-1": {
            "versioning": "Suspended",
            "lifecycle_enabled_rule_count": 1,
            "encryption_algorithm": "aws:kms",
            "bucket_key_enabled": True,
        },
        f"sim-{ACCOUNT}-assets-eu-west-1": {"versioning": "Enabled", "lifecycle_rule_count": 0},
    }
    assert sorted(buckets) == sorted(expected)
    for name, attributes in expected.items():
        bucket = buckets[name]
        assert bucket.region == name.split("-", 3)[3]
        assert {k: bucket.attributes[k] for k in attributes} == attributes
        assert bucket.attributes["unreadable"] == {}
    logs = buckets[f"sim-{ACCOUNT}-logs-us-east-1"]
    assert all(logs.attributes["public_access_block"].values())
    assert logs.tags == {"Environment": "prod", "Purpose": "logs"}
    assert logs.created_at == "2026-01-29T09:00:00Z"  # 300 days before NOW


def test_attributes_match_the_type_schemas(result: CollectResult) -> None:
    from engine.schema import validator

    for resource in result.resources:
        validator("resource").validate(resource.to_dict())


def test_describe_lists_what_is_built() -> None:
    lines = describe()
    # one line per simulated resource (or plan), from every builder module
    from simulator.base import builder_modules

    assert len(lines) == sum(len(m.describe()) for m in builder_modules()) >= 10
    assert any("legacy-batch-eu-west-1" in line and "45 days" in line for line in lines)


def test_isolated_from_the_users_aws_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "does-not-exist")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "stale-token")
    monkeypatch.delenv("MOTO_EC2_LOAD_DEFAULT_AMIS", raising=False)
    before = dict(os.environ)

    with simulated_account(NOW) as session:
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
            assert key not in os.environ
        # the yielded session and a fresh default-chain session both reach moto
        assert session.client("sts").get_caller_identity()["Account"] == ACCOUNT
        fresh = boto3.Session()
        assert len(fresh.client("s3").list_buckets()["Buckets"]) == 4
        assert fresh.client("ec2", region_name="us-east-1").describe_instances()["Reservations"]

    assert dict(os.environ) == before


def test_environment_restored_when_the_body_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "does-not-exist")
    before = dict(os.environ)
    with pytest.raises(RuntimeError, match="boom"), simulated_account(NOW):
        raise RuntimeError("boom")
    assert dict(os.environ) == before


def test_two_builds_are_identical() -> None:
    # moto is seeded, so ids (and with them resource ids and finding ids) repeat run to run
    runs = []
    for _ in range(2):
        with simulated_account(NOW) as session:
            found = collect(session, list(SIMULATED_REGIONS), clock=fixed_clock(NOW), scan_id="s")
        runs.append([r.to_dict() for r in found.resources])
    assert runs[0] == runs[1]
