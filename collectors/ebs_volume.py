"""EBS volumes: ``DescribeVolumes`` to ``Resource`` of type ``aws.ebs.volume``.

First stage of the pipeline (collect). ``fetch`` pages through DescribeVolumes in one region
(one call per 500 volumes: every field, tags included, comes in the list, so there is no
per-volume call and nothing per volume can fail); ``normalise`` is pure and copies an
allow-list of fields into snake_case attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.base import Api, Collector, ScanContext, register, tags_to_dict, to_iso
from collectors.secrets import redact_tags
from engine.model import Resource


@register
class EbsVolumeCollector(Collector):
    """Every EBS volume in a region, attached or not, one ``Resource`` each."""

    resource_type = "aws.ebs.volume"
    service = "ec2"
    operation = "DescribeVolumes"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        paginator = api.client("ec2", region).get_paginator("describe_volumes")
        # MaxResults 500 is the API's largest page; without it DescribeVolumes answers in one
        # unpaginated response, which can time out in large accounts.
        # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html
        # (read 2026-11-25)
        for page in paginator.paginate(PaginationConfig={"PageSize": 500}):
            yield from page.get("Volumes", [])

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        volume_id = raw["VolumeId"]
        tags = redact_tags(tags_to_dict(raw.get("Tags")))
        attachments = [_attachment(a) for a in raw.get("Attachments") or []]
        created_at = to_iso(raw.get("CreateTime"))
        attributes: dict[str, Any] = {
            "volume_id": volume_id,
            "state": raw.get("State"),
            "size_gib": raw.get("Size"),
            "volume_type": raw.get("VolumeType"),
            # AWS reports the baseline IOPS of gp2 volumes; moto 5.2 leaves Iops out for gp2,
            # so None here means "not reported", never "zero IOPS". Throughput is gp3 only.
            "iops": raw.get("Iops"),
            "throughput": raw.get("Throughput"),
            "encrypted": bool(raw.get("Encrypted", False)),
            "kms_key_id": raw.get("KmsKeyId"),
            "attachments": attachments,
            # an instance shows once even with two attachments (io1/io2 Multi-Attach is per
            # instance, but a detaching and an attaching entry can coexist briefly)
            "attached_instance_ids": sorted(
                {a["instance_id"] for a in attachments if a["instance_id"]}
            ),
            # AWS returns SnapshotId "" for a volume not created from a snapshot
            "snapshot_id": raw.get("SnapshotId") or None,
            "availability_zone": raw.get("AvailabilityZone"),
            "multi_attach_enabled": bool(raw.get("MultiAttachEnabled", False)),
            "created_at": created_at,
            # filled by the backup coverage stage after collection; None means "not joined yet"
            "backup": None,
        }
        return Resource(
            resource_id=f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:volume/{volume_id}",
            resource_type=EbsVolumeCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=tags.get("Name") or None,
            state=raw.get("State"),
            created_at=created_at,
            tags=tags,
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )


def _attachment(raw: dict[str, Any]) -> dict[str, Any]:
    # VolumeAttachment.DeleteOnTermination is absent in moto 5.2 (AWS always sends it): None.
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VolumeAttachment.html
    # (read 2026-11-25)
    delete = raw.get("DeleteOnTermination")
    return {
        "instance_id": raw.get("InstanceId"),
        "device": raw.get("Device"),
        "delete_on_termination": None if delete is None else bool(delete),
        "state": raw.get("State"),
    }
