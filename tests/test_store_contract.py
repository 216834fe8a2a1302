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
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.clock import parse_timestamp
from engine.model import Finding, Resource
from engine.store import Store, StoreError, record_scan, track_history
from engine.store.base import ScanSummary
from engine.store.codec import GSI_HASH, GSI_NAME, GSI_RANGE, ITEM_LIMIT, TTL_ATTRIBUTE
from engine.store.dynamodb import DynamoStore
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


@pytest.fixture(params=["sqlite", "moto", "dynamodb-local"])
def store(
    request: pytest.FixtureRequest,
    aws_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite_store = SqliteStore(tmp_path / "history.sqlite")
        yield sqlite_store
        sqlite_store.close()
        return
    if request.param == "dynamodb-local":
        request.getfixturevalue("local_url")  # one server per session, stopped at the end
    with dynamo_store(request.param, monkeypatch) as dynamo:
        yield dynamo


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
    # A day's items: every shard of the day's GSI partition, spread over more than one shard.
    day = dynamo.items_on("2026-11-01")
    assert sorted(type(x).__name__ for x in day).count("Resource") == 40
    assert len(day) == 42  # 40 resources, 1 finding, 1 manifest
    shards = {
        i[GSI_HASH]["S"]
        for i in dynamo.client.scan(TableName=dynamo.table)["Items"]  # test inspection only
        if GSI_HASH in i
    }
    assert len(shards) > 4 and all(s.startswith("2026-11-01#") for s in shards)


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
