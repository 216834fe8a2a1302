"""The whole pipeline in one screen; the one path the CLI and the Lambda handlers call.

    source.load() -> Resource -> evaluate() -> Finding -> suppress -> history -> rank()
        -> explain() -> store -> Report

No stage reaches back to an earlier one. History (new / open / resolved) compares with the
latest scan of each account and region in the store; the model explainer only reorders and
explains the ranked findings, and when it is off or fails the deterministic ranking stands and
the report says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.clock import iso
from engine.evaluator import evaluate
from engine.lifecycle import dataset_age_days, live_table
from engine.ranker import rank
from engine.report import Report
from engine.rules import RuleSet
from engine.sources import Progress, Source
from engine.store import Store, record_scan, track_history
from engine.suppressions import Suppression, apply_suppressions

if TYPE_CHECKING:
    from engine.explain import ExplainConfig

#: warn when the shipped end-of-life dataset is older than this many days
EOL_MAX_AGE_DAYS = 180


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


def check(
    source: Source,
    rules: RuleSet,
    now: datetime,
    progress: Progress | None = None,
    options: CheckOptions | None = None,
) -> Report:
    """Collect (or read) the inventory, evaluate every rule, rank the findings."""
    options = options or CheckOptions()
    resources, manifest = source.load(now, progress)
    if progress:
        progress(f"evaluating {len(rules)} rules on {len(resources)} resources ...")
    live = live_table(manifest.lifecycle)
    evaluation = evaluate(resources, rules, now, options.record_others, live)
    manifest = replace(manifest, evaluation=evaluation.summary())
    tags = {r.resource_id: r.tags for r in resources}
    findings, notes = apply_suppressions(evaluation.findings, options.suppressions, tags, now)
    notes += _lifecycle_notes(manifest.lifecycle, now, options.eol_max_age_days)
    if options.store is not None:
        findings = track_history(options.store, manifest, findings, now, resources)
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
        stored = resources if options.store_resources else ()
        written = record_scan(options.store, manifest, findings, stored)
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
