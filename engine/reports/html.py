"""``--format html``: the full report, one self-contained HTML file.

Where it sits: the last stage (report), one registered format (``write_html(report, out)``); the
CLI writes it with ``--output report.html`` and the Lambda to S3. It is rendered from
``templates/report.html.j2`` with jinja2, autoescaping on: resource names, tags and evidence are
untrusted text. Nothing is fetched: CSS, JavaScript and the charts (SVG) are inline, and a
Content-Security-Policy allows no network source and only the report's own script (by hash).

This module computes what the template draws: summary cards, findings by severity x category
(bar geometry), the end-of-life timeline (from evidence dates), the table rows, the changes since
the last scan and the manifest. The table is sorted and filtered in the browser by vanilla JS.
The page is written as jinja2 generates it, and the table's data (one JSON array in the page)
is handed over a few hundred rows at a time: the page is never one string in memory.

The table holds at most ``TABLE_MAX`` (100,000) findings: a page with every row of a
million-finding scan would be a gigabyte of JSON that Chromium cannot even read into one
string (V8's strings stop at 2^29 - 24 characters, about 512 MiB), and nobody reads it row by
row. Past the cap the table holds the highest-ranked findings still present, then resolved ones
while room is left, and the page says above it how many are left out and where every finding
is (a report of the same run, or the history table); the cards, chart, timeline and lists
count every finding.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import cache
from typing import Any, TextIO

import jinja2
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from engine.clock import parse_timestamp
from engine.model import CATEGORIES, SEVERITIES, SEVERITY_ORDER, Finding
from engine.report import Report
from engine.reports import FORMATS, to_string

CHART_WIDTH = 520
COLOURS = {
    "cost": "#d08c00",
    "reliability": "#2b7bb9",
    "security": "#c0392b",
    "lifecycle": "#7d3c98",
}
#: evidence fields that date an end of life, with how the timeline names them
EOL_DATES = {
    "end_of_standard_support": "standard support ends",
    "end_of_extended_support": "extended support ends",
    "eol_date": "end of life",
    "deprecation_date": "deprecated",
    "block_function_create": "create blocked",
    "block_function_update": "update blocked",
}
LIST_MAX = 200  # entries in the new / resolved lists; the table's status filter shows all
PAGE_SIZE = 500  # table rows drawn at once; "show more" draws the next ones
ROWS_CHUNK = 32 * 1024  # characters of the table's data handed to the template at a time
#: findings the page's table holds at most: 100,000 rows (about 60 MB) open in Chromium in
#: about 2 s and filter in 0.1 s (README, Performance)
TABLE_MAX = 100_000
COMPLETE_LIST = (
    "the machine-readable reports: engine check --format json (or text, sarif, ocsf, asff)"
    " writes every finding"
)
VERSION_KEYS = ("runtime", "engine_version", "kubernetes_version", "version", "major")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("engine.reports", "templates"),
        autoescape=True,  # every value is escaped unless marked safe; we mark none
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["csp_hash"] = _csp_hash
    return env


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(str(script).encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def write_html(
    report: Report,
    out: TextIO,
    *,
    table_max: int = TABLE_MAX,
    complete_list: str = COMPLETE_LIST,
) -> None:
    """The page as jinja2 generates it, piece by piece (``Template.generate``).

    Past ``table_max`` findings the table holds the highest-ranked ones and the page says how
    many are left out and that ``complete_list`` has them all.
    """
    page = context(report, table_max=table_max, complete_list=complete_list)
    for piece in _environment().get_template("report.html.j2").generate(**page):
        out.write(piece)


# registered by call, not decorator: the decorator would type it as a plain (report, out) writer
FORMATS.add("html", write_html)


def render_html(report: Report) -> str:
    return to_string(write_html, report)


def context(
    report: Report, *, table_max: int = TABLE_MAX, complete_list: str = COMPLETE_LIST
) -> dict[str, Any]:
    """Everything the template reads, computed once (``rows_json`` can be read only once)."""
    current = [f for f in report.findings if f.status in ("new", "open", "suppressed")]
    m = report.manifest
    total = len(report.findings)
    shown = min(total, table_max)
    return {
        "report": report,
        "manifest": m,
        "cards": _cards(report),
        "chart": _chart([f for f in current if f.status != "suppressed"]),
        "timeline": timeline(report),
        "total": total,
        "shown": shown,
        "hidden": total - shown,
        "complete_list": complete_list,
        "rows_json": _rows_json(table_findings(report.findings, table_max)),
        "new": [f for f in report.findings if f.status == "new"],
        "resolved": [f for f in report.findings if f.status == "resolved"],
        "list_max": LIST_MAX,
        "page_size": PAGE_SIZE,
        "counts": sorted(m.counts, key=lambda c: (c["resource_type"], c["region"])),
        "api_calls": sorted(m.api_calls.items()),
        "per_rule": sorted(((m.evaluation or {}).get("per_rule") or {}).items()),
        "severities": SEVERITIES,
    }


def _cards(report: Report) -> list[tuple[str, str, str]]:
    active = [f for f in report.failures if f.status in ("new", "open")]
    urgent = sum(1 for f in active if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER["high"])
    savings = round(sum(f.estimated_monthly_cost_usd or 0.0 for f in active), 2)
    total = sum(int(c["count"]) for c in report.manifest.counts)
    partial = report.manifest.partial
    return [
        ("Resources scanned", str(total), "plain"),
        ("Open findings", str(len(active)), "warn" if active else "ok"),
        ("Critical and high", str(urgent), "bad" if urgent else "ok"),
        ("New since last scan", str(sum(1 for f in active if f.status == "new")), "plain"),
        ("Resolved", str(sum(1 for f in report.failures if f.status == "resolved")), "ok"),
        ("Evaluation errors", str(len(report.errors)), "bad" if report.errors else "ok"),
        ("Est. monthly savings", f"${savings:,.2f}" if savings else "-", "plain"),
        ("Scan", "partial" if partial else "complete", "bad" if partial else "ok"),
    ]


def _chart(findings: list[Finding]) -> dict[str, Any]:
    """Stacked horizontal bars: one per severity, one segment per category."""
    counts = {(f.severity, f.category): 0 for f in findings}
    for f in findings:
        counts[(f.severity, f.category)] += 1
    totals = {s: sum(n for (sev, _), n in counts.items() if sev == s) for s in SEVERITIES}
    scale = CHART_WIDTH / max(1, *totals.values())
    bars = []
    for index, severity in enumerate(SEVERITIES):
        x = 0.0
        segments = []
        for category in CATEGORIES:
            n = counts.get((severity, category), 0)
            if n:
                width = n * scale
                segments.append(
                    {
                        "category": category,
                        "count": n,
                        "x": round(x, 2),
                        "width": round(width, 2),
                        "colour": COLOURS[category],
                    }
                )
                x += width
        bars.append(
            {
                "severity": severity,
                "y": 10 + index * 34,
                "total": totals[severity],
                "segments": segments,
                "end": round(x, 2),
            }
        )
    legend = [(c, COLOURS[c]) for c in CATEGORIES]
    return {"bars": bars, "legend": legend, "height": 10 + len(SEVERITIES) * 34 + 30}


def timeline(report: Report) -> dict[str, Any]:
    """End-of-life rows: one per (rule, version), its dates placed on a shared axis."""
    today = parse_timestamp(report.now).date()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for f in report.findings:
        if f.status == "resolved" or f.outcome != "fail":
            continue
        evidence = _flat(f.evidence)
        dates = _eol_dates(evidence, today)
        if not dates:
            continue
        version = next((str(evidence[k]) for k in VERSION_KEYS if evidence.get(k)), "-")
        row = rows.setdefault(
            (f.rule_id, version),
            {"rule_id": f.rule_id, "title": f.title, "version": version, "count": 0, "dates": {}},
        )
        row["count"] += 1
        row["dates"].update(dates)
    if not rows:
        return {"rows": [], "ticks": []}
    every: list[date] = [d for row in rows.values() for d in row["dates"].values()]
    every.append(today)
    start, end = min(every) - timedelta(days=30), max(every) + timedelta(days=30)
    span = max(1, (end - start).days)

    def pos(day: date) -> float:
        return round(100 * (day - start).days / span, 2)

    out = []
    for row in sorted(rows.values(), key=lambda r: (min(r["dates"].values()), r["rule_id"])):
        marks = [
            {"label": label, "date": day.isoformat(), "x": pos(day), "past": day <= today}
            for label, day in sorted(row["dates"].items(), key=lambda kv: kv[1])
        ]
        out.append({**row, "marks": marks})
    ticks = [
        {"label": str(year), "x": pos(date(year, 1, 1))}
        for year in range(start.year + 1, end.year + 1)
    ]
    return {"rows": out, "ticks": ticks, "today": pos(today), "today_label": today.isoformat()}


def _flat(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence with one level of nested objects lifted (a lifecycle lookup returns one)."""
    flat = dict(evidence)
    for value in evidence.values():
        if isinstance(value, dict):
            for key, inner in value.items():
                flat.setdefault(str(key), inner)
    return flat


def _eol_dates(evidence: dict[str, Any], today: date) -> dict[str, date]:
    dates: dict[str, date] = {}
    for key, label in EOL_DATES.items():
        value = evidence.get(key)
        if isinstance(value, str):
            try:
                dates[label] = parse_timestamp(value).date()
            except ValueError:
                continue
    days_left = evidence.get("days_left")
    if not dates and isinstance(days_left, int) and not isinstance(days_left, bool):
        dates["deadline (days_left)"] = today + timedelta(days=days_left)
    return dates


def table_findings(findings: list[Finding], limit: int) -> Iterator[Finding]:
    """The findings the table holds, in rank order: every one up to ``limit``; past it, the
    highest-ranked findings still present (not resolved), then resolved ones while room is left.
    """
    if len(findings) <= limit:
        yield from findings
        return
    present = sum(1 for f in findings if f.status != "resolved")
    room = {"present": limit, "resolved": max(0, limit - present)}
    for f in findings:
        kind = "resolved" if f.status == "resolved" else "present"
        if room[kind] > 0:
            room[kind] -= 1
            yield f


def _rows_json(findings: Iterable[Finding]) -> Iterator[Markup]:
    """The table's data, as ``rows | tojson`` would write it, in pieces of about 32 KB.

    The same characters (jinja2's policies and its HTML-safe escaping, applied row by row:
    ``json.dumps`` of a list is its items joined by ", " in brackets), without building every
    row, or one string of them all, at once.
    """
    policies = _environment().policies
    dumps = policies["json.dumps_function"] or json.dumps
    kwargs = policies["json.dumps_kwargs"]
    parts, size = [Markup("[")], 1
    for index, f in enumerate(findings):
        if index:
            parts.append(Markup(", "))
        row = htmlsafe_json_dumps(_row(f), dumps=dumps, **kwargs)
        parts.append(row)
        size += len(row) + 2
        if size >= ROWS_CHUNK:
            yield Markup().join(parts)
            parts, size = [], 0
    parts.append(Markup("]"))
    yield Markup().join(parts)


def _row(f: Finding) -> dict[str, Any]:
    """One table row as data: the page's script draws it with textContent, never as markup."""
    return {
        "id": f.finding_id,
        "rank": f.rank or 0,
        "sev": "error" if f.outcome == "error" else f.severity,
        "order": SEVERITY_ORDER[f.severity] + (0 if f.outcome == "fail" else -0.5),
        "cat": f.category,
        "rule": f.rule_id,
        "title": f.title,
        "name": f.resource_name or "",
        "arn": f.resource_id,
        "acct": f.account_id,
        "region": f.region,
        "status": f.status,
        "note": f.note or "",
        "ev": sorted([key, value] for key, value in f.evidence.items()),
        "error": f.error or "",
        "why": f.explanation or "",
        "by": f.explained_by if f.explanation else "",
        "cost": f.estimated_monthly_cost_usd or 0,
    }
