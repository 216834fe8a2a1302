"""``--format ocsf``: OCSF 1.5.0 Compliance Finding events (class_uid 2003), a JSON array.

Where it sits: the last stage (report), one registered format (``write_ocsf(report, out)``), for
security data lakes (Amazon Security Lake, SIEMs) that ingest OCSF. One event per finding,
shaped as the Compliance Finding class of OCSF 1.5.0
(https://schema.ocsf.io/1.5.0/classes/compliance_finding, read 2026-11-25), the version
``py-ocsf-models`` 0.10.0 (the models Prowler uses) implements; the tests validate every event
with those models. The account and region go in the ``cloud`` profile object (declared in
``metadata.profiles``).

Mapping: severity -> ``severity_id`` (info 1 ... critical 5); outcome -> ``compliance.status_id``
(fail 3 Fail; evaluation error 2 Warning: "did not yield a result due to missing information";
resolved 1 Pass); history status -> ``status_id`` (new and open 1 New, suppressed 3, resolved
4) and ``activity_id`` (new 1 Create, open and suppressed 2 Update, resolved 3 Close).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from engine import __version__
from engine.clock import parse_timestamp
from engine.model import Finding
from engine.report import Report
from engine.reports import FORMATS, to_string, write_joined

OCSF_VERSION = "1.5.0"
CLASS_UID = 2003
CATEGORY_UID = 2
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAMES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
STATUS = {
    "new": (1, "New"),
    "open": (1, "New"),
    "suppressed": (3, "Suppressed"),
    "resolved": (4, "Resolved"),
}
ACTIVITY = {
    "new": (1, "Create"),
    "open": (2, "Update"),
    "suppressed": (2, "Update"),
    "resolved": (3, "Close"),
}


@FORMATS.register("ocsf")
def write_ocsf(report: Report, out: TextIO) -> None:
    """A JSON array, one event per line (keys sorted): readable, diffable and fast to write."""
    events = (
        json.dumps(event(report, f), sort_keys=True, ensure_ascii=False) for f in report.findings
    )
    write_joined(out, events, separator=",\n", ends=("[\n", "\n]\n"), empty="[]\n")


def render_ocsf(report: Report) -> str:
    return to_string(write_ocsf, report)


def millis(timestamp: str) -> int:
    """OCSF ``timestamp_t``: milliseconds since the Unix epoch."""
    return int(parse_timestamp(timestamp).timestamp() * 1000)


def event(report: Report, f: Finding) -> dict[str, Any]:
    activity_id, activity = ACTIVITY[f.status]
    status_id, status = STATUS[f.status]
    severity_id = SEVERITY_IDS[f.severity]
    return {
        "activity_id": activity_id,
        "activity_name": activity,
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + activity_id,
        "type_name": f"Compliance Finding: {activity}",
        "time": millis(report.now),
        "severity_id": severity_id,
        "severity": SEVERITY_NAMES[severity_id],
        "status_id": status_id,
        "status": status,
        **({"status_detail": f.note} if f.note else {}),
        "message": _message(f),
        "metadata": _metadata(report, f),
        "finding_info": _finding_info(f),
        "compliance": _compliance(f),
        "resources": [_resource(f)],
        "evidences": [{"data": dict(f.evidence)}] if f.evidence else [],
        "remediation": _remediation(f),
        "cloud": {
            "provider": "AWS",
            "region": f.region,
            "account": {
                "uid": f.account_id,
                "name": f.account_id,
                "type_id": 10,
                "type": "AWS Account",
            },
        },
        "unmapped": _unmapped(f),
    }


def _message(f: Finding) -> str:
    if f.outcome == "error":
        return f"Could not evaluate {f.rule_id} on {f.resource_id}: {f.error or 'unknown error'}"
    return f"{f.title}: {f.resource_id}"


def _metadata(report: Report, f: Finding) -> dict[str, Any]:
    return {
        "version": OCSF_VERSION,
        "profiles": ["cloud"],
        "event_code": f.rule_id,
        "uid": f"{report.manifest.scan_id}/{f.finding_id}",
        "correlation_uid": f.finding_id,
        "product": {
            "name": "aws-inventory-engine",
            "vendor_name": "aws-inventory-engine",
            "version": report.manifest.engine_version or __version__,
        },
    }


def _finding_info(f: Finding) -> dict[str, Any]:
    return {
        "uid": f.finding_id,
        "title": f.title,
        "desc": f.explanation or f.title,
        "types": [f.category],
        "first_seen_time": millis(f.first_seen),
        "last_seen_time": millis(f.last_seen),
    }


def _compliance(f: Finding) -> dict[str, Any]:
    if f.status == "resolved":
        status_id, status = 1, "Pass"
    elif f.outcome == "error":
        status_id, status = 2, "Warning"
    else:
        status_id, status = 3, "Fail"
    standards = sorted(
        f"{name}:{ref}"
        for name, refs in f.references.items()
        if name != "docs"
        for ref in (refs if isinstance(refs, list) else [refs])
    )
    return {
        "control": f.rule_id,
        "desc": f.title,
        "status_id": status_id,
        "checks": [
            {
                "uid": f.rule_id,
                "name": f.title,
                "severity_id": SEVERITY_IDS[f.severity],
                "status_id": status_id,
                "status": status,
            }
        ],
        **({"standards": standards} if standards else {}),
    }


def _resource(f: Finding) -> dict[str, Any]:
    parts = f.resource_id.split(":")
    resource: dict[str, Any] = {
        "uid": f.resource_id,
        "type": f.resource_type,
        "region": f.region,
        "data": {"account_id": f.account_id},
    }
    if f.resource_name:
        resource["name"] = f.resource_name
    if len(parts) > 2 and parts[0] == "arn":
        resource["cloud_partition"] = parts[1]
    return resource


def _remediation(f: Finding) -> dict[str, Any]:
    docs = [str(d) for d in f.references.get("docs") or []]
    return {"desc": f.remediation, **({"references": docs} if docs else {})}


def _unmapped(f: Finding) -> dict[str, Any]:
    extra = {
        "outcome": f.outcome,
        "rank": f.rank,
        "score": f.score,
        "explained_by": f.explained_by,
        "error": f.error,
        "estimated_monthly_cost_usd": f.estimated_monthly_cost_usd,
    }
    return {k: v for k, v in extra.items() if v is not None}
