"""Write faults the DynamoDB store must survive: UnprocessedItems, throttling, bad items.

Neither moto nor DynamoDB Local ever returns ``UnprocessedItems`` or throttles, so the faults
are injected with botocore event hooks on the real client: ``before-parameter-build`` takes
items out of the request (so they are really not written), ``after-call`` hands them back as
``UnprocessedItems``, and ``before-call`` answers with an error response without sending.
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html (read 2026-11-25)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine.errors import EXIT_RUNTIME
from engine.store import record_scan
from engine.store.codec import Encoded, encode_resource
from engine.store.dynamodb import DynamoStore
from engine.store.writer import BatchWriter, Retry
from tests.support.dynamodb_local import dynamo_store, shared_url, stop_shared
from tests.support.faults import BatchWriteFaults, Requests
from tests.support.store_data import ACCOUNT, manifest, resource


class Faults(BatchWriteFaults):
    """``BatchWriteFaults`` on a store's client, its batches written one at a time: these tests
    number the calls and pair each retry's delay with its attempt."""

    def __init__(self, store: DynamoStore) -> None:
        store.writers = 1
        super().__init__(store.client, store.table)


def key_of(request: dict[str, Any]) -> str:
    return str(request["PutRequest"]["Item"]["resource_id"]["S"])


@pytest.fixture(scope="session")
def local_url() -> Iterator[str]:
    try:
        yield shared_url()
    finally:
        stop_shared()


@pytest.fixture(params=["moto", "dynamodb-local"])
def backend(request: pytest.FixtureRequest, aws_env: None) -> str:
    if request.param == "dynamodb-local":
        request.getfixturevalue("local_url")
    return str(request.param)


RESOURCES = [resource(f"i-{n:03d}") for n in range(120)]
SCAN = manifest("scan-1", resources=RESOURCES)


def test_unprocessed_items_are_retried_with_backoff_until_every_item_lands(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    options = {"sleep": delays.append, "rng": random.Random(1), "max_attempts": 8}
    with dynamo_store(backend, monkeypatch, **options) as store:
        faults = Faults(store)
        # Every resource batch: every other item comes back unprocessed, each item at most
        # three times, so a batch of 25 takes 4 calls (25 sent, then 13, 7, 4).
        tries: dict[str, int] = {}

        def withhold(_: int, requests: Requests) -> Requests:
            held = []
            for r in requests[::2]:
                if not key_of(r).startswith("arn:"):
                    continue
                tries[key_of(r)] = tries.get(key_of(r), 0) + 1
                if tries[key_of(r)] <= 3:
                    held.append(r)
            return held

        faults.withhold = withhold
        written = record_scan(store, SCAN, [], RESOURCES)
        assert written.error is None and written.complete
        assert len(store.scan_resources("scan-1")) == 120
        batches = 5  # 120 resources in 25s
        # + the resources' one page (after their items), the manifest, then its pointer
        assert faults.calls == batches * 4 + 3
        assert len(delays) == batches * 3
        for attempt, delay in zip([1, 2, 3] * batches, delays, strict=True):
            assert 0 <= delay <= min(store.max_delay, store.base_delay * 2**attempt)
        assert len(set(delays)) > 1  # jittered


def test_a_spent_budget_is_a_store_error_naming_how_many_items_were_not_written(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    with dynamo_store(backend, monkeypatch, sleep=delays.append, max_attempts=4) as store:
        faults = Faults(store)
        stuck = {RESOURCES[0].resource_id, RESOURCES[30].resource_id, RESOURCES[119].resource_id}
        faults.withhold = lambda _, requests: [r for r in requests if key_of(r) in stuck]
        written = record_scan(store, SCAN, [], RESOURCES)
        error = written.error
        assert error is not None and error.exit_code == EXIT_RUNTIME
        assert "3 of 120 resource(s) not written" in str(error)
        assert "UnprocessedItems after 4 attempt(s)" in str(error)
        assert sorted(u.key for u in written.results[0].unwritten) == sorted(stuck)
        assert len(delays) == 3 * 3  # three batches held something, three retries each
        for resource_id in stuck:  # really not written ...
            assert store.resource_history(resource_id) == []
        assert len(store.resource_history(RESOURCES[1].resource_id)) == 1  # ... the rest is
        # The scan is recorded as incomplete: never read back as a previous scan.
        assert store.latest_scan(ACCOUNT, "us-east-1") is None


def test_throttling_is_retried_and_then_reported_with_its_error_code(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with dynamo_store(backend, monkeypatch, max_attempts=3) as store:
        faults = Faults(store)
        code = "ProvisionedThroughputExceededException"
        faults.fail_with = lambda n, _: code if n in (1, 2) else None
        few = RESOURCES[:20]
        first = record_scan(store, manifest("scan-1", resources=few), [], few)
        assert first.error is None and len(store.scan_resources("scan-1")) == 20
        faults.fail_with = lambda n, _: "ThrottlingException"
        second = record_scan(store, manifest("scan-2", resources=few), [], few)
        assert second.error is not None
        assert "20 of 20 resource(s)" in str(second.error)
        assert "ThrottlingException on each of 3 attempt(s)" in str(second.error)


def test_one_invalid_item_does_not_sink_the_other_24(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with dynamo_store(backend, monkeypatch) as store:
        faults = Faults(store)
        bad = RESOURCES[7].resource_id

        def reject(_: int, requests: Requests) -> str | None:
            return "ValidationException" if any(key_of(r) == bad for r in requests) else None

        faults.fail_with = reject
        batch = RESOURCES[:25]
        written = record_scan(store, manifest("scan-1", resources=batch), [], batch)
        (unwritten,) = written.results[0].unwritten
        assert unwritten.key == bad and "ValidationException" in unwritten.reason
        assert len(store.scan_resources("scan-1")) == 24


def test_a_missing_table_is_a_recorded_store_error_not_a_crash(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with dynamo_store(backend, monkeypatch) as store:
        missing = DynamoStore(store.client, "no-such-table")
        written = record_scan(missing, SCAN, [], RESOURCES)
        assert written.error is not None
        assert "120 of 120 resource(s)" in str(written.error)
        assert "ResourceNotFoundException" in str(written.error)


def test_parallel_writers_land_every_item_once_with_the_units_of_one_writer(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BatchWriteItem calls in flight at once: every item lands, none twice, same units."""
    many = [resource(f"i-{n:04d}") for n in range(600)]  # 24 batches
    scans = {}
    for writers in (1, 8):
        with dynamo_store(backend, monkeypatch, writers=writers) as store:
            written = record_scan(store, manifest("scan-p", resources=many), [], many)
            assert written.error is None and written.complete
            stored = store.scan_resources("scan-p")
            assert sorted(r.resource_id for r in stored) == sorted(r.resource_id for r in many)
            scans[writers] = (written.results[0].written, store.write_units)
    assert scans[1] == scans[8]


def test_items_are_encoded_as_they_are_sent_never_all_at_once(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every call held, the writer takes no more items than its queue allows
    (2 x writers batches, and the one being made): a scan is never all in memory."""
    with dynamo_store(backend, monkeypatch) as store:
        produced = 0

        def items() -> Iterator[Encoded]:
            nonlocal produced
            for n in range(1_000):
                produced += 1
                yield encode_resource(resource(f"i-{n:04d}"), SCAN, store.layout, "w")

        release = threading.Event()
        store.client.meta.events.register(
            "before-call.dynamodb.BatchWriteItem", lambda **_: release.wait(30) and None
        )
        writer = BatchWriter(
            store.client, store.table, retry=Retry(), sleep=store.sleep, rng=random.Random(2)
        )
        with ThreadPoolExecutor(1) as pool:
            done = pool.submit(writer.write, items())
            time.sleep(0.5)  # ample time to take all 1,000 items, were it not bounded
            held = produced
            release.set()
            failed, _ = done.result(timeout=120)
        assert held <= (2 * writer.writers + 1) * 25 + 1
        assert (failed, produced) == ([], 1_000)
