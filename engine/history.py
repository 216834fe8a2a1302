"""History semantics: ``new``, ``open``, ``resolved`` and ``suppressed``, as one pure function.

Sits between ``evaluate()`` and ``rank()``: the pipeline reads the previous scans of the same
scope from a store (``engine.store.load_previous``), hands them here with this scan's findings,
and writes what comes back. No I/O, no clock: ``now`` is passed in.

The rules, for a finding id (``engine.model.finding_id``: rule id + resource id):

- **new**: not present in the previous scan of its (account, region), or present there as
  ``resolved`` (failing again after a fix: ``new`` with a note saying when it was resolved).
  ``first_seen = last_seen = now``.
- **open**: present in the previous scan (new, open or suppressed) and present now.
  ``first_seen`` is the previous one, ``last_seen = now``. A previously failing finding whose
  rule now ends in an evaluation *error* is the current error finding, kept ``open`` with a
  note: an error is never a pass.
- **resolved**: present in the previous scan, absent now, and this scan did look at it (its
  account, region, resource type and rule are in this scan's scope, and no collection error
  covers them). Reported once: it is a finding with ``status='resolved'`` whose ``first_seen``
  and ``last_seen`` are those of the previous record (``last_seen`` = the last time it was
  seen failing) and whose note says in which scan and when it stopped failing. A ``resolved``
  record in the previous scan is not reported again.
- **kept open (partial scan)**: absent now, but its (account, region, resource type) failed
  to collect in this scan (``manifest.errors``; region ``global`` covers every region; an
  error without a resource type covers every type of its service). The previous record is
  carried forward ``open`` with its old ``last_seen`` and a note naming the failure, so the
  next scan still sees it.
- **outside the overlap**: absent now and outside this scan's scope (another region, account,
  resource type, or a rule not evaluated): not compared, not reported, not resolved.
- **suppressed**: a finding the suppressions marked ``suppressed`` stays ``suppressed``; it
  keeps its previous ``first_seen``. A suppressed finding that disappears is ``resolved``.

Several previous scans can be given (one region yesterday, another today): each (account,
region) is compared with the most recent scan that covered it.

A previous record this scan found again is only ever read for its status, outcome and dates,
so a store may hand it over as a ``Prior`` (those fields alone, a fifth of a finding's
memory: ``engine.store.base.load_previous`` does, which is what lets a next-day scan of a
million resources hold yesterday's findings beside today's). Records this scan did not find
again may be resolved or carried forward, so those come whole.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from engine.clock import iso
from engine.model import CollectionError, Finding, Outcome, ScanManifest, Status

Scope = tuple[str, str]  # (account id, region)


class Prior(NamedTuple):
    """What history reads of a previous record that this scan found again (see the module)."""

    finding_id: str
    account_id: str
    region: str
    outcome: Outcome
    status: Status
    first_seen: str
    last_seen: str

    @classmethod
    def of(cls, finding: Finding) -> Prior:
        """The record's history fields; the scope and date strings are shared, not copied."""
        intern = sys.intern
        return cls(
            finding.finding_id,
            intern(finding.account_id),
            intern(finding.region),
            finding.outcome,
            finding.status,
            intern(finding.first_seen),
            intern(finding.last_seen),
        )


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """A stored scan: its manifest and the findings it recorded (any status); a record this
    scan found again may be a ``Prior``."""

    manifest: ScanManifest
    findings: Sequence[Finding | Prior]


def scan_scopes(manifest: ScanManifest, findings: Sequence[Finding | Prior] = ()) -> set[Scope]:
    """Every (account, region) a scan speaks for.

    The accounts x regions it was asked to scan, plus the regions where it found resources
    (a global service such as S3 places each bucket in its own region) or recorded findings.
    """
    scopes = {(a, r) for a in manifest.accounts for r in manifest.regions}
    scopes.update((row["account_id"], row["region"]) for row in manifest.counts)
    scopes.update((f.account_id, f.region) for f in findings)
    return scopes


def apply_history(
    current: Sequence[Finding],
    manifest: ScanManifest,
    previous: Sequence[ScanRecord],
    now: datetime,
    seen_resources: Collection[str] | None = None,
) -> list[Finding]:
    """This scan's findings with history statuses, then the resolved and carried-over ones.

    ``manifest`` must carry the evaluation summary (``evaluation['per_rule']``): a rule this
    scan did not evaluate never resolves anything. ``seen_resources`` (resource ids this scan
    collected), when given, lets a resolution say whether the resource is gone or now passes.
    Output: ``current`` in its order, then the others sorted by (rule id, resource id).
    """
    stamp = iso(now) or ""
    before = _previous_by_id(previous)
    out: list[Finding] = []
    present: set[str] = set()
    for finding in current:
        present.add(finding.finding_id)
        out.append(_update(finding, before.get(finding.finding_id), stamp))
    others: list[Finding] = []
    looked_at = _Coverage(manifest).covers
    for finding_id, (old, record) in before.items():
        if finding_id in present or old.status == "resolved":
            continue
        if isinstance(old, Prior):  # a store's bug, never a silent drop of a resolution
            raise TypeError(f"{finding_id}: previous record given brief, yet not found again")
        if not looked_at(old):
            continue
        blind = _blind(manifest, old)
        if blind is not None:
            others.append(_kept_open(old, blind, manifest, record))
        else:
            others.append(_resolved(old, manifest, stamp, seen_resources))
    others.sort(key=lambda f: (f.rule_id, f.resource_id))
    return out + others


def _previous_by_id(
    previous: Sequence[ScanRecord],
) -> dict[str, tuple[Finding | Prior, ScanRecord]]:
    """Each finding of the most recent previous scan covering its (account, region)."""
    latest: dict[Scope, ScanRecord] = {}
    order = sorted(previous, key=lambda r: (r.manifest.started_at, r.manifest.scan_id))
    for record in order:  # later scans overwrite earlier ones, scope by scope
        for scope in scan_scopes(record.manifest, record.findings):
            latest[scope] = record
    out: dict[str, tuple[Finding | Prior, ScanRecord]] = {}
    for record in order:
        for finding in record.findings:
            if latest.get((finding.account_id, finding.region)) is record:
                out[finding.finding_id] = (finding, record)
    return out


def _update(
    finding: Finding, before: tuple[Finding | Prior, ScanRecord] | None, stamp: str
) -> Finding:
    suppressed = finding.status == "suppressed"
    fresh: Status = "suppressed" if suppressed else "new"
    if before is None:
        if finding.status == fresh and finding.first_seen == finding.last_seen == stamp:
            return finding  # the evaluator's finding is already this: no copy (a first scan)
        return finding.evolve(status=fresh, first_seen=stamp, last_seen=stamp)
    old, record = before
    if old.status == "resolved":
        again = _join(finding.note, f"failing again; resolved in scan {record.manifest.scan_id}")
        return finding.evolve(status=fresh, first_seen=stamp, last_seen=stamp, note=again)
    note = finding.note
    if finding.outcome == "error" and old.outcome == "fail":
        note = _join(
            note,
            f"kept open: failing since {old.first_seen}, last failed {old.last_seen}; "
            "this run could not evaluate the rule, and an error is not a pass",
        )
    status: Status = "suppressed" if suppressed else "open"
    return finding.evolve(status=status, first_seen=old.first_seen, last_seen=stamp, note=note)


def _kept_open(
    old: Finding, error: CollectionError, manifest: ScanManifest, record: ScanRecord
) -> Finding:
    what = error.resource_type or error.service
    note = (
        f"kept open: not re-checked in scan {manifest.scan_id}: {what} in {error.region} "
        f"could not be collected ({error.error_code}); carried from scan "
        f"{record.manifest.scan_id}"
    )
    status: Status = "suppressed" if old.status == "suppressed" else "open"
    return old.evolve(status=status, note=note, rank=None, score=None)


def _resolved(
    old: Finding, manifest: ScanManifest, stamp: str, seen: Collection[str] | None
) -> Finding:
    if seen is None:
        why = "not failing"
    elif old.resource_id in seen:
        why = "the resource now passes"
    else:
        why = "the resource no longer exists"
    note = f"resolved: {why} in scan {manifest.scan_id} ({stamp})"
    return old.evolve(status="resolved", note=note, rank=None, score=None, explanation=None)


class _Coverage:
    """Whether this scan covered a finding's account, region, resource type and rule (the
    manifest's sets built once, not once per previous finding)."""

    def __init__(self, manifest: ScanManifest) -> None:
        self.accounts = set(manifest.accounts)
        self.regions = set(manifest.regions)
        self.counted = {(r["account_id"], r["region"], r["resource_type"]) for r in manifest.counts}
        self.types = set(manifest.resource_types) or {t for _, _, t in self.counted}
        per_rule = (manifest.evaluation or {}).get("per_rule")
        # No evaluation summary: we cannot tell which rules ran, so nothing may be resolved.
        self.rules = set(per_rule) if isinstance(per_rule, dict) else set()

    def covers(self, finding: Finding) -> bool:
        if finding.account_id not in self.accounts or finding.resource_type not in self.types:
            return False
        key = (finding.account_id, finding.region, finding.resource_type)
        if finding.region not in self.regions and key not in self.counted:
            return False
        return finding.rule_id in self.rules


def _blind(manifest: ScanManifest, finding: Finding) -> CollectionError | None:
    """The collection error that kept this scan from seeing the finding's resource, if any."""
    service = _service(finding.resource_type)
    for error in manifest.errors:
        if error.account_id != finding.account_id:
            continue
        if error.region not in (finding.region, "global"):
            continue
        if error.resource_type == finding.resource_type or (
            error.resource_type is None and error.service == service
        ):
            return error
    return None


def _service(resource_type: str) -> str:
    """``aws.ec2.instance`` -> ``ec2``."""
    parts = resource_type.split(".")
    return parts[1] if len(parts) > 2 else resource_type


def _join(note: str | None, extra: str) -> str:
    return f"{note}; {extra}" if note else extra
