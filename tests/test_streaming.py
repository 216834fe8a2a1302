"""The pipeline streams its inventory: batch by batch, the same report whatever the batch size.

``engine.pipeline.check`` reads ``source.load()``'s iterable ``batch_size`` resources at a time,
evaluates, suppresses, counts and stores each batch, then drops it. These tests run the
simulated account (every type, both sides of every shipped rule) through it as a list and as a
one-shot generator with batches of 1, 7 and 5,000, with suppressions and a SQLite history, and
require the same report; and they watch the store fill while the generator is still being read.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from engine.heap import settled_heap
from engine.model import Resource, ScanManifest
from engine.pipeline import CheckOptions, batches, check
from engine.report import Report
from engine.rules import load_rules
from engine.sources import SimulatedSource, StaticSource
from engine.store import open_store
from engine.suppressions import Suppression

NOW = datetime(2026, 11, 25, tzinfo=UTC)
RULES = load_rules(None)


@cache
def simulated() -> tuple[list[Resource], ScanManifest]:
    resources, manifest = SimulatedSource().load(NOW, None)
    return list(resources), manifest


def suppressions(resources: list[Resource]) -> list[Suppression]:
    """One entry that matches, one that matches nothing (stale), one expired."""
    victim = next(r for r in resources if r.resource_type == "aws.s3.bucket")
    common: dict[str, Any] = {"line": None, "tags": {}, "reason": "accepted"}
    return [
        Suppression(
            0, rule="s3-*", resource=victim.resource_id, expires=date(2027, 1, 1), **common
        ),
        Suppression(1, rule="no-such-rule", resource=None, expires=date(2027, 1, 1), **common),
        Suppression(2, rule="*", resource=None, expires=date(2026, 1, 1), **common),
    ]


def one_shot(resources: list[Resource]) -> Iterator[Resource]:
    """A generator: readable once, no length, like the analyser's stream of stored parts."""
    yield from resources


def summary(report: Report) -> dict[str, Any]:
    return {
        "findings": [f.to_dict() for f in report.findings],
        "counts": report.manifest.counts,
        "evaluation": report.manifest.evaluation,
        "notes": report.notes,
        "problems": report.problems,
    }


def run(tmp_path: Path, name: str, resources: Any, batch_size: int) -> dict[str, Any]:
    listed, manifest = simulated()
    store = open_store(tmp_path / f"{name}.sqlite")
    try:
        options = CheckOptions(
            suppressions=suppressions(listed), store=store, batch_size=batch_size
        )
        first = check(StaticSource(resources, manifest), RULES, NOW, options=options)
        # a second scan of the same inventory: history (open) and resolution need the ids
        again = replace(manifest, scan_id=manifest.scan_id + "-2")
        later = datetime(2026, 11, 26, tzinfo=UTC)
        fewer = [r for r in listed if r.resource_type != "aws.ebs.volume"]
        source = StaticSource(one_shot(fewer) if name != "list" else fewer, again)
        second = check(source, RULES, later, options=options)
    finally:
        store.close()
    return {"first": summary(first), "second": summary(second)}


def test_the_report_is_the_same_for_a_list_and_a_generator_in_any_batch_size(
    tmp_path: Path,
) -> None:
    listed, _ = simulated()
    expected = run(tmp_path, "list", listed, 5_000)
    assert expected["first"]["findings"], "the simulated account fails rules"
    statuses = {f["status"] for f in expected["second"]["findings"]}
    assert {"open", "resolved", "suppressed"} <= statuses
    assert any("stale" in note for note in expected["first"]["notes"])
    assert any("expired" in note for note in expected["first"]["notes"])
    total = sum(c["count"] for c in expected["first"]["counts"])
    assert total == len(listed)
    for size in (1, 7, 5_000):
        assert run(tmp_path, f"gen-{size}", one_shot(listed), size) == expected, size


class Watched:
    """The real SQLite store, counting the resources handed to it (the scan's transaction
    commits with the manifest, so another connection could not see them yet)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.stored = 0

    def put_resources(self, manifest: ScanManifest, resources: Any) -> Any:
        result = self.store.put_resources(manifest, resources)
        self.stored += result.written
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_batches_are_written_while_the_inventory_is_still_being_read(tmp_path: Path) -> None:
    """Each batch is evaluated and stored before the next is read: nothing waits for the
    whole inventory, so no more than one batch of resources needs to be held."""
    listed, manifest = simulated()
    store = Watched(open_store(tmp_path / "history.sqlite"))
    stored_when_read: list[int] = []

    def watched() -> Iterator[Resource]:
        for index, resource in enumerate(listed):
            if index % 10 == 0:
                stored_when_read.append(store.stored)
            yield resource

    try:
        report = check(
            StaticSource(watched(), manifest),
            RULES,
            NOW,
            options=CheckOptions(store=store, batch_size=10),  # type: ignore[arg-type]
        )
    finally:
        store.close()
    assert not report.problems
    # reading resource 10k, the first k batches of 10 are in the store already
    assert stored_when_read == [10 * k for k in range(len(stored_when_read))]
    assert len(stored_when_read) == (len(listed) + 9) // 10


@pytest.mark.parametrize(("size", "expected"), [(3, [3, 3, 1]), (7, [7]), (0, [1] * 7)])
def test_batches_split_any_iterable(size: int, expected: list[int]) -> None:
    listed, _ = simulated()
    assert [len(b) for b in batches(iter(listed[:7]), size)] == expected


def frozen_while_read(
    resources: list[Resource], seen: list[tuple[int, bool]]
) -> Iterator[Resource]:
    """The resources, noting as each is read how many objects the collector has frozen and
    whether it runs on its own."""
    for resource in resources:
        seen.append((gc.get_freeze_count(), gc.isenabled()))
        yield resource


def test_the_collector_skips_settled_batches_and_is_restored() -> None:
    # Inside check the collector does not run on its own, and after each batch what is alive
    # is frozen (collections stop walking every finding made so far); when check returns, the
    # collector is exactly as the caller left it.
    resources, manifest = simulated()
    seen: list[tuple[int, bool]] = []
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    report = check(
        StaticSource(frozen_while_read(resources, seen), manifest),
        RULES,
        NOW,
        options=CheckOptions(batch_size=10),
    )
    assert report.findings
    assert seen[0] == (0, False)  # nothing frozen before the first batch; paused
    assert seen[10][0] > 0  # the first batch's findings and all before them, settled
    assert not any(enabled for _, enabled in seen)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    # A caller that froze objects itself keeps them frozen, and check neither freezes nor
    # pauses anything (frozen objects may still be freed: the count can only go down).
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        seen.clear()
        check(StaticSource(frozen_while_read(resources, seen), manifest), RULES, NOW)
        assert all(count <= before and enabled for count, enabled in seen)
        assert 0 < gc.get_freeze_count() <= before
    finally:
        gc.unfreeze()
    # A caller that turned the collector off finds it off afterwards.
    gc.disable()
    try:
        check(StaticSource(one_shot(resources), manifest), RULES, NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_outer_block_keeps_the_run_settled_until_it_ends() -> None:
    # The CLI and the analyser hold settled_heap() over check() and the reports: check's own
    # block is then inner, and nothing is unfrozen before the outer block ends.
    resources, manifest = simulated()
    with settled_heap() as settle:
        check(StaticSource(one_shot(resources), manifest), RULES, NOW)
        assert gc.get_freeze_count() > 0
        settle()
    assert gc.get_freeze_count() == 0
