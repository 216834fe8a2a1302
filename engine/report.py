"""``Report``: what the pipeline hands to the reporters, one value for every format.

Holds the scan manifest (with the evaluation summary filled in), the ranked findings, the clock
used, and who ranked them. Reporters only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.model import SEVERITIES, Finding, ScanManifest
from engine.rules import RuleSet


@dataclass(frozen=True)
class Report:
    manifest: ScanManifest
    findings: list[Finding]
    now: str
    ranked_by: str = "rules"
    notes: list[str] = field(default_factory=list)
    #: the executive summary written by the explainer, when one ran
    summary: str | None = None
    #: (rule id, resource id, "pass" | "not_applicable") when the pipeline recorded them
    others: list[tuple[str, str, str]] = field(default_factory=list)
    #: the rules evaluated (for formats that describe them, e.g. SARIF); not serialised
    rules: RuleSet | None = None
    #: runtime failures after evaluation (e.g. history not stored): each makes the exit code 3
    problems: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        """Failing findings that are neither suppressed nor resolved."""
        return [
            f
            for f in self.findings
            if f.outcome == "fail" and f.status not in ("suppressed", "resolved")
        ]

    @property
    def errors(self) -> list[Finding]:
        """Evaluation errors of this scan (a resolved one is history, not a current error)."""
        return [f for f in self.findings if f.outcome == "error" and f.status != "resolved"]

    def severity_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for f in self.failures:
            counts[f.severity] += 1
        return counts

    def resource_counts(self) -> dict[str, dict[str, int]]:
        """``{resource_type: {region: count}}`` from the manifest."""
        out: dict[str, dict[str, int]] = {}
        for row in self.manifest.counts:
            by_region = out.setdefault(row["resource_type"], {})
            by_region[row["region"]] = by_region.get(row["region"], 0) + int(row["count"])
        return out

    def estimated_monthly_savings(self) -> float:
        return round(sum(f.estimated_monthly_cost_usd or 0.0 for f in self.failures), 2)

    def to_dict(self) -> dict[str, Any]:
        return {**self.header(), "findings": [f.to_dict() for f in self.findings]}

    def header(self) -> dict[str, Any]:
        """``to_dict()`` but the findings: what a streaming writer puts before them."""
        return {
            "scan": self.manifest.to_dict(),
            "ranked_by": self.ranked_by,
            "summary": self.summary,
            "notes": list(self.notes),
            "problems": list(self.problems),
        }
