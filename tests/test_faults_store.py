"""Store faults survived, nothing lost: DynamoDB write faults, a run killed mid-write, and a
SQLite history the CLI cannot open or write.

The whole pipeline (``engine.pipeline.check``, or the CLI where its defaults suffice) runs on a
snapshot of the small two-region account (``tests/support/faults.py``), so the scan id is
fixed: running the same scan again is what a retried Lambda does. The DynamoDB store runs on
moto and on Amazon DynamoDB Local; faults are botocore hooks on its client (UnprocessedItems,
throttling, access denied, and ``Killed`` raised after some batches have landed). SQLite is
killed the same way, through a connection that dies after some statements. The SQLite
history is also given to ``engine check`` where it cannot be: under a file, as a folder, as a
file that is not a database, locked by another writer, and named empty.

Each test asserts what the user sees (the report's problem line, the CLI's message), the exit
code, and that the report and the store hold every finding and resource they should, once.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from engine.cli import exit_code, main
from engine.model import Finding
from engine.pipeline import CheckOptions, check
from engine.report import Report
from engine.rules import load_rules, shipped_rules_dir
from engine.sources import SnapshotSource
from engine.store import Store
from engine.store.dynamodb import DynamoStore
from engine.store.pages import decode_finding_page
from engine.store.sqlite import SqliteStore
from tests.support.dynamodb_local import shared_url, stop_shared
from tests.support.faults import (
    ACCOUNT,
    HOME,
    OTHER,
    BatchWriteFaults,
    Killed,
    Requests,
    answer_with,
    collect_snapshot,
    fake_credentials,
    item_key,
    on_every_client,
    partition_key,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)
YESTERDAY = datetime(2026, 11, 24, tzinfo=UTC)
NOW_STAMP = "2026-11-25T00:00:00Z"
RULE_DIRS = [str(shipped_rules_dir() / name) for name in ("ec2", "ebs", "s3")]
RULES = load_rules(RULE_DIRS)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Yesterday's scan and today's, of the same account (different scan ids)."""
    folder = tmp_path_factory.mktemp("snapshots")
    argv = ["--region", HOME, "--region", OTHER, "--now", "2026-11-25T00:00:00Z"]
    today = collect_snapshot(folder / "today.json", [*argv, "--no-backup-coverage"])
    document = json.loads(today.read_text())
    document["scan"] |= {
        "scan_id": "scan-yesterday",
        "started_at": "2026-11-24T00:00:00Z",
        "finished_at": "2026-11-24T00:00:01Z",
    }
    for resource in document["resources"]:
        resource |= {"scan_id": "scan-yesterday", "collected_at": "2026-11-24T00:00:00Z"}
    yesterday = folder / "yesterday.json"
    yesterday.write_text(json.dumps(document))
    return yesterday, today


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    try:
        yield shared_url()
    finally:
        stop_shared()


@pytest.fixture(params=["moto", "dynamodb-local"])
def dynamodb(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A DynamoDB client, on moto or on DynamoDB Local, and a fresh table name."""
    with fake_credentials():
        if request.param == "moto":
            with mock_aws():
                yield boto3.client("dynamodb", region_name=HOME)
            return
        url = request.getfixturevalue("local_url")
        yield boto3.client("dynamodb", region_name=HOME, endpoint_url=url)


def new_store(client: Any, table: str, **options: Any) -> DynamoStore:
    # retention far out: DynamoDB Local runs its TTL sweeper, and these scans are dated 2026
    options = {"sleep": lambda _: None, "retention_days": 36_500, **options}
    return DynamoStore(client, table, **options)


@pytest.fixture
def table(dynamodb: Any) -> Iterator[str]:
    name = f"aws-inventory-{uuid.uuid4().hex[:8]}"
    new_store(dynamodb, name).create_table()
    yield name
    dynamodb.delete_table(TableName=name)


def keys(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.finding_id, f.outcome, f.status) for f in findings)


def run(snapshot: Path, store: Store, now: datetime = NOW) -> Report:
    return check(SnapshotSource(snapshot), RULES, now, options=CheckOptions(store=store))


@pytest.fixture(scope="module")
def reference(snapshots: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Report:
    """Today's report, with yesterday's scan as history, in a store that had no fault."""
    store = SqliteStore(tmp_path_factory.mktemp("reference") / "history.sqlite")
    run(snapshots[0], store, YESTERDAY)
    report = run(snapshots[1], store)
    store.close()
    assert not report.problems and {f.status for f in report.findings} == {"open"}
    return report


# --- DynamoDB write faults -------------------------------------------------------------------


def test_transient_unprocessed_items_and_throttling_are_retried_until_all_land(
    dynamodb: Any, table: str, snapshots: tuple[Path, Path], reference: Report
) -> None:
    store = new_store(dynamodb, table)
    run(snapshots[0], store, YESTERDAY)
    faults = BatchWriteFaults(dynamodb, table)
    tries: dict[str, int] = {}

    def withhold(_: int, requests: Requests) -> Requests:
        held = []
        for request in requests[::2]:  # every other item, twice each
            key = item_key(request)
            tries[key] = tries.get(key, 0) + 1
            if tries[key] <= 2:
                held.append(request)
        return held

    faults.withhold = withhold
    faults.fail_with = lambda n, _: "ProvisionedThroughputExceededException" if n % 3 == 0 else None
    report = run(snapshots[1], store)
    assert faults.calls > 3 and tries, "the faults were met"
    assert report.problems == [] and exit_code(report, "none") == 0
    assert keys(report.findings) == keys(reference.findings)
    scan_id = report.manifest.scan_id
    assert keys(store.scan_findings(scan_id)) == keys(reference.findings)
    assert len(store.scan_resources(scan_id)) == sum(c["count"] for c in report.manifest.counts)
    latest = store.latest_scan(ACCOUNT, HOME)
    assert latest is not None and latest.scan_id == scan_id


def test_persistent_unprocessed_items_are_a_located_problem_and_exit_3(
    dynamodb: Any, table: str, snapshots: tuple[Path, Path], reference: Report
) -> None:
    # small pages, so that the scan's findings take several and one page is a few findings
    small = {"max_attempts": 4, "page_bytes": 1_000, "findings_per_shard": 2}
    store = new_store(dynamodb, table, **small)
    run(snapshots[0], store, YESTERDAY)
    faults = BatchWriteFaults(dynamodb, table)
    stuck: list[dict[str, Any]] = []  # the one page of today's findings that never lands

    def withhold(_: int, requests: Requests) -> Requests:
        pages = [r for r in requests if partition_key(r).startswith("findings#")]
        if pages and not stuck:
            stuck.append(pages[0])
        return [r for r in requests if stuck and item_key(r) == item_key(stuck[0])]

    faults.withhold = withhold
    report = run(snapshots[1], store)
    lost = [f.finding_id for f in decode_finding_page(stuck[0]["PutRequest"]["Item"])]
    assert 0 < len(lost) < len(reference.findings)
    # what the user sees: one line naming the store, the count and the first item
    (problem,) = report.problems
    assert problem.startswith(
        f"dynamodb:{table}: {len(lost)} of {len(reference.findings)} finding(s) not written"
        f" (first: finding {lost[0]}: "
    )
    assert "still in UnprocessedItems after 4 attempt(s) (retry budget spent)" in problem
    assert exit_code(report, "none") == 3
    # the report itself lost nothing
    assert keys(report.findings) == keys(reference.findings)
    # the rest landed; the scan is recorded incomplete, so it never becomes "previous"
    for finding_id in lost:
        (old,) = store.finding_history(finding_id)
        assert old.last_seen == "2026-11-24T00:00:00Z"  # only yesterday's record
    landed = {f.finding_id for f in store.scan_findings(report.manifest.scan_id)}
    assert landed == {f.finding_id for f in reference.findings} - set(lost)
    latest = store.latest_scan(ACCOUNT, HOME)
    assert latest is not None and latest.scan_id == "scan-yesterday"


def test_a_denied_store_write_is_printed_by_the_cli_with_exit_3(
    snapshots: tuple[Path, Path],
    reference: Report,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Through the CLI (moto): the report is written, the one-line problem is on stderr."""
    with fake_credentials(), mock_aws():
        client = boto3.client("dynamodb", region_name=HOME)
        new_store(client, "aws-inventory").create_table()
        denied = answer_with(
            400, "AccessDeniedException", "not authorized to perform dynamodb:BatchWriteItem",
            lambda _, event: event.endswith("BatchWriteItem"),
        )  # fmt: skip
        out = tmp_path / "report.json"
        argv = ["check", "--inventory", str(snapshots[1]), "--history", "dynamodb:aws-inventory"]
        with on_every_client("before-send.dynamodb", denied):
            code = main([*argv, "--fail-on", "none", "--format", "json", "-o", str(out), *[
                a for d in RULE_DIRS for a in ("--rules", d)]])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 3
    assert (
        err.startswith("engine: error: dynamodb:aws-inventory: ")
        and "AccessDeniedException: not authorized to perform dynamodb:BatchWriteItem" in err
    ), err
    assert err.count("\n") == 1, err
    written = {(f["finding_id"], f["outcome"]) for f in json.loads(out.read_text())["findings"]}
    assert written == {(f.finding_id, f.outcome) for f in reference.findings}


# --- killed mid-write, then run again with the same scan id ---------------------------------


def assert_stored_once(store: Store, report: Report, reference: Report) -> None:
    scan_id = report.manifest.scan_id
    stored = store.scan_findings(scan_id)
    assert keys(stored) == keys(reference.findings) == keys(report.findings)
    assert len({f.finding_id for f in stored}) == len(stored), "no duplicate findings"
    for finding in reference.findings:  # history intact: yesterday's record, then one today
        history = store.finding_history(finding.finding_id)
        assert [f.last_seen for f in history] == ["2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"]
    resources = store.scan_resources(scan_id)
    assert (
        len(resources)
        == len({r.resource_id for r in resources})
        == sum(c["count"] for c in report.manifest.counts)
    )
    for resource in resources:  # one snapshot a scan, yesterday's kept
        snapshots = store.resource_history(resource.resource_id)
        assert [r.collected_at for r in snapshots] == ["2026-11-24T00:00:00Z", NOW_STAMP]
    latest = store.latest_scan(ACCOUNT, HOME)
    assert latest is not None and latest.scan_id == scan_id


@pytest.mark.parametrize("landed", [1, 2])
def test_dynamodb_killed_mid_write_then_rerun_is_idempotent(
    dynamodb: Any, table: str, snapshots: tuple[Path, Path], reference: Report, landed: int
) -> None:
    run(snapshots[0], new_store(dynamodb, table), YESTERDAY)
    faults = BatchWriteFaults(dynamodb, table)
    faults.kill_after = landed  # resources (and then findings) partly written, no manifest
    with pytest.raises(Killed):
        run(snapshots[1], new_store(dynamodb, table))
    faults.kill_after = None
    store = new_store(dynamodb, table)  # the retried Lambda: a new process, a new store
    some = reference.findings[0].resource_id
    assert [r.collected_at for r in store.resource_history(some)][-1] == "2026-11-25T00:00:00Z", (
        "the killed run had written part of the scan"
    )
    assert store.latest_scan(ACCOUNT, HOME).scan_id == "scan-yesterday"  # type: ignore[union-attr]
    report = run(snapshots[1], store)
    assert report.problems == []
    assert report.manifest.scan_id == json.loads(snapshots[1].read_text())["scan"]["scan_id"]
    assert keys(report.findings) == keys(reference.findings), "same statuses as an unbroken run"
    assert_stored_once(store, report, reference)


class DyingConnection(sqlite3.Connection):
    """A connection whose process dies (``Killed``) at the n-th ``executemany``."""

    die_at: int | None = None
    calls = 0

    def executemany(self, sql: str, rows: Any, /) -> sqlite3.Cursor:
        DyingConnection.calls += 1
        if DyingConnection.die_at is not None and DyingConnection.calls >= DyingConnection.die_at:
            raise Killed(f"killed at executemany {DyingConnection.calls}")
        return super().executemany(sql, rows)


def test_sqlite_killed_mid_write_then_rerun_is_idempotent(
    snapshots: tuple[Path, Path], reference: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite"
    store = SqliteStore(path)
    run(snapshots[0], store, YESTERDAY)
    store.close()
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: real_connect(*a, factory=DyingConnection, **k)
    )
    DyingConnection.calls, DyingConnection.die_at = 0, 2  # resources written, findings not
    dying = SqliteStore(path)
    with pytest.raises(Killed):
        run(snapshots[1], dying)
    del dying  # the process is gone, its open transaction with it (the connection's last
    gc.collect()  # references sit in the traceback's frames)
    DyingConnection.die_at = None
    store = SqliteStore(path)
    assert store.latest_scan(ACCOUNT, HOME).scan_id == "scan-yesterday"  # type: ignore[union-attr]
    report = run(snapshots[1], store)
    assert report.problems == []
    assert keys(report.findings) == keys(reference.findings)
    assert_stored_once(store, report, reference)
    store.close()


# --- a SQLite history the CLI cannot open or write ------------------------------------------


def check_cli(snapshot: Path, history: str, out: Path) -> list[str]:
    return [
        "check", "--inventory", str(snapshot), "--history", history, "--fail-on", "none",
        "--format", "json", "-o", str(out), *[a for d in RULE_DIRS for a in ("--rules", d)],
    ]  # fmt: skip


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store waits 5 s for another writer's lock; these tests wait 0.1 s."""
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: real_connect(*a, **k | {"timeout": 0.1})
    )


def locked(path: Path) -> sqlite3.Connection:
    """Another writer (a second ``engine check``, a database browser) holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("a-file/sub/history.sqlite", "cannot open: [Errno 20] Not a directory: "),
        ("a-folder", "cannot open: unable to open database file"),
        ("not-a-database.sqlite", "cannot open: file is not a database"),
        ("locked.sqlite", "cannot open: database is locked"),
    ],
)
def test_a_history_that_cannot_be_opened_is_one_line_and_exit_3(
    snapshots: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    short_busy_timeout: None,
    target: str,
    reason: str,
) -> None:
    (tmp_path / "a-file").write_text("a file, not a folder\n")
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "not-a-database.sqlite").write_bytes(b"SQLite format 2\x00" + b"\xff" * 200)
    SqliteStore(tmp_path / "locked.sqlite").close()
    other = locked(tmp_path / "locked.sqlite")
    out = tmp_path / "report.json"
    code = main(check_cli(snapshots[1], str(tmp_path / target), out))
    other.close()
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith(f"engine: error: sqlite:{tmp_path / target}: {reason}"), err
    assert err.count("\n") == 1, err
    assert not out.exists(), "the store opens before the scan is read: nothing was reported"


def test_a_history_locked_between_open_and_write_is_a_problem_line_and_exit_3(
    snapshots: tuple[Path, Path],
    reference: Report,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    short_busy_timeout: None,
) -> None:
    path = tmp_path / "history.sqlite"
    SqliteStore(path).close()
    others: list[sqlite3.Connection] = []
    put_resources = SqliteStore.put_resources

    def put_after_another_writer(store: SqliteStore, *args: Any) -> Any:
        others.append(locked(path))  # read the history, then lost the lock to another run
        return put_resources(store, *args)

    monkeypatch.setattr(SqliteStore, "put_resources", put_after_another_writer)
    out = tmp_path / "report.json"
    code = main(check_cli(snapshots[1], str(path), out))
    others[0].close()
    err = capsys.readouterr().err
    assert code == 3
    resources = sum(c["count"] for c in reference.manifest.counts)
    findings = len(reference.findings)
    assert err.startswith(
        f"engine: error: sqlite:{path}: {resources} of {resources} resource(s), "
        f"{findings} of {findings} finding(s), 1 of 1 manifest(s) not written (first: resource "
    ), err
    assert err.endswith(": write failed: database is locked)\n") and err.count("\n") == 1, err
    # the report lost nothing; the store holds nothing of the scan
    written = {(f["finding_id"], f["outcome"]) for f in json.loads(out.read_text())["findings"]}
    assert written == {(f.finding_id, f.outcome) for f in reference.findings}
    store = SqliteStore(path)
    assert store.latest_scan(ACCOUNT, HOME) is None
    assert store.scan_manifest(reference.manifest.scan_id) is None
    store.close()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "engine: error: --history '': name a SQLite file or dynamodb:TABLE\n"),
        ("dynamodb:", "engine: error: --history 'dynamodb:': name the table, e.g. "
         "dynamodb:aws-inventory\n"),
    ],
)  # fmt: skip
def test_a_history_option_naming_nothing_is_invalid_input_exit_2(
    snapshots: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    target: str,
    message: str,
) -> None:
    assert main(check_cli(snapshots[1], target, tmp_path / "report.json")) == 2
    assert capsys.readouterr().err == message
