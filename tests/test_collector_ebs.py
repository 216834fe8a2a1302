"""aws.ebs.volume: pure normalise from recorded items, and fetch against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jsonschema
import pytest
from freezegun import freeze_time
from moto import mock_aws

from collectors.base import REGISTRY, ScanContext
from collectors.ebs_volume import EbsVolumeCollector
from collectors.runner import collect
from engine.clock import fixed_clock
from engine.model import CollectionError, Resource
from tests.support.collectors import CTX, denial, fixture_items, make_api, validate_resource

ITEMS = fixture_items("ebs_describe_volumes")


def normalise(volume_id: str) -> Resource:
    item = next(i for i in ITEMS if i["VolumeId"] == volume_id)
    return EbsVolumeCollector.normalise(item, CTX)


def test_registered_under_its_type() -> None:
    assert REGISTRY.get("aws.ebs.volume") is EbsVolumeCollector
    assert (EbsVolumeCollector.service, EbsVolumeCollector.operation) == (
        "ec2",
        "DescribeVolumes",
    )


def test_unattached_gp2_volume() -> None:
    resource = normalise("vol-0aaa0000000000001")
    assert resource.resource_id == "arn:aws:ec2:us-east-1:123456789012:volume/vol-0aaa0000000000001"
    assert (resource.name, resource.state) == ("old-build-cache", "available")
    assert resource.created_at == "2025-02-03T10:11:12Z"
    assert resource.tags == {"Name": "old-build-cache", "Team": "ci"}
    assert resource.attributes == {
        "volume_id": "vol-0aaa0000000000001",
        "state": "available",
        "size_gib": 100,
        "volume_type": "gp2",
        "iops": 300,
        "throughput": None,
        "encrypted": False,
        "kms_key_id": None,
        "attachments": [],
        "attached_instance_ids": [],
        "snapshot_id": None,  # AWS sends "" for "not from a snapshot"
        "availability_zone": "us-east-1a",
        "multi_attach_enabled": False,
        "created_at": "2025-02-03T10:11:12Z",
        "backup": None,
    }


def test_attached_encrypted_gp3_from_a_snapshot() -> None:
    attributes = normalise("vol-0aaa0000000000002").attributes
    assert attributes["attachments"] == [
        {
            "instance_id": "i-0a1b2c3d4e5f60001",
            "device": "/dev/sdf",
            "delete_on_termination": False,
            "state": "attached",
        }
    ]
    assert attributes["attached_instance_ids"] == ["i-0a1b2c3d4e5f60001"]
    assert attributes["encrypted"] is True
    assert attributes["kms_key_id"].endswith(":key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert (attributes["iops"], attributes["throughput"]) == (6000, 250)
    assert attributes["snapshot_id"] == "snap-0bbb0000000000001"


def test_multi_attach_volume_lists_each_instance_once_sorted() -> None:
    attributes = normalise("vol-0aaa0000000000003").attributes
    assert attributes["multi_attach_enabled"] is True
    assert attributes["attached_instance_ids"] == ["i-0c0c0c0c0c0c0c0c1", "i-0c0c0c0c0c0c0c0c2"]
    assert len(attributes["attachments"]) == 2


def test_moto_shaped_gp2_volume_missing_optional_fields() -> None:
    resource = normalise("vol-0aaa0000000000004")
    assert resource.tags == {}
    assert resource.name is None
    assert resource.attributes["iops"] is None  # not reported, not zero
    assert resource.attributes["attachments"][0]["delete_on_termination"] is None
    assert resource.attributes["snapshot_id"] is None
    assert resource.attributes["multi_attach_enabled"] is False


def test_secret_tag_values_are_redacted() -> None:
    resource = normalise("vol-0aaa0000000000005")
    assert resource.tags == {
        "Name": "scratch",
        "db_password": "[redacted]",
        "Note": "[redacted]",
    }
    dumped = json.dumps(resource.to_dict())
    assert "Tr0ub4dor" not in dumped
    assert "AKIAIOSFODNN7EXAMPLE" not in dumped


def test_datetime_objects_and_iso_strings_normalise_alike() -> None:
    item = next(i for i in ITEMS if i["VolumeId"] == "vol-0aaa0000000000002")
    as_datetime = dict(item, CreateTime=datetime.fromisoformat(item["CreateTime"]))
    assert EbsVolumeCollector.normalise(as_datetime, CTX) == normalise("vol-0aaa0000000000002")


@pytest.mark.parametrize("item", ITEMS, ids=[i["VolumeId"] for i in ITEMS])
def test_resources_match_the_schema(item: dict[str, Any]) -> None:
    validate_resource(EbsVolumeCollector.normalise(item, CTX))


def test_schema_rejects_a_malformed_backup_value() -> None:
    # the shared backup_coverage definition is really applied, not just referenced
    resource = normalise("vol-0aaa0000000000001")
    broken = Resource.from_dict(
        dict(resource.to_dict(), attributes=dict(resource.attributes, backup={"plans": "x"}))
    )
    with pytest.raises(jsonschema.ValidationError):
        validate_resource(broken)


# --- fetch, against moto ------------------------------------------------------------------


@pytest.mark.usefixtures("aws_env")
def test_fetch_reads_attached_and_unattached_volumes_of_the_region() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        image = ec2.register_image(Name="test-base")["ImageId"]
        instance = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "eu-west-1a"}
        )["Instances"][0]["InstanceId"]
        with freeze_time(now - timedelta(days=30)):
            loose = ec2.create_volume(
                AvailabilityZone="eu-west-1a",
                Size=100,
                VolumeType="gp2",
                TagSpecifications=[
                    {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "loose"}]}
                ],
            )["VolumeId"]
        data = ec2.create_volume(
            AvailabilityZone="eu-west-1a", Size=50, VolumeType="gp3", Encrypted=True
        )["VolumeId"]
        ec2.attach_volume(VolumeId=data, InstanceId=instance, Device="/dev/sdf")
        boto3.client("ec2", region_name="us-east-1").create_volume(
            AvailabilityZone="us-east-1a", Size=1
        )
        errors: list[CollectionError] = []
        raw = list(EbsVolumeCollector().fetch(make_api(("eu-west-1",), errors), "eu-west-1"))

    assert errors == []
    ctx = ScanContext("123456789012", "eu-west-1", "scan-test", "2026-11-25T09:00:00Z")
    resources = {
        r.attributes["volume_id"]: r for r in (EbsVolumeCollector.normalise(i, ctx) for i in raw)
    }
    # the two made here, plus the instance's root volume; nothing from us-east-1
    assert {loose, data} < set(resources)
    assert len(resources) == 3
    assert resources[loose].state == "available"
    assert resources[loose].name == "loose"
    assert resources[loose].created_at == "2026-10-26T09:00:00Z"
    assert resources[loose].attributes["attached_instance_ids"] == []
    assert resources[data].state == "in-use"
    assert resources[data].attributes["attached_instance_ids"] == [instance]
    assert resources[data].attributes["encrypted"] is True
    assert resources[data].attributes["volume_type"] == "gp3"
    for resource in resources.values():
        validate_resource(resource)


@pytest.mark.usefixtures("aws_env")
def test_a_denied_describe_volumes_is_a_recorded_region_error_not_an_empty_list() -> None:
    # EBS has no per-volume call; what can fail is the list itself, for a whole region.
    with mock_aws():
        for region in ("us-east-1", "eu-west-1"):
            boto3.client("ec2", region_name=region).create_volume(
                AvailabilityZone=f"{region}a", Size=1
            )
        session = boto3.Session(region_name="us-east-1")
        session.events.register(
            "before-parameter-build.ec2.DescribeVolumes",
            denial("DescribeVolumes", region="eu-west-1"),
        )
        result = collect(
            session,
            ["us-east-1", "eu-west-1"],
            clock=fixed_clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
            resource_types=["aws.ebs.volume"],
            backup_coverage=False,  # plain moto lacks AWS Backup's selection APIs
        )

    assert [r.region for r in result.resources] == ["us-east-1"]
    assert [(e.region, e.operation, e.error_code, e.resource_type) for e in result.errors] == [
        ("eu-west-1", "DescribeVolumes", "AccessDeniedException", "aws.ebs.volume")
    ]
    assert result.manifest.partial
