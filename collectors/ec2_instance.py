"""EC2 instances: ``DescribeInstances`` to ``Resource`` of type ``aws.ec2.instance``.

First stage of the pipeline (collect). ``fetch`` pages through DescribeInstances in one region
and yields every instance as boto3 returns it (terminated ones included, with their state);
``normalise`` is pure and copies an allow-list of fields into snake_case attributes, so user
data and anything else secret never reaches a ``Resource``. DescribeInstances does not return
UserData at all, and this collector never calls DescribeInstanceAttribute, which would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from collectors.base import Api, Collector, ScanContext, register, tags_to_dict, to_iso
from collectors.secrets import redact_tags
from engine.clock import iso
from engine.model import Resource

# "User initiated (2024-01-02 03:04:05 GMT)": AWS writes GMT, moto writes UTC. The reason is
# free text ("This might be an empty string", API_Instance, StateTransitionReason:
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html read 2026-11-25),
# so the timestamp is searched for anywhere in it.
_REASON_TIME = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) ([A-Za-z]+)\)")
# Zone names that mean UTC; any other zone name is not guessed at (the time is then unknown).
_UTC_NAMES = frozenset({"GMT", "UTC", "Z"})
_STOPPED_STATES = frozenset({"stopped", "stopping"})


@register
class Ec2InstanceCollector(Collector):
    """Every EC2 instance in a region, one ``Resource`` each."""

    resource_type = "aws.ec2.instance"
    service = "ec2"
    operation = "DescribeInstances"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        paginator = api.client("ec2", region).get_paginator("describe_instances")
        for page in paginator.paginate():
            for reservation in page.get("Reservations", []):
                yield from reservation.get("Instances", [])

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        instance_id = raw["InstanceId"]
        tags = redact_tags(tags_to_dict(raw.get("Tags")))
        state = (raw.get("State") or {}).get("Name")
        reason = raw.get("StateTransitionReason") or None
        attributes: dict[str, Any] = {
            "instance_id": instance_id,
            "instance_type": raw.get("InstanceType"),
            "platform": _platform(raw),
            "architecture": raw.get("Architecture"),
            "vpc_id": raw.get("VpcId"),
            "subnet_id": raw.get("SubnetId"),
            "availability_zone": (raw.get("Placement") or {}).get("AvailabilityZone"),
            "launch_time": to_iso(raw.get("LaunchTime")),
            "image_id": raw.get("ImageId"),
            "lifecycle": raw.get("InstanceLifecycle") or "on-demand",
            "state_transition_reason": reason,
            "state_reason_code": (raw.get("StateReason") or {}).get("Code") or None,
            "stopped_at": stopped_at(reason) if state in _STOPPED_STATES else None,
            "attached_volume_ids": attached_volume_ids(raw),
            "iam_instance_profile_arn": (raw.get("IamInstanceProfile") or {}).get("Arn"),
            "imds_v2_required": _imds_v2_required(raw.get("MetadataOptions")),
            # filled by the backup coverage stage after collection; None means "not joined yet"
            "backup": None,
        }
        return Resource(
            resource_id=(
                f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:instance/{instance_id}"
            ),
            resource_type=Ec2InstanceCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=tags.get("Name") or None,
            state=state,
            created_at=_created_at(raw),
            tags=tags,
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )


def stopped_at(reason: str | None) -> str | None:
    """The stop time written into ``StateTransitionReason``, as ISO UTC, or ``None``.

    ``None`` means the time cannot be determined. AWS Config's ec2-stopped-instance rule (and
    Security Hub EC2.4, built on it) reads that as NON_COMPLIANT:
    https://docs.aws.amazon.com/config/latest/developerguide/ec2-stopped-instance.html
    (read 2026-11-25). That decision belongs to the rule; the collector only reports ``None``.

    >>> stopped_at("User initiated (2024-01-02 03:04:05 GMT)")
    '2024-01-02T03:04:05Z'
    >>> stopped_at("User initiated (2024-01-02 03:04:05 UTC)")
    '2024-01-02T03:04:05Z'
    >>> stopped_at("User initiated") is None
    True
    """
    if not reason:
        return None
    match = _REASON_TIME.search(reason)
    if match is None or match.group(2).upper() not in _UTC_NAMES:
        return None
    try:
        moment = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return iso(moment)


def attached_volume_ids(raw: dict[str, Any]) -> list[str]:
    """EBS volume ids from ``BlockDeviceMappings``, in device order (instance store has none).

    >>> attached_volume_ids({"BlockDeviceMappings": [
    ...     {"DeviceName": "/dev/xvda", "Ebs": {"VolumeId": "vol-1"}},
    ...     {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}]})
    ['vol-1']
    """
    ids: list[str] = []
    for mapping in raw.get("BlockDeviceMappings") or []:
        volume_id = (mapping.get("Ebs") or {}).get("VolumeId")
        if volume_id:
            ids.append(str(volume_id))
    return ids


def _imds_v2_required(options: dict[str, Any] | None) -> bool | None:
    # HttpTokens "required" means IMDSv2 only; "optional" also answers IMDSv1 requests.
    # DescribeInstances always returns MetadataOptions; a recorded item without it is unknown
    # (None), not "optional".
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceMetadataOptionsResponse.html
    # (read 2026-11-25)
    if not options or options.get("HttpTokens") is None:
        return None
    return options.get("HttpTokens") == "required"


def _platform(raw: dict[str, Any]) -> str:
    # Platform is "windows" for Windows and absent otherwise; PlatformDetails names the billed
    # platform ("Linux/UNIX", "Red Hat Enterprise Linux", ...):
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html (read 2026-11-25)
    if raw.get("Platform") == "windows":
        return "windows"
    return str(raw.get("PlatformDetails") or "linux/unix")


def _created_at(raw: dict[str, Any]) -> str | None:
    # EC2 has no creation time, and LaunchTime is "the time that the instance was last
    # launched": it moves on every start. The root EBS volume's AttachTime is set when the
    # instance is first launched and survives stop/start, so it is the better proxy; instances
    # with an instance-store root fall back to LaunchTime.
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Instance.html (read 2026-11-25)
    root = raw.get("RootDeviceName")
    for mapping in raw.get("BlockDeviceMappings") or []:
        if root and mapping.get("DeviceName") == root:
            attached = (mapping.get("Ebs") or {}).get("AttachTime")
            if attached:
                return to_iso(attached)
    return to_iso(raw.get("LaunchTime"))
