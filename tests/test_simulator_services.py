"""The simulated account's EBS, Lambda, EKS and DynamoDB resources: every type in both regions,
with both sides of what the rules look at, read back by the real collectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from freezegun import freeze_time
from moto import mock_aws

from collectors.runner import CollectResult, collect
from engine.clock import fixed_clock
from engine.model import Resource
from simulator import SIMULATED_REGIONS, simulated_account
from simulator.base import BuildContext, builder_modules
from simulator.build_lambda import PLANTED_ENVIRONMENT
from tests.support.collectors import validate_resource

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
NEW_TYPES = ("aws.ebs.volume", "aws.lambda.function", "aws.eks.cluster", "aws.dynamodb.table")


@pytest.fixture(scope="module")
def result() -> CollectResult:
    with simulated_account(NOW) as session:
        return collect(session, list(SIMULATED_REGIONS), clock=fixed_clock(NOW), simulated=True)


def named(result: CollectResult, resource_type: str, region: str) -> dict[str, Resource]:
    return {
        r.name or r.resource_id: r
        for r in result.resources
        if r.resource_type == resource_type and r.region == region
    }


def test_every_new_type_in_both_regions_without_errors(result: CollectResult) -> None:
    assert result.manifest.errors == []
    for resource_type in NEW_TYPES:
        for region in SIMULATED_REGIONS:
            assert named(result, resource_type, region), (resource_type, region)
    for resource in result.resources:
        validate_resource(resource)


@pytest.mark.parametrize("region", SIMULATED_REGIONS)
def test_volumes_unattached_and_attached(result: CollectResult, region: str) -> None:
    volumes = named(result, "aws.ebs.volume", region)
    orphan = volumes[f"orphan-data-{region}"].attributes
    assert (orphan["state"], orphan["volume_type"], orphan["size_gib"]) == ("available", "gp2", 100)
    assert orphan["encrypted"] is False
    assert orphan["attached_instance_ids"] == []
    instances = named(result, "aws.ec2.instance", region)
    for volume_name, instance_name in (("web-data", "web"), ("batch-scratch", "legacy-batch")):
        volume = volumes[f"{volume_name}-{region}"]
        instance = instances[f"{instance_name}-{region}"]
        assert volume.state == "in-use"
        assert (volume.attributes["volume_type"], volume.attributes["encrypted"]) == ("gp3", True)
        assert volume.attributes["attached_instance_ids"] == [instance.attributes["instance_id"]]
        # the instance side of the same attachment
        assert volume.attributes["volume_id"] in instance.attributes["attached_volume_ids"]
    assert volumes[f"web-data-{region}"].tags.get("Backup") == "daily"
    assert "Backup" not in volumes[f"orphan-data-{region}"].tags
    assert "Backup" not in volumes[f"batch-scratch-{region}"].tags


@pytest.mark.parametrize("region", SIMULATED_REGIONS)
def test_functions_old_current_near_and_image(result: CollectResult, region: str) -> None:
    functions = named(result, "aws.lambda.function", region)
    runtimes = {name: f.attributes["runtime"] for name, f in functions.items()}
    assert runtimes == {
        f"legacy-report-{region}": "python3.7",
        f"orders-api-{region}": "python3.12",
        f"edge-proto-{region}": "python3.15",  # newer than the shipped lifecycle data
        f"invoice-render-{region}": "ruby3.3",
        f"image-resizer-{region}": None,
    }
    image = functions[f"image-resizer-{region}"].attributes
    assert (image["package_type"], image["handler"]) == ("Image", None)
    assert (
        functions[f"legacy-report-{region}"].attributes["last_modified"]
        < (functions[f"orders-api-{region}"].attributes["last_modified"])
    )


def test_planted_environment_never_collected(result: CollectResult) -> None:
    dumped = json.dumps([r.to_dict() for r in result.resources])
    for name, value in PLANTED_ENVIRONMENT.items():
        assert name not in dumped
        assert value not in dumped


@pytest.mark.parametrize("region", SIMULATED_REGIONS)
def test_clusters_old_and_current_and_public(result: CollectResult, region: str) -> None:
    clusters = named(result, "aws.eks.cluster", region)
    versions = {name: c.attributes["version"] for name, c in clusters.items()}
    assert versions == {
        f"legacy-k8s-{region}": "1.24",
        f"apps-{region}": "1.31",
        f"platform-{region}": "1.35",
        f"canary-{region}": "1.37",  # newer than the shipped lifecycle data
    }
    public = clusters[f"apps-{region}"].attributes
    assert public["endpoint_public_access"] is True
    assert public["public_access_cidrs"] == ["0.0.0.0/0"]
    private = clusters[f"platform-{region}"].attributes
    assert (private["endpoint_public_access"], private["endpoint_private_access"]) == (False, True)
    assert all(c.state == "active" for c in clusters.values())


@pytest.mark.parametrize("region", SIMULATED_REGIONS)
def test_tables_both_sides(result: CollectResult, region: str) -> None:
    tables = {
        name.removesuffix(f"-{region}"): t.attributes
        for name, t in named(result, "aws.dynamodb.table", region).items()
    }
    assert sorted(tables) == ["audit-log", "orders", "sessions"]
    assert {n: t["pitr_status"] for n, t in tables.items()} == {
        "orders": "ENABLED",
        "sessions": "DISABLED",
        "audit-log": "ENABLED",
    }
    assert {n: t["deletion_protection"] for n, t in tables.items()} == {
        "orders": True,
        "sessions": False,
        "audit-log": False,
    }
    assert {n: t["billing_mode"] for n, t in tables.items()} == {
        "orders": "PROVISIONED",
        "sessions": "PAY_PER_REQUEST",
        "audit-log": "PAY_PER_REQUEST",
    }
    assert {n: t["sse_type"] for n, t in tables.items()} == {
        "orders": "AES256",
        "sessions": "AES256",
        "audit-log": "KMS",
    }
    assert tables["sessions"]["ttl_enabled"] is True
    assert tables["sessions"]["stream_view_type"] == "NEW_IMAGE"


def test_backup_daily_tags(result: CollectResult) -> None:
    # (other builders tag their own resource types; only these four are built here)
    tagged = sorted(
        (r.resource_type, r.name or "")
        for r in result.resources
        if r.resource_type in NEW_TYPES and r.tags.get("Backup") == "daily"
    )
    assert tagged == sorted(
        (resource_type, f"{name}-{region}")
        for region in SIMULATED_REGIONS
        for resource_type, name in (
            ("aws.ebs.volume", "web-data"),
            ("aws.dynamodb.table", "orders"),
            ("aws.dynamodb.table", "audit-log"),
        )
    )


@pytest.mark.usefixtures("aws_env")
def test_made_records_the_arns_the_collectors_report() -> None:
    # later builders (backup plans) select resources by these ARNs
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        ctx = BuildContext(session, ACCOUNT, NOW, freeze_time)
        for module in builder_modules():
            module.build(ctx)
        found = collect(session, list(SIMULATED_REGIONS), clock=fixed_clock(NOW))

    ids = {r.resource_id for r in found.resources}
    for prefix in ("ebs:", "lambda:", "eks:", "dynamodb:"):
        made = {k: v for k, v in ctx.made.items() if k.startswith(prefix)}
        assert len(made) >= 2 * len(SIMULATED_REGIONS), prefix
        assert set(made.values()) <= ids, prefix
    assert ctx.made["ebs:web-data-eu-west-1"].startswith(f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/")
    assert ctx.made["dynamodb:orders-us-east-1"] == (
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders-us-east-1"
    )
