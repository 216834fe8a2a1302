"""EKS clusters: ``ListClusters`` + ``DescribeCluster`` to ``Resource`` of type ``aws.eks.cluster``.

First stage of the pipeline (collect). ListClusters returns names only, so ``fetch`` describes
each cluster (one DescribeCluster per cluster is unavoidable: EKS has no batch describe).
A cluster whose DescribeCluster fails is still yielded, with its name and
``__unreadable__``, so the resource is present with null attributes that ``unreadable`` names,
and the failure is a recorded collection error: never a silently missing cluster.

The raw item is a DescribeCluster ``cluster``, or ``{"name", "__unreadable__": {"cluster":
error code}}``. Only allow-listed fields are copied: the certificate authority data, the OIDC
issuer and the encryption configuration are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from collectors.base import Api, Collector, ScanContext, register, to_iso
from collectors.secrets import redact_tags
from engine.model import Resource

AWS_ERRORS = (ClientError, BotoCoreError)
# A failed call, or an answer without its cluster: either way the cluster is unreadable.
_READ_ERRORS = (*AWS_ERRORS, KeyError, TypeError)
# Every attribute read from DescribeCluster, null and named in ``unreadable`` when it fails.
DESCRIBED = (
    "version",
    "platform_version",
    "status",
    "endpoint_public_access",
    "endpoint_private_access",
    "public_access_cidrs",
    "upgrade_policy_support_type",
    "created_at",
    "role_arn",
)


@register
class EksClusterCollector(Collector):
    """Every EKS cluster in a region."""

    resource_type = "aws.eks.cluster"
    service = "eks"
    operation = "ListClusters"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        client = api.client("eks", region)
        for page in client.get_paginator("list_clusters").paginate():
            for name in page.get("clusters", []):
                try:
                    yield dict(client.describe_cluster(name=name)["cluster"])
                except _READ_ERRORS as exc:
                    code = api.record_error(
                        region,
                        "eks",
                        "DescribeCluster",
                        exc,
                        resource_type=self.resource_type,
                        resource_id=f"arn:aws:eks:{region}:{api.account_id}:cluster/{name}",
                    )
                    yield {"name": name, "__unreadable__": {"cluster": code}}

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        name = raw["name"]
        failed = (raw.get("__unreadable__") or {}).get("cluster")
        attributes: dict[str, Any] = {"cluster_name": name}
        if failed:
            attributes |= dict.fromkeys(DESCRIBED)
            unreadable = dict.fromkeys((*DESCRIBED, "tags"), str(failed))
            tags: dict[str, str] = {}
        else:
            attributes |= _described(raw)
            unreadable = {}
            tags = redact_tags({str(k): str(v) for k, v in (raw.get("tags") or {}).items()})
        attributes["unreadable"] = dict(sorted(unreadable.items()))
        status = attributes["status"]
        return Resource(
            resource_id=f"arn:{ctx.partition}:eks:{ctx.region}:{ctx.account_id}:cluster/{name}",
            resource_type=EksClusterCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            state=status.lower() if status else None,
            created_at=attributes["created_at"],
            tags=tags,
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )


def _described(raw: dict[str, Any]) -> dict[str, Any]:
    vpc = raw.get("resourcesVpcConfig") or {}
    # When absent, the endpoint flags take the API defaults (public on, private off), and
    # publicAccessCidrs defaults to 0.0.0.0/0; AWS keeps returning the CIDRs even while public
    # access is off, so a rule must read both.
    # https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html
    # (read 2026-11-25)
    public = vpc.get("endpointPublicAccess")
    private = vpc.get("endpointPrivateAccess")
    # upgradePolicy.supportType is the cluster's preference after standard support ends
    # (STANDARD: auto-upgrade; EXTENDED: stay, at extra cost), not its current billing state.
    # moto 5.2 never returns upgradePolicy: None then means "not reported".
    # https://docs.aws.amazon.com/eks/latest/APIReference/API_UpgradePolicyResponse.html
    # (read 2026-11-25)
    support = (raw.get("upgradePolicy") or {}).get("supportType")
    return {
        "version": raw.get("version"),
        "platform_version": raw.get("platformVersion"),
        "status": raw.get("status"),
        "endpoint_public_access": True if public is None else bool(public),
        "endpoint_private_access": False if private is None else bool(private),
        "public_access_cidrs": sorted(str(c) for c in vpc.get("publicAccessCidrs") or []),
        "upgrade_policy_support_type": support,
        "created_at": to_iso(raw.get("createdAt")),
        "role_arn": raw.get("roleArn"),
    }
