"""The whole pipeline in one screen; the one path the CLI and the Lambda handlers call.

    source.load() -> Resource -> evaluate() -> Finding -> rank() -> Report -> render()

No stage reaches back to an earlier one. The store (history) and the model explainer slot in
between ``rank`` and the report in later stages without changing this shape.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from engine.clock import iso
from engine.evaluator import evaluate
from engine.lifecycle import live_table
from engine.ranker import rank
from engine.report import Report
from engine.rules import RuleSet
from engine.sources import Progress, Source


def check(
    source: Source,
    rules: RuleSet,
    now: datetime,
    progress: Progress | None = None,
    record_others: bool = False,
) -> Report:
    """Collect (or read) the inventory, evaluate every rule, rank the findings."""
    resources, manifest = source.load(now, progress)
    if progress:
        progress(f"evaluating {len(rules)} rules on {len(resources)} resources ...")
    evaluation = evaluate(resources, rules, now, record_others, live_table(manifest.lifecycle))
    findings = rank(evaluation.findings)
    manifest = replace(manifest, evaluation=evaluation.summary())
    return Report(
        manifest=manifest,
        findings=findings,
        now=iso(now) or "",
        ranked_by="rules",
        others=evaluation.others,
    )
