"""aws.eks.cluster: pure normalise from recorded items, fetch against moto, and a denied
DescribeCluster that leaves the cluster present with its attributes unreadable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from freezegun import freeze_time
from moto import mock_aws

from collectors.base import REGISTRY
from collectors.eks_cluster import DESCRIBED, EksClusterCollector
from engine.model import CollectionError, Resource
from tests.support.collectors import CTX, denial, fixture_items, make_api, validate_resource

ITEMS = fixture_items("eks_describe_cluster")


def normalise(name: str) -> Resource:
    return EksClusterCollector.normalise(next(i for i in ITEMS if i["name"] == name), CTX)


def test_registered_under_its_type() -> None:
    assert REGISTRY.get("aws.eks.cluster") is EksClusterCollector
    assert (EksClusterCollector.service, EksClusterCollector.operation) == ("eks", "ListClusters")


def test_aws_shaped_cluster() -> None:
    resource = normalise("prod-main")
    assert resource.resource_id == "arn:aws:eks:us-east-1:123456789012:cluster/prod-main"
    assert (resource.name, resource.state) == ("prod-main", "active")
    assert resource.created_at == "2024-10-02T08:15:30Z"
    assert resource.tags == {"Environment": "prod", "Team": "platform"}
    assert resource.attributes == {
        "cluster_name": "prod-main",
        "version": "1.31",
        "platform_version": "eks.20",
        "status": "ACTIVE",
        "endpoint_public_access": True,
        "endpoint_private_access": True,
        "public_access_cidrs": ["198.51.100.10/32", "203.0.113.0/24"],
        "upgrade_policy_support_type": "EXTENDED",
        "created_at": "2024-10-02T08:15:30Z",
        "role_arn": "arn:aws:iam::123456789012:role/eks-prod-main",
        "unreadable": {},
    }


def test_moto_shaped_cluster_without_upgrade_policy_or_private_flag() -> None:
    resource = normalise("sandbox")
    assert resource.attributes["upgrade_policy_support_type"] is None
    assert resource.attributes["endpoint_private_access"] is False  # the API default
    assert resource.attributes["public_access_cidrs"] == ["0.0.0.0/0"]
    assert resource.tags == {"Environment": "dev", "kubeconfig-token": "[redacted]"}


def test_private_cluster_keeps_the_cidrs_aws_reports_and_lower_case_state() -> None:
    resource = normalise("internal-only")
    assert resource.state == "updating"
    assert resource.attributes["endpoint_public_access"] is False
    assert resource.attributes["public_access_cidrs"] == ["0.0.0.0/0"]
    assert resource.attributes["upgrade_policy_support_type"] == "STANDARD"
    assert resource.tags == {}


def test_unreadable_cluster_is_present_with_null_attributes_named() -> None:
    resource = normalise("restricted")
    assert resource.resource_id == "arn:aws:eks:us-east-1:123456789012:cluster/restricted"
    assert (resource.state, resource.created_at, resource.tags) == (None, None, {})
    assert resource.attributes["cluster_name"] == "restricted"
    assert all(resource.attributes[name] is None for name in DESCRIBED)
    assert resource.attributes["unreadable"] == dict.fromkeys(
        sorted((*DESCRIBED, "tags")), "AccessDeniedException"
    )


def test_certificate_and_oidc_issuer_are_not_copied() -> None:
    dumped = json.dumps(normalise("prod-main").to_dict())
    assert "LS0tLS1CRUdJTi" not in dumped
    assert "oidc.eks" not in dumped


@pytest.mark.parametrize("item", ITEMS, ids=[i["name"] for i in ITEMS])
def test_resources_match_the_schema(item: dict[str, Any]) -> None:
    validate_resource(EksClusterCollector.normalise(item, CTX))


# --- fetch, against moto ------------------------------------------------------------------


def create_clusters(region: str, now: datetime) -> None:
    role = boto3.client("iam").create_role(RoleName="eks", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"
    ]
    eks = boto3.client("eks", region_name=region)
    with freeze_time(now - timedelta(days=400)):
        eks.create_cluster(
            name="old",
            version="1.24",
            roleArn=role,
            resourcesVpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
            tags={"Team": "apps"},
        )
    eks.create_cluster(
        name="new",
        version="1.35",
        roleArn=role,
        resourcesVpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": True},
    )


@pytest.mark.usefixtures("aws_env")
def test_fetch_describes_every_cluster() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    errors: list[CollectionError] = []
    with mock_aws():
        create_clusters("eu-west-1", now)
        raw = list(EksClusterCollector().fetch(make_api(("eu-west-1",), errors), "eu-west-1"))

    assert errors == []
    resources = {r.name: r for r in (EksClusterCollector.normalise(i, CTX) for i in raw)}
    assert sorted(resources) == ["new", "old"]
    old = resources["old"]
    assert old.attributes["version"] == "1.24"
    assert old.attributes["public_access_cidrs"] == ["0.0.0.0/0"]
    assert old.created_at == "2025-10-21T09:00:00Z"
    assert old.tags == {"Team": "apps"}
    assert resources["new"].attributes["endpoint_public_access"] is False
    assert resources["new"].attributes["endpoint_private_access"] is True
    for resource in resources.values():
        validate_resource(resource)


@pytest.mark.usefixtures("aws_env")
def test_denied_describe_cluster_keeps_the_cluster_with_unreadable_attributes() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    errors: list[CollectionError] = []
    hooks = {"eks.DescribeCluster": denial("DescribeCluster", lambda p: p.get("name") == "old")}
    with mock_aws():
        create_clusters("eu-west-1", now)
        raw = list(
            EksClusterCollector().fetch(make_api(("eu-west-1",), errors, hooks), "eu-west-1")
        )

    assert [(e.operation, e.error_code, e.resource_id) for e in errors] == [
        (
            "DescribeCluster",
            "AccessDeniedException",
            "arn:aws:eks:eu-west-1:123456789012:cluster/old",
        )
    ]
    assert errors[0].resource_type == "aws.eks.cluster"
    resources = {r.name: r for r in (EksClusterCollector.normalise(i, CTX) for i in raw)}
    assert sorted(resources) == ["new", "old"]  # never a silently missing cluster
    assert resources["old"].attributes["version"] is None
    assert resources["old"].attributes["unreadable"]["version"] == "AccessDeniedException"
    assert resources["new"].attributes["unreadable"] == {}
    for resource in resources.values():
        validate_resource(resource)
