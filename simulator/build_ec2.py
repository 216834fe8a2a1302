"""Simulated EC2 instances: per region one running, one stopped 45 days, one stopped 10 days.

moto always writes a timestamp into a stopped instance's ``StateTransitionReason``, so an
instance whose stop time cannot be determined cannot be built through boto3 alone; the
collector tests cover that case from recorded responses instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from simulator.base import SIMULATED_REGIONS, BuildContext

if TYPE_CHECKING:
    from mypy_boto3_ec2.literals import InstanceTypeType
    from mypy_boto3_ec2.type_defs import TagTypeDef

ORDER = 10


@dataclass(frozen=True, slots=True)
class _Instance:
    name: str  # the region is appended: "web-us-east-1"
    instance_type: InstanceTypeType
    environment: str
    launched_days_ago: int
    stopped_days_ago: int | None = None
    backup_tag: str | None = None  # the Backup tag that AWS Backup plans select on


_INSTANCES = (
    _Instance("web", "t3.micro", "prod", launched_days_ago=120),
    _Instance(
        "legacy-batch",
        "m5.large",
        "prod",
        launched_days_ago=400,
        stopped_days_ago=45,
        backup_tag="daily",
    ),
    _Instance("dev-sandbox", "t3.medium", "dev", launched_days_ago=200, stopped_days_ago=10),
)


def describe() -> list[str]:
    lines = []
    for region in SIMULATED_REGIONS:
        for spec in _INSTANCES:
            state = (
                f"stopped {spec.stopped_days_ago} days ago"
                if spec.stopped_days_ago is not None
                else "running"
            )
            lines.append(
                f"{region}: EC2 instance {spec.name}-{region} ({spec.instance_type}), {state}"
            )
    return lines


def build(ctx: BuildContext) -> None:
    for region in ctx.regions:
        _build_instances(ctx, region)


def _build_instances(ctx: BuildContext, region: str) -> None:
    # freezegun backdates what moto stamps: LaunchTime, the root volume's AttachTime and the
    # "User initiated (... UTC)" StateTransitionReason written on stop.
    ec2 = ctx.session.client("ec2", region_name=region)
    now, freeze = ctx.now, ctx.freeze
    image_id = ec2.register_image(Name=f"sim-base-{region}", Architecture="x86_64")["ImageId"]
    for spec in _INSTANCES:
        tags: list[TagTypeDef] = [
            {"Key": "Name", "Value": f"{spec.name}-{region}"},
            {"Key": "Environment", "Value": spec.environment},
        ]
        if spec.backup_tag:
            tags.append({"Key": "Backup", "Value": spec.backup_tag})
        with freeze(now - timedelta(days=spec.launched_days_ago)):
            answer = ec2.run_instances(
                ImageId=image_id,
                InstanceType=spec.instance_type,
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": tags,
                    }
                ],
            )
        if spec.stopped_days_ago is not None:
            with freeze(now - timedelta(days=spec.stopped_days_ago)):
                ec2.stop_instances(InstanceIds=[answer["Instances"][0]["InstanceId"]])
        ctx.made[f"ec2:{spec.name}-{region}"] = answer["Instances"][0]["InstanceId"]
