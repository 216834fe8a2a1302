"""Simulated EKS clusters: per region one on an end-of-life Kubernetes version (1.24), one on
1.31 with its API endpoint open to 0.0.0.0/0, and one on a current version (1.35), private.

moto checks that the cluster role exists, so the builder creates one IAM role (IAM is global).
Versions against the reference date 2026-11-25 (rules/data/eol.yaml): 1.24 left extended
support on 2025-01-31, 1.31 leaves it on 2026-11-26, 1.35 is in standard support until
2027-03-27. moto returns no ``upgradePolicy``. Recorded in ``ctx.made`` as
``eks:<name>-<region>`` -> cluster ARN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from simulator.base import SIMULATED_REGIONS, BuildContext

ORDER = 40
ROLE_NAME = "sim-eks-cluster"


@dataclass(frozen=True, slots=True)
class _Cluster:
    name: str  # the region is appended: "platform-us-east-1"
    version: str
    created_days_ago: int
    public_cidrs: tuple[str, ...] = ()  # empty: public endpoint off


_CLUSTERS = (
    _Cluster("legacy-k8s", "1.24", 1100),
    _Cluster("apps", "1.31", 420, public_cidrs=("0.0.0.0/0",)),
    _Cluster("platform", "1.35", 200),
    # a Kubernetes version newer than the shipped lifecycle data: an info finding
    _Cluster("canary", "1.37", 3),
)


def describe() -> list[str]:
    return [
        f"{region}: EKS cluster {spec.name}-{region} (Kubernetes {spec.version}, endpoint "
        f"{'public to ' + ', '.join(spec.public_cidrs) if spec.public_cidrs else 'private'})"
        for region in SIMULATED_REGIONS
        for spec in _CLUSTERS
    ]


def build(ctx: BuildContext) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "eks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = ctx.session.client("iam")
    role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    for region in ctx.regions:
        ec2 = ctx.session.client("ec2", region_name=region)
        subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"])[:2]
        eks = ctx.session.client("eks", region_name=region)
        for spec in _CLUSTERS:
            name = f"{spec.name}-{region}"
            public = bool(spec.public_cidrs)
            with ctx.freeze(ctx.now - timedelta(days=spec.created_days_ago)):
                answer = eks.create_cluster(
                    name=name,
                    version=spec.version,
                    roleArn=role_arn,
                    resourcesVpcConfig={
                        "subnetIds": subnets,
                        "endpointPublicAccess": public,
                        "endpointPrivateAccess": not public,
                        **({"publicAccessCidrs": list(spec.public_cidrs)} if public else {}),
                    },
                    tags={"Environment": "prod" if spec.name != "legacy-k8s" else "dev"},
                )
            ctx.made[f"eks:{name}"] = answer["cluster"]["arn"]
