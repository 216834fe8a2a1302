"""``collect()``: run the registered collectors over an account's regions.

First stage of the pipeline. Every failed call is recorded as a ``CollectionError`` in the scan
manifest (the scan is then partial and the CLI exits 3); a failed region is never an empty list,
and the other regions' resources are still returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

import engine
from collectors import load_all
from collectors.base import Api, Collector, ScanContext, describe_error
from collectors.session import ApiCallCounter, client_factory
from engine.clock import Clock, iso
from engine.errors import EngineError
from engine.model import CollectionError, Resource, ScanManifest, count_resources

AWS_ERRORS = (ClientError, BotoCoreError)
Progress = Callable[[str], None]


class CollectionFailure(EngineError):
    """Collection could not start at all (no credentials, no account identity)."""


@dataclass
class CollectResult:
    resources: list[Resource]
    manifest: ScanManifest
    errors: list[CollectionError] = field(default_factory=list)


def new_scan_id(now: datetime) -> str:
    """``scan-YYYYmmddTHHMMSSZ-xxxxxxxx``: sortable by time, unique by suffix."""
    return f"scan-{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"


def resolve_regions(session: boto3.Session, regions: Sequence[str], factory: Any) -> list[str]:
    """Expand ``all`` to the account's enabled regions (DescribeRegions without AllRegions)."""
    wanted = [r for r in regions if r]
    if "all" not in wanted:
        if not wanted:
            default = session.region_name or "us-east-1"
            return [default]
        return sorted(dict.fromkeys(wanted))
    home = session.region_name or "us-east-1"
    try:
        answer = factory("ec2", home).describe_regions()
    except AWS_ERRORS as exc:
        code, message = describe_error(exc)
        raise CollectionFailure(f"cannot list enabled regions: {code}: {message}") from exc
    return sorted(r["RegionName"] for r in answer.get("Regions", []))


def account_identity(factory: Any, regions: Sequence[str]) -> str:
    """The account id of the credentials in use (STS GetCallerIdentity).

    Tried in each candidate region in turn: one denied region must not stop the whole scan.
    """
    last: BaseException | None = None
    for region in dict.fromkeys(regions):
        try:
            return str(factory("sts", region).get_caller_identity()["Account"])
        except AWS_ERRORS as exc:
            last = exc
    assert last is not None
    code, message = describe_error(last)
    raise CollectionFailure(f"cannot identify the AWS account: {code}: {message}") from last


def collect(
    session: boto3.Session,
    regions: Sequence[str],
    *,
    clock: Clock,
    resource_types: Sequence[str] | None = None,
    progress: Progress | None = None,
    source: str = "aws",
    simulated: bool = False,
    scan_id: str | None = None,
) -> CollectResult:
    """Collect every registered resource type in the account's ``regions``."""
    started = clock()
    scan_id = scan_id or new_scan_id(started)
    counter = ApiCallCounter()
    factory = client_factory(session, counter)
    region_list = resolve_regions(session, regions, factory)
    home = session.region_name or "us-east-1"
    account_id = account_identity(factory, [home, *region_list])
    errors: list[CollectionError] = []
    api = Api(account_id, tuple(region_list), factory, errors.append)

    registry = load_all()
    types = list(resource_types) if resource_types else sorted(registry)
    unknown = [t for t in types if t not in registry]
    if unknown:
        raise CollectionFailure(f"unknown resource type(s): {', '.join(unknown)}")

    resources: list[Resource] = []
    collected_at = iso(started) or ""
    for type_name in types:
        collector = registry[type_name]()
        # Global services (S3 ListBuckets) are listed once, from the session's home region.
        scopes = [home] if collector.global_service else region_list
        for region in scopes:
            if progress:
                where = "all regions" if collector.global_service else region
                progress(f"collecting {type_name} in {where} ...")
            resources.extend(
                _run_one(
                    collector,
                    api,
                    region,
                    account_id=account_id,
                    scan_id=scan_id,
                    collected_at=collected_at,
                )
            )

    resources.sort(key=lambda r: (r.resource_type, r.region, r.resource_id))
    manifest = ScanManifest(
        scan_id=scan_id,
        source=source,
        simulated=simulated,
        started_at=collected_at,
        finished_at=iso(clock()) or "",
        accounts=[account_id],
        regions=region_list,
        resource_types=types,
        counts=count_resources(resources),
        api_calls=dict(counter.calls),
        errors=sorted(errors, key=_error_key),
        engine_version=engine.__version__,
    )
    return CollectResult(resources=resources, manifest=manifest, errors=manifest.errors)


def _error_key(e: CollectionError) -> tuple[str, ...]:
    return (e.account_id, e.region, e.service, e.operation, e.error_code, e.message)


def _run_one(
    collector: Collector,
    api: Api,
    region: str,
    *,
    account_id: str,
    scan_id: str,
    collected_at: str,
) -> list[Resource]:
    """One collector in one region (or once, for a global service); failures recorded."""
    out: list[Resource] = []
    err_region = "global" if collector.global_service else region
    try:
        for raw in collector.fetch(api, region):
            item_region = collector.region_of(raw, region)
            ctx = ScanContext(account_id, item_region, scan_id, collected_at)
            try:
                out.append(collector.normalise(raw, ctx))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                # A response we cannot read is a recorded error, never a silent drop.
                api.record_error(
                    item_region,
                    collector.service,
                    "normalise",
                    exc,
                    resource_type=collector.resource_type,
                )
    except AWS_ERRORS as exc:
        api.record_error(
            err_region,
            collector.service,
            collector.operation,
            exc,
            resource_type=collector.resource_type,
        )
    return out
