"""RDS DB instances: ``DescribeDBInstances`` to ``Resource`` of type ``aws.rds.instance``.

First stage of the pipeline (collect). ``fetch`` pages through DescribeDBInstances in one region;
tags come in each item's ``TagList``, so there is no per-instance call and nothing per instance
can fail. ``normalise`` is pure and copies an allow-list of fields: the master password is never
returned by the API anyway, and ``Endpoint`` (host name and port), ``MasterUsername`` and the
master user secret's ARN are left out, because connection details stay out of the inventory
(DESIGN.md: no connection strings) and no rule needs them.

DescribeDBInstances "can also return information for Amazon Neptune DB instances and Amazon
DocumentDB instances"
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html, read
2026-11-25); those engines belong to other services and are not RDS instances here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.base import Api, Collector, ScanContext, register, tags_to_dict, to_iso
from collectors.secrets import redact_tags
from engine.lifecycle import normalise_version, product_for_engine
from engine.model import Resource

# Engines DescribeDBInstances/DescribeDBClusters return for other services.
OTHER_SERVICE_ENGINES = frozenset({"neptune", "docdb"})


def _sizes(vcpus_at_large: int, sizes: tuple[str, ...]) -> dict[str, int]:
    """``large`` has ``vcpus_at_large`` vCPUs, ``xlarge`` twice that, ``Nxlarge`` N times xlarge."""
    table = {"large": vcpus_at_large, "xlarge": 2 * vcpus_at_large}
    for size in sizes:
        table[size] = int(size.removesuffix("xlarge")) * 2 * vcpus_at_large
    return table


_GRAVITON_SIZES = ("2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_M5_R5_SIZES = (*_GRAVITON_SIZES, "24xlarge")
_M6I_R6I_SIZES = (*_M5_R5_SIZES, "32xlarge")
_BURSTABLE = {"micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}

# vCPUs of common DB instance classes, from "Hardware specifications for DB instance classes",
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html
# (read 2026-11-25). An estimate input only (cost and right-sizing rules): classes not listed
# give None, never a guess, and db.serverless has no fixed vCPU count.
VCPUS: dict[str, int] = {
    f"db.{family}.{size}": vcpus
    for family, sizes in (
        ("t2", {"micro": 1, "small": 1, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}),
        ("t3", _BURSTABLE),
        ("t4g", _BURSTABLE),
        ("m5", _sizes(2, _M5_R5_SIZES)),
        ("r5", _sizes(2, _M5_R5_SIZES)),
        ("m6g", _sizes(2, _GRAVITON_SIZES)),
        ("r6g", _sizes(2, _GRAVITON_SIZES)),
        ("m7g", _sizes(2, _GRAVITON_SIZES)),
        ("r7g", _sizes(2, _GRAVITON_SIZES)),
        ("m6i", _sizes(2, _M6I_R6I_SIZES)),
        ("r6i", _sizes(2, _M6I_R6I_SIZES)),
    )
    for size, vcpus in sizes.items()
}


def engine_major(engine: Any, version: Any) -> str | None:
    """The lifecycle release key of an engine version (``"5.7"``, ``"16"``, Aurora ``"3"``).

    >>> engine_major("mysql", "5.7.44-rds.20240808"), engine_major("postgres", "16.4")
    ('5.7', '16')
    >>> engine_major("oracle-ee", "19.0.0.0.ru-2024-01.rur-2024-01.r1") is None
    True
    """
    if not isinstance(engine, str) or not isinstance(version, str):
        return None
    product = product_for_engine(engine)
    return normalise_version(product, version) if product else None


@register
class RdsInstanceCollector(Collector):
    """Every RDS DB instance in a region (Aurora cluster members included), one each."""

    resource_type = "aws.rds.instance"
    service = "rds"
    operation = "DescribeDBInstances"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        paginator = api.client("rds", region).get_paginator("describe_db_instances")
        for page in paginator.paginate():
            for item in page.get("DBInstances", []):
                if str(item.get("Engine", "")).lower() not in OTHER_SERVICE_ENGINES:
                    yield item

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        identifier = raw["DBInstanceIdentifier"]
        engine, version = raw.get("Engine"), raw.get("EngineVersion")
        encrypted = bool(raw.get("StorageEncrypted", False))
        source = (
            raw.get("ReadReplicaSourceDBInstanceIdentifier")
            or raw.get("ReadReplicaSourceDBClusterIdentifier")
            or None
        )
        attributes: dict[str, Any] = {
            "db_instance_identifier": identifier,
            "engine": engine,
            "engine_version": version,
            "engine_major": engine_major(engine, version),
            "instance_class": raw.get("DBInstanceClass"),
            "vcpus": VCPUS.get(str(raw.get("DBInstanceClass"))),
            "multi_az": bool(raw.get("MultiAZ", False)),
            "allocated_storage_gib": raw.get("AllocatedStorage"),
            "storage_type": raw.get("StorageType"),
            "storage_encrypted": encrypted,
            # moto reports a KmsKeyId for unencrypted storage too; a key only means something
            # when the storage is encrypted.
            "kms_key_id": raw.get("KmsKeyId") if encrypted else None,
            "backup_retention_days": raw.get("BackupRetentionPeriod"),
            "deletion_protection": bool(raw.get("DeletionProtection", False)),
            "auto_minor_version_upgrade": raw.get("AutoMinorVersionUpgrade"),
            # "open-source-rds-extended-support" or "...-disabled"; moto 5.2 never returns it.
            "engine_lifecycle_support": raw.get("EngineLifecycleSupport"),
            "db_cluster_identifier": raw.get("DBClusterIdentifier") or None,
            "read_replica_source": source,
            "is_read_replica": source is not None,
            # moto 5.2 leaves PubliclyAccessible out: None means "not reported", not False.
            "publicly_accessible": raw.get("PubliclyAccessible"),
            # filled by the backup coverage stage after collection; None means "not joined yet"
            "backup": None,
            "unreadable": {},
        }
        arn = raw.get("DBInstanceArn") or (
            f"arn:{ctx.partition}:rds:{ctx.region}:{ctx.account_id}:db:{identifier}"
        )
        return Resource(
            resource_id=arn,
            resource_type=RdsInstanceCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=identifier,
            state=raw.get("DBInstanceStatus"),
            created_at=to_iso(raw.get("InstanceCreateTime")),
            tags=redact_tags(tags_to_dict(raw.get("TagList"))),
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )
