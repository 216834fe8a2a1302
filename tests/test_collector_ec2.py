"""aws.ec2.instance: pure normalise from recorded items, and fetch against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from freezegun import freeze_time
from moto import mock_aws

from collectors.base import REGISTRY, Api, ScanContext
from collectors.ec2_instance import Ec2InstanceCollector, stopped_at
from engine.model import CollectionError
from tests.support.collectors import validate_resource

ROOT = Path(__file__).resolve().parents[1]
ITEMS: list[dict[str, Any]] = json.loads(
    (ROOT / "tests/fixtures/api/ec2_describe_instances.json").read_text()
)["items"]
CTX = ScanContext("123456789012", "us-east-1", "scan-test", "2026-11-25T09:00:00Z")
ATTRIBUTES = [
    "instance_id",
    "instance_type",
    "platform",
    "architecture",
    "vpc_id",
    "subnet_id",
    "availability_zone",
    "launch_time",
    "image_id",
    "lifecycle",
    "state_transition_reason",
    "state_reason_code",
    "stopped_at",
    "attached_volume_ids",
    "iam_instance_profile_arn",
    "imds_v2_required",
    "backup",
]


def by_id(instance_id: str) -> dict[str, Any]:
    return next(item for item in ITEMS if item["InstanceId"] == instance_id)


def normalise(instance_id: str) -> Any:
    return Ec2InstanceCollector.normalise(by_id(instance_id), CTX)


def test_registered_under_its_type() -> None:
    assert REGISTRY.get("aws.ec2.instance") is Ec2InstanceCollector
    assert Ec2InstanceCollector.service == "ec2"
    assert Ec2InstanceCollector.operation == "DescribeInstances"


def test_running_instance_identity_tags_and_attributes() -> None:
    resource = normalise("i-0a1b2c3d4e5f60001")
    assert resource.resource_id == "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60001"
    assert resource.resource_type == "aws.ec2.instance"
    assert (resource.account_id, resource.region) == ("123456789012", "us-east-1")
    assert resource.name == "web-1"
    assert resource.state == "running"
    assert resource.tags == {"Name": "web-1", "Environment": "prod", "CostCenter": "1234"}
    assert (resource.collected_at, resource.scan_id) == ("2026-11-25T09:00:00Z", "scan-test")
    assert resource.attributes == {
        "instance_id": "i-0a1b2c3d4e5f60001",
        "instance_type": "t3.micro",
        "platform": "Linux/UNIX",
        "architecture": "x86_64",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_id": "subnet-0aa11bb22cc33dd44",
        "availability_zone": "us-east-1a",
        "launch_time": "2026-11-01T06:30:12Z",
        "image_id": "ami-0abcdef1234567890",
        "lifecycle": "on-demand",
        "state_transition_reason": None,
        "state_reason_code": None,
        "stopped_at": None,
        "attached_volume_ids": ["vol-0f00000000000a001", "vol-0f00000000000a002"],
        "iam_instance_profile_arn": "arn:aws:iam::123456789012:instance-profile/web",
        "imds_v2_required": True,
        "backup": None,
    }


def test_created_at_is_root_volume_attach_time_not_last_launch() -> None:
    # LaunchTime moved on the last start; the root volume was attached at first launch.
    assert normalise("i-0a1b2c3d4e5f60001").created_at == "2025-03-14T09:26:53Z"


def test_created_at_falls_back_to_launch_time_without_root_ebs() -> None:
    assert normalise("i-0a1b2c3d4e5f60005").created_at == "2026-02-02T02:02:02Z"
    assert normalise("i-0a1b2c3d4e5f60006").created_at == "2026-11-20T12:00:00Z"


@pytest.mark.parametrize(
    ("instance_id", "expected"),
    [
        ("i-0a1b2c3d4e5f60002", "2026-10-11T17:42:09Z"),  # AWS writes GMT
        ("i-0a1b2c3d4e5f60003", "2026-11-15T09:00:00Z"),  # moto writes UTC
        ("i-0a1b2c3d4e5f60004", None),  # stopped, reason has no time
        ("i-0a1b2c3d4e5f60005", "2026-11-25T08:59:30Z"),  # stopping
        ("i-0a1b2c3d4e5f60006", None),  # terminated: not a stop
        ("i-0a1b2c3d4e5f60001", None),  # running
    ],
)
def test_stopped_at(instance_id: str, expected: str | None) -> None:
    assert normalise(instance_id).attributes["stopped_at"] == expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("User initiated (2024-01-02 03:04:05 GMT)", "2024-01-02T03:04:05Z"),
        ("User initiated (2024-01-02 03:04:05 UTC)", "2024-01-02T03:04:05Z"),
        ("Service initiated (2024-01-02 03:04:05 gmt) by scheduler", "2024-01-02T03:04:05Z"),
        ("User initiated", None),
        ("Server.ScheduledStop", None),
        ("", None),
        (None, None),
        ("User initiated (2024-01-02 03:04:05 PST)", None),  # a zone we will not guess at
        ("User initiated (2024-13-45 03:04:05 GMT)", None),  # not a date
    ],
)
def test_stopped_at_parsing(reason: str | None, expected: str | None) -> None:
    assert stopped_at(reason) == expected


def test_stopped_instance_keeps_reason_and_code() -> None:
    attributes = normalise("i-0a1b2c3d4e5f60004").attributes
    assert attributes["state_transition_reason"] is None
    assert attributes["state_reason_code"] == "Client.InstanceInitiatedShutdown"
    stopped = normalise("i-0a1b2c3d4e5f60002").attributes
    assert stopped["state_transition_reason"] == "User initiated (2026-10-11 17:42:09 GMT)"
    assert stopped["state_reason_code"] == "Client.UserInitiatedShutdown"


@pytest.mark.parametrize(
    ("instance_id", "platform"),
    [
        ("i-0a1b2c3d4e5f60002", "windows"),
        ("i-0a1b2c3d4e5f60004", "Red Hat Enterprise Linux"),
        ("i-0a1b2c3d4e5f60006", "linux/unix"),  # no Platform, no PlatformDetails
    ],
)
def test_platform(instance_id: str, platform: str) -> None:
    assert normalise(instance_id).attributes["platform"] == platform


def test_lifecycle_and_missing_network_fields() -> None:
    assert normalise("i-0a1b2c3d4e5f60003").attributes["lifecycle"] == "spot"
    terminated = normalise("i-0a1b2c3d4e5f60006")
    assert terminated.state == "terminated"
    assert terminated.name is None  # an empty Name tag is no name
    assert terminated.attributes["vpc_id"] is None
    assert terminated.attributes["subnet_id"] is None


def test_datetime_objects_and_iso_strings_normalise_alike() -> None:
    item = by_id("i-0a1b2c3d4e5f60002")
    as_datetimes = json.loads(json.dumps(item))
    as_datetimes["LaunchTime"] = datetime.fromisoformat(item["LaunchTime"])
    ebs = as_datetimes["BlockDeviceMappings"][0]["Ebs"]
    ebs["AttachTime"] = datetime.fromisoformat(ebs["AttachTime"])
    assert Ec2InstanceCollector.normalise(as_datetimes, CTX) == normalise("i-0a1b2c3d4e5f60002")


def test_user_data_never_reaches_the_resource() -> None:
    item = dict(by_id("i-0a1b2c3d4e5f60001"), UserData={"Value": "c2VjcmV0LXBhc3N3b3Jk"})
    dumped = json.dumps(Ec2InstanceCollector.normalise(item, CTX).to_dict())
    assert "c2VjcmV0LXBhc3N3b3Jk" not in dumped
    assert "UserData" not in dumped


def test_partition_comes_from_the_context() -> None:
    ctx = ScanContext("123456789012", "cn-north-1", "scan-test", "2026-11-25T09:00:00Z", "aws-cn")
    resource = Ec2InstanceCollector.normalise(by_id("i-0a1b2c3d4e5f60001"), ctx)
    assert resource.resource_id.startswith("arn:aws-cn:ec2:cn-north-1:123456789012:instance/")


@pytest.mark.parametrize("item", ITEMS, ids=[item["InstanceId"] for item in ITEMS])
def test_attributes_match_the_type_schema(item: dict[str, Any]) -> None:
    resource = Ec2InstanceCollector.normalise(item, CTX)
    # against the composed Resource schema, which holds the shared backup_coverage definition
    validate_resource(resource)
    assert sorted(resource.attributes) == sorted(ATTRIBUTES)


def test_instance_without_profile_or_metadata_options() -> None:
    attributes = normalise("i-0a1b2c3d4e5f60002").attributes
    assert attributes["iam_instance_profile_arn"] is None
    assert attributes["imds_v2_required"] is None  # not reported: unknown, not "optional"
    assert attributes["attached_volume_ids"] == ["vol-0f00000000000b001"]
    assert attributes["backup"] is None


def test_imds_optional_is_not_required() -> None:
    item = dict(by_id("i-0a1b2c3d4e5f60002"), MetadataOptions={"HttpTokens": "optional"})
    assert Ec2InstanceCollector.normalise(item, CTX).attributes["imds_v2_required"] is False


def test_instance_store_instance_has_no_attached_volumes() -> None:
    assert normalise("i-0a1b2c3d4e5f60006").attributes["attached_volume_ids"] == []
    assert normalise("i-0a1b2c3d4e5f60005").attributes["attached_volume_ids"] == []


def test_secret_looking_tags_are_redacted_and_the_name_with_them() -> None:
    item = dict(
        by_id("i-0a1b2c3d4e5f60001"),
        Tags=[
            {"Key": "Name", "Value": "password=letmein"},
            {"Key": "ApiKey", "Value": "abc123"},
            {"Key": "Environment", "Value": "prod"},
        ],
    )
    resource = Ec2InstanceCollector.normalise(item, CTX)
    assert resource.tags == {"Name": "[redacted]", "ApiKey": "[redacted]", "Environment": "prod"}
    assert "letmein" not in json.dumps(resource.to_dict())


# --- fetch, against moto ------------------------------------------------------------------


def make_api(regions: tuple[str, ...], errors: list[CollectionError]) -> Api:
    return Api(
        "123456789012",
        regions,
        lambda service, region: boto3.client(service, region_name=region),
        errors.append,
    )


@pytest.mark.usefixtures("aws_env")
def test_fetch_yields_every_instance_of_the_region_with_backdated_stop() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        image = ec2.register_image(Name="test-base")["ImageId"]
        profile = boto3.client("iam").create_instance_profile(InstanceProfileName="app")
        with freeze_time(now - timedelta(days=100)):
            first = ec2.run_instances(
                ImageId=image,
                MinCount=2,
                MaxCount=2,
                MetadataOptions={"HttpTokens": "required"},
                IamInstanceProfile={"Arn": profile["InstanceProfile"]["Arn"]},
            )["Instances"]
        second = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.small",
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "other"}]}
            ],
        )["Instances"]
        extra = ec2.create_volume(
            AvailabilityZone=second[0]["Placement"]["AvailabilityZone"], Size=10
        )["VolumeId"]
        ec2.attach_volume(VolumeId=extra, InstanceId=second[0]["InstanceId"], Device="/dev/sdf")
        with freeze_time(now - timedelta(days=45)):
            ec2.stop_instances(InstanceIds=[first[0]["InstanceId"]])
        # another region's instance is not this region's business
        boto3.client("ec2", region_name="us-east-1").run_instances(
            ImageId=image, MinCount=1, MaxCount=1
        )

        errors: list[CollectionError] = []
        collector = Ec2InstanceCollector()
        raw = list(collector.fetch(make_api(("eu-west-1",), errors), "eu-west-1"))

    assert errors == []
    wanted = {i["InstanceId"] for i in first + second}
    assert {item["InstanceId"] for item in raw} == wanted
    ctx = ScanContext("123456789012", "eu-west-1", "scan-test", "2026-11-25T09:00:00Z")
    resources = {r.attributes["instance_id"]: r for r in (collector.normalise(i, ctx) for i in raw)}
    stopped = resources[first[0]["InstanceId"]]
    assert stopped.state == "stopped"
    assert stopped.attributes["stopped_at"] == "2026-10-11T09:00:00Z"
    assert stopped.attributes["launch_time"] == "2026-08-17T09:00:00Z"
    assert stopped.created_at == "2026-08-17T09:00:00Z"
    assert resources[second[0]["InstanceId"]].name == "other"
    assert resources[second[0]["InstanceId"]].attributes["instance_type"] == "t3.small"
    assert stopped.attributes["imds_v2_required"] is True
    assert stopped.attributes["iam_instance_profile_arn"] == profile["InstanceProfile"]["Arn"]
    other = resources[second[0]["InstanceId"]].attributes
    assert other["imds_v2_required"] is False  # moto's default is "optional", as AWS's often is
    assert other["iam_instance_profile_arn"] is None
    # the root volume moto creates at launch, plus one attached afterwards
    assert other["attached_volume_ids"][-1] == extra
    assert len(other["attached_volume_ids"]) == 2
    for resource in resources.values():
        validate_resource(resource)
