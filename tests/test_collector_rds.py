"""aws.rds.instance and aws.rds.cluster: pure normalise from recorded items, fetch against moto."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from moto import mock_aws

from collectors.base import REGISTRY, Api, ScanContext
from collectors.rds_cluster import RdsClusterCollector
from collectors.rds_instance import VCPUS, RdsInstanceCollector, engine_major
from engine.model import CollectionError
from engine.schema import validator

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/api"
INSTANCES: list[dict[str, Any]] = json.loads(
    (FIXTURES / "rds_describe_db_instances.json").read_text()
)["items"]
CLUSTERS: list[dict[str, Any]] = json.loads(
    (FIXTURES / "rds_describe_db_clusters.json").read_text()
)["items"]
CTX = ScanContext("123456789012", "us-east-1", "scan-test", "2026-11-25T09:00:00Z")


def instance(identifier: str) -> Any:
    item = next(i for i in INSTANCES if i["DBInstanceIdentifier"] == identifier)
    return RdsInstanceCollector.normalise(item, CTX)


def cluster(identifier: str) -> Any:
    item = next(i for i in CLUSTERS if i["DBClusterIdentifier"] == identifier)
    return RdsClusterCollector.normalise(item, CTX)


def test_registered_under_their_types() -> None:
    assert REGISTRY.get("aws.rds.instance") is RdsInstanceCollector
    assert REGISTRY.get("aws.rds.cluster") is RdsClusterCollector
    assert (RdsInstanceCollector.service, RdsInstanceCollector.operation) == (
        "rds",
        "DescribeDBInstances",
    )
    assert RdsClusterCollector.operation == "DescribeDBClusters"


def test_extended_support_mysql_instance() -> None:
    resource = instance("legacy-mysql")
    assert resource.resource_id == "arn:aws:rds:us-east-1:123456789012:db:legacy-mysql"
    assert (resource.name, resource.state) == ("legacy-mysql", "available")
    assert resource.created_at == "2019-04-02T10:11:12Z"
    assert resource.tags == {"Environment": "prod", "Backup": "daily"}
    assert resource.attributes == {
        "db_instance_identifier": "legacy-mysql",
        "engine": "mysql",
        "engine_version": "5.7.44-rds.20240808",
        "engine_major": "5.7",
        "instance_class": "db.m5.large",
        "vcpus": 2,
        "multi_az": True,
        "allocated_storage_gib": 100,
        "storage_type": "gp3",
        "storage_encrypted": True,
        "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "backup_retention_days": 7,
        "deletion_protection": True,
        "auto_minor_version_upgrade": True,
        "engine_lifecycle_support": "open-source-rds-extended-support",
        "db_cluster_identifier": None,
        "read_replica_source": None,
        "is_read_replica": False,
        "publicly_accessible": False,
        "backup": None,
        "unreadable": {},
    }


def test_connection_details_never_reach_the_resource() -> None:
    dumped = json.dumps(instance("legacy-mysql").to_dict())
    for secret_ish in ("legacy-mysql.c9akciq32", "3306", "admin", "secretsmanager", "Endpoint"):
        assert secret_ish not in dumped
    dumped = json.dumps(cluster("aurora-prod").to_dict())
    for secret_ish in ("cluster-ro-", "aurora-prod.cluster-", "secretsmanager", "MasterUsername"):
        assert secret_ish not in dumped


def test_secret_looking_tag_values_are_redacted() -> None:
    assert instance("reporting-sqlserver").tags == {"db_password": "[redacted]"}


@pytest.mark.parametrize(
    ("identifier", "source"),
    [
        ("orders-pg-replica", "orders-pg"),
        ("orders-pg-dr", "arn:aws:rds:us-west-2:123456789012:db:orders-pg"),  # cross-Region
    ],
)
def test_read_replicas(identifier: str, source: str) -> None:
    attributes = instance(identifier).attributes
    assert attributes["read_replica_source"] == source
    assert attributes["is_read_replica"] is True
    assert attributes["engine_major"] == "16"


def test_replica_fields_as_reported() -> None:
    replica = instance("orders-pg-replica")
    assert replica.attributes["backup_retention_days"] == 0  # automated backups off
    assert replica.attributes["publicly_accessible"] is True
    assert replica.attributes["auto_minor_version_upgrade"] is False
    assert replica.attributes["storage_encrypted"] is False
    assert replica.attributes["kms_key_id"] is None
    assert instance("orders-pg-dr").state == "storage-optimization"
    assert instance("orders-pg-dr").attributes["vcpus"] == 4


def test_aurora_member() -> None:
    member = instance("aurora-prod-2").attributes
    assert member["db_cluster_identifier"] == "aurora-prod"
    assert member["is_read_replica"] is False  # an Aurora reader is a member, not a replica
    assert member["engine_major"] == "3"
    assert (member["storage_type"], member["allocated_storage_gib"]) == ("aurora", 1)


def test_fields_aws_may_omit_are_null_not_false() -> None:
    attributes = instance("reporting-sqlserver").attributes
    assert attributes["publicly_accessible"] is None
    assert attributes["auto_minor_version_upgrade"] is None
    assert attributes["engine_lifecycle_support"] is None
    assert attributes["deletion_protection"] is False
    assert attributes["engine_major"] is None  # SQL Server is not in the lifecycle data
    assert attributes["vcpus"] is None  # class not in the table: no guess
    assert instance("reporting-sqlserver").state == "stopped"


@pytest.mark.parametrize(
    ("engine", "version", "major"),
    [
        ("mysql", "5.7.44-rds.20240808", "5.7"),
        ("mysql", "5.7.44-RDS.20240808", "5.7"),
        ("mysql", "8.0.39", "8.0"),
        ("postgres", "11.22-rds.20240808", "11"),
        ("postgres", "9.6.24", "9.6"),
        ("aurora-mysql", "5.7.mysql_aurora.2.11.2", "2"),
        ("aurora-postgresql", "11.21", "11"),
        ("aurora", "5.6.10a", "1"),
        ("mysql", "not-a-version", None),
        ("docdb", "5.0.0", None),
        (None, "16.4", None),
    ],
)
def test_engine_major(engine: str | None, version: str, major: str | None) -> None:
    assert engine_major(engine, version) == major


@pytest.mark.parametrize(
    ("instance_class", "vcpus"),
    [
        ("db.t2.micro", 1),
        ("db.t3.micro", 2),
        ("db.t4g.2xlarge", 8),
        ("db.m5.24xlarge", 96),
        ("db.r6g.16xlarge", 64),
        ("db.m6i.32xlarge", 128),
    ],
)
def test_vcpu_table(instance_class: str, vcpus: int) -> None:
    assert VCPUS[instance_class] == vcpus
    assert "db.serverless" not in VCPUS


def test_aurora_cluster() -> None:
    resource = cluster("aurora-prod")
    assert resource.resource_id == "arn:aws:rds:us-east-1:123456789012:cluster:aurora-prod"
    assert (resource.name, resource.state) == ("aurora-prod", "available")
    assert resource.created_at == "2025-01-15T11:45:00Z"
    assert resource.attributes == {
        "db_cluster_identifier": "aurora-prod",
        "engine": "aurora-mysql",
        "engine_version": "8.0.mysql_aurora.3.04.0",
        "engine_major": "3",
        "engine_mode": "provisioned",
        "members": [
            {"db_instance_identifier": "aurora-prod-1", "is_writer": True},
            {"db_instance_identifier": "aurora-prod-2", "is_writer": False},
        ],
        "multi_az": True,
        "storage_encrypted": True,
        "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "backup_retention_days": 14,
        "deletion_protection": True,
        "engine_lifecycle_support": "open-source-rds-extended-support",
        "backup": None,
        "unreadable": {},
    }


def test_unencrypted_cluster_has_no_key_even_if_reported() -> None:
    attributes = cluster("analytics").attributes
    assert attributes["storage_encrypted"] is False
    assert attributes["kms_key_id"] is None
    assert attributes["engine_major"] == "11"
    assert attributes["members"] == []
    assert attributes["engine_lifecycle_support"] is None


def test_multi_az_db_cluster() -> None:
    attributes = cluster("ledger-maz").attributes
    assert attributes["engine"] == "postgres"
    assert attributes["engine_mode"] is None
    assert [m["db_instance_identifier"] for m in attributes["members"]] == [
        "ledger-maz-instance-1",
        "ledger-maz-instance-2",
        "ledger-maz-instance-3",
    ]
    assert [m["is_writer"] for m in attributes["members"]] == [True, False, False]


def test_datetime_objects_and_iso_strings_normalise_alike() -> None:
    item = dict(next(i for i in INSTANCES if i["DBInstanceIdentifier"] == "legacy-mysql"))
    as_datetime = dict(item, InstanceCreateTime=datetime.fromisoformat(item["InstanceCreateTime"]))
    assert RdsInstanceCollector.normalise(as_datetime, CTX) == instance("legacy-mysql")


def test_arn_built_when_absent_uses_the_partition() -> None:
    item = {"DBInstanceIdentifier": "x", "Engine": "postgres", "EngineVersion": "16.4"}
    ctx = ScanContext("123456789012", "cn-north-1", "scan-test", "2026-11-25T09:00:00Z", "aws-cn")
    assert (
        RdsInstanceCollector.normalise(item, ctx).resource_id
        == "arn:aws-cn:rds:cn-north-1:123456789012:db:x"
    )


@pytest.mark.parametrize("item", INSTANCES, ids=[i["DBInstanceIdentifier"] for i in INSTANCES])
def test_instance_resources_match_the_resource_schema(item: dict[str, Any]) -> None:
    resource = RdsInstanceCollector.normalise(item, CTX)
    validator("resource").validate(resource.to_dict())


@pytest.mark.parametrize("item", CLUSTERS, ids=[i["DBClusterIdentifier"] for i in CLUSTERS])
def test_cluster_resources_match_the_resource_schema(item: dict[str, Any]) -> None:
    resource = RdsClusterCollector.normalise(item, CTX)
    validator("resource").validate(resource.to_dict())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("unreadable", {"engine": "AccessDenied"}),  # only "backup" can be unreadable
        ("backup", {"plans": "daily"}),  # the shared backup_coverage definition applies
        ("backup", {"plans": [], "last_recovery_point_at": None, "extra": 1}),
    ],
)
def test_schema_rejects_malformed_values(name: str, value: Any) -> None:
    for doc in (instance("legacy-mysql").to_dict(), cluster("aurora-prod").to_dict()):
        doc["attributes"][name] = value
        with pytest.raises(jsonschema.ValidationError):
            validator("resource").validate(doc)


def test_schema_accepts_a_joined_backup_and_an_unreadable_one() -> None:
    doc = instance("aurora-prod-2").to_dict()
    doc["attributes"]["backup"] = {
        "plans": ["daily"],
        "last_recovery_point_at": "2026-11-24T05:00:00Z",
    }
    validator("resource").validate(doc)
    doc["attributes"]["backup"] = None
    doc["attributes"]["unreadable"] = {"backup": "AccessDeniedException"}
    validator("resource").validate(doc)


# --- fetch, against moto ------------------------------------------------------------------


def make_api(region: str, errors: list[CollectionError]) -> Api:
    return Api(
        "123456789012",
        (region,),
        lambda service, where: boto3.client(service, region_name=where),
        errors.append,
    )


def _database(rds: Any, identifier: str, engine: str, **extra: Any) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine=engine,
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        ManageMasterUserPassword=True,
        **extra,
    )


@pytest.mark.usefixtures("aws_env")
def test_fetch_instances_and_clusters_of_the_region() -> None:
    with mock_aws():
        rds = boto3.client("rds", region_name="eu-west-1")
        _database(rds, "pg", "postgres", EngineVersion="16.4", Tags=[{"Key": "a", "Value": "b"}])
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier="pg-replica", SourceDBInstanceIdentifier="pg"
        )
        rds.create_db_cluster(
            DBClusterIdentifier="aur",
            Engine="aurora-mysql",
            EngineVersion="8.0.mysql_aurora.3.04.0",
            MasterUsername="admin",
            ManageMasterUserPassword=True,
            StorageEncrypted=False,
        )
        for n in (1, 2):
            rds.create_db_instance(
                DBInstanceIdentifier=f"aur-{n}",
                Engine="aurora-mysql",
                DBInstanceClass="db.r6g.large",
                DBClusterIdentifier="aur",
            )
        # Other services' clusters come back from the same API; they are not RDS clusters.
        rds.create_db_cluster(
            DBClusterIdentifier="graph",
            Engine="neptune",
            MasterUsername="admin",
            ManageMasterUserPassword=True,
        )
        _database(boto3.client("rds", region_name="us-east-1"), "elsewhere", "postgres")

        errors: list[CollectionError] = []
        api = make_api("eu-west-1", errors)
        raw_instances = list(RdsInstanceCollector().fetch(api, "eu-west-1"))
        raw_clusters = list(RdsClusterCollector().fetch(api, "eu-west-1"))

    assert errors == []
    ctx = ScanContext("123456789012", "eu-west-1", "scan-test", "2026-11-25T09:00:00Z")
    instances = {r.name: r for r in (RdsInstanceCollector.normalise(i, ctx) for i in raw_instances)}
    clusters = {r.name: r for r in (RdsClusterCollector.normalise(c, ctx) for c in raw_clusters)}
    assert sorted(instances) == ["aur-1", "aur-2", "pg", "pg-replica"]
    assert sorted(clusters) == ["aur"]
    assert instances["pg"].tags == {"a": "b"}
    assert instances["pg"].resource_id == "arn:aws:rds:eu-west-1:123456789012:db:pg"
    assert instances["pg-replica"].attributes["read_replica_source"] == "pg"
    assert instances["aur-2"].attributes["db_cluster_identifier"] == "aur"
    assert instances["pg"].attributes["publicly_accessible"] is None  # moto omits it
    aurora = clusters["aur"].attributes
    assert aurora["kms_key_id"] is None  # moto reports a key; the cluster is not encrypted
    assert aurora["engine_major"] == "3"
    assert [m["is_writer"] for m in aurora["members"]] == [True, False]
    for resource in [*instances.values(), *clusters.values()]:
        validator("resource").validate(resource.to_dict())
