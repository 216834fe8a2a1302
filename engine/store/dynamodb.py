"""The production history store: one DynamoDB table, ``aws-inventory`` (boto3 client injected).

Same contract as the SQLite store (``engine.store.base.Store``); the store stage of the
pipeline (after ``evaluate()``: previous scans read, this scan written), and the collector and
analyser Lambdas' storage (``engine/scheduled.py``). The client is built by the caller
(``session.client("dynamodb")``), so it follows ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_DYNAMODB`` like every boto3 client: DynamoDB Local and moto need no code.

**One table** (layout in ``engine/store/codec.py``, pages in ``engine/store/pages.py``). The
original design's keys are kept: HASH ``resource_id`` (a resource's ARN), RANGE ``timestamp``,
PAY_PER_REQUEST, a GSI for a day's items. Pages, manifests, "latest scan" pointers and the
registry live under prefixed partitions (``findings#``, ``resources#``, ``scan#``, ``latest#``,
``registry#``) that no ARN can take. One table means one Terraform resource with one PITR,
SSE, TTL and alarm set, one IAM ARN; every read is a ``Query`` (no ``Scan``) and every write a
``BatchWriteItem``, the two calls the IAM policies grant.

**A scan's findings and resources are compressed pages, not one item each.** Bytes are cheap,
items are not: DynamoDB charges a write unit per KB *per item* (rounded up) and a partition
absorbs 1,000 of them a second; DynamoDB Local writes ~1,700 items/s but 11-30 MB/s in 100-300
KB items. Records compress to 7.7% of their JSON (about 100 bytes a finding, 65 a resource, on
the benchmark inventory), so a shard's page of 1,000-2,000 findings is 100-200 KB. Measured
against DynamoDB Local (``bench/store_benchmark.py``, 100,000 resources, 164,471 findings): a
finding costs 0.13 write units instead of ~4 (a 1-2 KB item and its GSI copy), the scan
176,498 instead of 1,040,150; the scan is read back in 15-18 s instead of 324 s and its
findings written in 6.5-9.3 s (figures in the README).

- Findings: shard = crc32(finding_id) mod S, S a power of two from the scan's finding count
  (~2,048 a shard; 1,024 shards at 1.6 million), recorded on the manifest: a scan's write is
  spread over S partitions (1,000 WCU/s each) and read back with S strongly consistent
  Queries in parallel, checked against the manifest's count (``StoreError`` if short).
- ``finding_history``: the registry partition holds one small item per scan that wrote
  findings (scan id, start, S, write id, complete); the history reads it (one Query), then for
  each complete scan the one shard that can hold the finding: one Query of one or two pages
  (35-50 read units, strongly consistent) a scan, in parallel; 90 daily scans, ~4,000 units.
- Resources: ``put_resources`` still writes one item per resource under its ARN (what
  ``resource_history`` reads), then pages of those whose item landed, round robin over up to
  16 partitions (page keys never collide across calls: a per-scan page counter). The analyser
  reads the pages (``scan_resources``), not the items. The items are no longer in the GSI: its
  copy doubled their write units (3.8 a resource with it, 1.55 now, pages included) and their
  storage, for a query that pages now answer; the GSI keeps the day's manifests, so
  ``items_on`` (the original "a day's items") reads a day's manifests there and their pages.
- The manifest and its pointers and registry entry are written last, as before: a scan with
  an unwritten page is recorded incomplete, never read as a previous scan.

**The GSI is write-sharded.** Keyed on the plain ``scan_date``, every item of a day would land
on one index partition (1,000 write units a second, and index throttling throttles the table).
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html (read
2026-11-25). The index key is ``scan_date_shard`` = ``YYYY-MM-DD#NN``, NN = crc32(item key) mod
16 (configurable); ``scan_item`` = ``<scan_id>#<kind>#<key>``. It now holds one manifest per
scan or scan part; scans written one item each before pages (findings and resources in the
GSI) are still read through it until they expire (``engine/store/reader.py``).

**Writes** (``engine/store/writer.py``): ``BatchWriteItem`` with at most 25 items and 4 MB a
call, 8 calls in flight, items encoded as they are sent (a scan's pages are never all in
memory), ``UnprocessedItems`` and throttling retried with backoff and jitter; what is still
unwritten is counted in findings or resources, never dropped.

**Write attempts**: items carry the ``write_id`` of the store object that wrote the scan, and
page sort keys begin with it, so an earlier attempt's leftovers at the same scan id are never
read: write a scan's items and its manifest through one store object (``write_scan`` does).
DynamoDB limits relied on: 400 KB an item, 16 MB and 25 items a BatchWriteItem, 1 MB a Query
response, 1,000 WCU and 3,000 RCU a partition per second.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
(read 2026-12-06)
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from engine.history import Prior
from engine.model import Finding, Resource, ScanManifest
from engine.store.base import ScanSummary, StoreError, WriteResult, brief
from engine.store.codec import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SHARDS,
    GSI_HASH,
    GSI_NAME,
    GSI_RANGE,
    HASH_KEY,
    ITEM_LIMIT,
    RANGE_KEY,
    TABLE_NAME,
    TTL_ATTRIBUTE,
    CodecError,
    Encoded,
    Layout,
    Paging,
    StoredManifest,
    decode_finding,
    decode_manifest,
    decode_resource,
    encode_manifest,
    encode_pointer,
    encode_resource,
    resource_key,
    shard_of,
)
from engine.store.pages import (
    FINDINGS_PER_SHARD,
    PAGE_BYTES,
    Page,
    Paginator,
    RegistryEntry,
    decode_finding_page,
    decode_resource_page,
    encode_page,
    encode_registry,
    finding_partition,
    page_overhead,
    resource_partition,
    shards_for,
)
from engine.store.reader import READERS, TableReader
from engine.store.writer import (
    BATCH_BYTES,
    WRITERS,
    BatchWriter,
    Retry,
    Tally,
    describe,
    last_of_each,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: resource pages of one scan go round robin over at most this many partitions
RESOURCE_PARTITIONS = 16

_F = TypeVar("_F", Finding, Finding | Prior)


def table_definition(table: str = TABLE_NAME) -> dict[str, Any]:
    """``CreateTable`` arguments: the exact key schema Terraform must also declare."""
    return {
        "TableName": table,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in (HASH_KEY, RANGE_KEY, GSI_HASH, GSI_RANGE)
        ],
        "KeySchema": [
            {"AttributeName": HASH_KEY, "KeyType": "HASH"},
            {"AttributeName": RANGE_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": GSI_NAME,
                "KeySchema": [
                    {"AttributeName": GSI_HASH, "KeyType": "HASH"},
                    {"AttributeName": GSI_RANGE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


@dataclass
class _ScanState:
    """What one store object wrote of a scan so far (its manifest records it)."""

    write_id: str
    finding_shards: int | None = None  # fixed by the scan's first put_findings
    finding_pages: int = 0
    resource_pages: int = 0


class DynamoStore:
    """History in the ``aws-inventory`` DynamoDB table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str = TABLE_NAME,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        shards: int = DEFAULT_SHARDS,
        max_attempts: int = 8,
        base_delay: float = 0.05,
        max_delay: float = 5.0,
        read_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        writers: int = WRITERS,
        readers: int = READERS,
        page_bytes: int = PAGE_BYTES,
        findings_per_shard: int = FINDINGS_PER_SHARD,
        resource_partitions: int = RESOURCE_PARTITIONS,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        if not 1 <= shards <= 100 or retention_days < 1 or max_attempts < 1 or writers < 1:
            raise ValueError("shards must be 1-100, retention_days, max_attempts and writers >= 1")
        if min(readers, page_bytes, findings_per_shard, resource_partitions, batch_bytes) < 1:
            raise ValueError("readers, page sizes, shard sizes and partitions must be >= 1")
        self.client = client
        self.table = table
        self.name = f"dynamodb:{table}"
        self.layout = Layout(shards=shards, retention_days=retention_days)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.writers = writers
        self.page_bytes = page_bytes
        self.findings_per_shard = findings_per_shard
        self.resource_partitions = resource_partitions
        self.batch_bytes = batch_bytes
        self._units_lock = threading.Lock()
        self.write_units = 0.0  # ConsumedCapacity totals, for the benchmark
        self._reader = TableReader(
            client, table, readers=readers, read_retries=read_retries, sleep=sleep
        )
        self._scans: dict[str, _ScanState] = {}

    def create_table(self, *, wait: bool = True) -> None:
        """Create the table with its GSI and TTL (tests and local use; Terraform in production)."""
        try:
            self.client.create_table(**table_definition(self.table))
            if wait:
                waiter = self.client.get_waiter("table_exists")
                waiter.wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            self.client.update_time_to_live(
                TableName=self.table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"{self.name}: cannot create the table: {describe(exc)}") from exc

    # -- writes -------------------------------------------------------------------------------

    def put_resources(self, manifest: ScanManifest, resources: Sequence[Resource]) -> WriteResult:
        """One item per resource (its history), then pages of those whose item landed, so a
        scan's pages never hold a resource its history lacks."""
        state = self._state(manifest.scan_id)
        tally = Tally("resource")
        unique = list(
            last_of_each(resources, lambda r: resource_key(r, manifest), _resource_id, tally)
        )
        lost: set[tuple[str, str]] = set()
        writer = self._writer()
        failed, units = writer.write(self._resource_items(manifest, unique, state, tally, lost))
        tally.failed(failed)
        lost.update(_item_key(item.item) for item, _ in failed)
        landed = (r for r in unique if resource_key(r, manifest) not in lost)
        unwritten, page_units = writer.write(self._resource_pages(manifest, landed, state, tally))
        tally.failed(unwritten)
        return tally.result(len(resources), units + page_units)

    def put_findings(self, manifest: ScanManifest, findings: Sequence[Finding]) -> WriteResult:
        """The findings as pages, sharded by finding id over the scan's shard partitions."""
        state = self._state(manifest.scan_id)
        if state.finding_shards is None:
            state.finding_shards = shards_for(len(findings), self.findings_per_shard)
        tally = Tally("finding")
        failed, units = self._writer().write(self._finding_pages(manifest, findings, state, tally))
        tally.failed(failed)
        return tally.result(len(findings), units)

    def put_manifest(self, manifest: ScanManifest, summary: ScanSummary) -> WriteResult:
        """The manifest item, then (once it has landed) one pointer per (account, region) and,
        for a scan that wrote findings, its registry entry."""
        state = self._scans.pop(manifest.scan_id, None) or _ScanState(self._new_write_id())
        paging = Paging(
            finding_shards=state.finding_shards or 1,
            resource_partitions=min(self.resource_partitions, state.resource_pages),
        )
        writer = self._writer()
        tally = Tally("manifest")
        try:
            encoded = encode_manifest(manifest, summary, self.layout, state.write_id, paging)
        except CodecError as exc:
            tally.miss(manifest.scan_id, str(exc))
            return tally.result(1, 0.0)
        if encoded.trimmed:
            tally.trimmed[manifest.scan_id] = None
        failed, units = writer.write([encoded])
        tally.failed(failed)
        if failed:
            return tally.result(1, units)
        extras = [
            Encoded(f"pointer {a}/{r}", encode_pointer(manifest, summary, (a, r), self.layout), 0)
            for a, r in summary.scopes
        ]
        if state.finding_shards is not None:
            context = (self.layout, state.write_id)
            item = encode_registry(manifest, summary, state.finding_shards, context)
            extras.append(Encoded("registry entry", item, 0))
        missed, more = writer.write(extras)
        for extra, reason in missed[:1]:
            tally.miss(manifest.scan_id, f"{extra.key}: {reason}")
        return tally.result(1, units + more)

    def _resource_items(
        self,
        manifest: ScanManifest,
        resources: Iterable[Resource],
        state: _ScanState,
        tally: Tally,
        lost: set[tuple[str, str]],
    ) -> Iterator[Encoded]:
        for resource in resources:
            try:
                encoded = encode_resource(resource, manifest, self.layout, state.write_id)
            except CodecError as exc:
                tally.miss(resource.resource_id, str(exc))
                lost.add(resource_key(resource, manifest))
                continue
            if encoded.trimmed:
                tally.trimmed[encoded.key] = None
            yield encoded

    def _resource_pages(
        self,
        manifest: ScanManifest,
        resources: Iterable[Resource],
        state: _ScanState,
        tally: Tally,
    ) -> Iterator[Page]:
        widest = resource_partition(manifest.scan_id, self.resource_partitions)
        context = (self.layout, state.write_id)
        limit = ITEM_LIMIT - page_overhead(manifest, widest, context)
        records = ((r.resource_id, r.to_dict()) for r in resources)
        for body in Paginator(min(self.page_bytes, limit)).pages(
            tally.lines("resource", records, limit)
        ):
            number = state.resource_pages
            state.resource_pages += 1
            where = (
                resource_partition(manifest.scan_id, number % self.resource_partitions),
                number,
            )
            yield encode_page(manifest, "resource", where, body, context)

    def _finding_pages(
        self, manifest: ScanManifest, findings: Sequence[Finding], state: _ScanState, tally: Tally
    ) -> Iterator[Page]:
        """Shard by shard: the finding indices are grouped first (4 bytes each), so only one
        page's lines are ever held, however many findings there are."""
        shards = state.finding_shards or 1
        groups = [array("I") for _ in range(shards)]
        for index, finding in enumerate(findings):
            groups[shard_of(finding.finding_id, shards)].append(index)
        widest = finding_partition(manifest.scan_id, shards)
        context = (self.layout, state.write_id)
        limit = ITEM_LIMIT - page_overhead(manifest, widest, context)
        paginator = Paginator(min(self.page_bytes, limit))
        for shard, indices in enumerate(groups):
            shard_findings = [findings[i] for i in indices]
            unique = last_of_each(shard_findings, _finding_id, _finding_id, tally)
            records = ((f.finding_id, f.fields()) for f in unique)
            partition = finding_partition(manifest.scan_id, shard)
            for body in paginator.pages(tally.lines("finding", records, limit)):
                where = (partition, state.finding_pages)
                state.finding_pages += 1
                yield encode_page(manifest, "finding", where, body, context)

    def _state(self, scan_id: str) -> _ScanState:
        return self._scans.setdefault(scan_id, _ScanState(self._new_write_id()))

    def _new_write_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def _writer(self) -> BatchWriter:
        return BatchWriter(
            self.client,
            self.table,
            retry=Retry(self.max_attempts, self.base_delay, self.max_delay),
            sleep=self.sleep,
            rng=self.rng,
            writers=self.writers,
            batch_bytes=self.batch_bytes,
            on_units=self._add_write_units,
        )

    def _add_write_units(self, units: float) -> None:
        with self._units_lock:
            self.write_units += units

    # -- reads --------------------------------------------------------------------------------

    def latest_scan(
        self, account_id: str, region: str, *, exclude_scan_id: str | None = None
    ) -> ScanManifest | None:
        pointers = self._reader.query(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": HASH_KEY},
            ExpressionAttributeValues={":pk": {"S": f"latest#{account_id}#{region}"}},
            ScanIndexForward=False,
            ConsistentRead=True,
            Limit=20,
        )
        for pointer in pointers:
            scan_id = pointer["scan_id"]["S"]
            if scan_id == exclude_scan_id or not pointer.get("complete", {}).get("BOOL"):
                continue
            stored = self._reader.manifest(scan_id)
            if stored is not None and stored.complete:
                return stored.manifest
        return None

    def scan_manifest(self, scan_id: str) -> ScanManifest | None:
        stored = self._reader.manifest(scan_id)
        return None if stored is None else stored.manifest

    def scan_findings(self, scan_id: str) -> list[Finding]:
        """Every shard's pages (Query in parallel), checked against the manifest's count."""
        found = self._findings(scan_id, lambda page: page)
        return sorted(found, key=lambda f: (f.rule_id, f.resource_id))

    def prior_findings(self, scan_id: str, found_again: Container[str]) -> list[Finding | Prior]:
        """As ``scan_findings``; each page made brief by the thread that read it."""
        return self._findings(scan_id, lambda page: brief(page, found_again))

    def _findings(self, scan_id: str, keep: Callable[[list[Finding]], list[_F]]) -> list[_F]:
        """One record per finding id (in write order, a later record wins), ``keep`` applied
        to each page or legacy item as it is decoded."""
        reader, stored = self._reader, self._reader.require(scan_id)
        if stored.paged:
            found = reader.read_pages(
                _findings_of(stored), stored.write_id, lambda item: keep(decode_finding_page(item))
            )
            reader.check(len(found), stored.findings, "finding", scan_id)
        else:
            items = reader.legacy_items(stored, scan_id, "finding")
            found = [kept for i in items for kept in keep([decode_finding(i)])]
        return list({f.finding_id: f for f in found}.values())

    def scan_resources(self, scan_id: str) -> list[Resource]:
        """The scan's resource pages (not its per-resource items), checked as findings are."""
        reader, stored = self._reader, self._reader.require(scan_id)
        if stored.paged:
            found = reader.read_pages(_resources_of(stored), stored.write_id, decode_resource_page)
            reader.check(len(found), stored.resources, "resource", scan_id)
        else:
            found = [decode_resource(i) for i in reader.legacy_items(stored, scan_id, "resource")]
        unique = {r.resource_id: r for r in found}
        return sorted(unique.values(), key=lambda r: (r.resource_type, r.region, r.resource_id))

    def finding_history(self, finding_id: str) -> list[Finding]:
        """Every stored record, oldest scan first: one Query of the registry, then one Query
        per complete scan on the one shard that can hold ``finding_id`` (a page or two of
        100-200 KB: 35-50 read units a scan), in parallel; records written one item each
        (before pages) come from the finding's own partition (one more Query)."""
        entries = [e for e in self._reader.registry() if e.complete and e.findings]

        def records(entry: RegistryEntry) -> list[Finding]:
            partition = finding_partition(entry.scan_id, shard_of(finding_id, entry.shards))
            pages = self._reader.page_items(partition, entry.write_id)
            found = [f for page in pages for f in decode_finding_page(page, only=finding_id)]
            return found[-1:]  # one record a scan, the last written

        dated = [
            (entry.started_at, entry.scan_id, finding)
            for entry, found in zip(entries, self._reader.parallel(records, entries), strict=True)
            for finding in found
        ]
        paged = {entry.scan_id for entry in entries}
        for item in self._reader.partition(f"finding#{finding_id}"):
            scan_id = item["scan_id"]["S"]
            if scan_id not in paged:
                started = item[RANGE_KEY]["S"][: -len(scan_id) - 1]
                dated.append((started, scan_id, decode_finding(item)))
        return [finding for *_, finding in sorted(dated, key=lambda d: (d[0], d[1]))]

    def resource_history(self, resource_id: str) -> list[Resource]:
        return [decode_resource(i) for i in self._reader.partition(resource_id)]

    def items_on(self, date: str) -> list[Resource | Finding | ScanManifest]:
        """The original design's query: every resource, finding and manifest of a scan day.

        The GSI holds the day's manifests (one query per shard of this store's ``shards``
        setting); each manifest's pages give its scan's resources and findings.
        """
        out: list[Resource | Finding | ScanManifest] = []
        for item in self._reader.day(date, self.layout.shards):
            kind = item["kind"]["S"]
            if kind == "resource":  # written one item each, before pages
                out.append(decode_resource(item))
            elif kind == "finding":
                out.append(decode_finding(item))
            else:
                stored = decode_manifest(item)
                out.append(stored.manifest)
                if stored.paged:
                    out += self._pages_of(stored)
        return out

    def _pages_of(self, stored: StoredManifest) -> list[Resource | Finding]:
        reader, write_id = self._reader, stored.write_id
        resources = reader.read_pages(_resources_of(stored), write_id, decode_resource_page)
        findings = reader.read_pages(_findings_of(stored), write_id, decode_finding_page)
        return [*resources, *findings]

    @property
    def read_units(self) -> float:
        """Read units consumed so far (``ConsumedCapacity``), for the benchmark."""
        return self._reader.read_units

    def close(self) -> None:
        self._scans.clear()


def _resource_id(resource: Resource) -> str:
    return resource.resource_id


def _finding_id(finding: Finding) -> str:
    return finding.finding_id


def _item_key(item: dict[str, Any]) -> tuple[str, str]:
    return item[HASH_KEY]["S"], item[RANGE_KEY]["S"]


def _findings_of(stored: StoredManifest) -> list[str]:
    scan_id = stored.manifest.scan_id
    return [finding_partition(scan_id, s) for s in range(stored.paging.finding_shards)]


def _resources_of(stored: StoredManifest) -> list[str]:
    scan_id = stored.manifest.scan_id
    return [resource_partition(scan_id, n) for n in range(stored.paging.resource_partitions)]
