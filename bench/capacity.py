"""DynamoDB write units and stored bytes of a scan, without writing it anywhere.

``bench/scale_benchmark.py`` writes each size's scan once through the production store
(``engine.store.dynamodb.DynamoStore``: the same pages, items, manifest, pointers and registry
entry the deployment writes) into ``CapacitySink``, a stand-in for the DynamoDB service that
takes ``BatchWriteItem`` calls, keeps nothing, and answers with the ``ConsumedCapacity`` the
service charges: per item, one write unit per KB of its size (rounded up), and the same again
for its copy in the GSI when it carries the index's keys (the index projects ALL).
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
and https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html (read
2026-12-06). Sizes are ``engine.store.codec.item_size``: attribute names plus values, the
developer guide's rule. Checked against DynamoDB Local's own ``ConsumedCapacity`` for the
100,000-resource scan of ``bench/store_benchmark.py``.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from engine.history import scan_scopes
from engine.model import Finding, Resource, ScanManifest
from engine.store.base import ScanSummary
from engine.store.codec import GSI_HASH, HASH_KEY, item_size
from engine.store.dynamodb import DynamoStore

KB = 1024
#: partition prefixes of the item kinds (``engine/store/pages.py``, ``engine/store/codec.py``)
KINDS = (
    ("findings#", "finding pages"),
    ("resources#", "resource pages"),
    ("scan#", "manifests"),
    ("latest#", "manifests"),
    ("registry#", "manifests"),
)
TABLE = "capacity-sink"


def kind_of(item: dict[str, Any]) -> str:
    key = str(item[HASH_KEY]["S"])
    return next((kind for prefix, kind in KINDS if key.startswith(prefix)), "resource items")


class CapacitySink:
    """The part of a DynamoDB client the store's writer calls, charging as DynamoDB does."""

    def __init__(self) -> None:
        self.units: defaultdict[str, float] = defaultdict(float)
        self.bytes: defaultdict[str, float] = defaultdict(float)
        self.items: defaultdict[str, int] = defaultdict(int)
        self.indexed_bytes = 0.0
        self.indexed_items = 0
        self._lock = threading.Lock()  # the store writes from several threads

    def batch_write_item(self, **kwargs: Any) -> dict[str, Any]:
        total = 0.0
        for table, requests in kwargs["RequestItems"].items():
            for request in requests:
                item = request["PutRequest"]["Item"]
                size = item_size(item)
                copies = 2 if GSI_HASH in item else 1
                used = copies * max(1, math.ceil(size / KB))
                total += used
                with self._lock:
                    kind = kind_of(item)
                    self.units[kind] += used
                    self.bytes[kind] += size
                    self.items[kind] += 1
                    if copies == 2:
                        self.indexed_bytes += size
                        self.indexed_items += 1
            del table
        return {"UnprocessedItems": {}, "ConsumedCapacity": [{"CapacityUnits": total}]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": dict(self.units),
            "bytes": dict(self.bytes),
            "items": dict(self.items),
            "indexed_bytes": self.indexed_bytes,
            "indexed_items": self.indexed_items,
        }


def scan_capacity(
    manifest: ScanManifest,
    findings: Sequence[Finding],
    resources: Iterable[Resource],
    batch: int = 5_000,
    timer: Callable[..., Any] = lambda fn, *args: fn(*args),
) -> CapacitySink:
    """What writing this scan costs: resources in batches (as the collectors write their
    parts), then the findings and the manifest (as the analyser does, through ``timer``:
    encoding the pages is CPU the analyser spends)."""
    sink = CapacitySink()
    store = DynamoStore(sink, TABLE)  # type: ignore[arg-type]
    chunk: list[Resource] = []
    written = 0
    for resource in resources:
        chunk.append(resource)
        if len(chunk) >= batch:
            written += store.put_resources(manifest, chunk).written
            chunk = []
    if chunk:
        written += store.put_resources(manifest, chunk).written
    found = timer(store.put_findings, manifest, findings).written
    scopes = tuple(sorted(scan_scopes(manifest, findings)))
    timer(store.put_manifest, manifest, ScanSummary(True, written, found, scopes))
    return sink
