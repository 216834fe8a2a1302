"""RDS DB clusters: ``DescribeDBClusters`` to ``Resource`` of type ``aws.rds.cluster``.

First stage of the pipeline (collect). ``fetch`` pages through DescribeDBClusters in one region
and keeps Aurora clusters (engines ``aurora-mysql``, ``aurora-postgresql`` and the legacy
``aurora``) and Multi-AZ DB clusters (``mysql``, ``postgres``): the same API "can also return
information for Amazon Neptune DB clusters and Amazon DocumentDB clusters"
(https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html, read
2026-11-25), which are other services' resources. Tags come in ``TagList``: no per-cluster call.
``normalise`` is pure; ``Endpoint``, ``ReaderEndpoint``, ``MasterUsername`` and the master user
secret are left out (connection details stay out of the inventory).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.base import Api, Collector, ScanContext, register, tags_to_dict, to_iso
from collectors.rds_instance import engine_major
from collectors.secrets import redact_tags
from engine.model import Resource

RDS_CLUSTER_ENGINES = frozenset(
    {"aurora-mysql", "aurora-postgresql", "aurora", "mysql", "postgres"}
)


@register
class RdsClusterCollector(Collector):
    """Every Aurora and Multi-AZ DB cluster in a region, one ``Resource`` each."""

    resource_type = "aws.rds.cluster"
    service = "rds"
    operation = "DescribeDBClusters"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        paginator = api.client("rds", region).get_paginator("describe_db_clusters")
        for page in paginator.paginate():
            for item in page.get("DBClusters", []):
                if str(item.get("Engine", "")).lower() in RDS_CLUSTER_ENGINES:
                    yield item

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        identifier = raw["DBClusterIdentifier"]
        engine, version = raw.get("Engine"), raw.get("EngineVersion")
        # Read StorageEncrypted alone: moto reports a KmsKeyId for unencrypted clusters too.
        encrypted = bool(raw.get("StorageEncrypted", False))
        attributes: dict[str, Any] = {
            "db_cluster_identifier": identifier,
            "engine": engine,
            "engine_version": version,
            "engine_major": engine_major(engine, version),
            # provisioned, serverless, parallelquery, global or multimaster (Aurora); None
            # when AWS reports none
            "engine_mode": raw.get("EngineMode"),
            "members": [
                {
                    "db_instance_identifier": member["DBInstanceIdentifier"],
                    "is_writer": bool(member.get("IsClusterWriter", False)),
                }
                for member in sorted(
                    raw.get("DBClusterMembers") or [], key=lambda m: m["DBInstanceIdentifier"]
                )
            ],
            "multi_az": bool(raw.get("MultiAZ", False)),
            "storage_encrypted": encrypted,
            "kms_key_id": raw.get("KmsKeyId") if encrypted else None,
            "backup_retention_days": raw.get("BackupRetentionPeriod"),
            "deletion_protection": bool(raw.get("DeletionProtection", False)),
            # moto 5.2 never returns EngineLifecycleSupport: None means "not reported"
            "engine_lifecycle_support": raw.get("EngineLifecycleSupport"),
            # filled by the backup coverage stage after collection; None means "not joined yet"
            "backup": None,
            "unreadable": {},
        }
        arn = raw.get("DBClusterArn") or (
            f"arn:{ctx.partition}:rds:{ctx.region}:{ctx.account_id}:cluster:{identifier}"
        )
        return Resource(
            resource_id=arn,
            resource_type=RdsClusterCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=identifier,
            state=raw.get("Status"),
            created_at=to_iso(raw.get("ClusterCreateTime")),
            tags=redact_tags(tags_to_dict(raw.get("TagList"))),
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )
