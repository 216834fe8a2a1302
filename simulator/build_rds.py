"""Simulated RDS: per region four DB instances, a read replica and two Aurora clusters.

* ``prod-legacy-mysql``: MySQL 5.7.44, past the end of standard support;
* ``prod-orders-pg``: PostgreSQL 16.4, Multi-AZ, encrypted, 7-day retention, deletion
  protection, and its read replica ``prod-orders-pg-replica``;
* ``dev-scratch-pg``: PostgreSQL 16.4, 1-day retention, no deletion protection;
* ``prod-aurora-mysql``: Aurora MySQL 3 (8.0.mysql_aurora.3.04.0), writer and reader members;
* ``analytics-aurora-pg``: Aurora PostgreSQL 11, one member, whose member instance (not the
  cluster) is tagged ``Backup=daily``, which covers nothing: AWS Backup protects Aurora per
  cluster.

Master passwords are managed by RDS (``ManageMasterUserPassword``): none appears here. Recorded
in ``ctx.made`` as ``rds:<id>-<region>`` and ``rds-cluster:<id>-<region>`` -> ARN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from simulator.base import SIMULATED_REGIONS, BuildContext

ORDER = 35


@dataclass(frozen=True, slots=True)
class _Db:
    identifier: str
    engine: str
    version: str
    instance_class: str
    created_days_ago: int
    retention_days: int = 7
    deletion_protection: bool = False
    encrypted: bool = False
    multi_az: bool = False
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Cluster:
    identifier: str
    engine: str
    version: str
    created_days_ago: int
    members: tuple[str, ...]  # the first is the writer
    tags: dict[str, str] = field(default_factory=dict)
    member_tags: dict[str, str] = field(default_factory=dict)
    encrypted: bool = False
    retention_days: int = 1
    deletion_protection: bool = False


_INSTANCES = (
    _Db("prod-legacy-mysql", "mysql", "5.7.44", "db.m5.large", 1900, tags={"Environment": "prod"}),
    _Db(
        "prod-orders-pg",
        "postgres",
        "16.4",
        "db.m6g.large",
        300,
        deletion_protection=True,
        encrypted=True,
        multi_az=True,
        tags={"Environment": "prod"},
    ),
    # PostgreSQL 10 left RDS standard support in 2023 and never had paid extended support
    _Db("reporting-pg10", "postgres", "10.21", "db.t3.medium", 2500, tags={"Environment": "dev"}),
    # an engine the lifecycle data does not cover: an info finding, never "supported"
    _Db(
        "erp-oracle",
        "oracle-ee",
        "19.0.0.0.ru-2024-01.rur-2024-01.r1",
        "db.m5.large",
        800,
        encrypted=True,
        tags={"Environment": "prod"},
    ),
    _Db(
        "dev-scratch-pg",
        "postgres",
        "16.4",
        "db.t4g.micro",
        60,
        retention_days=1,
        tags={"Environment": "dev"},
    ),
)
_REPLICA = ("prod-orders-pg-replica", "prod-orders-pg")  # (replica, source)
_CLUSTERS = (
    _Cluster(
        "prod-aurora-mysql",
        "aurora-mysql",
        "8.0.mysql_aurora.3.04.0",
        500,
        ("prod-aurora-mysql-1", "prod-aurora-mysql-2"),
        tags={"Environment": "prod"},
        encrypted=True,
        retention_days=14,
        deletion_protection=True,
    ),
    # Aurora MySQL 1 (MySQL 5.6) reached end of life in 2023, with no extended support
    _Cluster(
        "prod-aurora-v1",
        "aurora-mysql",
        "5.6.mysql_aurora.1.23.4",
        2800,
        ("prod-aurora-v1-1",),
        tags={"Environment": "prod"},
        encrypted=True,
        retention_days=7,
    ),
    # a major version newer than the shipped lifecycle data
    _Cluster(
        "next-aurora-pg",
        "aurora-postgresql",
        "19.1",
        5,
        ("next-aurora-pg-1",),
        tags={"Environment": "dev"},
        encrypted=True,
        retention_days=7,
    ),
    _Cluster(
        "analytics-aurora-pg",
        "aurora-postgresql",
        "11.21",
        1500,
        ("analytics-aurora-pg-1",),
        tags={"Environment": "analytics"},
        member_tags={"Backup": "daily"},
    ),
)


def describe() -> list[str]:
    lines = []
    for region in SIMULATED_REGIONS:
        for db in _INSTANCES:
            lines.append(
                f"{region}: RDS instance {db.identifier} ({db.engine} {db.version}, "
                f"{db.retention_days}-day backups, deletion protection "
                f"{'on' if db.deletion_protection else 'off'})"
            )
        lines.append(f"{region}: RDS read replica {_REPLICA[0]} of {_REPLICA[1]}")
        for cluster in _CLUSTERS:
            lines.append(
                f"{region}: Aurora cluster {cluster.identifier} ({cluster.engine} "
                f"{cluster.version}), members {', '.join(cluster.members)}"
            )
    return lines


def build(ctx: BuildContext) -> None:
    for region in ctx.regions:
        _build_region(ctx, region)


def _build_region(ctx: BuildContext, region: str) -> None:
    # boto3-stubs for RDS are not installed; the client is used untyped.
    rds: Any = cast(Any, ctx.session).client("rds", region_name=region)
    for db in _INSTANCES:
        with ctx.freeze(ctx.now - timedelta(days=db.created_days_ago)):
            answer = rds.create_db_instance(
                DBInstanceIdentifier=db.identifier,
                Engine=db.engine,
                EngineVersion=db.version,
                DBInstanceClass=db.instance_class,
                AllocatedStorage=100,
                MasterUsername="dbadmin",
                ManageMasterUserPassword=True,
                BackupRetentionPeriod=db.retention_days,
                DeletionProtection=db.deletion_protection,
                StorageEncrypted=db.encrypted,
                MultiAZ=db.multi_az,
                Tags=_tags(db.tags),
            )
        ctx.made[f"rds:{db.identifier}-{region}"] = answer["DBInstance"]["DBInstanceArn"]
    replica, source = _REPLICA
    with ctx.freeze(ctx.now - timedelta(days=100)):
        answer = rds.create_db_instance_read_replica(
            DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=source
        )
    ctx.made[f"rds:{replica}-{region}"] = answer["DBInstance"]["DBInstanceArn"]
    for cluster in _CLUSTERS:
        _build_cluster(ctx, rds, region, cluster)


def _build_cluster(ctx: BuildContext, rds: Any, region: str, cluster: _Cluster) -> None:
    with ctx.freeze(ctx.now - timedelta(days=cluster.created_days_ago)):
        answer = rds.create_db_cluster(
            DBClusterIdentifier=cluster.identifier,
            Engine=cluster.engine,
            EngineVersion=cluster.version,
            MasterUsername="dbadmin",
            ManageMasterUserPassword=True,
            StorageEncrypted=cluster.encrypted,
            BackupRetentionPeriod=cluster.retention_days,
            DeletionProtection=cluster.deletion_protection,
            Tags=_tags(cluster.tags),
        )
        ctx.made[f"rds-cluster:{cluster.identifier}-{region}"] = answer["DBCluster"]["DBClusterArn"]
        # moto makes the first instance added to a cluster its writer.
        for member in cluster.members:
            made = rds.create_db_instance(
                DBInstanceIdentifier=member,
                Engine=cluster.engine,
                DBInstanceClass="db.r6g.large",
                DBClusterIdentifier=cluster.identifier,
                Tags=_tags(cluster.member_tags),
            )
            ctx.made[f"rds:{member}-{region}"] = made["DBInstance"]["DBInstanceArn"]


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
