"""Suppressions: accepted risks, applied after ranking and before the report.

A suppressions file lists ``{rule, resource (ARN glob) or tags, reason, expires}``. A finding
that matches a live entry is kept, marked ``suppressed`` with the reason, counted apart and
does not fail ``--fail-on``. An entry past its ``expires`` day stops suppressing and is itself
reported; an entry that matches nothing is reported as stale. Evaluation errors are never
suppressed: an error is not an accepted risk, it is a rule that could not look.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, Located, one_line
from engine.model import Finding
from engine.schema import dotted
from engine.yamlsource import YamlSourceError, load


@dataclass(frozen=True)
class Suppression:
    index: int
    line: int | None
    rule: str
    resource: str | None
    tags: dict[str, str]
    reason: str
    expires: date

    def matches(self, finding: Finding, tags: dict[str, str]) -> bool:
        if not fnmatch.fnmatchcase(finding.rule_id, self.rule):
            return False
        if self.resource is not None and not fnmatch.fnmatchcase(
            finding.resource_id, self.resource
        ):
            return False
        return all(
            key in tags and fnmatch.fnmatchcase(tags[key], wanted)
            for key, wanted in self.tags.items()
        )

    @property
    def label(self) -> str:
        target = self.resource or ", ".join(f"{k}={v}" for k, v in sorted(self.tags.items()))
        return f"suppressions[{self.index}] (line {self.line}: {self.rule} on {target})"


def load_suppressions(path: str | Path) -> list[Suppression]:
    """Read and validate a suppressions file; errors are ``file:line: field: message``."""
    from engine.schema import validator_for

    shown = str(path)
    try:
        doc = load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text: {exc.reason}") from exc
    except YamlSourceError as exc:
        raise ConfigError(f"{Located.where(shown, exc.line)}: {exc.message}") from exc
    data = _jsonable(doc.data)
    errors = sorted(
        validator_for("suppressions").iter_errors(data), key=lambda e: list(map(str, e.path))
    )
    if errors:
        first = errors[0]
        where = tuple(first.absolute_path)
        message = one_line(f"{dotted(where)}: {first.message}", limit=400)
        raise ConfigError(f"{Located.where(shown, doc.line(where))}: {message}")
    out = []
    for index, entry in enumerate(data["suppressions"]):
        try:
            expires = date.fromisoformat(entry["expires"])
        except ValueError as exc:
            line = Located.where(shown, doc.line(("suppressions", index, "expires")))
            raise ConfigError(f"{line}: suppressions[{index}].expires: {exc}") from exc
        out.append(
            Suppression(
                index=index,
                line=doc.line(("suppressions", index)),
                rule=entry["rule"],
                resource=entry.get("resource"),
                tags=dict(entry.get("tags") or {}),
                reason=" ".join(entry["reason"].split()),
                expires=expires,
            )
        )
    return out


class Suppressor:
    """Suppressions applied batch by batch (the pipeline streams), notices at the end."""

    def __init__(self, entries: list[Suppression], now: datetime) -> None:
        today = now.date()
        self.entries = entries
        self.today = today
        self.live = [e for e in entries if today <= e.expires]
        self.used: set[int] = set()

    def apply(
        self, findings: list[Finding], tags_by_resource: dict[str, dict[str, str]]
    ) -> list[Finding]:
        """The findings with matching ones suppressed."""
        if not self.live:
            return findings
        out = []
        for finding in findings:
            hit = None
            if finding.outcome == "fail" and finding.status != "resolved":
                tags = tags_by_resource.get(finding.resource_id, {})
                hit = next((e for e in self.live if e.matches(finding, tags)), None)
            if hit is None:
                out.append(finding)
                continue
            self.used.add(hit.index)
            note = f"suppressed until {hit.expires.isoformat()}: {hit.reason}"
            out.append(finding.evolve(status="suppressed", note=note))
        return out

    def notices(self) -> list[str]:
        """Expired entries, and live ones that matched no finding of any batch (stale)."""
        notices = [
            f"{e.label} expired on {e.expires.isoformat()}: its findings are reported again"
            for e in self.entries
            if self.today > e.expires
        ]
        notices += [
            f"{e.label} matches no finding (stale)" for e in self.live if e.index not in self.used
        ]
        return notices


def apply_suppressions(
    findings: list[Finding],
    entries: list[Suppression],
    tags_by_resource: dict[str, dict[str, str]],
    now: datetime,
) -> tuple[list[Finding], list[str]]:
    """Findings with matching ones suppressed, and notices (expired or stale entries)."""
    suppressor = Suppressor(entries, now)
    out = suppressor.apply(findings, tags_by_resource)
    return out, suppressor.notices()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
