"""The production history store: one DynamoDB table, ``aws-inventory`` (boto3 client injected).

Same contract as the SQLite store (``engine.store.base.Store``). The client is built by the
caller (``session.client("dynamodb")``), so it follows ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_DYNAMODB`` like every boto3 client: DynamoDB Local and moto need no code.

**One table, four item kinds** (layout in ``engine/store/codec.py``). The original design's
keys are kept: HASH ``resource_id`` (a resource's ARN), RANGE ``timestamp``, PAY_PER_REQUEST, a
GSI for a day's items. Findings, manifests and "latest scan" pointers live in the same table
under prefixed partitions (``finding#``, ``scan#``, ``latest#``) that no ARN can take. One table
means one Terraform resource with one PITR, SSE, TTL and alarm set, one IAM ARN, and every read
still a ``Query``: a resource's history (its partition), a finding's history (its partition),
the latest scan of an (account, region) (its pointer partition, newest first) and a scan's
findings or resources (the GSI). A second table would double that configuration and buy no
query the single table lacks. No read uses ``Scan``.

**The GSI is write-sharded.** Keyed on the plain ``scan_date``, every item of a day would land
on one index partition, which absorbs at most 1,000 write units per second; index writes that
throttle also throttle the table's writes (back-pressure).
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html (read
2026-11-25). A 100,000-resource scan with ~30,000 findings is ~130,000 index writes of 1-2 KB,
130,000-260,000 WCU: two to four minutes of one partition's whole capacity, and any writer
faster than ~1,000 items/s is throttled. So the index key is ``scan_date_shard`` =
``YYYY-MM-DD#NN``, NN = crc32(item key) mod 16 (configurable): a 16,000 WCU/s ceiling, which
takes the same scan in 10-20 s of capacity. The range key ``scan_item`` =
``<scan_id>#<kind>#<key>`` makes "this scan's findings" a ``begins_with`` query. The price:
reading a day or a scan is 16 queries instead of one; queries are charged by the data they
read (rounded up to 4 KB per response), so sharding adds at most 16 read units per read.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-sharding.html

**Writes**: ``BatchWriteItem`` in 25s (its limit). ``UnprocessedItems`` and throttling errors
are retried with exponential backoff and full jitter (``sleep`` and ``rng`` injected) for at
most ``max_attempts`` calls per batch; what is still unwritten is returned, never dropped.
A batch the service rejects as invalid is retried item by item, so one bad item cannot sink
24 good ones. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
and https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ (read 2026-11-25).

**Reads of a scan go through the GSI, which is eventually consistent** (no ConsistentRead on
an index). The manifest records how many items were written; a read that finds fewer retries
a few times, then raises ``StoreError`` rather than return a short list that would make old
findings look new. Items carry the ``write_id`` of the store object that wrote the scan, so
leftovers of an earlier attempt at the same scan id are ignored: write a scan's items and its
manifest through one store object (``write_scan`` does).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from engine.model import Finding, Resource, ScanManifest
from engine.store.base import Kind, ScanSummary, StoreError, Unwritten, WriteResult
from engine.store.codec import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_SHARDS,
    GSI_HASH,
    GSI_NAME,
    GSI_RANGE,
    HASH_KEY,
    RANGE_KEY,
    TABLE_NAME,
    TTL_ATTRIBUTE,
    CodecError,
    Encoded,
    Layout,
    StoredManifest,
    decode_finding,
    decode_manifest,
    decode_resource,
    encode_finding,
    encode_manifest,
    encode_pointer,
    encode_resource,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH = 25
#: BatchWriteItem calls in flight at once (botocore's default pool holds 10 connections)
WRITERS = 8
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


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
    ) -> None:
        if not 1 <= shards <= 100 or retention_days < 1 or max_attempts < 1 or writers < 1:
            raise ValueError("shards must be 1-100, retention_days, max_attempts and writers >= 1")
        self.client = client
        self.table = table
        self.name = f"dynamodb:{table}"
        self.layout = Layout(shards=shards, retention_days=retention_days)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.read_retries = read_retries
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.writers = writers
        self._units_lock = threading.Lock()
        self.write_units = 0.0  # ConsumedCapacity totals, for the benchmark
        self.read_units = 0.0
        self._write_ids: dict[str, str] = {}

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
            raise StoreError(f"{self.name}: cannot create the table: {_describe(exc)}") from exc

    # -- writes -------------------------------------------------------------------------------

    def put_resources(self, manifest: ScanManifest, resources: Sequence[Resource]) -> WriteResult:
        write_id = self._write_id(manifest.scan_id)
        return self._put(
            "resource",
            [
                (r.resource_id, partial(encode_resource, r, manifest, self.layout, write_id))
                for r in resources
            ],
        )

    def put_findings(self, manifest: ScanManifest, findings: Sequence[Finding]) -> WriteResult:
        write_id = self._write_id(manifest.scan_id)
        return self._put(
            "finding",
            [
                (f.finding_id, partial(encode_finding, f, manifest, self.layout, write_id))
                for f in findings
            ],
        )

    def put_manifest(self, manifest: ScanManifest, summary: ScanSummary) -> WriteResult:
        """The manifest item, then one pointer per (account, region) once it has landed."""
        write_id = self._write_ids.pop(manifest.scan_id, None) or self._new_write_id()
        result = self._put(
            "manifest",
            [(manifest.scan_id, lambda: encode_manifest(manifest, summary, self.layout, write_id))],
        )
        if not result.ok:
            return result
        pointers = [
            Encoded(f"{a}/{r}", encode_pointer(manifest, summary, (a, r), self.layout), 0)
            for a, r in summary.scopes
        ]
        units = result.write_units
        unwritten: list[Unwritten] = []
        for start in range(0, len(pointers), BATCH):
            left, reason, used = self._write_batch(pointers[start : start + BATCH])
            units += used
            unwritten.extend(
                Unwritten("manifest", manifest.scan_id, f"pointer {e.key}: {reason}") for e in left
            )
        return WriteResult("manifest", 1, tuple(unwritten[:1]), result.trimmed, units)

    def _write_id(self, scan_id: str) -> str:
        return self._write_ids.setdefault(scan_id, self._new_write_id())

    def _new_write_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def _put(
        self, kind: Kind, builders: Sequence[tuple[str, Callable[[], Encoded]]]
    ) -> WriteResult:
        """Encode (a failure is that item's unwritten reason), dedupe by key, write in 25s."""
        unwritten: list[Unwritten] = []
        by_key: dict[tuple[str, str], Encoded] = {}
        for key, build in builders:
            try:
                encoded = build()
            except CodecError as exc:
                unwritten.append(Unwritten(kind, key, str(exc)))
                continue
            primary = (encoded.item[HASH_KEY]["S"], encoded.item[RANGE_KEY]["S"])
            if primary in by_key:
                reason = "the same key appears twice in this scan; the later one was stored"
                unwritten.append(Unwritten(kind, key, reason))
            by_key[primary] = encoded
        pending = list(by_key.values())
        units = 0.0
        batches = [pending[start : start + BATCH] for start in range(0, len(pending), BATCH)]
        # BatchWriteItem calls in parallel (a boto3 client is thread-safe): one call is a
        # round trip of tens of ms, so a million findings one batch at a time would take
        # longer than a Lambda may run. Results come back in batch order: deterministic.
        if self.writers > 1 and len(batches) > 1:
            with ThreadPoolExecutor(min(self.writers, len(batches))) as pool:
                results = list(pool.map(self._write_batch, batches))
        else:
            results = [self._write_batch(batch) for batch in batches]
        for left, reason, used in results:
            units += used
            unwritten.extend(Unwritten(kind, e.key, reason) for e in left)
        trimmed = tuple(e.key for e in pending if e.trimmed)
        return WriteResult(kind, len(builders), tuple(unwritten), trimmed, units)

    def _write_batch(self, batch: list[Encoded]) -> tuple[list[Encoded], str, float]:
        """Write up to 25 items; returns (still unwritten, why, write units consumed)."""
        index = {(e.item[HASH_KEY]["S"], e.item[RANGE_KEY]["S"]): e for e in batch}
        requests: list[Any] = [{"PutRequest": {"Item": e.item}} for e in batch]
        units, reason = 0.0, ""
        for attempt in range(self.max_attempts):
            if attempt:
                self.sleep(self._delay(attempt))
            try:
                response = self.client.batch_write_item(
                    RequestItems={self.table: requests}, ReturnConsumedCapacity="TOTAL"
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in RETRYABLE:
                    reason = f"{code} on each of {attempt + 1} attempt(s)"
                    continue
                if code == "ValidationException" and len(batch) > 1:
                    return self._one_by_one(batch)
                if code == "ValidationException":
                    return batch, f"rejected: {_describe(exc)}", units
                raise StoreError(f"{self.name}: BatchWriteItem failed: {_describe(exc)}") from exc
            except BotoCoreError as exc:
                raise StoreError(f"{self.name}: BatchWriteItem failed: {exc}") from exc
            used = sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity", []))
            units += used
            with self._units_lock:
                self.write_units += used
            requests = list(response.get("UnprocessedItems", {}).get(self.table, []))
            if not requests:
                return [], "", units
            reason = f"still in UnprocessedItems after {attempt + 1} attempt(s)"
        left = [
            index[(r["PutRequest"]["Item"][HASH_KEY]["S"], r["PutRequest"]["Item"][RANGE_KEY]["S"])]
            for r in requests
        ]
        return left, f"{reason} (retry budget spent)", units

    def _one_by_one(self, batch: list[Encoded]) -> tuple[list[Encoded], str, float]:
        left: list[Encoded] = []
        reasons: list[str] = []
        units = 0.0
        for encoded in batch:
            failed, reason, used = self._write_batch([encoded])
            units += used
            left.extend(failed)
            if failed:
                reasons.append(f"{encoded.key}: {reason}")
        return left, "; ".join(reasons)[:500], units

    def _delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self.rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))

    # -- reads --------------------------------------------------------------------------------

    def latest_scan(
        self, account_id: str, region: str, *, exclude_scan_id: str | None = None
    ) -> ScanManifest | None:
        pointers = self._query(
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
            stored = self._manifest(scan_id)
            if stored is not None and stored.complete:
                return stored.manifest
        return None

    def scan_manifest(self, scan_id: str) -> ScanManifest | None:
        stored = self._manifest(scan_id)
        return None if stored is None else stored.manifest

    def scan_findings(self, scan_id: str) -> list[Finding]:
        items = self._scan_items(scan_id, "finding")
        found = [decode_finding(item) for item in items]
        return sorted(found, key=lambda f: (f.rule_id, f.resource_id))

    def scan_resources(self, scan_id: str) -> list[Resource]:
        items = self._scan_items(scan_id, "resource")
        found = [decode_resource(item) for item in items]
        return sorted(found, key=lambda r: (r.resource_type, r.region, r.resource_id))

    def finding_history(self, finding_id: str) -> list[Finding]:
        """Every stored record, oldest first (a record an abandoned write attempt left under a
        scan id written again without that finding stays until its TTL)."""
        return [decode_finding(i) for i in self._partition(f"finding#{finding_id}")]

    def resource_history(self, resource_id: str) -> list[Resource]:
        return [decode_resource(i) for i in self._partition(resource_id)]

    def items_on(self, date: str) -> list[Resource | Finding | ScanManifest]:
        """The original design's query: every resource, finding and manifest of a scan day.

        One query per shard of this store's ``shards`` setting (scans written with another
        shard count record theirs in the manifest; ``scan_findings`` uses that one).
        """
        out: list[Resource | Finding | ScanManifest] = []
        for shard in range(self.layout.shards):
            for item in self._query(
                IndexName=GSI_NAME,
                KeyConditionExpression="#h = :h",
                ExpressionAttributeNames={"#h": GSI_HASH},
                ExpressionAttributeValues={":h": {"S": f"{date}#{shard:02d}"}},
            ):
                kind = item["kind"]["S"]
                if kind == "resource":
                    out.append(decode_resource(item))
                elif kind == "finding":
                    out.append(decode_finding(item))
                else:
                    out.append(decode_manifest(item).manifest)
        return out

    def _partition(self, key: str) -> Iterator[dict[str, Any]]:
        return self._query(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": HASH_KEY},
            ExpressionAttributeValues={":pk": {"S": key}},
            ConsistentRead=True,
        )

    def _manifest(self, scan_id: str) -> StoredManifest | None:
        for item in self._partition(f"scan#{scan_id}"):
            return decode_manifest(item)
        return None

    def _scan_items(self, scan_id: str, kind: str) -> list[dict[str, Any]]:
        """A scan's items of one kind from every GSI shard, checked against the stored count."""
        stored = self._manifest(scan_id)
        if stored is None:
            raise StoreError(f"{self.name}: no scan {scan_id!r}")
        expected = stored.findings if kind == "finding" else stored.resources
        items: list[dict[str, Any]] = []
        for attempt in range(self.read_retries + 1):
            if attempt:
                self.sleep(float(attempt))  # the index is still catching up with the table
            items = [
                item
                for shard in range(stored.shards)
                for item in self._query(
                    IndexName=GSI_NAME,
                    KeyConditionExpression="#h = :h AND begins_with(#r, :r)",
                    FilterExpression="write_id = :w",
                    ExpressionAttributeNames={"#h": GSI_HASH, "#r": GSI_RANGE},
                    ExpressionAttributeValues={
                        ":h": {"S": f"{stored.scan_date}#{shard:02d}"},
                        ":r": {"S": f"{scan_id}#{kind}#"},
                        ":w": {"S": stored.write_id},
                    },
                )
            ]
            if len(items) >= expected:
                return items
        raise StoreError(
            f"{self.name}: read {len(items)} of the {expected} {kind}(s) of scan {scan_id}: "
            "the index has not caught up (or items were deleted); try again"
        )

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of one Query; read units added up from ``ConsumedCapacity``."""
        request = {"TableName": self.table, "ReturnConsumedCapacity": "TOTAL", **kwargs}
        while True:
            try:
                page = self.client.query(**request)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"{self.name}: Query failed: {_describe(exc)}") from exc
            self.read_units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def close(self) -> None:
        self._write_ids.clear()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}"
    return str(exc)
