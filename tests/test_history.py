"""History semantics (``engine.history.apply_history``): new, open, resolved, partial scans."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.history import Prior, ScanRecord, apply_history, scan_scopes
from engine.model import Finding
from engine.store.base import brief
from tests.support.store_data import (
    ACCOUNT,
    EC2,
    OTHER_ACCOUNT,
    RULES,
    S3,
    collection_error,
    finding,
    manifest,
    resource,
)

DAY0 = "2026-10-31T06:00:00Z"
DAY1, DAY2, DAY3 = "2026-11-01T06:00:00Z", "2026-11-02T06:00:00Z", "2026-11-03T06:00:00Z"
NOW2 = datetime(2026, 11, 2, 6, tzinfo=UTC)
NOW3 = datetime(2026, 11, 3, 6, tzinfo=UTC)
BOTH = ("us-east-1", "us-west-2")


def by_id(findings: list[Finding]) -> dict[str, Finding]:
    ids = [f.finding_id for f in findings]
    assert len(ids) == len(set(ids)), "a finding id appears twice"
    return {f.resource_name or "": f for f in findings}


def first_scan(*names: str, regions: tuple[str, ...] = BOTH) -> ScanRecord:
    findings = [
        finding(n, stamp=DAY1, region="us-west-2" if n.startswith("west") else "us-east-1")
        for n in names
    ]
    return ScanRecord(manifest("scan-1", DAY1, regions=regions), findings)


def test_first_scan_everything_is_new_and_stamped_now() -> None:
    current = [finding("a", stamp=DAY2)]
    out = apply_history(current, manifest("scan-2", DAY2), [], NOW2)
    assert [(f.status, f.first_seen, f.last_seen) for f in out] == [("new", DAY2, DAY2)]


def test_seen_again_is_open_with_the_first_runs_first_seen() -> None:
    out = apply_history(
        [finding("a", stamp=DAY2)], manifest("scan-2", DAY2), [first_scan("a")], NOW2
    )
    (a,) = out
    assert (a.status, a.first_seen, a.last_seen) == ("open", DAY1, DAY2)


def test_gone_resource_and_passing_resource_are_resolved_once_with_the_reason() -> None:
    previous = first_scan("gone", "fixed", "still")
    current = [finding("still", stamp=DAY2)]
    seen = {resource("fixed").resource_id, resource("still").resource_id}
    out = by_id(apply_history(current, manifest("scan-2", DAY2), [previous], NOW2, seen))
    assert out["still"].status == "open"
    for name, why in (("gone", "no longer exists"), ("fixed", "now passes")):
        assert out[name].status == "resolved"
        assert (out[name].first_seen, out[name].last_seen) == (DAY1, DAY1)
        assert why in (out[name].note or "") and "scan-2" in (out[name].note or "")
    # The next scan compares with scan 2, where they are recorded as resolved: not again.
    second = ScanRecord(manifest("scan-2", DAY2), list(out.values()))
    third = apply_history([finding("still", stamp=DAY3)], manifest("scan-3", DAY3), [second], NOW3)
    assert [(f.resource_name, f.status, f.first_seen) for f in third] == [("still", "open", DAY1)]


def test_failing_again_after_resolution_is_new_with_a_note() -> None:
    resolved = replace(finding("a", stamp=DAY1), status="resolved")
    previous = ScanRecord(manifest("scan-1", DAY1), [resolved])
    (a,) = apply_history([finding("a", stamp=DAY2)], manifest("scan-2", DAY2), [previous], NOW2)
    assert (a.status, a.first_seen) == ("new", DAY2)
    assert "failing again" in (a.note or "") and "scan-1" in (a.note or "")


def test_a_region_that_failed_to_collect_resolves_nothing_and_says_why() -> None:
    previous = first_scan("east", "west")
    blind = manifest("scan-2", DAY2, regions=BOTH, errors=[collection_error("us-west-2")])
    out = by_id(apply_history([], blind, [previous], NOW2))
    assert out["east"].status == "resolved"  # looked at, not failing
    west = out["west"]
    assert (west.status, west.first_seen, west.last_seen) == ("open", DAY1, DAY1)
    assert "us-west-2" in (west.note or "") and "AccessDenied" in (west.note or "")
    # Carried forward, it is in scan 2's record, so scan 3 (which sees it) keeps first_seen.
    record = ScanRecord(blind, list(out.values()))
    current = [finding("west", stamp=DAY3, region="us-west-2")]
    (again,) = apply_history(current, manifest("scan-3", DAY3, regions=BOTH), [record], NOW3)
    assert (again.status, again.first_seen) == ("open", DAY1)


def test_a_global_error_keeps_the_service_open_in_every_region() -> None:
    bucket = finding("logs", rule=RULES[1], kind=S3, region="eu-west-1", stamp=DAY1)
    previous = ScanRecord(manifest("scan-1", DAY1, regions=("us-east-1", "eu-west-1")), [bucket])
    error = collection_error("global", service="s3", resource_type=None)
    now = manifest("scan-2", DAY2, regions=("us-east-1", "eu-west-1"), errors=[error])
    (kept,) = apply_history([], now, [previous], NOW2)
    assert kept.status == "open" and "global" in (kept.note or "")


def test_an_error_without_a_type_covers_every_type_of_its_service_only() -> None:
    instance = finding("a", stamp=DAY1)
    bucket = finding("b", rule=RULES[1], kind=S3, stamp=DAY1)
    previous = ScanRecord(manifest("scan-1", DAY1), [instance, bucket])
    now = manifest("scan-2", DAY2, errors=[collection_error("us-east-1", resource_type=None)])
    out = by_id(apply_history([], now, [previous], NOW2))
    assert out["a"].status == "open"
    assert out["b"].status == "resolved"


def test_only_the_overlap_of_two_scopes_is_compared() -> None:
    previous = first_scan("east", "west")  # yesterday: both regions
    today = manifest("scan-2", DAY2, regions=("us-east-1",))  # today: one region
    out = apply_history([finding("east", stamp=DAY2)], today, [previous], NOW2)
    assert [(f.resource_name, f.status) for f in out] == [("east", "open")]  # west untouched


def test_another_account_type_or_unevaluated_rule_is_not_compared() -> None:
    other = finding("x", account=OTHER_ACCOUNT, stamp=DAY1)
    bucket = finding("b", rule=RULES[1], kind=S3, stamp=DAY1)
    unevaluated = finding("c", rule="retired-rule", stamp=DAY1)
    previous = ScanRecord(
        manifest("scan-1", DAY1, accounts=(ACCOUNT, OTHER_ACCOUNT)), [other, bucket, unevaluated]
    )
    today = manifest("scan-2", DAY2, types=(EC2,))
    assert apply_history([], today, [previous], NOW2) == []


def test_without_an_evaluation_summary_nothing_is_resolved() -> None:
    today = manifest("scan-2", DAY2, rules=None)
    assert apply_history([], today, [first_scan("a")], NOW2) == []


def test_a_rule_that_now_errors_keeps_the_failing_finding_open() -> None:
    current = [finding("a", stamp=DAY2, outcome="error")]
    (a,) = apply_history(current, manifest("scan-2", DAY2), [first_scan("a")], NOW2)
    assert (a.status, a.outcome, a.first_seen, a.last_seen) == ("open", "error", DAY1, DAY2)
    assert "error is not a pass" in (a.note or "")


def test_suppressed_stays_suppressed_and_keeps_first_seen() -> None:
    current = [replace(finding("a", stamp=DAY2), status="suppressed")]
    (a,) = apply_history(current, manifest("scan-2", DAY2), [first_scan("a")], NOW2)
    assert (a.status, a.first_seen) == ("suppressed", DAY1)


def test_each_region_is_compared_with_the_latest_scan_that_covered_it() -> None:
    day1 = first_scan("east", "west")
    west_again = [finding("west", region="us-west-2", stamp=DAY2, first_seen=DAY1)]
    day2 = ScanRecord(manifest("scan-2", DAY2, regions=("us-west-2",)), west_again)
    current = [finding("east", stamp=DAY3)]
    out = by_id(apply_history(current, manifest("scan-3", DAY3, regions=BOTH), [day2, day1], NOW3))
    assert (out["east"].status, out["east"].first_seen) == ("open", DAY1)  # from scan 1
    assert out["west"].status == "resolved"
    assert out["west"].last_seen == DAY2  # from scan 2, the latest that covered us-west-2


def test_a_region_outside_the_scan_list_counts_when_resources_were_found_there() -> None:
    # S3 is listed once, from the home region, and each bucket placed in its own region.
    old = finding("gone", rule=RULES[1], kind=S3, region="eu-west-1", stamp=DAY1)
    previous = ScanRecord(manifest("scan-1", DAY1, regions=("us-east-1",)), [old])
    still = resource("kept", kind=S3, region="eu-west-1")
    today = manifest("scan-2", DAY2, regions=("us-east-1",), resources=[still])
    (out,) = apply_history([], today, [previous], NOW2)
    assert out.status == "resolved"
    assert ("123456789012", "eu-west-1") in scan_scopes(previous.manifest, previous.findings)


NAMES = st.sampled_from(["a", "b", "c", "d"])
REGIONS = st.sampled_from(BOTH)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Finding], list[Finding], list[str], list[str]]:
    prev = {(draw(NAMES), draw(REGIONS)) for _ in range(draw(st.integers(0, 6)))}
    cur = {(draw(NAMES), draw(REGIONS)) for _ in range(draw(st.integers(0, 6)))}
    statuses = st.sampled_from(["new", "open", "resolved", "suppressed"])
    outcomes = st.sampled_from(["fail", "error"])
    previous = [
        finding(
            n,
            region=r,
            stamp=DAY1,
            status=draw(statuses),
            outcome=draw(outcomes),
            first_seen=draw(st.sampled_from([DAY1, DAY0])),
        )
        for n, r in sorted(prev)
    ]
    current = [finding(n, region=r, stamp=DAY2, outcome=draw(outcomes)) for n, r in sorted(cur)]
    scanned = draw(st.lists(REGIONS, min_size=1, unique=True))
    failed = draw(st.lists(REGIONS, unique=True))
    return previous, current, scanned, failed


@settings(max_examples=200, deadline=None)
@given(histories())
def test_nothing_outside_the_scan_or_in_a_failed_region_is_ever_resolved(
    case: tuple[list[Finding], list[Finding], list[str], list[str]],
) -> None:
    previous, current, scanned, failed = case
    current = [f for f in current if f.region in scanned]
    now = manifest("scan-2", DAY2, regions=scanned, errors=[collection_error(r) for r in failed])
    record = ScanRecord(manifest("scan-1", DAY1, regions=BOTH), previous)
    out = apply_history(current, now, [record], NOW2)
    assert out == apply_history(current, now, [record], NOW2)  # deterministic
    # What a store hands over (engine.store.base.load_previous): the same history.
    again = brief(previous, {f.finding_id for f in current})
    assert apply_history(current, now, [ScanRecord(record.manifest, again)], NOW2) == out
    assert len({f.finding_id for f in out}) == len(out)
    assert [f.finding_id for f in out[: len(current)]] == [f.finding_id for f in current]
    before = {f.finding_id: f for f in previous}
    for f in out:
        if f.status == "resolved":
            assert f.region in scanned and f.region not in failed
            assert before[f.finding_id].status != "resolved"
        old = before.get(f.finding_id)
        if f.finding_id not in {c.finding_id for c in current}:
            assert old is not None and old.status != "resolved" and f.region in scanned
        elif old is not None and old.status != "resolved":
            assert f.first_seen == old.first_seen


def test_a_brief_previous_record_of_a_finding_not_found_again_is_refused() -> None:
    """A resolution needs the whole record: a store that made it brief has a bug, and
    history says so instead of dropping the resolution."""
    old = finding("gone", stamp=DAY1)
    record = ScanRecord(manifest("scan-1", DAY1), [Prior.of(old)])
    with pytest.raises(TypeError, match="not found again"):
        apply_history([], manifest("scan-2", DAY2), [record], NOW2)
    kept = apply_history([finding("gone", stamp=DAY2)], manifest("scan-2", DAY2), [record], NOW2)
    assert [(f.status, f.first_seen) for f in kept] == [("open", DAY1)]
