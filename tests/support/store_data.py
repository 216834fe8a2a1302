"""Small builders for the history and store tests: scans, resources and findings.

Real model objects (``engine.model``), built the way the collectors and the evaluator build
them, with the fields each test varies as keyword arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.model import CollectionError, Finding, Resource, ScanManifest, count_resources
from engine.model import finding_id as make_id

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
EC2 = "aws.ec2.instance"
S3 = "aws.s3.bucket"
RULES = ("ec2-stopped-long", "s3-versioning-off")


def arn(name: str, region: str = "us-east-1", account: str = ACCOUNT, kind: str = EC2) -> str:
    if kind == S3:
        return f"arn:aws:s3:::{name}"
    return f"arn:aws:ec2:{region}:{account}:instance/{name}"


def resource(
    name: str,
    *,
    scan_id: str = "scan-1",
    collected_at: str = "2026-11-01T06:00:00Z",
    region: str = "us-east-1",
    account: str = ACCOUNT,
    kind: str = EC2,
    attributes: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> Resource:
    return Resource(
        resource_id=arn(name, region, account, kind),
        resource_type=kind,
        account_id=account,
        region=region,
        name=name,
        state="stopped",
        created_at="2025-01-01T00:00:00Z",
        tags=tags if tags is not None else {"team": "platform"},
        attributes=attributes if attributes is not None else {"cpu": 2, "cost": 12.5},
        collected_at=collected_at,
        scan_id=scan_id,
    )


def finding(
    name: str,
    *,
    rule: str = RULES[0],
    stamp: str = "2026-11-01T06:00:00Z",
    region: str = "us-east-1",
    account: str = ACCOUNT,
    kind: str = EC2,
    status: str = "new",
    outcome: str = "fail",
    first_seen: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    """A finding as the evaluator makes it (``first_seen = last_seen = stamp``)."""
    resource_id = arn(name, region, account, kind)
    return Finding(
        finding_id=make_id(rule, resource_id),
        rule_id=rule,
        resource_id=resource_id,
        resource_type=kind,
        resource_name=name,
        account_id=account,
        region=region,
        outcome=outcome,  # type: ignore[arg-type]
        severity="high",
        category="cost",
        title="Instance stopped for more than 30 days",
        evidence=evidence if evidence is not None else {"days_stopped": 45, "cost": 3.25},
        remediation="Terminate it or start it.",
        references={"docs": ["https://example.invalid/doc"]},
        status=status,  # type: ignore[arg-type]
        first_seen=first_seen or stamp,
        last_seen=stamp,
        error="condition yielded null" if outcome == "error" else None,
        estimated_monthly_cost_usd=3.25,
    )


def manifest(
    scan_id: str,
    started: str = "2026-11-01T06:00:00Z",
    *,
    accounts: Sequence[str] = (ACCOUNT,),
    regions: Sequence[str] = ("us-east-1",),
    types: Sequence[str] = (EC2, S3),
    resources: Sequence[Resource] = (),
    errors: Sequence[CollectionError] = (),
    rules: Sequence[str] | None = RULES,
) -> ScanManifest:
    """A manifest with the evaluation summary the pipeline adds (``per_rule`` per rule)."""
    evaluation = None
    if rules is not None:
        per_rule = {r: {"pass": 0, "fail": 0, "error": 0, "not_applicable": 0} for r in rules}
        evaluation = {"rules_evaluated": len(per_rule), "per_rule": per_rule}
    return ScanManifest(
        scan_id=scan_id,
        source="aws",
        simulated=False,
        started_at=started,
        finished_at=started,
        accounts=list(accounts),
        regions=list(regions),
        resource_types=list(types),
        counts=count_resources(list(resources)),
        api_calls={"ec2.DescribeInstances": 2},
        errors=list(errors),
        evaluation=evaluation,
        engine_version="0.1.0",
    )


def collection_error(
    region: str, service: str = "ec2", resource_type: str | None = EC2, account: str = ACCOUNT
) -> CollectionError:
    return CollectionError(
        account_id=account,
        region=region,
        service=service,
        operation="DescribeInstances",
        error_code="AccessDenied",
        message="denied by an SCP",
        resource_type=resource_type,
    )
