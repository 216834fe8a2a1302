"""One store contract, three backends: SQLite, DynamoDB on moto, and Amazon DynamoDB Local.

DynamoDB Local (``scripts/install-dynamodb-local.sh``) is started once per session on a free
port on 127.0.0.1; without it these cases skip, or fail when ``CI`` is set. The DynamoDB
client is a plain ``boto3.client("dynamodb")`` that reaches DynamoDB Local through
``AWS_ENDPOINT_URL_DYNAMODB``, as a deployment would.
"""

from __future__ import annotations

import base64
import math
import random
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.clock import parse_timestamp
from engine.history import Prior
from engine.model import Finding, Resource
from engine.store import (
    Store,
    StoreError,
    merge_results,
    put_resource_batch,
    record_scan,
    track_history,
)
from engine.store.base import ScanSummary
from engine.store.codec import (
    GSI_HASH,
    GSI_NAME,
    GSI_RANGE,
    HASH_KEY,
    ITEM_LIMIT,
    RANGE_KEY,
    TTL_ATTRIBUTE,
    encode_finding,
    encode_manifest,
    encode_pointer,
    encode_resource,
    shard_of,
)
from engine.store.dynamodb import DynamoStore
from engine.store.pages import decode_finding_page
from engine.store.sqlite import SqliteStore, default_history_path
from tests.support.dynamodb_local import dynamo_store, shared_url, stop_shared
from tests.support.store_data import (
    ACCOUNT,
    OTHER_ACCOUNT,
    collection_error,
    finding,
    manifest,
    resource,
)

DAYS = [f"2026-11-0{d}T06:00:00Z" for d in range(1, 6)]
BOTH = ("us-east-1", "us-west-2")


@pytest.fixture(scope="session")
def local_url() -> Iterator[str]:
    try:
        yield shared_url()
    finally:
        stop_shared()


def backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    **options: Any,
) -> Iterator[Store]:
    """The store ``request.param`` names; DynamoDB ones built with ``options``."""
    if request.param == "sqlite":
        sqlite_store = SqliteStore(tmp_path / "history.sqlite")
        yield sqlite_store
        sqlite_store.close()
        return
    if request.param == "dynamodb-local":
        request.getfixturevalue("local_url")  # one server per session, stopped at the end
    with dynamo_store(request.param, monkeypatch, **options) as dynamo:
        yield dynamo


@pytest.fixture(params=["sqlite", "moto", "dynamodb-local"])
def store(
    request: pytest.FixtureRequest,
    aws_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    yield from backend(request, tmp_path, monkeypatch)


def tricky(name: str, scan_id: str, day: str) -> Resource:
    attributes = {
        "ratio": 0.1,
        "big": 10**30,
        "negative": -3.75,
        "unicode": "café ☃ 東京",
        "empty": "",
        "nested": {"list": [1, 2.5, None, True, {"x": []}], "map": {}},
        "infinite": math.inf,  # no DynamoDB number for it: the item goes compressed
    }
    return resource(name, scan_id=scan_id, collected_at=day, attributes=attributes)


def test_a_written_scan_reads_back_whole(store: Store) -> None:
    resources = [resource(f"i-{n:03d}", scan_id="scan-1") for n in range(60)]  # > 25: batches
    resources.append(tricky("tricky", "scan-1", DAYS[0]))
    findings = [finding(f"i-{n:03d}") for n in range(30)]
    scan = manifest("scan-1", DAYS[0], resources=resources)
    written = record_scan(store, scan, findings, resources)
    assert written.error is None and written.complete
    assert [r.written for r in written.results] == [61, 30, 1]
    assert store.latest_scan(ACCOUNT, "us-east-1") == scan
    assert store.scan_findings("scan-1") == sorted(findings, key=lambda f: f.resource_id)
    back = store.scan_resources("scan-1")
    assert back == sorted(resources, key=lambda r: r.resource_id)
    assert isinstance(next(r for r in back if r.name == "tricky").attributes["ratio"], float)


def test_latest_scan_is_the_newest_complete_scan_of_its_scope(store: Store) -> None:
    first = manifest("scan-1", DAYS[0], regions=BOTH)
    east = manifest("scan-2", DAYS[1], regions=("us-east-1",))
    record_scan(store, first, [])
    record_scan(store, east, [])
    failed = manifest("scan-3", DAYS[2], regions=BOTH)
    store.put_manifest(failed, ScanSummary(False, 0, 0, (("123456789012", "us-east-1"),)))
    assert store.latest_scan(ACCOUNT, "us-east-1") == east  # scan 3 did not complete
    assert store.latest_scan(ACCOUNT, "us-west-2") == first
    assert store.latest_scan(ACCOUNT, "us-east-1", exclude_scan_id="scan-2") == first
    assert store.latest_scan(OTHER_ACCOUNT, "us-east-1") is None
    assert store.latest_scan(ACCOUNT, "eu-west-1") is None


def run(
    store: Store, day: int, failing: list[str], present: list[str], **kw: object
) -> list[Finding]:
    """One scan through the pipeline's store calls: read history, then write."""
    scan_id, stamp = f"scan-{day}", DAYS[day - 1]
    resources = [resource(n, scan_id=scan_id, collected_at=stamp) for n in present]
    scan = manifest(scan_id, stamp, resources=resources, **kw)  # type: ignore[arg-type]
    now = parse_timestamp(stamp)
    tracked = track_history(store, scan, [finding(n, stamp=stamp) for n in failing], now, resources)
    written = record_scan(store, scan, tracked, resources)
    assert written.error is None
    return tracked


def test_new_then_open_then_resolved_once(store: Store) -> None:
    one = run(store, 1, ["a", "b"], ["a", "b"])
    assert [(f.resource_name, f.status) for f in one] == [("a", "new"), ("b", "new")]
    two = run(store, 2, ["a", "b"], ["a", "b"])
    assert [(f.status, f.first_seen, f.last_seen) for f in two] == [("open", DAYS[0], DAYS[1])] * 2
    three = run(store, 3, ["a"], ["a", "b"])  # b fixed
    assert [(f.resource_name, f.status) for f in three] == [("a", "open"), ("b", "resolved")]
    assert "now passes" in (three[1].note or "")
    four = run(store, 4, ["a"], ["a", "b"])
    assert [(f.resource_name, f.status, f.first_seen) for f in four] == [("a", "open", DAYS[0])]
    history = store.finding_history(three[1].finding_id)
    assert [(f.status, f.last_seen) for f in history] == [
        ("new", DAYS[0]),
        ("open", DAYS[1]),
        ("resolved", DAYS[1]),
    ]
    snapshots = store.resource_history(resource("a").resource_id)
    assert [r.collected_at for r in snapshots] == DAYS[:4]


def test_a_failed_region_keeps_its_findings_open_across_scans(store: Store) -> None:
    west = {"region": "us-west-2"}
    first = finding("w", stamp=DAYS[0], **west)  # type: ignore[arg-type]
    scan1 = manifest("scan-1", DAYS[0], regions=BOTH)
    record_scan(store, scan1, [first])
    blind = manifest("scan-2", DAYS[1], regions=BOTH, errors=[collection_error("us-west-2")])
    (kept,) = track_history(store, blind, [], parse_timestamp(DAYS[1]))
    assert kept.status == "open" and "us-west-2" in (kept.note or "")
    record_scan(store, blind, [kept])
    scan3 = manifest("scan-3", DAYS[2], regions=BOTH)
    again = finding("w", stamp=DAYS[2], **west)  # type: ignore[arg-type]
    (seen,) = track_history(store, scan3, [again], parse_timestamp(DAYS[2]))
    assert (seen.status, seen.first_seen) == ("open", DAYS[0])


def test_writing_a_scan_again_replaces_it(store: Store) -> None:
    scan = manifest("scan-1", DAYS[0])
    record_scan(store, scan, [finding("a"), finding("b")])
    record_scan(store, scan, [finding("a")])  # a retried run of the same scan id
    assert [f.resource_name for f in store.scan_findings("scan-1")] == ["a"]
    assert len(store.finding_history(finding("a").finding_id)) == 1


def test_items_past_400_kb_are_stored_without_a_crash(store: Store) -> None:
    noise = base64.b64encode(random.Random(3).randbytes(600_000)).decode()
    policy = {"Statement": [{"Sid": f"s{i}", "Effect": "Allow"} for i in range(40_000)]}
    near = "x" * (ITEM_LIMIT - 2_000)  # just under our limit: stored as one native item
    resources = [
        resource("noise", attributes={"blob": noise}),
        resource("policy", attributes={"policy": policy}),
        resource("near", attributes={"s": near}),
    ]
    scan = manifest("scan-1", DAYS[0], resources=resources)
    written = record_scan(store, scan, [], resources)
    assert written.error is None
    trimmed = written.results[0].trimmed
    for original, back in zip(
        sorted(resources, key=lambda r: r.resource_id), store.scan_resources("scan-1"), strict=True
    ):
        if original.resource_id in trimmed:
            assert back.attributes == {"store_trimmed": back.attributes["store_trimmed"]}
        else:
            assert back == original
    if isinstance(store, DynamoStore):
        assert trimmed == (resources[0].resource_id,)


def test_an_unknown_scan_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="no scan"):
        store.scan_findings("scan-none")


@pytest.fixture(params=["moto", "dynamodb-local"])
def dynamo(
    request: pytest.FixtureRequest, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DynamoStore]:
    """The DynamoDB backends alone, for what only DynamoDB has (key schema, GSI, TTL)."""
    if request.param == "dynamodb-local":
        request.getfixturevalue("local_url")
    with dynamo_store(request.param, monkeypatch) as store:
        yield store


def test_the_table_keeps_the_original_keys_and_a_sharded_gsi_with_ttl(dynamo: DynamoStore) -> None:
    table = dynamo.client.describe_table(TableName=dynamo.table)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "resource_id", "KeyType": "HASH"},
        {"AttributeName": "timestamp", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == GSI_NAME
    assert [k["AttributeName"] for k in index["KeySchema"]] == [GSI_HASH, GSI_RANGE]
    ttl = dynamo.client.describe_time_to_live(TableName=dynamo.table)["TimeToLiveDescription"]
    assert ttl.get("AttributeName") == TTL_ATTRIBUTE


def test_the_original_queries_still_work(dynamo: DynamoStore) -> None:
    resources = [resource(f"i-{n}") for n in range(40)]
    scan = manifest("scan-1", DAYS[0], resources=resources)
    record_scan(dynamo, scan, [finding("i-1")], resources)
    # A resource's history: a Query on its ARN, the original HASH key.
    page = dynamo.client.query(
        TableName=dynamo.table,
        KeyConditionExpression="resource_id = :r",
        ExpressionAttributeValues={":r": {"S": resources[0].resource_id}},
    )
    (item,) = page["Items"]
    assert item["timestamp"]["S"].startswith(DAYS[0])
    started = int(parse_timestamp(DAYS[0]).timestamp())
    retention = dynamo.layout.retention_days * 86400
    assert int(item[TTL_ATTRIBUTE]["N"]) == started + retention
    # A day's items: the day's manifests from the GSI, then each scan's pages.
    day = dynamo.items_on("2026-11-01")
    assert sorted(type(x).__name__ for x in day).count("Resource") == 40
    assert len(day) == 42  # 40 resources, 1 finding, 1 manifest
    # The index holds manifests only (sparse): a scan's resources and findings are read from
    # its pages, so their index copies would only double their write units.
    items = dynamo.client.scan(TableName=dynamo.table)["Items"]  # test inspection only
    indexed = [i for i in items if GSI_HASH in i]
    assert [i["kind"]["S"] for i in indexed] == ["manifest"]
    assert indexed[0][GSI_HASH]["S"] == f"2026-11-01#{shard_of('manifest#scan-1', 16):02d}"
    assert sum(i["kind"]["S"] == "resource" for i in items) == 40


def test_sqlite_opens_in_wal_mode_and_one_uncommitted_scan_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    first = SqliteStore(path)
    scan = manifest("scan-1", DAYS[0])
    first.put_findings(scan, [finding("a")])  # ... and the process dies before put_manifest
    first._db.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    second = SqliteStore(path)
    with pytest.raises(StoreError):
        second.scan_findings("scan-1")
    assert second.finding_history(finding("a").finding_id) == []
    second.close()


def test_sqlite_retention_deletes_scans_older_than_the_retention(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "h.sqlite", retention_days=90)
    record_scan(store, manifest("scan-1", "2026-01-01T00:00:00Z"), [finding("a")])
    record_scan(store, manifest("scan-2", "2026-03-01T00:00:00Z"), [finding("a")])
    assert len(store.finding_history(finding("a").finding_id)) == 2
    record_scan(store, manifest("scan-3", "2026-04-02T00:00:00Z"), [])  # 91 days after scan 1
    assert len(store.finding_history(finding("a").finding_id)) == 1
    assert store.scan_findings("scan-2") == [finding("a")]
    with pytest.raises(StoreError):
        store.scan_findings("scan-1")
    store.close()


def test_the_default_history_file_follows_xdg_state_home(tmp_path: Path) -> None:
    assert default_history_path({"XDG_STATE_HOME": "/var/state"}, tmp_path) == Path(
        "/var/state/aws-inventory-engine/history.sqlite"
    )
    fallback = tmp_path / ".local/state/aws-inventory-engine/history.sqlite"
    assert default_history_path({}, tmp_path) == fallback
    assert default_history_path({"XDG_STATE_HOME": "relative"}, tmp_path) == fallback


def test_a_scan_without_an_evaluation_summary_never_resolves(store: Store) -> None:
    record_scan(store, manifest("scan-1", DAYS[0]), [finding("a")])
    scan = manifest("scan-2", DAYS[1], rules=None)
    assert track_history(store, scan, [], datetime(2026, 11, 2, tzinfo=UTC)) == []


# --- a scan's findings and resources as pages (DynamoDB), the same contract everywhere --------

#: tiny pages and shards, so that a scan of a few hundred findings takes many of each
SMALL = {"page_bytes": 1_500, "findings_per_shard": 32, "resource_partitions": 4}


@pytest.fixture(params=["sqlite", "moto", "dynamodb-local"])
def small(
    request: pytest.FixtureRequest,
    aws_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    """The ``store`` backends, DynamoDB with ``SMALL`` pages and shards."""
    yield from backend(request, tmp_path, monkeypatch, **SMALL)


def another(store: Store) -> Store:
    """A second store object on the same file or table (another process, for instance)."""
    if isinstance(store, SqliteStore):
        return SqliteStore(store.path)
    assert isinstance(store, DynamoStore)
    return DynamoStore(store.client, store.table, retention_days=36_500, **SMALL)  # type: ignore[arg-type]


def page_items(store: DynamoStore, prefix: str) -> list[dict[str, Any]]:
    """The items whose partition key starts with ``prefix`` (a Scan: test inspection only)."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": store.table}
    while True:
        page = store.client.scan(**request)
        items += [i for i in page["Items"] if i[HASH_KEY]["S"].startswith(prefix)]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i[HASH_KEY]["S"], i[RANGE_KEY]["S"]))
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def by_rule(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.rule_id, f.resource_id))


def many(count: int, stamp: str = DAYS[0]) -> list[Finding]:
    return [finding(f"i-{n:04d}", stamp=stamp) for n in range(count)]


def test_resources_written_in_several_calls_add_up_and_read_back_once(small: Store) -> None:
    resources = [resource(f"i-{n:03d}", scan_id="scan-1") for n in range(90)]
    scan = manifest("scan-1", DAYS[0], resources=resources)
    calls = [put_resource_batch(small, scan, resources[i : i + 25]) for i in range(0, 90, 25)]
    assert [c.written for c in calls] == [25, 25, 25, 15]
    written = record_scan(
        small, scan, [finding("i-001")], resources_written=merge_results("resource", calls)
    )
    assert written.error is None and [r.written for r in written.results] == [90, 1, 1]
    assert small.scan_resources("scan-1") == sorted(resources, key=lambda r: r.resource_id)
    assert [r.collected_at for r in small.resource_history(resources[89].resource_id)] == DAYS[:1]
    if isinstance(small, DynamoStore):
        pages = page_items(small, "resources#scan-1#")
        keys = {(p[HASH_KEY]["S"], p[RANGE_KEY]["S"]) for p in pages}
        assert len(pages) == len(keys) > len(calls), "several pages a call, no key written twice"
        assert sum(int(p["count"]["N"]) for p in pages) == 90
        assert {p[HASH_KEY]["S"] for p in pages} == {f"resources#scan-1#{n}" for n in range(4)}


def test_a_scan_with_many_findings_reads_back_from_every_shard_and_page(small: Store) -> None:
    findings = many(300)
    written = record_scan(small, manifest("scan-1", DAYS[0]), findings)
    assert written.error is None and written.results[1].written == 300
    assert small.scan_findings("scan-1") == by_rule(findings)
    if isinstance(small, DynamoStore):
        pages = page_items(small, "findings#scan-1#")
        per_shard = Counter(p[HASH_KEY]["S"] for p in pages)
        assert set(per_shard) == {f"findings#scan-1#{s}" for s in range(16)}  # 300 / 32 -> 16
        assert max(per_shard.values()) > 1, "a shard took several pages"
        for page in pages:
            shard = int(page[HASH_KEY]["S"].rsplit("#", 1)[1])
            assert all(shard_of(f.finding_id, 16) == shard for f in decode_finding_page(page))
            assert len(page["page_z"]["B"]) <= SMALL["page_bytes"] or page["count"]["N"] == "1"


def test_prior_findings_are_brief_for_the_ids_found_again_and_whole_otherwise(
    small: Store,
) -> None:
    findings = many(300)
    findings[7] = findings[7].evolve(status="resolved", outcome="error")
    findings[9] = findings[9].evolve(status="suppressed", first_seen=DAYS[0], last_seen=DAYS[1])
    assert record_scan(small, manifest("scan-1", DAYS[0]), findings).error is None
    again = {f.finding_id for f in findings[::3]} | {findings[7].finding_id, "not-stored"}
    prior = small.prior_findings("scan-1", again)
    assert len(prior) == 300 and len({p.finding_id for p in prior}) == 300
    by_id = {p.finding_id: p for p in prior}
    for f in findings:
        got = by_id[f.finding_id]
        if f.finding_id in again:
            assert got == Prior.of(f) and isinstance(got, Prior)
            assert (got.status, got.outcome, got.first_seen, got.last_seen) == (
                f.status,
                f.outcome,
                f.first_seen,
                f.last_seen,
            )
        else:
            assert isinstance(got, Finding) and got == f
    assert all(isinstance(p, Finding) for p in small.prior_findings("scan-1", ()))
    with pytest.raises(StoreError, match="scan-none"):
        small.prior_findings("scan-none", again)


def test_finding_history_reads_one_shard_of_each_scan_whatever_its_shard_count(
    small: Store,
) -> None:
    for day, count in ((1, 5), (2, 300), (3, 40)):  # 1, 16 and 2 shards
        scan = manifest(f"scan-{day}", DAYS[day - 1])
        assert record_scan(small, scan, many(count, DAYS[day - 1])).error is None
    queries: list[str] = []
    if isinstance(small, DynamoStore):
        small.client.meta.events.register(
            "before-call.dynamodb.Query", lambda params, **_: queries.append(str(params))
        )
    history = small.finding_history(finding("i-0003").finding_id)
    assert [(f.resource_name, f.last_seen) for f in history] == [("i-0003", d) for d in DAYS[:3]]
    if isinstance(small, DynamoStore):
        assert len(queries) == 5  # the registry, one shard of each scan, the pre-page partition
    assert [f.last_seen for f in small.finding_history(finding("i-0100").finding_id)] == [DAYS[1]]
    assert small.finding_history(finding("nowhere").finding_id) == []


def test_a_rerun_of_a_scan_id_keeps_only_its_last_attempt(small: Store) -> None:
    scan = manifest("scan-1", DAYS[0])
    first = many(300)
    assert record_scan(small, scan, first).error is None  # a complete attempt, 16 shards
    killed = another(small)  # an attempt that died before its manifest
    killed.put_findings(scan, [finding("ghost"), *first[:50]])
    killed.close()
    again = first[100:140]  # 40 findings, 2 shards
    assert record_scan(small, scan, again).error is None
    assert small.scan_findings("scan-1") == by_rule(again)
    counts = [len(small.finding_history(f.finding_id)) for f in (first[0], again[5])]
    assert counts == [0, 1]
    assert small.finding_history(finding("ghost").finding_id) == []


def test_a_finding_too_big_for_an_item_is_stored_with_a_marker(store: Store) -> None:
    noise = base64.b64encode(random.Random(5).randbytes(600_000)).decode()
    huge = finding("huge", evidence={"dump": noise})
    written = record_scan(store, manifest("scan-1", DAYS[0]), [huge, finding("small")])
    assert written.error is None
    back = {f.resource_name: f for f in store.scan_findings("scan-1")}
    assert back["small"] == finding("small")
    assert store.finding_history(huge.finding_id) == [back["huge"]]
    if isinstance(store, DynamoStore):
        assert written.results[1].trimmed == (huge.finding_id,)
        assert back["huge"].evidence == {"store_trimmed": back["huge"].evidence["store_trimmed"]}
        assert "evidence trimmed by the store" in (back["huge"].note or "")
        assert back["huge"].evolve(evidence=huge.evidence, note=None) == huge
    else:
        assert back["huge"] == huge


def test_a_missing_page_is_a_store_error_not_a_short_list(dynamo: DynamoStore) -> None:
    store = DynamoStore(dynamo.client, dynamo.table, retention_days=36_500, **SMALL)  # type: ignore[arg-type]
    resources = [resource(f"i-{n:03d}") for n in range(60)]
    scan = manifest("scan-1", DAYS[0], resources=resources)
    assert record_scan(store, scan, many(300), resources).error is None
    for prefix, read, total, kind in (
        ("findings#scan-1#", store.scan_findings, 300, "finding"),
        ("resources#scan-1#", store.scan_resources, 60, "resource"),
    ):
        page = page_items(store, prefix)[0]
        key = {HASH_KEY: page[HASH_KEY], RANGE_KEY: page[RANGE_KEY]}
        store.client.delete_item(TableName=store.table, Key=key)
        left = total - int(page["count"]["N"])
        with pytest.raises(StoreError, match=rf"read {left} of the {total} {kind}\(s\) of scan"):
            read("scan-1")


def test_pages_expire_with_their_scan_name_their_attempt_and_stay_out_of_the_index(
    dynamo: DynamoStore,
) -> None:
    resources = [resource(f"i-{n}") for n in range(3)]
    scan = manifest("scan-1", DAYS[0], resources=resources)
    record_scan(dynamo, scan, [finding("i-1")], resources)
    (stored,) = page_items(dynamo, "scan#scan-1")
    write_id = stored["write_id"]["S"]
    pages = page_items(dynamo, "findings#scan-1#") + page_items(dynamo, "resources#scan-1#")
    assert len(pages) == 2
    expires = int(parse_timestamp(DAYS[0]).timestamp()) + dynamo.layout.retention_days * 86400
    for page in pages:
        assert page[TTL_ATTRIBUTE] == {"N": str(expires)}
        assert page["write_id"]["S"] == write_id
        assert page[RANGE_KEY]["S"] == f"{write_id}#00000000"
        assert GSI_HASH not in page
    (entry,) = page_items(dynamo, "registry#findings")
    assert (entry[RANGE_KEY]["S"], entry["shards"]["N"], entry[TTL_ATTRIBUTE]) == (
        "scan-1",
        "1",
        {"N": str(expires)},
    )


def test_a_scan_written_one_item_each_before_pages_still_reads_back(dynamo: DynamoStore) -> None:
    """Scans stored before pages (per-item findings and resources in the GSI) stay readable
    for their retention: the first run after an upgrade reads one as its previous scan."""
    resources = [resource(f"i-{n}") for n in range(30)]
    findings = [finding(f"i-{n}") for n in range(12)]
    scan = manifest("scan-old", DAYS[0], resources=resources)
    layout, old = dynamo.layout, "old-write"
    items = [encode_finding(f, scan, layout, old).item for f in findings]
    for r in resources:  # resources were indexed then
        index = {GSI_HASH: {"S": f"2026-11-01#{shard_of(f'resource#{r.resource_id}', 16):02d}"}}
        index[GSI_RANGE] = {"S": f"scan-old#resource#{r.resource_id}"}
        items.append(encode_resource(r, scan, layout, old).item | index)
    summary = ScanSummary(True, 30, 12, ((ACCOUNT, "us-east-1"),))
    head = encode_manifest(scan, summary, layout, old).item
    for name in ("layout", "finding_shards", "resource_partitions"):
        del head["stored"]["M"][name]
    items += [head, encode_pointer(scan, summary, (ACCOUNT, "us-east-1"), layout)]
    for start in range(0, len(items), 25):
        requests: Any = [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
        dynamo.client.batch_write_item(RequestItems={dynamo.table: requests})
    assert dynamo.latest_scan(ACCOUNT, "us-east-1") == scan
    assert dynamo.scan_findings("scan-old") == by_rule(findings)
    prior = dynamo.prior_findings("scan-old", {findings[3].finding_id})
    assert sorted(prior, key=lambda p: p.finding_id) == sorted(
        [Prior.of(findings[3]), *findings[:3], *findings[4:]], key=lambda p: p.finding_id
    )
    assert dynamo.scan_resources("scan-old") == sorted(resources, key=lambda r: r.resource_id)
    assert len(dynamo.items_on("2026-11-01")) == 30 + 12 + 1
    new = manifest("scan-new", DAYS[1])
    assert record_scan(dynamo, new, [finding("i-3", stamp=DAYS[1])]).error is None
    history = dynamo.finding_history(findings[3].finding_id)
    assert [(f.last_seen, f.resource_name) for f in history] == [(d, "i-3") for d in DAYS[:2]]
