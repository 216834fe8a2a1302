"""The DynamoDB store's read path: Query (every response page), a scan's pages read in parallel,
the registry of scans with findings, and scans written one item each before pages.

Used by ``engine.store.dynamodb`` for ``load_previous`` (the store stage reads the previous
scans' findings before ``evaluate()``'s findings get their history) and for the analyser's
reads of a scan's resources. Every read is a ``Query``; all but the pre-page index reads are
strongly consistent. A Query response holds at most 1 MB (then ``LastEvaluatedKey`` pages it),
so a ~300 KB page costs a response of its own at most every third page; strongly consistent
reads cost one read unit per 4 KB, rounded up per response.
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html and
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
(read 2026-12-06)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from engine.store.base import StoreError
from engine.store.codec import (
    GSI_HASH,
    GSI_NAME,
    GSI_RANGE,
    HASH_KEY,
    RANGE_KEY,
    StoredManifest,
    decode_manifest,
)
from engine.store.pages import REGISTRY, RegistryEntry, decode_registry, page_seq
from engine.store.writer import describe

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Query calls in flight at once when a scan's pages are read
READERS = 8
_T = TypeVar("_T")
Item = dict[str, Any]


class TableReader:
    """Queries one table; ``read_units`` adds up their ``ConsumedCapacity``."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        *,
        readers: int = READERS,
        read_retries: int = 3,
        sleep: Callable[[float], None],
    ) -> None:
        self.client = client
        self.table = table
        self.name = f"dynamodb:{table}"
        self.readers = readers
        self.read_retries = read_retries
        self.sleep = sleep
        self.read_units = 0.0
        self._lock = threading.Lock()

    def query(self, **kwargs: Any) -> Iterator[Item]:
        """Every response page of one Query."""
        request = {"TableName": self.table, "ReturnConsumedCapacity": "TOTAL", **kwargs}
        while True:
            try:
                page = self.client.query(**request)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"{self.name}: Query failed: {describe(exc)}") from exc
            with self._lock:
                self.read_units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def partition(self, key: str) -> Iterator[Item]:
        """Every item of one partition, in sort key order."""
        return self.query(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": HASH_KEY},
            ExpressionAttributeValues={":pk": {"S": key}},
            ConsistentRead=True,
        )

    def manifest(self, scan_id: str) -> StoredManifest | None:
        for item in self.partition(f"scan#{scan_id}"):
            return decode_manifest(item)
        return None

    def require(self, scan_id: str) -> StoredManifest:
        stored = self.manifest(scan_id)
        if stored is None:
            raise StoreError(f"{self.name}: no scan {scan_id!r}")
        return stored

    def registry(self) -> list[RegistryEntry]:
        """Every scan that wrote findings and has not expired (one small item each)."""
        return [decode_registry(item) for item in self.partition(REGISTRY)]

    def page_items(self, partition: str, write_id: str) -> Iterator[Item]:
        """One partition's pages of one write attempt (strongly consistent, unlike the GSI)."""
        return self.query(
            KeyConditionExpression="#pk = :pk AND begins_with(#r, :w)",
            ExpressionAttributeNames={"#pk": HASH_KEY, "#r": RANGE_KEY},
            ExpressionAttributeValues={":pk": {"S": partition}, ":w": {"S": f"{write_id}#"}},
            ConsistentRead=True,
        )

    def read_pages(
        self, partitions: Sequence[str], write_id: str, decode: Callable[[Item], list[_T]]
    ) -> list[_T]:
        """Every record in the pages of one write attempt, in the order they were written
        (partitions read in parallel, each page decoded in the thread that read it)."""

        def one(partition: str) -> list[tuple[int, list[_T]]]:
            return [(page_seq(item), decode(item)) for item in self.page_items(partition, write_id)]

        pages = sorted(
            (page for found in self.parallel(one, partitions) for page in found),
            key=lambda page: page[0],
        )
        return [record for _, records in pages for record in records]

    def parallel(self, call: Callable[[Any], _T], args: Sequence[Any]) -> list[_T]:
        """``[call(a) for a in args]``, ``readers`` at a time (results in order)."""
        if len(args) <= 1 or self.readers == 1:
            return [call(arg) for arg in args]
        with ThreadPoolExecutor(min(self.readers, len(args))) as pool:
            return list(pool.map(call, args))

    def check(self, found: int, expected: int, kind: str, scan_id: str) -> None:
        """A short read is an error: a short list would make old findings look new."""
        if found < expected:
            raise StoreError(
                f"{self.name}: read {found} of the {expected} {kind}(s) of scan {scan_id}: "
                "pages are missing (deleted, expired or never written)"
            )

    def legacy_items(self, stored: StoredManifest, scan_id: str, kind: str) -> list[Item]:
        """A scan written one item each (before pages): its items from every GSI shard,
        checked against the stored count (the index is eventually consistent: retried)."""
        expected = stored.findings if kind == "finding" else stored.resources
        items: list[Item] = []
        for attempt in range(self.read_retries + 1):
            if attempt:
                self.sleep(float(attempt))  # the index is still catching up with the table
            items = [
                item
                for shard in range(stored.shards)
                for item in self.query(
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

    def day(self, date: str, shards: int) -> Iterator[Item]:
        """The GSI's items of one scan day: one query per shard."""
        for shard in range(shards):
            yield from self.query(
                IndexName=GSI_NAME,
                KeyConditionExpression="#h = :h",
                ExpressionAttributeNames={"#h": GSI_HASH},
                ExpressionAttributeValues={":h": {"S": f"{date}#{shard:02d}"}},
            )
