"""The DynamoDB store's write path: items into BatchWriteItem calls, several in flight, retried.

Used by ``engine.store.dynamodb`` for every ``put_*`` of a scan (the store stage, after
``evaluate()``). Items come from an iterable, so a caller can encode them as they go: at most
``2 x writers`` batches are queued or in flight at once, which bounds memory whatever the scan's
size. Results come back in batch order, so what a write reports is deterministic.

- A batch is at most 25 items and at most ``batch_bytes`` (BatchWriteItem's limits are 25 items
  and 16 MB a call; with ~300 KB pages the bytes bind first, and smaller calls keep more
  writers busy). https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
  (read 2026-12-06)
- ``UnprocessedItems`` and throttling errors are retried with exponential backoff and full
  jitter (``sleep`` and ``rng`` injected) for at most ``max_attempts`` calls per batch; what is
  still unwritten is returned with the reason, never dropped.
  https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ (read 2026-11-25)
- A batch the service rejects as invalid is retried item by item, so one bad item cannot sink
  24 good ones. Any other error is a ``StoreError``.

``Tally`` counts what one ``put_*`` did in records (resources, findings), not items or pages,
so "N of M finding(s) not written" means findings whatever page they were in.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from engine.store.base import Kind, StoreError, Unwritten, WriteResult
from engine.store.codec import HASH_KEY, RANGE_KEY, CodecError, Line, encode_line

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH = 25
#: bytes of items per BatchWriteItem call (the service allows 16 MB)
BATCH_BYTES = 4_000_000
#: BatchWriteItem calls in flight at once (botocore's default pool holds 10 connections)
WRITERS = 8
DUPLICATE = "the same key appears twice in this scan; the later one was stored"
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class Writable(Protocol):
    """An item to write (an ``Encoded`` object or a ``Page``) and the records it holds."""

    @property
    def item(self) -> dict[str, Any]: ...

    @property
    def size(self) -> int: ...

    @property
    def records(self) -> tuple[str, ...]: ...


W = TypeVar("W", bound=Writable)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Retry:
    """How a batch is retried."""

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))


class BatchWriter:
    """Writes items to one table; ``on_units`` hears of every ``ConsumedCapacity``."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        retry: Retry,
        sleep: Callable[[float], None],
        rng: random.Random,
        writers: int = WRITERS,
        batch_bytes: int = BATCH_BYTES,
        on_units: Callable[[float], None] = lambda _: None,
    ) -> None:
        self.client = client
        self.table = table
        self.name = f"dynamodb:{table}"
        self.retry = retry
        self.sleep = sleep
        self.rng = rng
        self.writers = writers
        self.batch_bytes = batch_bytes
        self.on_units = on_units

    def write(self, items: Iterable[W]) -> tuple[list[tuple[W, str]], float]:
        """Write every item: returns (each item not written with why, write units consumed)."""
        failed: list[tuple[W, str]] = []
        units = 0.0

        def take(result: tuple[list[W], str, float]) -> None:
            nonlocal units
            left, reason, used = result
            units += used
            failed.extend((item, reason) for item in left)

        chunks = batches(items, BATCH, self.batch_bytes)
        if self.writers == 1:
            for batch in chunks:
                take(self.write_batch(batch))
            return failed, units
        # A boto3 client is thread-safe; one call is a round trip of tens of ms, so calls in
        # parallel are what makes a scan's write fit a Lambda's time.
        pool = ThreadPoolExecutor(self.writers)
        pending: deque[Future[tuple[list[W], str, float]]] = deque()
        try:
            for batch in chunks:
                if len(pending) >= 2 * self.writers:
                    take(pending.popleft().result())
                pending.append(pool.submit(self.write_batch, batch))
            while pending:
                take(pending.popleft().result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return failed, units

    def write_batch(self, batch: list[W]) -> tuple[list[W], str, float]:
        """Write up to 25 items; returns (still unwritten, why, write units consumed)."""
        index = {_key(e.item): e for e in batch}
        requests: list[Any] = [{"PutRequest": {"Item": e.item}} for e in batch]
        units, reason = 0.0, ""
        for attempt in range(self.retry.max_attempts):
            if attempt:
                self.sleep(self.retry.delay(attempt, self.rng))
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
                    return self._one_by_one(batch, units)
                if code == "ValidationException":
                    return batch, f"rejected: {describe(exc)}", units
                raise StoreError(f"{self.name}: BatchWriteItem failed: {describe(exc)}") from exc
            except BotoCoreError as exc:
                raise StoreError(f"{self.name}: BatchWriteItem failed: {exc}") from exc
            used = sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity", []))
            units += used
            self.on_units(used)
            requests = list(response.get("UnprocessedItems", {}).get(self.table, []))
            if not requests:
                return [], "", units
            reason = f"still in UnprocessedItems after {attempt + 1} attempt(s)"
        left = [index[_key(r["PutRequest"]["Item"])] for r in requests]
        return left, f"{reason} (retry budget spent)", units

    def _one_by_one(self, batch: list[W], units: float) -> tuple[list[W], str, float]:
        left: list[W] = []
        reasons: list[str] = []
        for item in batch:
            failed, reason, used = self.write_batch([item])
            units += used
            left.extend(failed)
            if failed:
                reasons.append(f"{item.records[0] if item.records else '?'}: {reason}")
        return left, "; ".join(reasons)[:500], units


class Tally:
    """The records of one ``put_*`` that did not land, and those trimmed. A record is in one
    item or page only, and only once it was encoded: it can fail only once."""

    def __init__(self, kind: Kind) -> None:
        self.kind: Kind = kind
        self.unwritten: list[Unwritten] = []
        self.trimmed: dict[str, None] = {}  # keys in order, each once

    def miss(self, key: str, reason: str) -> None:
        self.unwritten.append(Unwritten(self.kind, key, reason))

    def failed(self, items: Iterable[tuple[Writable, str]]) -> None:
        for item, reason in items:
            for key in item.records:
                self.miss(key, reason)

    def lines(
        self, kind: str, records: Iterable[tuple[str, dict[str, Any]]], limit: int
    ) -> Iterator[Line]:
        """Each record as a page line; one that cannot be encoded is recorded, not raised."""
        for key, payload in records:
            try:
                line = encode_line(kind, key, payload, limit)
            except CodecError as exc:
                self.miss(key, str(exc))
                continue
            if line.trimmed:
                self.trimmed[key] = None
            yield line

    def result(self, attempted: int, units: float) -> WriteResult:
        unwritten = tuple(self.unwritten)
        return WriteResult(self.kind, attempted, unwritten, tuple(self.trimmed), units)


def last_of_each(
    items: Sequence[_T], key: Callable[[_T], Hashable], name: Callable[[_T], str], tally: Tally
) -> Iterator[_T]:
    """``items`` with one per key, the last (as a table's put keeps the last); each earlier
    one is recorded as not written."""
    last = {key(item): n for n, item in enumerate(items)}
    for n, item in enumerate(items):
        if last[key(item)] == n:
            yield item
        else:
            tally.miss(name(item), DUPLICATE)


def batches(items: Iterable[W], count: int, size: int) -> Iterator[list[W]]:
    """Consecutive batches of at most ``count`` items and ``size`` bytes (an item larger than
    ``size`` goes alone)."""
    batch: list[W] = []
    held = 0
    for item in items:
        if batch and (len(batch) == count or held + item.size > size):
            yield batch
            batch, held = [], 0
        batch.append(item)
        held += item.size
    if batch:
        yield batch


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item[HASH_KEY]["S"], item[RANGE_KEY]["S"]


def describe(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}"
    return str(exc)
