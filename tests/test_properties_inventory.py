"""Snapshot files: a broken one is refused naming file, record and field; a loadable one runs.

The base is a real snapshot (``engine collect --simulated``, once per module). Each example
keeps one resource of it (plus a healthy neighbour) and mutates it, the manifest, or the
document at random paths: fields deleted, nulled, of the wrong type, unexpected enum values,
unicode and control characters, lone surrogate escapes, huge values. Then:

- ``load_snapshot`` returns resources and a manifest, or raises ``InventoryError`` with one
  line that starts with the file and names the record (``resources[i]`` or ``scan``);
- what loads evaluates without raising, every (rule, resource) pair gets exactly one outcome,
  no rule passes a resource whose ``attributes.unreadable`` names something it reads, and the
  evaluator's per-type kernels give exactly the findings of the rules run one by one;
- what loads goes through the whole pipeline (``engine.pipeline.check`` with a SQLite history,
  then every report format written to a file), where any failure is the engine's own error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from engine.cli import main, write_output
from engine.errors import EngineError, InventoryError
from engine.evaluator import evaluate
from engine.inventory import load_snapshot
from engine.lifecycle import live_table
from engine.pipeline import CheckOptions, check
from engine.reports import FORMATS, load_all, render
from engine.reports.email import render_email
from engine.rules import load_rules
from engine.schema import validator
from engine.sources import SnapshotSource
from engine.store import open_store
from tests.support.hypothesis_profiles import budget, counted
from tests.support.strategies import (
    Mutation,
    get_path,
    hostile_text,
    json_scalars,
    mutated,
    paths_of,
    text_with_surrogates,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)
RULES = load_rules(None)
BY_TYPE = RULES.by_type()
RULES_BY_ID = RULES.by_id()
VALUES = st.one_of(json_scalars, text_with_surrogates)
# fields the schema pins down (patterns, formats, enums): loadable mutations leave them alone
STRICT = frozenset(
    {"resource_id", "resource_type", "account_id", "region", "collected_at", "scan_id"}
)
load_all()


@cache
def base_snapshot() -> dict[str, Any]:
    """The simulated account's snapshot, collected once (about 8 s) and shared by the tests."""
    folder = Path(__import__("tempfile").mkdtemp(prefix="properties-inventory-"))
    path = folder / "snapshot.json"
    assert main(["collect", "--simulated", "--now", "2026-11-25T00:00:00Z", "-o", str(path)]) == 0
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@cache
def base_outcomes() -> dict[str, set[tuple[str, str]]]:
    """Each resource's (rule id, outcome) findings in the unbroken snapshot."""
    resources, manifest = load_snapshot_document(base_snapshot())
    out: dict[str, set[tuple[str, str]]] = {r.resource_id: set() for r in resources}
    live = live_table(manifest.lifecycle)
    for finding in evaluate(resources, RULES, NOW, lifecycle_live=live).findings:
        out[finding.resource_id].add((finding.rule_id, finding.outcome))
    return out


def load_snapshot_document(document: dict[str, Any]) -> tuple[list[Any], Any]:
    from engine.inventory import parse_snapshot

    return parse_snapshot(document, "snapshot.json")


@st.composite
def broken_snapshots(
    draw: st.DrawFn, base: dict[str, Any]
) -> tuple[dict[str, Any], list[Mutation]]:
    """One resource (and a healthy neighbour), with the resource, manifest or document mutated."""
    records = base["resources"]
    index = draw(st.integers(0, len(records) - 1))
    neighbour = records[(index + 1) % len(records)]
    small = {**base, "resources": [records[index], neighbour]}
    within = draw(
        st.sampled_from(
            [("resources", 0), ("resources", 0), ("resources", 0, "attributes"), ("scan",), ()]
        )
    )
    # the neighbour stays healthy, so the healthy-part checks below have something to count
    return draw(
        mutated(small, within=within, values=VALUES, allowed=lambda p: p[:2] != ("resources", 1))
    )


@st.composite
def loadable_snapshots(
    draw: st.DrawFn, base: dict[str, Any]
) -> tuple[dict[str, Any], list[Mutation]]:
    """Mutations the schema mostly lets through: hostile text in any string (names, tags,
    states, attributes), nulls, extra tags, and attributes marked unreadable."""
    records = base["resources"]
    index = draw(st.integers(0, len(records) - 1))
    record = json.loads(json.dumps(records[index]))
    document = {**base, "resources": [record, records[(index + 1) % len(records)]]}
    changes: list[Mutation] = []
    strings = [
        p
        for p in paths_of(record)
        if isinstance(get_path(record, p), str)
        and p[0] not in STRICT
        and not str(p[-1]).endswith("_at")
    ]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "text", "null", "tag", "unreadable"]))
        if kind in ("text", "null") and strings:
            path = draw(st.sampled_from(strings))
            value = None if kind == "null" else draw(hostile_text)
            get_path(record, path[:-1])[path[-1]] = value
        elif kind == "tag":
            path, value = ("tags", draw(hostile_text)), draw(hostile_text)
            record["tags"][path[1]] = value
        elif isinstance(record["attributes"].get("unreadable"), dict):
            name = draw(st.sampled_from(sorted(record["attributes"])))
            path, value = ("attributes", "unreadable", name), draw(hostile_text)
            record["attributes"]["unreadable"][name] = value
        else:
            continue
        changes.append(Mutation(("resources", 0, *path), "replace", value))
    return document, changes


def write(path: Path, document: dict[str, Any]) -> None:
    # ensure_ascii: lone surrogates become "\ud800" escapes, which JSON allows
    path.write_text(json.dumps(document, ensure_ascii=True, allow_nan=True), encoding="utf-8")


def refused(path: Path, changes: list[Mutation]) -> bool:
    """Load; on InventoryError check the message is one located line and return True."""
    try:
        load_snapshot(path)
    except InventoryError as exc:
        message = str(exc)
        assert len(message.splitlines()) == 1 and message.startswith(f"{path}: "), message
        if all(c.path[:2] == ("resources", 0) for c in changes):
            assert message.startswith(f"{path}: resources[0]"), (message, changes)
        elif all(c.path[:1] == ("scan",) for c in changes):
            assert message.startswith(f"{path}: scan"), (message, changes)
        return True
    return False


def outcomes(resources: list[Any]) -> Iterator[tuple[str, str]]:
    for resource in resources:
        for rule in BY_TYPE.get(resource.resource_type, []):
            yield rule.id, resource.resource_id


@budget(1500)
@given(data=st.data())
def test_a_broken_snapshot_is_refused_or_every_rule_gives_an_outcome(
    tmp_path: Path, data: st.DataObject
) -> None:
    counted("inventory snapshot")
    snapshot = base_snapshot()
    document, changes = data.draw(broken_snapshots(snapshot) | loadable_snapshots(snapshot))
    path = tmp_path / "snapshot.json"
    write(path, document)
    if refused(path, changes):
        event("refused with InventoryError")
        return
    event("loaded and evaluated")
    resources, _ = load_snapshot(path)
    # nothing is dropped: every record of the file is a resource, in the file's order
    # (an empty list is a valid snapshot: a scan that found nothing)
    assert [r.resource_id for r in resources] == [
        record["resource_id"] for record in document["resources"]
    ]
    evaluation = evaluate(resources, RULES, NOW, record_others=True)
    # the per-type kernels (the fast path) decide exactly as the rules one by one
    one_by_one = evaluate(resources, RULES, NOW, record_others=True, kernels=False)
    assert evaluation.findings == one_by_one.findings
    assert evaluation.others == one_by_one.others
    assert evaluation.summary() == one_by_one.summary()
    expected = sorted(outcomes(resources))
    seen = sorted([(f.rule_id, f.resource_id) for f in evaluation.findings])
    seen += [(rule_id, resource_id) for rule_id, resource_id, _ in evaluation.others]
    assert sorted(seen) == expected, "every (rule, resource) pair has exactly one outcome"
    unreadable = {r.resource_id: set(r.attributes.get("unreadable") or {}) for r in resources}
    for rule_id, resource_id, kind in evaluation.others:
        rule = RULES_BY_ID[rule_id]
        reads = (
            rule.attributes_read
            if kind == "pass"
            else (rule.where.attributes if rule.where else frozenset())
        )
        assert not reads & unreadable[resource_id], f"{rule_id} {kind} on an unreadable value"
    finding_schema = validator("finding")
    for finding in evaluation.findings:
        assert finding_schema.is_valid(finding.to_dict()), finding
        if finding.outcome == "error":
            assert finding.error and len(finding.error.splitlines()) == 1, finding.error


@budget(500)
@given(data=st.data())
def test_a_loadable_broken_snapshot_goes_through_the_whole_pipeline(
    tmp_path: Path, data: st.DataObject
) -> None:
    """History (SQLite), ranking, and every report format written to a file, as the CLI does."""
    counted("inventory snapshot (whole pipeline)")
    snapshot = base_snapshot()
    loadable = loadable_snapshots(snapshot)
    document, changes = data.draw(st.one_of(loadable, loadable, broken_snapshots(snapshot)))
    path = tmp_path / "snapshot.json"
    write(path, document)
    if refused(path, changes):
        event("refused with InventoryError")
        return
    event("loaded, run through the pipeline")
    store = open_store(tmp_path / f"history-{data.draw(st.integers(0, 10**9))}.sqlite")
    try:
        report = check(SnapshotSource(path), RULES, NOW, options=CheckOptions(store=store))
    except EngineError as exc:  # e.g. a store error: the engine's own, one line
        assert len(str(exc).splitlines()) == 1, exc  # noqa: PT017 - success is fine too
        return
    finally:
        store.close()
    records = document["resources"]
    # the healthy neighbour (when a deletion left one) has the outcomes of the unbroken snapshot
    if len(records) >= 2 and all(c.path[:1] == ("resources",) for c in changes):
        healthy = records[1]["resource_id"]
        if healthy != records[0].get("resource_id"):
            got = {(f.rule_id, f.outcome) for f in report.findings if f.resource_id == healthy}
            assert got == base_outcomes()[healthy], changes
    for fmt in FORMATS:
        text = render_email(report, None).preview() if fmt == "email" else render(fmt, report)
        write_output(str(tmp_path / f"report.{fmt}"), text)


def test_the_whole_snapshot_is_refused_for_one_bad_record_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI: exit 2, one line, the file, the record and the field; no report."""
    document = json.loads(json.dumps(base_snapshot()))
    victim = document["resources"][5]
    victim["tags"]["owner\nteam"] = 7
    path = tmp_path / "snapshot.json"
    write(path, document)
    out = tmp_path / "report.json"
    code = main(
        ["check", "--inventory", str(path), "--no-history", "--format", "json", "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.count("\n") == 1, err
    assert re.fullmatch(
        rf"engine: error: {re.escape(str(path))}: resources\[5\] \({re.escape(victim['resource_id'])}\): "
        r"tags\.owner\\nteam: 7 is not of type 'string'\n",
        err,
    ), err
