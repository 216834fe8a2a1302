"""``--format asff``: AWS Security Finding Format, ready for Security Hub ``BatchImportFindings``.

Where it sits: the last stage (report), one registered format (``write_asff(report, out)``). The
document is ``{"Findings": [...]}``, the request parameters of
``securityhub.batch_import_findings``; an importer sends them 100 at a time (the API's limit) to
the finding's region.

ASFF (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html,
read 2026-11-25) choices:

* ``ProductArn`` is the default custom-integration product of the finding's account,
  ``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``: an account may
  import findings for itself without a partner integration;
* ``Id`` is ``aws-inventory-engine/<finding_id>`` (stable), so a re-import updates in place;
* ``Compliance.Status``: FAILED for a finding, WARNING for an evaluation error, PASSED once
  resolved; resolved findings are also ``RecordState: ARCHIVED``;
* ``Workflow.Status``: NEW, SUPPRESSED or RESOLVED from the history status;
* Security Hub caps ``Title`` at 256 and ``Description`` at 1,024 characters, ``Remediation``
  text at 512, and ``ProductFields`` / ``Details.Other`` values at 2,048 / 1,024: longer text is
  shortened with a visible marker (botocore's validation does not check maximum lengths).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from engine.model import Finding
from engine.report import Report
from engine.reports import FORMATS, to_string, write_joined

SCHEMA_VERSION = "2018-10-08"
PRODUCT = "aws-inventory-engine"
LABELS = {
    "critical": "CRITICAL",
    "high": "HIGH",
    "medium": "MEDIUM",
    "low": "LOW",
    "info": "INFORMATIONAL",
}
WORKFLOW = {"new": "NEW", "open": "NEW", "suppressed": "SUPPRESSED", "resolved": "RESOLVED"}
RESOURCE_TYPES = {
    "aws.ec2.instance": "AwsEc2Instance",
    "aws.ebs.volume": "AwsEc2Volume",
    "aws.ec2.volume": "AwsEc2Volume",
    "aws.s3.bucket": "AwsS3Bucket",
    "aws.rds.instance": "AwsRdsDbInstance",
    "aws.rds.cluster": "AwsRdsDbCluster",
    "aws.lambda.function": "AwsLambdaFunction",
    "aws.eks.cluster": "AwsEksCluster",
    "aws.dynamodb.table": "AwsDynamoDbTable",
}


@FORMATS.register("asff")
def write_asff(report: Report, out: TextIO) -> None:
    """``{"Findings": [...]}`` with one finding per line (keys sorted)."""
    findings = (
        json.dumps(asff_finding(report, f), sort_keys=True, ensure_ascii=False)
        for f in report.findings
    )
    ends = ('{"Findings": [\n', "\n]}\n")
    write_joined(out, findings, separator=",\n", ends=ends, empty='{"Findings": []}\n')


def render_asff(report: Report) -> str:
    return to_string(write_asff, report)


def fit(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters; a cut is marked, never silent."""
    if len(text) <= limit:
        return text
    marker = " [...]"
    return text[: limit - len(marker)] + marker


def asff_finding(report: Report, f: Finding) -> dict[str, Any]:
    partition = _partition(f.resource_id)
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"{PRODUCT}/{f.finding_id}",
        "ProductArn": (
            f"arn:{partition}:securityhub:{f.region}:{f.account_id}:product/{f.account_id}/default"
        ),
        "ProductName": PRODUCT,
        "CompanyName": PRODUCT,
        "GeneratorId": f.rule_id,
        "AwsAccountId": f.account_id,
        "Region": f.region,
        "Types": [f"Software and Configuration Checks/AWS Security Best Practices/{f.category}"],
        "CreatedAt": f.first_seen,
        "UpdatedAt": report.now,
        "FirstObservedAt": f.first_seen,
        "LastObservedAt": f.last_seen,
        "Severity": {"Label": LABELS[f.severity], "Original": f.severity},
        "Title": fit(f.title, 256),
        "Description": fit(_description(f), 1024),
        "Remediation": {"Recommendation": _recommendation(f)},
        "Resources": [_resource(f, partition)],
        "Compliance": _compliance(f),
        "RecordState": "ARCHIVED" if f.status == "resolved" else "ACTIVE",
        "Workflow": {"Status": WORKFLOW[f.status]},
        "ProductFields": _product_fields(report, f),
    }
    if f.note:
        finding["Note"] = {"Text": fit(f.note, 512), "UpdatedBy": PRODUCT, "UpdatedAt": report.now}
    return finding


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def _description(f: Finding) -> str:
    if f.outcome == "error":
        return f"Could not evaluate {f.rule_id} on {f.resource_id}: {f.error or 'unknown error'}"
    text = f"{f.title}: {f.resource_id}."
    if f.explanation:
        text += f" {f.explanation} (explained by {f.explained_by})"
    return text


def _recommendation(f: Finding) -> dict[str, str]:
    recommendation = {"Text": fit(f.remediation, 512)}
    docs = f.references.get("docs") or []
    if docs:
        recommendation["Url"] = str(docs[0])
    return recommendation


def _resource(f: Finding, partition: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "Type": RESOURCE_TYPES.get(f.resource_type, "Other"),
        "Id": f.resource_id,
        "Partition": partition,
        "Region": f.region,
    }
    other = {
        fit(key, 128): fit(_text(value), 1024) for key, value in sorted(f.evidence.items())[:50]
    }
    if f.resource_name:
        other.setdefault("resource_name", fit(f.resource_name, 1024))
    if other:
        resource["Details"] = {"Other": other}
    return resource


def _compliance(f: Finding) -> dict[str, Any]:
    if f.status == "resolved":
        status = "PASSED"
    elif f.outcome == "error":
        status = "WARNING"
    else:
        status = "FAILED"
    related = [
        f"{name}:{ref}"
        for name, refs in sorted(f.references.items())
        if name != "docs"
        for ref in (refs if isinstance(refs, list) else [refs])
    ]
    compliance: dict[str, Any] = {"Status": status}
    if related:
        compliance["RelatedRequirements"] = related[:32]
    return compliance


def _product_fields(report: Report, f: Finding) -> dict[str, str]:
    fields = {
        f"{PRODUCT}/rule_id": f.rule_id,
        f"{PRODUCT}/resource_type": f.resource_type,
        f"{PRODUCT}/status": f.status,
        f"{PRODUCT}/outcome": f.outcome,
        f"{PRODUCT}/rank": "" if f.rank is None else str(f.rank),
        f"{PRODUCT}/scan_id": report.manifest.scan_id,
        f"{PRODUCT}/explained_by": f.explained_by,
    }
    if f.estimated_monthly_cost_usd is not None:
        fields[f"{PRODUCT}/estimated_monthly_cost_usd"] = f"{f.estimated_monthly_cost_usd:.2f}"
    return {key: fit(value, 2048) for key, value in fields.items() if value}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return json.dumps(value)  # scalars: the default encoder, much faster than a keyed one
