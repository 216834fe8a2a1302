"""The DynamoDB item codec: any Resource in, the same Resource out; numbers; 400 KB items;
and pages: any list of resources or findings in, the same list out, every page under its limit."""

from __future__ import annotations

import base64
import json
import math
import random
import zlib
from collections.abc import Iterator
from decimal import Context, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import Finding, Resource
from engine.store.base import ScanSummary
from engine.store.codec import (
    ITEM_LIMIT,
    CodecError,
    Layout,
    Line,
    decode_finding,
    decode_manifest,
    decode_resource,
    encode_finding,
    encode_line,
    encode_manifest,
    encode_resource,
    from_attribute,
    trimmed_of,
)
from engine.store.pages import (
    Page,
    Paginator,
    decode_finding_page,
    decode_resource_page,
    encode_page,
    finding_partition,
    page_range,
    resource_partition,
    shards_for,
)
from tests.support.store_data import collection_error, finding, manifest, resource

SCAN = manifest("scan-1")
WIDE = Context(prec=80)  # the default 28 digits would round 38-digit numbers
LAYOUT = Layout()

TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # surrogates too
NUMBERS = (
    st.integers(min_value=-(10**45), max_value=10**45)
    | st.floats(allow_nan=False)  # infinities and subnormals: outside DynamoDB's range
    | st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
)
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=24,
)
RESOURCES = st.builds(
    Resource,
    resource_id=st.text(min_size=1, max_size=40).map(lambda s: "arn:aws:x:::" + s),
    resource_type=st.sampled_from(["aws.ec2.instance", "aws.s3.bucket"]),
    account_id=st.from_regex(r"\A[0-9]{12}\Z"),
    region=st.sampled_from(["us-east-1", "eu-west-1"]),
    name=st.none() | TEXT,
    state=st.none() | TEXT,
    created_at=st.none() | st.just("2025-01-01T00:00:00Z"),
    tags=st.dictionaries(TEXT, TEXT, max_size=4),
    attributes=st.dictionaries(TEXT, JSON, max_size=6),
    collected_at=st.just("2026-11-01T06:00:00Z"),
    scan_id=st.just("scan-1"),
)


def as_dynamodb_returns(attribute: Any) -> Any:
    """Numbers as DynamoDB hands them back: normalised ("1.0" -> "1", "1E+2" -> "100")."""
    if isinstance(attribute, dict):
        if set(attribute) == {"N"}:
            number = WIDE.normalize(Decimal(attribute["N"]))
            text = f"{number:f}" if abs(number.adjusted()) < 40 else str(number)
            return {"N": text}
        return {k: as_dynamodb_returns(v) for k, v in attribute.items()}
    if isinstance(attribute, list):
        return [as_dynamodb_returns(v) for v in attribute]
    return attribute


def documented_size(attribute: dict[str, Any]) -> int:
    """The developer guide's formula, written out independently of the codec."""
    ((tag, value),) = attribute.items()
    if tag == "S":
        return len(value.encode())
    if tag == "N":
        digits = WIDE.normalize(Decimal(value)).as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if tag == "B":
        return len(value)
    if tag in ("M", "L"):
        items = value.items() if tag == "M" else (("", v) for v in value)
        return 3 + sum(len(k.encode()) + documented_size(v) + 1 for k, v in items)
    return 1


def same_numbers(a: Any, b: Any) -> bool:
    """Equal, and a non-integral float is still a float (integral ones may come back as int)."""
    if isinstance(a, float) and not a.is_integer() and math.isfinite(a):
        return isinstance(b, float) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same_numbers(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_numbers, a, b))
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(RESOURCES)
def test_any_resource_in_the_same_resource_out(original: Resource) -> None:
    encoded = encode_resource(original, SCAN, LAYOUT, "w1")
    back = decode_resource(as_dynamodb_returns(encoded.item))
    assert back == original
    assert same_numbers(original.attributes, back.attributes)
    assert encoded.size <= ITEM_LIMIT
    item_size = sum(len(k) + documented_size(v) for k, v in encoded.item.items())
    assert encoded.size >= item_size  # our estimate never undercounts


@pytest.mark.parametrize(
    ("value", "native"),
    [
        (1.5, True),
        (0.1, True),
        (-0.0, True),
        (10**38 - 1, True),  # 38 significant digits: the most DynamoDB keeps
        (10**38 + 1, False),  # 39: would be rounded, so it goes to the JSON blob
        (10**200, False),  # one significant digit, but above DynamoDB's 9.99E+125
        (1e-131, False),  # below DynamoDB's smallest magnitude
        (math.inf, False),
        (5e-324, False),
    ],
)
def test_numbers_are_exact_or_go_to_the_blob(value: float, native: bool) -> None:
    original = resource("n", attributes={"v": value})
    encoded = encode_resource(original, SCAN, LAYOUT, "w1")
    assert ("data" in encoded.item) is native
    assert decode_resource(as_dynamodb_returns(encoded.item)).attributes["v"] == value


def test_model_float_fields_come_back_as_floats() -> None:
    original = finding("a")
    original = original.__class__(**{**original.to_dict(), "estimated_monthly_cost_usd": 12.0})
    back = decode_finding(as_dynamodb_returns(encode_finding(original, SCAN, LAYOUT, "w").item))
    assert back == original and isinstance(back.estimated_monthly_cost_usd, float)


def test_empty_strings_and_empty_containers_are_kept() -> None:
    original = resource("e", attributes={"s": "", "l": [], "m": {}, "n": None}, tags={"k": ""})
    encoded = encode_resource(original, SCAN, LAYOUT, "w")
    assert "data" in encoded.item
    assert decode_resource(encoded.item) == original


def test_a_large_compressible_resource_is_stored_compressed_and_whole() -> None:
    policy = {"Statement": [{"Sid": f"s{i}", "Effect": "Allow"} for i in range(40_000)]}
    original = resource("big", attributes={"policy": policy})
    assert len(json.dumps(original.to_dict())) > 1_000_000
    encoded = encode_resource(original, SCAN, LAYOUT, "w")
    assert encoded.compressed and not encoded.trimmed and encoded.size <= ITEM_LIMIT
    assert decode_resource(encoded.item) == original


def test_an_incompressible_resource_is_trimmed_with_a_marker_not_a_crash() -> None:
    noise = base64.b64encode(random.Random(7).randbytes(600_000)).decode()
    original = resource("huge", attributes={"blob": noise, "cpu": 2})
    encoded = encode_resource(original, SCAN, LAYOUT, "w")
    assert encoded.trimmed and encoded.size <= ITEM_LIMIT
    assert trimmed_of(encoded.item) == ["attributes"]
    back = decode_resource(encoded.item)
    assert back.resource_id == original.resource_id and back.tags == original.tags
    assert "400 KB" in back.attributes["store_trimmed"]


def test_a_finding_with_huge_evidence_is_trimmed_and_its_note_says_so() -> None:
    noise = base64.b64encode(random.Random(8).randbytes(500_000)).decode()
    original = finding("a", evidence={"dump": noise})
    encoded = encode_finding(original, SCAN, LAYOUT, "w")
    back = decode_finding(encoded.item)
    assert encoded.trimmed and back.finding_id == original.finding_id
    assert "evidence" in (back.note or "") and "400 KB" in (back.note or "")


def test_a_manifest_with_thousands_of_errors_stays_partial_when_trimmed() -> None:
    rng = random.Random(9)
    errors = [
        collection_error(f"r-{rng.randbytes(100).hex()}", service=f"s{i}") for i in range(8000)
    ]
    big = manifest("scan-9", errors=errors)
    summary = ScanSummary(complete=True, resources=0, findings=0, scopes=())
    encoded = encode_manifest(big, summary, LAYOUT, "w")
    stored = decode_manifest(encoded.item)
    assert encoded.size <= ITEM_LIMIT
    assert stored.manifest.partial
    assert "errors" in trimmed_of(encoded.item)
    assert any("more collection error" in e.message for e in stored.manifest.errors)


def test_a_value_json_cannot_express_is_a_codec_error_naming_the_resource() -> None:
    bad = resource("set", attributes={"ids": {1, 2}})
    with pytest.raises(CodecError, match="set"):
        encode_resource(bad, SCAN, LAYOUT, "w")


def test_decimal_numbers_from_dynamodb_become_int_or_float() -> None:
    assert from_attribute({"N": "12"}) == 12 and isinstance(from_attribute({"N": "12"}), int)
    assert from_attribute({"N": "0.25"}) == 0.25
    assert from_attribute({"N": "1E+2"}) == 100
    big = "12345678901234567890123456789012345678"  # 38 digits, beyond a float's precision
    assert from_attribute({"N": big}) == int(big)
    assert from_attribute({"M": {"a": {"L": [{"NULL": True}, {"BOOL": False}]}}}) == {
        "a": [None, False]
    }


def test_every_item_expires_after_the_retention_counted_from_the_scan_start() -> None:
    started = 1_793_512_800  # 2026-11-01T06:00:00Z
    encoded = encode_resource(resource("a"), SCAN, Layout(retention_days=90), "w")
    assert encoded.item["expires_at"] == {"N": str(started + 90 * 86400)}
    encoded = encode_finding(finding("a"), SCAN, Layout(retention_days=7), "w")
    assert encoded.item["expires_at"] == {"N": str(started + 7 * 86400)}


# --- pages: many records in one compressed item ----------------------------------------------

FINDINGS = st.builds(
    Finding,
    finding_id=st.text(min_size=1, max_size=32),
    rule_id=st.sampled_from(["ec2-stopped-long", "s3-versioning-off"]),
    resource_id=st.text(min_size=1, max_size=40).map(lambda s: "arn:aws:x:::" + s),
    resource_type=st.sampled_from(["aws.ec2.instance", "aws.s3.bucket"]),
    resource_name=st.none() | TEXT,
    account_id=st.from_regex(r"\A[0-9]{12}\Z"),
    region=st.sampled_from(["us-east-1", "eu-west-1"]),
    outcome=st.sampled_from(["fail", "error"]),
    severity=st.sampled_from(["critical", "high", "low"]),
    category=st.sampled_from(["cost", "security"]),
    title=TEXT,
    evidence=st.dictionaries(TEXT, JSON, max_size=6),
    remediation=TEXT,
    references=st.dictionaries(TEXT, JSON, max_size=3),
    status=st.sampled_from(["new", "open", "resolved", "suppressed"]),
    first_seen=st.just("2026-11-01T06:00:00Z"),
    last_seen=st.just("2026-11-02T06:00:00Z"),
    rank=st.none() | st.integers(0, 10**6),
    score=st.none() | st.floats(allow_nan=False),
    explanation=st.none() | TEXT,
    note=st.none() | TEXT,
    estimated_monthly_cost_usd=st.none() | st.floats(allow_nan=False),
)
PAGE_SIZES = st.integers(min_value=64, max_value=4_000)


def paged(kind: str, records: list[tuple[str, dict[str, Any]]], page_bytes: int) -> list[Page]:
    """Records through the store's path: lines, pages, page items (as DynamoDB returns them)."""
    lines = [encode_line(kind, key, payload, ITEM_LIMIT - 1_000) for key, payload in records]
    bodies = Paginator(page_bytes).pages(lines)
    return [
        encode_page(SCAN, kind, (f"{kind}s#scan-1#0", n), body, (LAYOUT, "w1"))
        for n, body in enumerate(bodies)
    ]


def assert_pages_fit(pages: list[Page], page_bytes: int) -> None:
    for page in pages:
        blob = page.item["page_z"]["B"]
        assert len(page.keys) == 1 or len(blob) <= page_bytes
        assert page.size <= ITEM_LIMIT
        assert page.size >= sum(len(k) + documented_size(v) for k, v in page.item.items())


@settings(max_examples=200, deadline=None)
@given(st.lists(RESOURCES, max_size=30), PAGE_SIZES)
def test_any_resources_in_pages_the_same_resources_out(
    originals: list[Resource], page_bytes: int
) -> None:
    pages = paged("resource", [(r.resource_id, r.to_dict()) for r in originals], page_bytes)
    assert [k for p in pages for k in p.keys] == [r.resource_id for r in originals]
    back = [r for page in pages for r in decode_resource_page(page.item)]
    assert back == originals
    assert all(
        same_numbers(a.attributes, b.attributes) for a, b in zip(originals, back, strict=True)
    )
    assert_pages_fit(pages, page_bytes)


@settings(max_examples=200, deadline=None)
@given(st.lists(FINDINGS, max_size=30), PAGE_SIZES)
def test_any_findings_in_pages_the_same_findings_out(
    originals: list[Finding], page_bytes: int
) -> None:
    pages = paged("finding", [(f.finding_id, f.fields()) for f in originals], page_bytes)
    back = [f for page in pages for f in decode_finding_page(page.item)]
    assert back == originals
    for original, again in zip(originals, back, strict=True):
        assert same_numbers(original.evidence, again.evidence)
        assert type(original.score) is type(again.score)
    assert_pages_fit(pages, page_bytes)
    for original in originals:  # a finding's history reads only its own records of a page
        wanted = [
            f for page in pages for f in decode_finding_page(page.item, only=original.finding_id)
        ]
        assert wanted == [f for f in originals if f.finding_id == original.finding_id]


def test_a_page_too_big_once_compressed_is_split_until_each_part_fits() -> None:
    rng = random.Random(11)
    noise = [Line(f"k{i}", rng.randbytes(3_000).hex().encode()) for i in range(40)]
    paginator = Paginator(page_bytes=20_000)  # first guess 1:4; hex noise compresses 1:2
    pages = list(paginator.pages(noise))
    assert paginator.splits >= 1
    assert [line for lines, _ in pages for line in lines] == noise
    assert all(len(blob) <= 20_000 for _, blob in pages)
    assert all(
        zlib.decompress(blob).split(b"\n") == [x.data for x in lines] for lines, blob in pages
    )


def test_a_record_too_big_for_a_page_alone_gets_a_page_of_its_own() -> None:
    rng = random.Random(12)
    lines = [Line("a", b'{"x":1}'), Line("big", rng.randbytes(30_000).hex().encode())]
    lines.append(Line("b", b'{"y":2}'))
    pages = list(Paginator(page_bytes=1_000).pages(lines))
    assert [[line.key for line in page] for page, _ in pages] == [["a"], ["big"], ["b"]]


def test_a_finding_too_big_for_any_page_is_trimmed_and_its_note_says_so() -> None:
    noise = base64.b64encode(random.Random(13).randbytes(600_000)).decode()
    original = finding("a", evidence={"dump": noise})
    line = encode_line("finding", original.finding_id, original.fields(), 390_000)
    assert line.trimmed and len(zlib.compress(line.data)) <= 390_000
    (back,) = decode_finding_page(paged_line(line))
    assert back.finding_id == original.finding_id and back.title == original.title
    assert back.evidence == {"store_trimmed": back.evidence["store_trimmed"]}
    assert "evidence" in (back.note or "") and "400 KB" in (back.note or "")


def paged_line(line: Line) -> dict[str, Any]:
    blob = zlib.compress(line.data)
    return encode_page(
        SCAN, "finding", ("findings#scan-1#0", 0), ([line], blob), (LAYOUT, "w")
    ).item


def test_a_page_whose_count_disagrees_is_a_codec_error() -> None:
    item = paged_line(Line("a", json.dumps(finding("a").fields()).encode()))
    item["count"] = {"N": "2"}
    with pytest.raises(CodecError, match="1 records, its count says 2"):
        decode_finding_page(item)


@pytest.mark.parametrize(
    ("count", "shards"),
    [(0, 1), (1, 1), (2_048, 1), (2_049, 2), (16_441, 16), (1_644_733, 1_024), (10**9, 16_384)],
)
def test_the_shard_count_is_a_power_of_two_for_about_two_thousand_findings_each(
    count: int, shards: int
) -> None:
    assert shards_for(count) == shards


def test_page_keys_name_the_write_attempt_first() -> None:
    assert page_range("abc123", 7) == "abc123#00000007"
    assert finding_partition("scan-1", 3) == "findings#scan-1#3"
    assert resource_partition("scan-1.1234.us-east-1", 0) == "resources#scan-1.1234.us-east-1#0"


def test_the_paginator_reads_no_further_than_the_page_it_cuts() -> None:
    """One page's lines in memory at a time: a page is handed on before the next line is read."""
    taken: list[int] = []

    def lines() -> Iterator[Line]:
        for n in range(2_000):
            taken.append(n)
            yield Line(f"k{n}", json.dumps(finding(f"i-{n}").fields()).encode())

    pages = Paginator(page_bytes=4_000).pages(lines())
    seen = 0
    for page, _ in pages:
        seen += len(page)
        assert len(taken) == seen  # nothing read ahead of the page just cut
    assert seen == 2_000
