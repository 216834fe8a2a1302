"""The ``Store`` protocol, its result types and error, and the two functions every store shares.

The store sits after ``evaluate()``: ``load_previous`` reads the previous scans of this scan's
scope (for ``engine.history.apply_history``), and ``write_scan`` records this scan's resources,
findings and, last, its manifest. The manifest is the commit marker: it says whether every
item landed (``complete``), and only complete scans are ever read back as "previous".

A write never raises half-way through a scan: what could not be written is listed in the
``WriteResult`` and summed up as one ``StoreError`` (exit code 3) naming how many items of
which kind were not written. Reads that fail raise ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from engine.errors import RuntimeFailure
from engine.history import Prior, ScanRecord, scan_scopes
from engine.model import Finding, Resource, ScanManifest

Kind = Literal["resource", "finding", "manifest"]


class StoreError(RuntimeFailure):
    """The history store could not be read or written (exit code 3)."""


@dataclass(frozen=True, slots=True)
class Unwritten:
    """One item that did not land, and why."""

    kind: Kind
    key: str  # resource id, finding id or scan id
    reason: str


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one ``put_*`` call did."""

    kind: Kind
    attempted: int
    unwritten: tuple[Unwritten, ...] = ()
    #: keys of items stored with attributes trimmed (a marker says so in the stored item)
    trimmed: tuple[str, ...] = ()
    #: DynamoDB write units consumed (from ``ConsumedCapacity``); 0 for SQLite
    write_units: float = 0.0

    @property
    def written(self) -> int:
        return self.attempted - len(self.unwritten)

    @property
    def ok(self) -> bool:
        return not self.unwritten


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """What ``put_manifest`` records beside the manifest itself."""

    complete: bool
    resources: int  # items of each kind written for this scan
    findings: int
    scopes: tuple[tuple[str, str], ...]  # (account, region) pairs this scan speaks for


@dataclass(frozen=True, slots=True)
class ScanWrite:
    """The outcome of ``write_scan``: one result per kind, and the error if any item is missing."""

    store: str
    results: tuple[WriteResult, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def write_units(self) -> float:
        return sum(r.write_units for r in self.results)

    @property
    def error(self) -> StoreError | None:
        missing = [r for r in self.results if r.unwritten]
        if not missing:
            return None
        parts = [f"{len(r.unwritten)} of {r.attempted} {r.kind}(s)" for r in missing]
        first = missing[0].unwritten[0]
        return StoreError(
            f"{self.store}: {', '.join(parts)} not written "
            f"(first: {first.kind} {first.key}: {first.reason})"
        )


class Store(Protocol):
    """A history store: SQLite on a laptop, DynamoDB in production (same contract)."""

    #: where it writes, for messages (``sqlite:/path``, ``dynamodb:aws-inventory``)
    name: str

    def put_resources(self, manifest: ScanManifest, resources: Sequence[Resource]) -> WriteResult:
        """Write a scan's resources (called before ``put_manifest``)."""
        ...

    def put_findings(self, manifest: ScanManifest, findings: Sequence[Finding]) -> WriteResult:
        """Write a scan's findings, with their history statuses (before ``put_manifest``)."""
        ...

    def put_manifest(self, manifest: ScanManifest, summary: ScanSummary) -> WriteResult:
        """Write the manifest last: the scan becomes readable, as complete or not."""
        ...

    def latest_scan(
        self, account_id: str, region: str, *, exclude_scan_id: str | None = None
    ) -> ScanManifest | None:
        """The most recent complete scan that covered (account, region), or None."""
        ...

    def scan_manifest(self, scan_id: str) -> ScanManifest | None:
        """The stored manifest of a scan (or of a scan part), or None."""
        ...

    def scan_findings(self, scan_id: str) -> list[Finding]:
        """A scan's findings, sorted by (rule id, resource id); StoreError if no such scan."""
        ...

    def prior_findings(self, scan_id: str, found_again: Container[str]) -> list[Finding | Prior]:
        """A previous scan's findings for history, one per id, in no set order: a finding
        whose id is in ``found_again`` as its ``Prior`` (``brief``), made as each page or row
        is read; StoreError as ``scan_findings``."""
        ...

    def scan_resources(self, scan_id: str) -> list[Resource]:
        """A scan's resources, sorted by (type, region, id); StoreError if no such scan."""
        ...

    def finding_history(self, finding_id: str) -> list[Finding]:
        """Every stored record of one finding, oldest scan first."""
        ...

    def resource_history(self, resource_id: str) -> list[Resource]:
        """Every stored snapshot of one resource, oldest first."""
        ...

    def close(self) -> None: ...


def write_scan(
    store: Store,
    manifest: ScanManifest,
    findings: Sequence[Finding],
    resources: Sequence[Resource] = (),
    *,
    resources_written: WriteResult | None = None,
) -> ScanWrite:
    """Write resources, then findings, then the manifest (complete only if all landed).

    A ``StoreError`` from one kind is recorded as every item of that kind unwritten; the
    manifest is still attempted, as incomplete, so the failed scan is visible and never used
    as a previous scan. ``resources_written``: the resources were written already, batch by
    batch (``put_resource_batch``), with this merged result; ``resources`` is then ignored.
    """
    if resources_written is None:
        resources_written = put_resource_batch(store, manifest, resources)
    results = [
        resources_written,
        _guard("finding", findings, lambda: store.put_findings(manifest, findings)),
    ]
    summary = ScanSummary(
        complete=all(r.ok for r in results),
        resources=results[0].written,
        findings=results[1].written,
        scopes=tuple(sorted(scan_scopes(manifest, findings))),
    )
    results.append(_guard("manifest", [manifest], lambda: store.put_manifest(manifest, summary)))
    return ScanWrite(store=store.name, results=tuple(results))


def put_resource_batch(
    store: Store, manifest: ScanManifest, resources: Sequence[Resource]
) -> WriteResult:
    """One batch of the scan's resources; a ``StoreError`` is every item unwritten."""
    return _guard("resource", resources, lambda: store.put_resources(manifest, resources))


def merge_results(kind: Kind, results: Sequence[WriteResult]) -> WriteResult:
    """One result for the batches of one kind."""
    return WriteResult(
        kind=kind,
        attempted=sum(r.attempted for r in results),
        unwritten=tuple(u for r in results for u in r.unwritten),
        trimmed=tuple(t for r in results for t in r.trimmed),
        write_units=sum(r.write_units for r in results),
    )


def _guard(kind: Kind, items: Sequence[object], call: Callable[[], WriteResult]) -> WriteResult:
    try:
        return call()
    except StoreError as exc:
        unwritten = tuple(Unwritten(kind, _key(item), str(exc)) for item in items)
        return WriteResult(kind=kind, attempted=len(items), unwritten=unwritten)


def _key(item: object) -> str:
    for attribute in ("finding_id", "resource_id", "scan_id"):
        value = getattr(item, attribute, None)
        if isinstance(value, str):
            return value
    return "?"


def load_previous(
    store: Store, manifest: ScanManifest, findings: Sequence[Finding] = ()
) -> list[ScanRecord]:
    """The latest complete scan of each (account, region) this scan covers, with findings.

    One query per scope for the scan, one read per distinct previous scan; this scan itself
    (same scan id, e.g. a retried run) is never its own previous. A previous record of a
    finding in ``findings`` comes as its ``Prior`` (all that history reads of it): at 164,471
    findings a day, reading yesterday's scan takes 37 MB instead of 202.
    """
    wanted: dict[str, ScanManifest] = {}
    for account_id, region in sorted(scan_scopes(manifest, findings)):
        found = store.latest_scan(account_id, region, exclude_scan_id=manifest.scan_id)
        if found is not None:
            wanted.setdefault(found.scan_id, found)
    if not wanted:
        return []  # a first scan: no set of this scan's finding ids to build
    again = {f.finding_id for f in findings}
    return [
        ScanRecord(m, store.prior_findings(scan_id, again)) for scan_id, m in sorted(wanted.items())
    ]


def brief(findings: Iterable[Finding], found_again: Container[str]) -> list[Finding | Prior]:
    """``findings``, each one whose id is in ``found_again`` as its ``Prior``."""
    return [Prior.of(f) if f.finding_id in found_again else f for f in findings]
