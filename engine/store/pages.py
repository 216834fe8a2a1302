"""A scan's findings and resources as compressed pages: keys, shards, and cutting lines into pages.

Used by ``engine.store.dynamodb`` when it writes a scan (``put_findings``, ``put_resources``)
and reads one back (``scan_findings``, ``scan_resources``, ``finding_history``); pure, no boto3.
Records become JSON lines in ``engine.store.codec`` (the one place that converts types); here
they are grouped into pages of at most ``page_bytes`` compressed bytes and given their keys:

- finding pages: partition ``findings#<scan_id>#<shard>``, shard = crc32(finding_id) mod S, S a
  power of two chosen per scan from its finding count (``shards_for``), so a finding's record
  in any scan is in the one shard its id names;
- resource pages: partition ``resources#<scan_id>#<n mod P>`` for the scan's n-th page (round
  robin over at most P partitions: they are only ever read whole);
- sort key ``<write_id>#<seq:08d>``: a read asks for one write attempt (``begins_with``), so an
  earlier attempt's leftovers are never even read.

Sizes: DynamoDB items are at most 400 KB, a BatchWriteItem call at most 16 MB and 25 items, a
Query response at most 1 MB (then it pages), and one partition absorbs at most 1,000 write
units (1 KB each) and 3,000 read units (4 KB each, strongly consistent) per second; hence pages
of about 300 KB, and several partitions per scan so that writing a scan is not capped at one
partition's 1 MB/s.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html and
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html
(read 2026-12-06).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.model import Finding, Resource, ScanManifest
from engine.store.base import ScanSummary
from engine.store.codec import (
    HASH_KEY,
    RANGE_KEY,
    ZLIB_LEVEL,
    CodecError,
    Item,
    Layout,
    Line,
    common_attributes,
    decode_record,
    item_size,
    to_json,
)

FINDING_PAGES, RESOURCE_PAGES = "findings#", "resources#"
REGISTRY = "registry#findings"
PAGE_ATTRIBUTE = "page_z"
#: a page's compressed bytes (the item adds its keys): under the 400 KB item limit, with room
PAGE_BYTES = 300_000
#: findings per shard the shard count aims at: one ~300 KB page each at ~100 bytes a finding
#: compressed (measured on the benchmark inventory, 7.7% of its JSON)
FINDINGS_PER_SHARD = 2_048
MAX_SHARDS = 16_384
#: a page is cut when its estimated compressed size reaches this share of ``page_bytes``
AIM = 0.9
FIRST_RATIO = 0.25  # compressed / raw guessed for the first page; learnt from then on


@dataclass(frozen=True, slots=True)
class Page:
    """One page item and the keys of the records in it (in order)."""

    item: Item
    size: int  # estimated item size in bytes (an upper bound)
    keys: tuple[str, ...]
    trimmed: tuple[str, ...] = ()

    @property
    def records(self) -> tuple[str, ...]:
        return self.keys


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """A scan that wrote findings: where ``finding_history`` looks for a finding."""

    scan_id: str
    started_at: str
    complete: bool
    findings: int
    shards: int
    write_id: str


def shards_for(count: int, per_shard: int = FINDINGS_PER_SHARD) -> int:
    """The smallest power of two S with count / S <= per_shard (at least 1, at most 16,384)."""
    shards = 1
    while shards * per_shard < count and shards < MAX_SHARDS:
        shards *= 2
    return shards


def finding_partition(scan_id: str, shard: int) -> str:
    return f"{FINDING_PAGES}{scan_id}#{shard}"


def resource_partition(scan_id: str, number: int) -> str:
    return f"{RESOURCE_PAGES}{scan_id}#{number}"


def page_range(write_id: str, seq: int) -> str:
    """A page's sort key: its write attempt first, so a read can ask for that attempt alone."""
    return f"{write_id}#{seq:08d}"


def page_seq(item: Mapping[str, Any]) -> int:
    """The page's sequence number within its write attempt (the order it was written in)."""
    return int(item[RANGE_KEY]["S"].rsplit("#", 1)[1])


def encode_page(
    manifest: ScanManifest,
    kind: str,
    where: tuple[str, int],
    body: tuple[Sequence[Line], bytes],
    context: tuple[Layout, str],
) -> Page:
    """A page item: ``where`` is (partition, sequence number), ``body`` (its lines, their
    compressed blob), ``context`` (layout, write id)."""
    (partition, seq), (lines, blob), (layout, write_id) = where, body, context
    item = common_attributes(manifest, f"{kind}_page", layout, write_id)
    item[HASH_KEY] = {"S": partition}
    item[RANGE_KEY] = {"S": page_range(write_id, seq)}
    item["count"] = {"N": str(len(lines))}
    item[PAGE_ATTRIBUTE] = {"B": blob}
    keys = tuple(line.key for line in lines)
    return Page(item, item_size(item), keys, tuple(line.key for line in lines if line.trimmed))


def page_overhead(manifest: ScanManifest, partition: str, context: tuple[Layout, str]) -> int:
    """The bytes of a page item besides its blob (``partition``: the longest one used)."""
    empty = encode_page(manifest, "finding", (partition, 0), ((), b""), context)
    return empty.size + 16  # room for the count's digits


def page_lines(item: Mapping[str, Any]) -> list[bytes]:
    """A page's records as JSON lines, checked against its ``count``."""
    where = f"{item.get(HASH_KEY, {}).get('S', '?')}/{item.get(RANGE_KEY, {}).get('S', '?')}"
    try:
        text = zlib.decompress(bytes(item[PAGE_ATTRIBUTE]["B"]))
        count = int(item["count"]["N"])
    except (KeyError, ValueError, zlib.error) as exc:
        raise CodecError(f"stored page {where}: unreadable: {exc}") from exc
    lines = text.split(b"\n") if text else []
    if len(lines) != count:
        raise CodecError(f"stored page {where}: {len(lines)} records, its count says {count}")
    return lines


def decode_resource_page(item: Mapping[str, Any]) -> list[Resource]:
    return [decode_record(Resource, line) for line in page_lines(item)]


def decode_finding_page(item: Mapping[str, Any], only: str | None = None) -> list[Finding]:
    """A page's findings; ``only``: just that finding id's records (no other line is parsed)."""
    lines = page_lines(item)
    if only is None:
        return [decode_record(Finding, line) for line in lines]
    needle = b'"finding_id":' + to_json(only, only)
    found = [decode_record(Finding, line) for line in lines if needle in line]
    return [f for f in found if f.finding_id == only]


def encode_registry(
    manifest: ScanManifest, summary: ScanSummary, shards: int, context: tuple[Layout, str]
) -> Item:
    """The scan's entry in the registry partition (one small item; a re-run overwrites it)."""
    layout, write_id = context
    item = common_attributes(manifest, "registry", layout, write_id)
    item[HASH_KEY] = {"S": REGISTRY}
    item[RANGE_KEY] = {"S": manifest.scan_id}
    item["started_at"] = {"S": manifest.started_at}
    item["complete"] = {"BOOL": summary.complete}
    item["findings"] = {"N": str(summary.findings)}
    item["shards"] = {"N": str(shards)}
    return item


def decode_registry(item: Mapping[str, Any]) -> RegistryEntry:
    try:
        return RegistryEntry(
            scan_id=item["scan_id"]["S"],
            started_at=item["started_at"]["S"],
            complete=bool(item["complete"]["BOOL"]),
            findings=int(item["findings"]["N"]),
            shards=int(item["shards"]["N"]),
            write_id=item["write_id"]["S"],
        )
    except (KeyError, ValueError) as exc:
        raise CodecError(f"registry item {item.get(RANGE_KEY)}: unreadable: {exc}") from exc


class Paginator:
    """Cuts lines into zlib pages of at most ``page_bytes`` bytes (a single line may be larger:
    up to ``limit``, which ``encode_line`` already kept it under).

    Holds one page's lines at a time. Compressed size is known only after compressing, so a
    page is cut when ``raw bytes x ratio`` reaches 90% of ``page_bytes``, the ratio learnt from
    the pages before (kept across calls: one paginator serves every shard of a write); a page
    that still comes out too big is split in two, and again, until each part fits.
    """

    def __init__(self, page_bytes: int = PAGE_BYTES, level: int = ZLIB_LEVEL) -> None:
        if page_bytes < 1:
            raise ValueError("page_bytes must be positive")
        self.page_bytes = page_bytes
        self.level = level
        self.ratio = FIRST_RATIO
        self.splits = 0  # pages split after compression (a figure for tests and benchmarks)

    def pages(self, lines: Iterable[Line]) -> Iterator[tuple[list[Line], bytes]]:
        """(lines, blob) of each page, in order; every line in exactly one page."""
        held: list[Line] = []
        raw = 0
        for line in lines:
            held.append(line)
            raw += len(line.data) + 1
            if raw * self.ratio >= AIM * self.page_bytes:
                yield from self._cut(held, raw)
                held, raw = [], 0
        if held:
            yield from self._cut(held, raw)

    def _cut(self, held: list[Line], raw: int) -> Iterator[tuple[list[Line], bytes]]:
        blob = zlib.compress(b"\n".join(line.data for line in held), self.level)
        self.ratio = min(1.1, max(0.005, len(blob) / raw))
        if len(blob) <= self.page_bytes or len(held) == 1:
            yield held, blob
            return
        self.splits += 1
        middle = len(held) // 2
        for part in (held[:middle], held[middle:]):
            yield from self._cut(part, sum(len(line.data) + 1 for line in part))
