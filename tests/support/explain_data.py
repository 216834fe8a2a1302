"""Synthetic findings with a realistic rule mix, for the explainer's tests and measurements.

Shares roughly follow what the product's rules find in a large estate: many stopped instances,
unattached volumes and buckets without lifecycle or versioning, fewer end-of-life runtimes and
engines, a handful of evaluation errors. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.model import Finding, finding_id
from engine.ranker import rank

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


@dataclass(frozen=True)
class RuleMix:
    rule_id: str
    resource_type: str
    category: str
    severities: tuple[str, ...]
    weight: int
    title: str


MIX = (
    RuleMix("ec2-instance-stopped-too-long", "aws.ec2.instance", "cost", ("high", "medium"), 20,
            "EC2 instance stopped for more than 30 days"),
    RuleMix("ebs-volume-unattached", "aws.ec2.volume", "cost", ("medium",), 15,
            "EBS volume is not attached to any instance"),
    RuleMix("s3-bucket-versioning-disabled", "aws.s3.bucket", "reliability", ("medium",), 14,
            "S3 bucket does not have versioning enabled"),
    RuleMix("s3-bucket-no-lifecycle", "aws.s3.bucket", "cost", ("low",), 14,
            "S3 bucket has no active lifecycle configuration"),
    RuleMix("lambda-runtime-deprecated", "aws.lambda.function", "lifecycle", ("critical", "high"), 10,
            "Lambda function uses a deprecated runtime"),
    RuleMix("rds-engine-end-of-standard-support", "aws.rds.instance", "lifecycle",
            ("critical", "high"), 5, "RDS engine version is past or near end of standard support"),
    RuleMix("eks-version-end-of-standard-support", "aws.eks.cluster", "lifecycle", ("high",), 2,
            "EKS cluster Kubernetes version is near end of standard support"),
    RuleMix("backup-resource-not-protected", "aws.dynamodb.table", "reliability", ("high",), 8,
            "Resource is not covered by any AWS Backup plan"),
    RuleMix("ec2-instance-previous-generation", "aws.ec2.instance", "cost", ("low",), 6,
            "EC2 instance uses a previous-generation instance type"),
    RuleMix("ebs-snapshot-older-than-a-year", "aws.ec2.snapshot", "cost", ("low", "info"), 6,
            "EBS snapshot is older than 365 days"),
)  # fmt: skip


def _evidence(rule: RuleMix, rnd: random.Random) -> tuple[dict[str, Any], float | None]:
    if rule.rule_id == "ec2-instance-stopped-too-long":
        days = rnd.randint(31, 900)
        return {"days_stopped": days, "instance_type": rnd.choice(["m5.large", "t3.micro"]),
                "stopped_at": (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "state_transition_reason": "User initiated (2026-01-02 03:04:05 GMT)"}, round(
            rnd.uniform(3, 400), 2)  # fmt: skip
    if rule.rule_id == "ebs-volume-unattached":
        size = rnd.choice([8, 100, 500, 2000])
        return {"size_gib": size, "volume_type": "gp3"}, round(size * 0.08, 2)
    if rule.rule_id.startswith("s3-"):
        return {"versioning": rnd.choice(["Suspended", None]), "lifecycle_rule_count": 0}, None
    if rule.rule_id == "lambda-runtime-deprecated":
        return {"runtime": rnd.choice(["python3.8", "nodejs16.x"]), "phase": "deprecated",
                "days_left": rnd.randint(-400, 60)}, None  # fmt: skip
    if rule.rule_id == "rds-engine-end-of-standard-support":
        return {"engine": "postgres", "engine_version": "12.19",
                "days_to_end_of_standard_support": rnd.randint(-300, 120),
                "days_to_end_of_extended_support": rnd.randint(300, 900)}, round(
            rnd.uniform(50, 900), 2)  # fmt: skip
    if rule.rule_id == "eks-version-end-of-standard-support":
        return {"version": "1.29", "days_left": rnd.randint(5, 90)}, 365.0
    return {"age_days": rnd.randint(1, 2000)}, None


def synthetic_findings(
    count: int, seed: int = 7, rules: tuple[RuleMix, ...] = MIX
) -> list[Finding]:
    """``count`` findings, ranked by the deterministic ranker."""
    rnd = random.Random(seed)
    weights = [r.weight for r in rules]
    out: list[Finding] = []
    for index in range(count):
        rule = rnd.choices(rules, weights)[0]
        account, region = rnd.choice(ACCOUNTS), rnd.choice(REGIONS)
        name = f"{rule.resource_type.split('.')[-1]}-prod-{index:06d}"
        resource_id = f"arn:aws:{rule.resource_type.split('.')[1]}:{region}:{account}:{name}"
        evidence, cost = _evidence(rule, rnd)
        error = index % 397 == 0
        first_seen = NOW - timedelta(days=rnd.randint(0, 400))
        out.append(
            Finding(
                finding_id=finding_id(rule.rule_id, resource_id),
                rule_id=rule.rule_id,
                resource_id=resource_id,
                resource_type=rule.resource_type,
                resource_name=name,
                account_id=account,
                region=region,
                outcome="error" if error else "fail",
                severity=rnd.choice(rule.severities),  # type: ignore[arg-type]
                category=rule.category,  # type: ignore[arg-type]
                title=rule.title,
                evidence={} if error else evidence,
                remediation="See the rule.",
                references={},
                status=rnd.choice(["new", "open", "open", "open", "suppressed"]),
                first_seen=first_seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
                last_seen=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
                error="condition did not yield a boolean" if error else None,
                estimated_monthly_cost_usd=None if error else cost,
            )
        )
    return rank(out)


def many_rules(count: int) -> tuple[RuleMix, ...]:
    """``count`` distinct rules (cycling through the mix's shapes) for group-cap tests."""
    return tuple(
        RuleMix(f"{base.rule_id}-{i:02d}", base.resource_type, base.category, base.severities, 1,
                f"{base.title} (variant {i})")
        for i, base in ((i, MIX[i % len(MIX)]) for i in range(count))
    )  # fmt: skip


def identity(f: Finding) -> tuple[str, str, str, str, str]:
    """What must never change: id, severity, evidence, status (and outcome)."""
    import json

    return (f.finding_id, f.severity, json.dumps(f.evidence, sort_keys=True), f.status, f.outcome)


def same_set(result: list[Finding], ranked: list[Finding]) -> bool:
    """The exact same findings, each with the same identity, no more, no fewer."""
    return sorted(map(identity, result)) == sorted(map(identity, ranked)) and len(result) == len(
        ranked
    )
