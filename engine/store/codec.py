"""The one place that turns Resource, Finding and ScanManifest into DynamoDB items and back.

Used by ``engine.store.dynamodb`` (and ``engine.store.pages``, which cuts records into pages);
pure (no boto3): items are the low-level ``AttributeValue`` dicts the DynamoDB client sends
(``{"S": ...}``, ``{"N": "1.5"}``, ...).

Item layout (table ``aws-inventory``, HASH ``resource_id``, RANGE ``timestamp``)::

    kind           resource_id (HASH)           timestamp (RANGE)            in the GSI
    resource       <the resource ARN>           <collected_at>#<scan_id>     no
    resource_page  resources#<scan_id>#<p>      <write_id>#<seq:08d>         no
    finding_page   findings#<scan_id>#<shard>   <write_id>#<seq:08d>         no
    manifest       scan#<scan_id>               <scan started_at>            yes
    pointer        latest#<account>#<region>    <scan started_at>#<scan_id>  no (sparse)
    registry       registry#findings            <scan_id>                    no
    finding        finding#<finding_id>         <scan started_at>#<scan_id>  yes (legacy: read only)

ARNs begin with ``arn:``, so the other kinds' partitions never collide with a resource's.
Every item carries ``kind``, ``scan_id``, ``scan_date`` (YYYY-MM-DD of the scan's start),
``write_id`` (one per write attempt: a retried scan's leftovers are ignored on read) and the
TTL attribute ``expires_at`` (epoch seconds, scan start + retention days). Indexed items carry
the GSI keys ``scan_date_shard`` (``YYYY-MM-DD#NN``) and ``scan_item``
(``<scan_id>#<kind>#<key>``); see ``engine/store/dynamodb.py`` for why the GSI is sharded and
why only manifests are in it now.

**Pages** (``*_page``) hold many records: ``page_z`` is the zlib of their JSON, one record per
line (``ensure_ascii``, so a line never holds a raw newline), ``count`` how many lines. A record
is what ``to_dict`` gives, in JSON: floats by their shortest repr, NaN and infinities as JSON's
extensions, ints of any size; so pages need none of the number rules below. A record too large
to fit a page even alone is trimmed like an item (below). ``engine/store/pages.py`` cuts the
lines into pages. **Registry** items (one per scan that wrote findings) say how many shards the
scan's finding pages use, so a finding's history reads one shard per scan.

Per-item objects are the attribute ``data``, a native map, or ``data_z`` (binary, zlib of
its JSON) when the native form is too large or cannot be represented:

- numbers: DynamoDB keeps 38 significant digits in 1E-130..9.99E+125 and normalises them
  ("1.0" comes back as "1"); it has no NaN or infinity. Floats go in as the Decimal of their
  shortest repr, so they come back equal; integral values come back as int (equal by value;
  the model's float fields are turned back into floats; integral floats past 2**53, where an
  int would differ, go to the blob). Anything out of range goes to ``data_z``, whose JSON
  keeps it exactly.
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
  (read 2026-11-25)
- empty strings are fine outside keys (since 2020); empty map keys are rejected
  ("Empty attribute name", seen on DynamoDB Local 3.3), as are strings that are not valid
  UTF-8 and maps nested deeper than 32 levels: all go to ``data_z``.
- items over 400 KB (names + values, sized as the developer guide says:
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html,
  read 2026-11-25) go to ``data_z``; if even that is too large, the bulky fields are replaced
  by a marker naming their size (largest first) and the item lists them in ``trimmed``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Any, TypeVar

from engine.clock import parse_timestamp
from engine.model import Finding, Resource, ScanManifest
from engine.store.base import ScanSummary, StoreError

TABLE_NAME = "aws-inventory"
HASH_KEY, RANGE_KEY = "resource_id", "timestamp"
GSI_NAME, GSI_HASH, GSI_RANGE = "scan_date-index", "scan_date_shard", "scan_item"
TTL_ATTRIBUTE = "expires_at"
# DynamoDB's limit is 400 KB (409,600 bytes); we stop at 400,000: the developer guide calls its
# size rules approximate, and moto refuses items over 405,000 bytes.
ITEM_LIMIT = 400_000
MAX_DEPTH = 31  # DynamoDB nests maps and lists 32 levels deep; `data` itself is one
DEFAULT_SHARDS = 16
DEFAULT_RETENTION_DAYS = 90
PAGED = "pages-1"  # the manifest's ``stored.layout``; absent on scans written one item each
ZLIB_LEVEL = 6
TRIMMABLE: dict[str, tuple[str, ...]] = {
    "resource": ("attributes", "tags"),
    "finding": ("evidence", "references", "remediation", "explanation"),
    "manifest": ("counts", "api_calls", "evaluation", "errors"),
}
_WIDE = Context(prec=80)  # exact for any int we accept, so nothing is rounded while checking

Item = dict[str, Any]
_T = TypeVar("_T", Resource, Finding, ScanManifest)


class CodecError(StoreError):
    """An object that cannot be stored at all (for example a value JSON cannot express)."""


class _NotNative(Exception):
    """The value has no faithful native DynamoDB form; the JSON blob is used instead."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Table-wide settings the items depend on."""

    shards: int = DEFAULT_SHARDS
    retention_days: int = DEFAULT_RETENTION_DAYS


@dataclass(frozen=True, slots=True)
class Encoded:
    key: str  # what messages name: resource id, finding id or scan id
    item: Item
    size: int  # estimated item size in bytes (an upper bound)
    trimmed: bool = False
    compressed: bool = False

    @property
    def records(self) -> tuple[str, ...]:
        """The keys of the objects this item holds (one)."""
        return (self.key,)


@dataclass(frozen=True, slots=True)
class Line:
    """One record of a page: its key and its JSON (ASCII, no newline)."""

    key: str
    data: bytes
    trimmed: bool = False


@dataclass(frozen=True, slots=True)
class Paging:
    """Where a scan's pages are: what the manifest records for its readers."""

    finding_shards: int = 1  # finding pages: findings#<scan_id>#<0..finding_shards-1>
    resource_partitions: int = 0  # resource pages: resources#<scan_id>#<0..n-1>


@dataclass(frozen=True, slots=True)
class StoredManifest:
    manifest: ScanManifest
    complete: bool
    resources: int
    findings: int
    shards: int
    write_id: str
    scan_date: str
    paged: bool = False  # False: a scan written one item each, before pages
    paging: Paging = Paging()


def scan_date(manifest: ScanManifest) -> str:
    return parse_timestamp(manifest.started_at).strftime("%Y-%m-%d")


def shard_of(key: str, shards: int) -> int:
    """A stable shard number (crc32, the same in every process, unlike ``hash()``)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % shards


def common_attributes(manifest: ScanManifest, kind: str, layout: Layout, write_id: str) -> Item:
    started = parse_timestamp(manifest.started_at)
    expires = int(started.timestamp()) + layout.retention_days * 86400
    return {
        "kind": {"S": kind},
        "scan_id": {"S": manifest.scan_id},
        "scan_date": {"S": scan_date(manifest)},
        "write_id": {"S": write_id},
        TTL_ATTRIBUTE: {"N": str(expires)},
    }


def _indexed(manifest: ScanManifest, kind: str, key: str, layout: Layout) -> Item:
    shard = shard_of(f"{kind}#{key}", layout.shards)
    return {
        GSI_HASH: {"S": f"{scan_date(manifest)}#{shard:02d}"},
        GSI_RANGE: {"S": f"{manifest.scan_id}#{kind}#{key}"},
    }


def resource_key(resource: Resource, manifest: ScanManifest) -> tuple[str, str]:
    """A resource item's (HASH, RANGE) key: one snapshot per resource and scan."""
    return resource.resource_id, f"{resource.collected_at}#{manifest.scan_id}"


def encode_resource(
    resource: Resource, manifest: ScanManifest, layout: Layout, write_id: str
) -> Encoded:
    base = common_attributes(manifest, "resource", layout, write_id)
    hash_key, range_key = resource_key(resource, manifest)
    base[HASH_KEY] = {"S": hash_key}
    base[RANGE_KEY] = {"S": range_key}
    # Not indexed: a scan's resources are read from its pages (engine/store/dynamodb.py).
    for name in ("resource_type", "account_id", "region"):
        base[name] = {"S": getattr(resource, name)}
    return _with_payload(resource.resource_id, "resource", base, resource.to_dict())


def encode_finding(
    finding: Finding, manifest: ScanManifest, layout: Layout, write_id: str
) -> Encoded:
    """A finding as its own item: the layout before pages, kept to read (and size) old scans."""
    base = common_attributes(manifest, "finding", layout, write_id)
    base[HASH_KEY] = {"S": f"finding#{finding.finding_id}"}
    base[RANGE_KEY] = {"S": f"{manifest.started_at}#{manifest.scan_id}"}
    base.update(_indexed(manifest, "finding", finding.finding_id, layout))
    for name in ("rule_id", "status", "resource_type", "account_id", "region"):
        base[name] = {"S": getattr(finding, name)}
    return _with_payload(finding.finding_id, "finding", base, finding.to_dict())


def encode_manifest(
    manifest: ScanManifest,
    summary: ScanSummary,
    layout: Layout,
    write_id: str,
    paging: Paging = Paging(),
) -> Encoded:
    base = common_attributes(manifest, "manifest", layout, write_id)
    base[HASH_KEY] = {"S": f"scan#{manifest.scan_id}"}
    base[RANGE_KEY] = {"S": manifest.started_at}
    base.update(_indexed(manifest, "manifest", manifest.scan_id, layout))
    base["complete"] = {"BOOL": summary.complete}
    base["stored"] = {
        "M": {
            "resources": {"N": str(summary.resources)},
            "findings": {"N": str(summary.findings)},
            "shards": {"N": str(layout.shards)},
            "layout": {"S": PAGED},
            "finding_shards": {"N": str(paging.finding_shards)},
            "resource_partitions": {"N": str(paging.resource_partitions)},
        }
    }
    return _with_payload(manifest.scan_id, "manifest", base, manifest.to_dict())


def encode_pointer(
    manifest: ScanManifest, summary: ScanSummary, scope: tuple[str, str], layout: Layout
) -> Item:
    """The small item ``latest_scan`` queries: newest first in its (account, region)."""
    account_id, region = scope
    item = common_attributes(manifest, "pointer", layout, "-")
    item[HASH_KEY] = {"S": f"latest#{account_id}#{region}"}
    item[RANGE_KEY] = {"S": f"{manifest.started_at}#{manifest.scan_id}"}
    item["complete"] = {"BOOL": summary.complete}
    return item


def encode_line(kind: str, key: str, payload: dict[str, Any], limit: int) -> Line:
    """One record as a page line; trimmed (a marker, as for items) if even alone its
    compressed JSON would exceed ``limit`` bytes. CodecError if JSON cannot express it."""
    trimmed: list[str] = []
    while True:
        data = to_json(payload, key)
        if _zlib_bound(len(data)) <= limit or len(zlib.compress(data, ZLIB_LEVEL)) <= limit:
            return Line(key, data, bool(trimmed))
        field_name = _largest(payload, kind, trimmed)
        if field_name is None:
            raise CodecError(f"{kind} {key}: {limit} bytes exceeded with every bulky field trimmed")
        payload = _trim(payload, kind, field_name)
        trimmed.append(field_name)


def _zlib_bound(size: int) -> int:
    """zlib's compressBound(): the most ``size`` bytes can take compressed (zlib.h)."""
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 13


def decode_record(cls: type[_T], line: bytes) -> _T:
    """One page line back to its model object."""
    return _build(cls, _record(line), f"page record of a {cls.__name__}")


def _record(line: bytes) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise CodecError(f"stored page: unreadable record: {exc}") from exc
    if not isinstance(data, dict):
        raise CodecError("stored page: a record is not an object")
    return data


def to_json(value: Any, key: str) -> bytes:
    """Compact JSON, ASCII only (a lone surrogate stays a JSON escape); NaN and inf kept."""
    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise CodecError(f"{key}: cannot be stored: {exc}") from exc
    return text.encode("ascii")


def _with_payload(key: str, kind: str, base: Item, payload: dict[str, Any]) -> Encoded:
    base_size = item_size(base)
    trimmed: list[str] = []
    while True:
        attribute, size, compressed = _payload(payload, key, ITEM_LIMIT - base_size)
        total = base_size + size
        if total <= ITEM_LIMIT:
            item = dict(base)
            item.update(attribute)
            if trimmed:
                item["trimmed"] = {"L": [{"S": name} for name in trimmed]}
            return Encoded(key, item, total, bool(trimmed), compressed)
        field_name = _largest(payload, kind, trimmed)
        if field_name is None:
            raise CodecError(f"{kind} {key}: {total} bytes even with every bulky field trimmed")
        payload = _trim(payload, kind, field_name)
        trimmed.append(field_name)


def _payload(payload: dict[str, Any], key: str, budget: int) -> tuple[Item, int, bool]:
    """The native map if it can be faithful and fits ``budget`` bytes, else the zlib blob."""
    try:
        value, size = _native(payload, 1)
        if _name("data") + size <= budget:
            return {"data": value}, _name("data") + size, False
    except _NotNative:
        pass
    blob = zlib.compress(to_json(payload, key), ZLIB_LEVEL)
    return {"data_z": {"B": blob}}, _name("data_z") + len(blob), True


def _largest(payload: dict[str, Any], kind: str, done: list[str]) -> str | None:
    sizes = [
        (len(json.dumps(payload.get(name), default=str)), name)
        for name in TRIMMABLE[kind]
        if name not in done and payload.get(name)
    ]
    return max(sizes)[1] if sizes else None


def _trim(payload: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    value = payload[name]
    size = len(json.dumps(value, default=str))
    marker = f"trimmed by the store: {size} bytes did not fit DynamoDB's 400 KB item limit"
    out = dict(payload)
    if name == "errors":  # keep the manifest partial, and say how many errors were cut
        kept = list(value[:20])
        cut = len(value) - len(kept)
        kept.append(
            {
                "account_id": "-",
                "region": "global",
                "service": "store",
                "operation": "trim",
                "error_code": "ItemTooLarge",
                "message": f"{cut} more collection error(s) {marker}",
                "resource_type": None,
                "resource_id": None,
            }
        )
        out[name] = kept
    elif isinstance(value, dict):
        out[name] = {"store_trimmed": marker}
    elif isinstance(value, list):
        out[name] = []
    else:
        out[name] = marker
    if kind == "finding":
        note = out.get("note")
        out["note"] = f"{note}; {name} {marker}" if note else f"{name} {marker}"
    return out


def item_size(item: Item) -> int:
    """Upper bound of an item's stored size: attribute names plus values."""
    return sum(_name(n) + _size(v) for n, v in item.items())


def _name(text: str) -> int:
    return len(text.encode("utf-8"))


def _size(attribute: Mapping[str, Any]) -> int:
    """Upper bound of an AttributeValue's stored size, per the developer guide's rules."""
    ((tag, value),) = attribute.items()
    if tag == "S":
        return _name(value)
    if tag == "N":
        return len(value) // 2 + 2
    if tag == "B":
        return len(value)
    if tag == "M":
        return 3 + sum(_name(k) + _size(v) + 1 for k, v in value.items())
    if tag == "L":
        return 3 + sum(_size(v) + 1 for v in value)
    return 1  # BOOL, NULL


def _native(value: Any, depth: int) -> tuple[dict[str, Any], int]:
    """(AttributeValue, size) of a JSON-shaped value, or ``_NotNative``."""
    if value is None:
        return {"NULL": True}, 1
    if isinstance(value, bool):
        return {"BOOL": value}, 1
    if isinstance(value, (int, float)):
        text, digits = _number(value)
        return {"N": text}, digits // 2 + 2
    if isinstance(value, str):
        try:
            return {"S": value}, len(value.encode("utf-8"))
        except UnicodeEncodeError as exc:  # a lone surrogate: not UTF-8
            raise _NotNative from exc
    if depth > MAX_DEPTH:
        raise _NotNative
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        size = 3
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise _NotNative
            attribute, item_size = _native(item, depth + 1)
            out[key] = attribute
            try:
                size += len(key.encode("utf-8")) + item_size + 1
            except UnicodeEncodeError as exc:
                raise _NotNative from exc
        return {"M": out}, size
    if isinstance(value, list):
        items = [_native(item, depth + 1) for item in value]
        return {"L": [a for a, _ in items]}, 3 + sum(s + 1 for _, s in items)
    raise _NotNative


def _number(value: int | float) -> tuple[str, int]:
    if isinstance(value, float):
        # Integral values come back as int; past 2**53 an int would not equal the float.
        if not math.isfinite(value) or (value.is_integer() and abs(value) >= 2**53):
            raise _NotNative
        number = Decimal(repr(value))
    else:
        number = Decimal(value)
    if number.is_zero():
        return "0", 1
    normal = _WIDE.normalize(number)
    digits = len(normal.as_tuple().digits)
    if digits > 38 or not -130 <= normal.adjusted() <= 125:
        raise _NotNative
    return (str(value) if isinstance(value, int) else str(number)), digits


def from_attribute(attribute: Mapping[str, Any]) -> Any:  # noqa: PLR0911
    """A low-level AttributeValue back to plain Python (numbers: int when integral)."""
    ((tag, value),) = attribute.items()
    if tag == "S":
        return value
    if tag == "N":
        number = Decimal(value)
        if number == _WIDE.to_integral_value(number):
            return int(number)
        return float(number)
    if tag == "M":
        return {k: from_attribute(v) for k, v in value.items()}
    if tag == "L":
        return [from_attribute(v) for v in value]
    if tag == "BOOL":
        return bool(value)
    if tag == "NULL":
        return None
    if tag == "B":
        return bytes(value)
    raise CodecError(f"unexpected DynamoDB type {tag!r}")


def _payload_of(item: Mapping[str, Any]) -> dict[str, Any]:
    key = item.get(HASH_KEY, {}).get("S", "?")
    try:
        if "data" in item:
            data = from_attribute(item["data"])
        else:
            data = json.loads(zlib.decompress(bytes(item["data_z"]["B"])))
    except (KeyError, ValueError, zlib.error) as exc:
        raise CodecError(f"stored item {key}: unreadable payload: {exc}") from exc
    if not isinstance(data, dict):
        raise CodecError(f"stored item {key}: payload is not an object")
    return data


def _build(cls: type[_T], data: dict[str, Any], key: str) -> _T:
    """A model object from stored data: unknown fields dropped, float fields made floats."""
    known = {f.name: f for f in dataclasses.fields(cls)}
    clean: dict[str, Any] = {}
    for name, value in data.items():
        spec = known.get(name)
        if spec is None:
            continue
        is_int = isinstance(value, int) and not isinstance(value, bool)
        clean[name] = float(value) if is_int and "float" in str(spec.type) else value
    try:
        return cls.from_dict(clean)
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"stored item {key}: not a valid {cls.__name__}: {exc}") from exc


def decode_resource(item: Mapping[str, Any]) -> Resource:
    return _build(Resource, _payload_of(item), item[HASH_KEY]["S"])


def decode_finding(item: Mapping[str, Any]) -> Finding:
    return _build(Finding, _payload_of(item), item[HASH_KEY]["S"])


def decode_manifest(item: Mapping[str, Any]) -> StoredManifest:
    manifest = _build(ScanManifest, _payload_of(item), item[HASH_KEY]["S"])
    stored = from_attribute(item.get("stored", {"M": {}}))
    return StoredManifest(
        manifest=manifest,
        complete=bool(item.get("complete", {}).get("BOOL", False)),
        resources=int(stored.get("resources", 0)),
        findings=int(stored.get("findings", 0)),
        shards=int(stored.get("shards", DEFAULT_SHARDS)),
        write_id=item.get("write_id", {}).get("S", ""),
        scan_date=item["scan_date"]["S"],
        paged=stored.get("layout") == PAGED,
        paging=Paging(
            finding_shards=int(stored.get("finding_shards", 1)),
            resource_partitions=int(stored.get("resource_partitions", 0)),
        ),
    )


def trimmed_of(item: Mapping[str, Any]) -> Sequence[str]:
    return [v["S"] for v in item.get("trimmed", {}).get("L", [])]
