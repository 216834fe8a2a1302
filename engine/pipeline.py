"""The whole pipeline in one screen; the one path the CLI and the Lambda handlers call.

    source.load() -> Resource -> evaluate() -> Finding -> suppress -> history -> rank()
        -> explain() -> store -> Report

No stage reaches back to an earlier one. History (new / open / resolved) compares with the
latest scan of each account and region in the store; the model explainer only reorders and
explains the ranked findings, and when it is off or fails the deterministic ranking stands and
the report says why.

The inventory streams: ``source.load`` may return any iterable (the analyser's is a generator
over the scan's stored parts), read ``batch_size`` resources at a time; each batch is
evaluated, suppressed, counted and (when the run stores resources) written, then dropped. What
is kept is the findings, the per-rule counts and the resource ids (for "resolved: the resource
is gone"), so peak memory grows with the batch and the findings, not with the inventory.

The cyclic garbage collector is paused inside ``check`` and kept off what the run has built
so far (``engine.heap.settled_heap``): after each batch, and after history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from engine.clock import iso
from engine.evaluator import Evaluation, Evaluator
from engine.heap import settled_heap
from engine.lifecycle import dataset_age_days, live_table
from engine.model import Finding, Resource, ScanManifest, count_resources, tally_resources
from engine.ranker import rank
from engine.report import Report
from engine.rules import RuleSet
from engine.sources import Progress, Source
from engine.store import (
    Store,
    WriteResult,
    merge_results,
    put_resource_batch,
    record_scan,
    track_history,
)
from engine.suppressions import Suppression, Suppressor

if TYPE_CHECKING:
    from engine.explain import ExplainConfig

#: warn when the shipped end-of-life dataset is older than this many days
EOL_MAX_AGE_DAYS = 180
#: resources read, evaluated and written at a time
BATCH_SIZE = 5_000
#: a progress line every this many resources
PROGRESS_EVERY = 100_000


@dataclass(frozen=True)
class CheckOptions:
    """Knobs of one run that are not the inventory or the rules."""

    suppressions: list[Suppression] = field(default_factory=list)
    record_others: bool = False  # keep passes too (JUnit lists every evaluation)
    eol_max_age_days: int = EOL_MAX_AGE_DAYS
    explain: ExplainConfig | None = None  # Bedrock ranks and explains when set
    bedrock_client: Callable[[], Any] | None = None
    store: Store | None = None  # history: None for a pure dry run
    store_resources: bool = True  # False when the scan's parts already stored them
    batch_size: int = BATCH_SIZE


@dataclass
class _Streamed:
    """What the evaluation stage keeps of the inventory once its batches are gone."""

    evaluation: Evaluation
    counts: list[dict[str, Any]]
    seen: set[str]
    resources_written: WriteResult | None


def check(
    source: Source,
    rules: RuleSet,
    now: datetime,
    progress: Progress | None = None,
    options: CheckOptions | None = None,
) -> Report:
    """Collect (or read) the inventory, evaluate every rule, rank the findings."""
    options = options or CheckOptions()
    with settled_heap(pause=True) as settle:
        return _check(source, rules, now, progress, options=options, settle=settle)


def _check(
    source: Source,
    rules: RuleSet,
    now: datetime,
    progress: Progress | None,
    *,
    options: CheckOptions,
    settle: Callable[[], None],
) -> Report:
    resources, manifest = source.load(now, progress)
    if progress:
        size = f"{len(resources):,} " if isinstance(resources, Sized) else ""
        progress(f"evaluating {len(rules)} rules on {size}resources ...")
    suppressor = Suppressor(options.suppressions, now)
    streamed = _evaluate(
        resources,
        rules,
        now,
        manifest=manifest,
        suppressor=suppressor,
        options=options,
        progress=progress,
        settle=settle,
    )
    evaluation = streamed.evaluation
    manifest = replace(manifest, evaluation=evaluation.summary(), counts=streamed.counts)
    findings = evaluation.findings
    notes = suppressor.notices()
    notes += _lifecycle_notes(manifest.lifecycle, now, options.eol_max_age_days)
    if options.store is not None:
        findings = track_history(options.store, manifest, findings, now, seen_ids=streamed.seen)
        settle()
    evaluation.findings = []  # history's or ranking's copies replace them
    findings = rank(findings)
    ranked_by, summary, usage = "rules", None, None
    if options.explain is not None:
        from engine.explain import explain

        if progress:
            progress(f"asking {options.explain.model_id} to rank and explain ...")
        result = explain(findings, options.explain, now=now, client_factory=options.bedrock_client)
        findings, ranked_by, summary = result.findings, result.ranked_by, result.summary
        notes += list(result.notes)
        usage = {
            "model_id": options.explain.model_id,
            "ranked_by": result.ranked_by,
            "fallback_reason": result.fallback_reason,
            **result.usage.to_dict(),
        }
    manifest = replace(manifest, explain=usage)
    problems: list[str] = []
    if options.store is not None:
        written = record_scan(
            options.store, manifest, findings, resources_written=streamed.resources_written
        )
        if written.error is not None:
            problems.append(str(written.error))
    return Report(
        manifest=manifest,
        findings=findings,
        now=iso(now) or "",
        ranked_by=ranked_by,
        notes=notes,
        summary=summary,
        others=evaluation.others,
        rules=rules,
        problems=problems,
    )


def batches(items: Iterable[Resource], size: int) -> Iterator[list[Resource]]:
    """``items`` ``size`` at a time (the last batch may be shorter)."""
    iterator = iter(items)
    while batch := list(islice(iterator, max(1, size))):
        yield batch


def _evaluate(
    resources: Iterable[Resource],
    rules: RuleSet,
    now: datetime,
    *,
    manifest: ScanManifest,
    suppressor: Suppressor,
    options: CheckOptions,
    progress: Progress | None,
    settle: Callable[[], None],
) -> _Streamed:
    """Evaluate, suppress, count and (if asked) store the inventory batch by batch."""
    evaluator = Evaluator(rules, now, options.record_others, live_table(manifest.lifecycle))
    store = options.store if options.store_resources else None
    findings: list[Finding] = []
    tally: dict[tuple[str, str, str], int] = {}
    seen: set[str] = set()
    writes: list[WriteResult] = []
    count = 0
    for batch in batches(resources, options.batch_size):
        found, _ = evaluator.run(batch)
        findings += suppressor.apply(found, {r.resource_id: r.tags for r in batch})
        tally_resources(batch, tally)
        seen.update(resource.resource_id for resource in batch)
        if store is not None:
            writes.append(put_resource_batch(store, manifest, batch))
        before, count = count, count + len(batch)
        del batch  # its resources are garbage before the freeze, not frozen with the findings
        settle()
        if progress and count // PROGRESS_EVERY > before // PROGRESS_EVERY:
            progress(f"evaluated {count:,} resources, {len(findings):,} findings so far ...")
    evaluation = Evaluation(
        findings=findings, stats=evaluator.stats, resources=count, others=evaluator.others
    )
    written = merge_results("resource", writes) if store is not None else None
    return _Streamed(evaluation, count_resources((), tally), seen, written)


def _lifecycle_notes(lifecycle: dict[str, object] | None, now: datetime, max_age: int) -> list[str]:
    raw = (lifecycle or {}).get("notes") or []
    notes = [str(n) for n in raw] if isinstance(raw, list) else []
    age = dataset_age_days(now.date())
    if age > max_age:
        notes.append(
            f"the shipped end-of-life dataset is {age} days old (more than {max_age}): "
            "upgrade the engine for current dates"
        )
    return notes
