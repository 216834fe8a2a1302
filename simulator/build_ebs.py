"""Simulated EBS volumes: per region one unattached gp2 volume and two attached encrypted gp3.

The gp3 volumes attach to the instances ``build_ec2`` made (``ctx.made["ec2:<name>-<region>"]``):
one to the running web server, one to the instance stopped 45 days ago (a volume that still
costs money for a machine nobody runs). The instances' own root volumes (8 GiB gp2, made by moto
at launch) are there too. Recorded in ``ctx.made`` as ``ebs:<name>-<region>`` -> volume ARN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from simulator.base import SIMULATED_REGIONS, BuildContext

if TYPE_CHECKING:
    from mypy_boto3_ec2.literals import VolumeTypeType
    from mypy_boto3_ec2.type_defs import TagTypeDef

ORDER = 15


@dataclass(frozen=True, slots=True)
class _Volume:
    name: str  # the region is appended: "orphan-data-us-east-1"
    size_gib: int
    volume_type: VolumeTypeType
    encrypted: bool
    created_days_ago: int
    attach_to: str | None = None  # the build_ec2 instance name
    device: str = "/dev/sdf"
    backup_daily: bool = False  # tagged Backup=daily, for the backup builder's tag selection


_VOLUMES = (
    _Volume("orphan-data", 100, "gp2", encrypted=False, created_days_ago=200),
    _Volume(
        "web-data",
        50,
        "gp3",
        encrypted=True,
        created_days_ago=120,
        attach_to="web",
        backup_daily=True,
    ),
    _Volume(
        "batch-scratch",
        500,
        "gp3",
        encrypted=True,
        created_days_ago=400,
        attach_to="legacy-batch",
        device="/dev/sdg",
    ),
)


def describe() -> list[str]:
    lines = []
    for region in SIMULATED_REGIONS:
        for spec in _VOLUMES:
            where = f"attached to {spec.attach_to}-{region}" if spec.attach_to else "unattached"
            lines.append(
                f"{region}: EBS volume {spec.name}-{region} ({spec.volume_type}, "
                f"{spec.size_gib} GiB, {'encrypted' if spec.encrypted else 'unencrypted'}), "
                f"{where}{', tagged Backup=daily' if spec.backup_daily else ''}"
            )
    return lines


def build(ctx: BuildContext) -> None:
    for region in ctx.regions:
        _build_volumes(ctx, region)


def _build_volumes(ctx: BuildContext, region: str) -> None:
    ec2 = ctx.session.client("ec2", region_name=region)
    instances = {
        spec.attach_to: ctx.made[f"ec2:{spec.attach_to}-{region}"]
        for spec in _VOLUMES
        if spec.attach_to
    }
    # A volume attaches only to an instance in its own Availability Zone.
    zones = {
        i["InstanceId"]: i["Placement"]["AvailabilityZone"]
        for r in ec2.describe_instances(InstanceIds=list(instances.values()))["Reservations"]
        for i in r["Instances"]
    }
    default_zone = f"{region}a"
    for spec in _VOLUMES:
        instance_id = instances.get(spec.attach_to) if spec.attach_to else None
        tags: list[TagTypeDef] = [{"Key": "Name", "Value": f"{spec.name}-{region}"}]
        if spec.backup_daily:
            tags.append({"Key": "Backup", "Value": "daily"})
        with ctx.freeze(ctx.now - timedelta(days=spec.created_days_ago)):
            volume = ec2.create_volume(
                AvailabilityZone=zones[instance_id] if instance_id else default_zone,
                Size=spec.size_gib,
                VolumeType=spec.volume_type,
                Encrypted=spec.encrypted,
                TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
            )
            if instance_id:
                ec2.attach_volume(
                    VolumeId=volume["VolumeId"], InstanceId=instance_id, Device=spec.device
                )
        ctx.made[f"ebs:{spec.name}-{region}"] = (
            f"arn:aws:ec2:{region}:{ctx.account_id}:volume/{volume['VolumeId']}"
        )
