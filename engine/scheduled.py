"""The scheduled run: one scan split into parts, as the Step Functions deployment runs it.

The state machine runs ``collect_part`` once per (account, region) target, each storing its
part of the scan (resources and a part manifest, under ``<scan_id>.<account>.<region>``), then
``analyse_scan`` once: it merges the parts, runs the same ``engine.pipeline.check`` as the CLI
(history, ranking, the optional Bedrock explainer), writes the HTML report to S3 when a bucket
is configured (streamed to a temporary file in /tmp, then uploaded) and publishes the email.
A target whose part is missing (its collector failed after retries) is a collection error of
the scan, which is then partial; never silently absent.
The Lambda handlers in ``lambdas/`` read ``Settings`` once and call these two functions.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from engine.clock import Clock, iso, parse_timestamp
from engine.errors import ConfigError, RuntimeFailure, one_line
from engine.model import CollectionError, Resource, ScanManifest

PART_SEPARATOR = "."


@dataclass(frozen=True)
class Settings:
    """The deployment's settings, from the Lambda environment (see terraform lambda.tf)."""

    table: str
    retention_days: int = 90
    topic_arn: str | None = None
    notify_when: str = "on_findings"
    bedrock_model_id: str | None = None
    bedrock_region: str = "us-east-1"
    include_resource_names: bool = False
    report_bucket: str | None = None
    report_prefix: str = "reports/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check the environment; a bad value is a ConfigError naming the variable."""
        env = os.environ if env is None else env
        table = env.get("INVENTORY_TABLE_NAME", "").strip()
        if not table:
            raise ConfigError("INVENTORY_TABLE_NAME: required (the DynamoDB table name)")
        days = env.get("INVENTORY_RETENTION_DAYS", "90").strip()
        # at most 4 significant digits before int(): past 4,300 it raises a bare ValueError
        digits = days.isascii() and days.isdigit() and len(days.lstrip("0")) <= 4
        retention = int(days.lstrip("0") or "0") if digits else 0
        if not 1 <= retention <= 3650:
            got = one_line(repr(days), 100)
            raise ConfigError(f"INVENTORY_RETENTION_DAYS: expected 1..3650 days, got {got}")
        names = env.get("INVENTORY_INCLUDE_RESOURCE_NAMES", "false").strip().lower()
        if names not in ("true", "false"):
            got = one_line(repr(names), 100)
            raise ConfigError(
                f"INVENTORY_INCLUDE_RESOURCE_NAMES: expected true or false, got {got}"
            )
        when = env.get("INVENTORY_NOTIFY_WHEN", "on_findings").strip()
        if when not in ("always", "on_findings", "on_new_or_critical"):
            raise ConfigError(f"INVENTORY_NOTIFY_WHEN: unknown policy {one_line(repr(when), 100)}")
        return cls(
            table=table,
            retention_days=retention,
            topic_arn=env.get("INVENTORY_TOPIC_ARN", "").strip() or None,
            notify_when=when,
            bedrock_model_id=env.get("INVENTORY_BEDROCK_MODEL_ID", "").strip() or None,
            bedrock_region=env.get("INVENTORY_BEDROCK_REGION", "").strip() or "us-east-1",
            include_resource_names=names == "true",
            report_bucket=env.get("INVENTORY_REPORT_BUCKET", "").strip() or None,
            report_prefix=env.get("INVENTORY_REPORT_PREFIX", "reports/").strip(),
        )


def part_id(scan_id: str, account_id: str, region: str) -> str:
    """The store key of one (account, region) part of a scan."""
    return PART_SEPARATOR.join((scan_id, account_id, region))


def _require(event: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if not isinstance(event.get(name), str) or not event[name]:
            raise ConfigError(f"event: {name}: required string")


def collect_part(
    event: Mapping[str, Any], settings: Settings, session: Any, clock: Clock
) -> dict[str, Any]:
    """Collect one (account, region) target and store it as a part of the scan."""
    from collectors.accounts import AccountTarget
    from collectors.runner import collect
    from engine.store import open_store
    from engine.store.base import ScanSummary

    _require(event, "account_id", "region", "scan_id", "started_at")
    account, region, scan_id = event["account_id"], event["region"], event["scan_id"]
    targets = []
    if event.get("role_arn"):
        targets = [AccountTarget(account, event["role_arn"], event.get("external_id"))]
    result = collect(
        session, [region], clock=clock, accounts=targets, scan_id=part_id(scan_id, account, region)
    )
    started = iso(parse_timestamp(event["started_at"])) or ""
    manifest = replace(result.manifest, started_at=started)
    store = open_store(
        f"dynamodb:{settings.table}", retention_days=settings.retention_days, session=session
    )
    try:
        wrote = store.put_resources(manifest, result.resources)
        store.put_manifest(manifest, ScanSummary(wrote.ok, len(result.resources), 0, ()))
    finally:
        store.close()
    if not wrote.ok:
        # nothing half-stored may look complete: fail the item, the Map retries it
        raise RuntimeFailure(f"{len(wrote.unwritten)} of {wrote.attempted} resources not stored")
    return {
        "scan_id": scan_id,
        "account_id": account,
        "region": region,
        "status": "partial" if manifest.partial else "complete",
        "resources": len(result.resources),
        "errors": len(manifest.errors),
        "api_calls": sum(manifest.api_calls.values()),
    }


def merge_parts(
    scan_id: str,
    started_at: str,
    parts: list[tuple[str, str, ScanManifest | None]],
    finished_at: str,
) -> ScanManifest:
    """One scan manifest from its parts; a missing part is a collection error."""
    errors: list[CollectionError] = []
    api_calls: dict[str, int] = {}
    types: set[str] = set()
    live: dict[tuple[str, str], Any] = {}
    notes: set[str] = set()
    for account, region, part in parts:
        if part is None:
            errors.append(
                CollectionError(
                    account,
                    region,
                    "lambda",
                    "CollectPart",
                    "PartMissing",
                    "the collector stored no part for this target (it failed after its retries)",
                )
            )
            continue
        errors.extend(part.errors)
        types.update(part.resource_types)
        for key, count in part.api_calls.items():
            api_calls[key] = api_calls.get(key, 0) + count
        for row in (part.lifecycle or {}).get("live", []):
            live[(row["product"], row["major"])] = row
        notes.update((part.lifecycle or {}).get("notes", []))
    return ScanManifest(
        scan_id=scan_id,
        source="aws",
        simulated=False,
        started_at=started_at,
        finished_at=finished_at,
        accounts=sorted({a for a, _, _ in parts}),
        regions=sorted({r for _, r, _ in parts}),
        resource_types=sorted(types),
        api_calls=dict(sorted(api_calls.items())),
        errors=sorted(errors, key=lambda e: (e.account_id, e.region, e.service, e.operation)),
        lifecycle={"live": [live[k] for k in sorted(live)], "notes": sorted(notes)},
    )


def analyse_scan(
    event: Mapping[str, Any],
    settings: Settings,
    session: Any,
    clock: Clock,
    bedrock_client: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Merge the scan's parts, evaluate, rank, explain, store history, report and notify."""
    from engine.heap import settled_heap

    with settled_heap():  # over the reports too: see engine/heap.py
        return _analyse(event, settings, session, clock, bedrock_client)


def _analyse(
    event: Mapping[str, Any],
    settings: Settings,
    session: Any,
    clock: Clock,
    bedrock_client: Callable[[], Any] | None,
) -> dict[str, Any]:
    from engine.pipeline import CheckOptions, check
    from engine.rules import load_rules
    from engine.sources import StaticSource
    from engine.store import open_store

    _require(event, "scan_id", "started_at")
    scan_id, targets = event["scan_id"], event.get("targets")
    if not isinstance(targets, list):
        raise ConfigError("event: targets: required list of {account_id, region}")
    now = clock()
    started = iso(parse_timestamp(event["started_at"])) or ""
    store = open_store(
        f"dynamodb:{settings.table}", retention_days=settings.retention_days, session=session
    )
    try:
        parts = []
        for target in targets:
            account, region = str(target["account_id"]), str(target["region"])
            parts.append((account, region, store.scan_manifest(part_id(scan_id, account, region))))
        manifest = merge_parts(scan_id, started, parts, iso(now) or "")
        resources = _stream_parts(store, scan_id, parts)
        options = CheckOptions(
            store=store,
            store_resources=False,
            explain=_explain_config(settings),
            bedrock_client=bedrock_client,
        )
        report = check(StaticSource(resources, manifest), load_rules(), now, options=options)
    finally:
        store.close()
    location = _write_html(report, settings, session)
    notified = _notify(report, settings, session, location)
    severities = report.severity_counts()
    return {
        "scan_id": scan_id,
        "resources": sum(int(c["count"]) for c in report.manifest.counts),
        "findings": severities,
        "evaluation_errors": len(report.errors),
        "collection_errors": len(manifest.errors),
        "partial": manifest.partial,
        "ranked_by": report.ranked_by,
        "eol_warnings": sum(1 for f in report.failures if f.category == "lifecycle"),
        "estimated_monthly_savings_usd": report.estimated_monthly_savings(),
        "bedrock_fallback": bool(
            report.manifest.explain and report.manifest.explain.get("fallback_reason")
        ),
        "report": location,
        "notified": notified,
        "problems": report.problems,
    }


def _stream_parts(
    store: Any, scan_id: str, parts: list[tuple[str, str, ScanManifest | None]]
) -> Iterator[Resource]:
    """The scan's resources, one stored part (account x region) in memory at a time."""
    for account, region, part in parts:
        if part is not None:
            for resource in store.scan_resources(part_id(scan_id, account, region)):
                yield replace(resource, scan_id=scan_id)


def _explain_config(settings: Settings) -> Any:
    if not settings.bedrock_model_id:
        return None
    from engine.explain import ExplainConfig

    return ExplainConfig(
        model_id=settings.bedrock_model_id,
        region=settings.bedrock_region,
        include_resource_names=settings.include_resource_names,
    )


def _write_html(report: Any, settings: Settings, session: Any) -> str | None:
    """Write the report to S3 as two objects beside each other: ``findings.json.gz``, every
    finding (the JSON report, gzip), and ``report.html``, the page the e-mail links to (its
    table holds the 100,000 highest-ranked findings at most and names the JSON for the rest).
    Each is written to a temporary file in /tmp (Lambda's ephemeral storage) and uploaded
    from there: neither is ever held in memory whole (README, Reports)."""
    if not settings.report_bucket:
        return None
    from engine.reports.html import TABLE_MAX, write_html
    from engine.reports.json_format import write_json

    folder = f"{settings.report_prefix}{report.manifest.scan_id}/"
    complete = f"s3://{settings.report_bucket}/{folder}{FINDINGS_OBJECT}"
    _upload(
        session,
        settings.report_bucket,
        folder + FINDINGS_OBJECT,
        lambda out: write_json(report, out),
        content_type="application/gzip",
        gzipped=True,
    )
    _upload(
        session,
        settings.report_bucket,
        folder + "report.html",
        lambda out: write_html(
            report,
            out,
            table_max=TABLE_MAX if HTML_TABLE_MAX is None else HTML_TABLE_MAX,
            complete_list=f"{complete} (JSON, gzip)",
        ),
        content_type="text/html; charset=utf-8",
    )
    return f"s3://{settings.report_bucket}/{folder}report.html"


#: every finding of the scan, beside its HTML report
FINDINGS_OBJECT = "findings.json.gz"
#: rows of the HTML report's table at most; None: engine/reports/html.py's TABLE_MAX, which
#: says why (imported when a report is written: the collector never loads the reporters)
HTML_TABLE_MAX: int | None = None
#: gzip level of the findings object: 1 compresses JSON findings about 8:1 at several times
#: the speed of the default 9 (a 1,000,000-resource scan writes 2 GB of JSON)
GZIP_LEVEL = 1


def _upload(
    session: Any,
    bucket: str,
    key: str,
    writer: Callable[[io.TextIOWrapper], None],
    *,
    content_type: str,
    gzipped: bool = False,
) -> None:
    """One object, written by ``writer`` to a temporary file, then uploaded from the file."""
    # An unnamed file (O_TMPFILE on Linux): gone when closed, even if the function dies first,
    # so a warm Lambda never accumulates old reports in its /tmp.
    with tempfile.TemporaryFile(prefix="report-") as spool:
        raw: Any = spool
        if gzipped:
            raw = gzip.GzipFile(fileobj=spool, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer(text)
        text.detach()  # flushes; the file stays open for the upload
        if gzipped:
            raw.close()  # writes the gzip trailer; the file under it stays open
        spool.seek(0)
        # put_object, not a multipart upload: the role may only GenerateDataKey through S3
        session.client("s3").put_object(
            Bucket=bucket, Key=key, Body=spool, ContentType=content_type
        )


def _notify(
    report: Any, settings: Settings, session: Any, location: str | None
) -> dict[str, Any] | None:
    if not settings.topic_arn:
        return None
    from engine.notify.sns import SnsNotifier

    result = SnsNotifier(settings.topic_arn, when=settings.notify_when, session=session).notify(
        report, location
    )
    if result.failed:
        report.problems.append(f"notify {result.channel}: {result.error}")
    return {"sent": result.sent, "reason": result.reason, "error": result.error}


__all__ = ["Settings", "analyse_scan", "collect_part", "merge_parts", "part_id"]
