"""``collect()``: run the registered collectors over accounts and regions, concurrently.

First stage of the pipeline. Work is one task per (account, region, collector), run by a
bounded pool of threads, so a scan of N regions takes about as long as the slowest region, not
the sum. A per-(account, region, service) cap keeps the scan from starving the account's own
workloads of API quota. Every failed call is recorded as a ``CollectionError`` in the scan
manifest (the scan is then partial and the CLI exits 3): a failed region or account is never
an empty list, and everything else is still returned. So is every item a collector cannot read
or turns into a Resource that does not fit the schema (``read_item``): a "normalise" error.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

import engine
from collectors import load_all
from collectors.accounts import AccountTarget, assumed_session
from collectors.backup_coverage import RESOURCE_TYPE as BACKUP_COVERAGE
from collectors.backup_coverage import fetch_backup_coverage
from collectors.base import Api, Collector, ScanContext, describe_error
from collectors.lifecycle_live import LiveLifecycle, fetch_live_lifecycle
from collectors.session import ApiCallCounter, client_factory
from engine.backup_join import BACKUP_TYPES, join_backup
from engine.clock import Clock, iso
from engine.errors import EngineError, one_line
from engine.model import CollectionError, Resource, ScanManifest, count_resources
from engine.schema import dotted, resource_errors

AWS_ERRORS = (ClientError, BotoCoreError)
#: What ``normalise`` raises on an item it cannot read (a missing key, a wrong type, a value
#: that does not parse) and ``read_item`` on a resource that does not fit the schema: each is
#: recorded as a "normalise" error. Anything else is a bug in a collector, and propagates.
RECORDED: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError, AttributeError)
_LISTING_FAILURES: tuple[type[Exception], ...] = (*AWS_ERRORS, *RECORDED)
Progress = Callable[[str], None]
DEFAULT_WORKERS = 8
DEFAULT_PER_SERVICE = 2


class CollectionFailure(EngineError):
    """Collection could not start at all (no credentials, no account identity)."""


@dataclass
class CollectResult:
    resources: list[Resource]
    manifest: ScanManifest
    errors: list[CollectionError] = field(default_factory=list)
    api_calls_by_type: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Task:
    account: Api
    collector: Collector
    region: str


def new_scan_id(now: datetime) -> str:
    """``scan-YYYYmmddTHHMMSSZ-xxxxxxxx``: sortable by time, unique by suffix."""
    return f"scan-{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"


def resolve_regions(session: boto3.Session, regions: Sequence[str], factory: Any) -> list[str]:
    """Expand ``all`` to the account's enabled regions (DescribeRegions without AllRegions)."""
    wanted = [r for r in regions if r]
    if "all" not in wanted:
        if not wanted:
            return [session.region_name or "us-east-1"]
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


class _Errors:
    """Thread-safe sink of collection errors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[CollectionError] = []

    def add(self, error: CollectionError) -> None:
        with self._lock:
            self.items.append(error)


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
    accounts: Sequence[AccountTarget] = (),
    max_workers: int = DEFAULT_WORKERS,
    per_service: int = DEFAULT_PER_SERVICE,
    backup_coverage: bool = True,
) -> CollectResult:
    """Collect every registered resource type in every target account and region."""
    started = clock()
    begin = time.perf_counter()
    scan_id = scan_id or new_scan_id(started)
    counter = ApiCallCounter()
    base_factory = client_factory(session, counter)
    home = session.region_name or "us-east-1"
    region_list = resolve_regions(session, regions, base_factory)
    errors = _Errors()
    registry = load_all()
    types = list(resource_types) if resource_types else sorted(registry)
    unknown = [t for t in types if t not in registry]
    if unknown:
        raise CollectionFailure(f"unknown resource type(s): {', '.join(unknown)}")

    apis = _account_apis(
        session, targets=accounts, regions=region_list, home=home, counter=counter, errors=errors
    )
    tasks = _plan(apis, [registry[t]() for t in types], home)
    collected_at = iso(started) or ""
    resources = _run(
        tasks,
        counter=counter,
        scan_id=scan_id,
        collected_at=collected_at,
        max_workers=max_workers,
        per_service=per_service,
        progress=progress,
    )

    # AWS Backup coverage: its own stage once every collector has run (one straight line).
    # When it is switched off, every covered type says so (unreadable.backup), so backup rules
    # report an error naming the cause instead of a pass or a bare null.
    if not backup_coverage:
        resources = join_backup(resources, {})
    elif BACKUP_TYPES.intersection(types):
        scopes = [(api, region) for api in apis for region in api.regions]

        def coverage_of(scope: tuple[Api, str]) -> Any:
            counter.working_on(BACKUP_COVERAGE)  # in this worker's own context
            return fetch_backup_coverage(*scope)

        # regions in parallel, like the collectors: N regions cost about one region's time
        with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
            answers = list(pool.map(coverage_of, scopes))
        coverage = {
            (api.account_id, region): c for (api, region), c in zip(scopes, answers, strict=True)
        }
        resources = join_backup(resources, coverage)
    lifecycle = LiveLifecycle()
    for api in apis:
        found = fetch_live_lifecycle(api, home, resources, started.date())
        lifecycle.entries += found.entries
        lifecycle.notes += found.notes
    resources.sort(key=lambda r: (r.account_id, r.resource_type, r.region, r.resource_id))
    all_errors = sorted(errors.items, key=_error_key)
    manifest = ScanManifest(
        scan_id=scan_id,
        source=source,
        simulated=simulated,
        started_at=collected_at,
        finished_at=iso(clock()) or "",
        accounts=sorted({api.account_id for api in apis} | _failed_accounts(all_errors)),
        regions=region_list,
        resource_types=types,
        counts=count_resources(resources),
        api_calls=dict(counter.calls),
        errors=all_errors,
        engine_version=engine.__version__,
        duration_s=round(time.perf_counter() - begin, 3),
        lifecycle=lifecycle.to_dict(),
    )
    by_type = {t: dict(sorted(c.items())) for t, c in sorted(counter.by_type.items())}
    return CollectResult(resources, manifest, manifest.errors, by_type)


def _failed_accounts(errors: list[CollectionError]) -> set[str]:
    return {e.account_id for e in errors if e.service == "sts" and e.account_id.isdigit()}


def _account_apis(
    session: boto3.Session,
    *,
    targets: Sequence[AccountTarget],
    regions: list[str],
    home: str,
    counter: ApiCallCounter,
    errors: _Errors,
) -> list[Api]:
    """One ``Api`` per reachable account; an account that cannot be assumed is an error."""
    if not targets:
        factory = client_factory(session, counter)
        account_id = account_identity(factory, [home, *regions])
        return [Api(account_id, tuple(regions), factory, errors.add)]
    apis = []
    sts = client_factory(session, counter)("sts", home)
    for target in targets:
        try:
            assumed = assumed_session(session, target, sts, home)
            factory = client_factory(assumed, counter)
            account_id = target.account_id or account_identity(factory, [home, *regions])
        except (*AWS_ERRORS, CollectionFailure) as exc:
            code, message = describe_error(exc)
            errors.add(
                CollectionError(
                    account_id=target.label,
                    region="global",
                    service="sts",
                    operation="AssumeRole",
                    error_code=code,
                    message=message,
                )
            )
            continue
        apis.append(Api(account_id, target.regions or tuple(regions), factory, errors.add))
    return apis


def _plan(apis: list[Api], collectors: list[Collector], home: str) -> list[_Task]:
    tasks: list[_Task] = []
    for api in apis:
        for collector in collectors:
            # Global services (S3 ListBuckets) are listed once, from the home region.
            scopes = [home] if collector.global_service else list(api.regions)
            tasks.extend(_Task(api, collector, region) for region in scopes)
    return tasks


def _run(
    tasks: list[_Task],
    *,
    counter: ApiCallCounter,
    scan_id: str,
    collected_at: str,
    max_workers: int,
    per_service: int,
    progress: Progress | None,
) -> list[Resource]:
    caps: dict[tuple[str, str, str], threading.Semaphore] = {}
    caps_lock = threading.Lock()
    done = [0]

    def cap(task: _Task) -> threading.Semaphore:
        key = (task.account.account_id, task.region, task.collector.service)
        with caps_lock:
            return caps.setdefault(key, threading.Semaphore(max(1, per_service)))

    def work(task: _Task) -> list[Resource]:
        counter.working_on(task.collector.resource_type)
        try:
            with cap(task):
                out = _run_one(task, scan_id=scan_id, collected_at=collected_at)
        finally:
            counter.working_on(None)
        if progress:
            with caps_lock:
                done[0] += 1
                step = done[0]
            where = "all regions" if task.collector.global_service else task.region
            progress(
                f"[{step}/{len(tasks)}] {task.collector.resource_type} "
                f"{task.account.account_id} {where}: {len(out)}"
            )
        return out

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="collect") as pool:
        results = list(pool.map(work, tasks))
    return [resource for batch in results for resource in batch]


def _error_key(e: CollectionError) -> tuple[str, ...]:
    return (e.account_id, e.region, e.service, e.operation, e.error_code, e.resource_id or "")


class InvalidResource(ValueError):
    """``normalise`` built a Resource that does not fit the Resource schema."""


def read_item(collector: Collector, raw: dict[str, Any], ctx: ScanContext) -> Resource:
    """One raw item to a Resource that fits the Resource schema, or one of ``RECORDED``.

    The schema check (``engine.schema.resource_errors``: a few microseconds a valid resource)
    keeps an unexpected value (a type the schema does not allow, an enum value AWS added since)
    from reaching a snapshot, where it would make the whole file unreadable, or a rule, which
    would misread it.
    """
    resource = collector.normalise(raw, ctx)
    found = resource_errors(resource.to_dict())
    errors = sorted(found, key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        where = one_line(dotted(first.absolute_path), 200)
        who = one_line(resource.resource_id, 200)
        raise InvalidResource(f"{who}: {where}: {one_line(first.message, 300)}")
    return resource


def _run_one(task: _Task, *, scan_id: str, collected_at: str) -> list[Resource]:
    """One collector in one region (or once, for a global service); failures recorded."""
    collector, api, region = task.collector, task.account, task.region
    out: list[Resource] = []
    err_region = "global" if collector.global_service else region
    try:
        for raw in collector.fetch(api, region):
            item_region = region
            try:
                item_region = collector.region_of(raw, region)
                ctx = ScanContext(api.account_id, item_region, scan_id, collected_at)
                out.append(read_item(collector, raw, ctx))
            except RECORDED as exc:
                # A response we cannot read is a recorded error, never a silent drop.
                api.record_error(
                    item_region,
                    collector.service,
                    "normalise",
                    exc,
                    resource_type=collector.resource_type,
                )
    # A response the fetch itself cannot read (a listed item without its name) ends this
    # listing like a failed call would: recorded, and the scan partial.
    except _LISTING_FAILURES as exc:
        api.record_error(
            err_region,
            collector.service,
            collector.operation,
            exc,
            resource_type=collector.resource_type,
        )
    return out
