"""``--format email``: the morning email, published through SNS, and its preview.

Where it sits: the last stage (report). ``render_email(report)`` turns a ``Report`` into the
subject and plain-text body that ``engine.notify.sns`` publishes; the registered ``email``
format prints exactly that (subject, blank line, body) so ``engine check --format email``
previews what would be sent.

The shape is the original design's (subject ``AWS Inventory Alert - X Resources Scanned``;
``Generated:``, ``SUMMARY``, ``CRITICAL FINDINGS``, ``TOP RECOMMENDATIONS``) extended with what
changed since the last scan, the estimated savings, notes on a partial scan or a ranking that
fell back to rules, the model's explanations beside the evidence, and where the full report is.

SNS limits (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, read 2026-11-25): the
subject must be ASCII without line breaks or control characters and "less than 100 characters
long"; the message at most 256 KB (262,144 bytes, not characters) of UTF-8. Entries are kept in
priority order (critical findings by rank, then evaluation errors, then new and resolved
findings) and dropped whole, never cut mid-line; the email says how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from engine.model import SEVERITIES, SEVERITY_ORDER, Finding
from engine.report import Report
from engine.reports import FORMATS
from engine.reports.text import clean

SUBJECT_MAX = 99  # "less than 100 characters"
MESSAGE_MAX_BYTES = 262_144
PER_RULE = 10  # resources listed per rule under CRITICAL FINDINGS
PER_LIST = 20  # entries listed for errors, new and resolved
RECOMMENDATIONS = 5
VALUE_MAX = 200  # characters of one evidence value or explanation shown
CRITICAL_AT = SEVERITY_ORDER["medium"]  # medium and above, and every lifecycle warning


@dataclass(frozen=True)
class EmailMessage:
    subject: str
    body: str
    #: entries dropped to fit the SNS size limit (0 when everything fitted)
    left_out: int = 0

    def preview(self) -> str:
        """Exactly what would be sent: the subject line, a blank line, the body."""
        return f"{self.subject}\n\n{self.body}"


@dataclass
class _Item:
    """One entry that may be dropped as a whole; ``group`` ties entries to a rule heading."""

    lines: list[str]
    group: str = ""
    rank: int = 0


@dataclass
class _List:
    """A section of droppable entries; ``shown`` of them are kept."""

    items: list[_Item]
    total: int  # entries this section stands for, including those past its display cap
    shown: int = 0
    more: Callable[[int], str] = field(default=lambda n: f"  ... and {n} more")


def active(report: Report) -> list[Finding]:
    """Failures that are open now (new or still open), in rank order."""
    return [f for f in report.failures if f.status in ("new", "open")]


def subject(report: Report) -> str:
    text = f"AWS Inventory Alert - {_total_resources(report)} Resources Scanned"
    if report.manifest.partial:
        text += " - PARTIAL SCAN"
    if report.manifest.simulated:
        text += " - SIMULATED"
    # Only printable ASCII may reach SNS; our own text is, but keep the guarantee local.
    text = "".join(c if " " <= c <= "~" else "?" for c in text)
    return text[:SUBJECT_MAX].rstrip()


def render_email(
    report: Report, report_location: str | None = None, max_bytes: int = MESSAGE_MAX_BYTES
) -> EmailMessage:
    """The subject and body, the body strictly under ``max_bytes`` of UTF-8."""
    draft = _Draft.of(report, report_location)
    order = [(name, i) for name, lst in draft.lists.items() for i in range(len(lst.items))]
    fits = _fitting(draft, order, max_bytes)
    draft.keep(order, fits)
    body = draft.body(len(order) - fits)
    if len(body.encode("utf-8")) >= max_bytes:
        raise ValueError(f"the mandatory part of the email alone exceeds {max_bytes} bytes")
    return EmailMessage(subject(report), body, len(order) - fits)


@FORMATS.register("email")
def write_email_preview(report: Report, out: TextIO) -> None:
    """The preview as a format; at most 256 KB by construction, so written in one piece."""
    out.write(render_email_preview(report))


def render_email_preview(report: Report) -> str:
    return render_email(report).preview()


@dataclass
class _Draft:
    """The email's parts: fixed sections rendered once, droppable lists chosen later."""

    report: Report
    location: str | None
    groups: dict[str, list[Finding]]
    lists: dict[str, _List]
    summary: list[str]
    tail: list[str]
    lower: int  # open findings below the critical threshold

    @classmethod
    def of(cls, report: Report, location: str | None) -> _Draft:
        findings = active(report)
        groups = critical_groups(findings)
        tail = _recommendations(findings)
        if location:
            tail += [f"Full report: {clean(location)}", ""]
        summary = _summary(report, findings) + _overview(report)
        lists = _lists(report, groups)
        lower = len(findings) - lists["critical"].total
        return cls(report, location, groups, lists, summary, tail, lower)

    def keep(self, order: list[tuple[str, int]], count: int) -> None:
        for lst in self.lists.values():
            lst.shown = 0
        for name, _ in order[:count]:
            self.lists[name].shown += 1

    def body(self, left_out: int) -> str:
        lines = _header(self.report, self.location) + _notes(self.report, left_out)
        lines += self.summary
        lines += _changes(self.report, self.lists)
        lines += _critical(self.groups, self.lists["critical"], self.lower)
        lines += _errors(self.lists["errors"])
        lines += self.tail
        return "\n".join(lines).rstrip() + "\n"


def _fitting(draft: _Draft, order: list[tuple[str, int]], max_bytes: int) -> int:
    """The most entries, taken in priority order, whose body stays under ``max_bytes``."""

    def size(count: int) -> int:
        draft.keep(order, count)
        return len(draft.body(len(order) - count).encode("utf-8"))

    if size(len(order)) < max_bytes:
        return len(order)
    low, high = 0, len(order)  # size(low) is assumed to fit; size(high) does not
    while high - low > 1:
        mid = (low + high) // 2
        if size(mid) < max_bytes:
            low = mid
        else:
            high = mid
    return low


def critical_groups(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings at medium or above, and every lifecycle warning, by rule in rank order."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        if SEVERITY_ORDER[f.severity] <= CRITICAL_AT or f.category == "lifecycle":
            groups.setdefault(f.rule_id, []).append(f)
    return groups


def _lists(report: Report, groups: dict[str, list[Finding]]) -> dict[str, _List]:
    """The droppable sections, in priority order (dict order)."""
    items = [
        _Item(_entry(f), group=rule_id, rank=f.rank or 0)
        for rule_id, members in groups.items()
        for f in members[:PER_RULE]
    ]
    items.sort(key=lambda item: item.rank)
    new = [f for f in report.findings if f.status == "new"]
    resolved = [f for f in report.findings if f.status == "resolved"]
    return {
        "critical": _List(items, sum(len(m) for m in groups.values())),
        "errors": _List([_Item(_error(f)) for f in report.errors[:PER_LIST]], len(report.errors)),
        "new": _List([_Item([_change("+", f)]) for f in new[:PER_LIST]], len(new)),
        "resolved": _List([_Item([_change("-", f)]) for f in resolved[:PER_LIST]], len(resolved)),
    }


def _header(report: Report, location: str | None) -> list[str]:
    m = report.manifest
    scan = f"Scan: {m.scan_id} (source: {clean(m.source)})"
    if m.simulated:
        scan += " - SIMULATED ACCOUNT: built-in demo data, no real AWS account was read"
    lines = [
        "AWS Inventory Alert",
        f"Generated: {report.now}",
        scan,
        f"Accounts: {', '.join(m.accounts) or '-'} | Regions: {', '.join(m.regions) or '-'}",
    ]
    if location:
        lines.append(f"Full report: {clean(location)}")
    return [*lines, ""]


def _notes(report: Report, left_out: int) -> list[str]:
    lines: list[str] = []
    errors = report.manifest.errors
    if errors:
        lines.append(
            f"NOTE: PARTIAL SCAN. {len(errors)} call(s) failed, so these parts of the estate "
            "were not read and their findings may be missing:"
        )
        for e in errors[:PER_LIST]:
            message = _short(e.message)
            lines.append(
                f"  - {e.account_id} {e.region} {e.service}.{e.operation}: "
                f"{clean(e.error_code)}: {message}"
            )
        if len(errors) > PER_LIST:
            lines.append(f"  ... and {len(errors) - PER_LIST} more failed call(s)")
    lines += [f"NOTE: {_short(n, 500)}" for n in report.notes[:PER_LIST]]
    if left_out:
        lines.append(
            f"NOTE: this email was shortened to fit the SNS size limit (256 KB): {left_out} "
            "entries were left out, lowest priority first. The full report has them all."
        )
    return [*lines, ""] if lines else []


def _summary(report: Report, findings: list[Finding]) -> list[str]:
    counts = report.resource_counts()
    by_sev = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        by_sev[f.severity] += 1
    sev_text = ", ".join(f"{name} {n}" for name, n in by_sev.items())
    lines = [
        "SUMMARY",
        f"Total resources: {_total_resources(report)}",
        f"Resource types: {len(counts)}",
    ]
    lines += [f"  {t}: {sum(counts[t].values())}" for t in sorted(counts)]
    evaluation = report.manifest.evaluation or {}
    lines += [
        f"Rules evaluated: {evaluation.get('rules_evaluated', 0)}",
        f"Open findings: {len(findings)} ({sev_text})",
        f"Evaluation errors: {len(report.errors)}",
        f"Suppressed: {sum(1 for f in report.failures if f.status == 'suppressed')}",
    ]
    savings = round(sum(f.estimated_monthly_cost_usd or 0.0 for f in findings), 2)
    if savings:
        lines.append(
            f"Estimated monthly savings: ${savings:,.2f} (an estimate: the monthly cost of the "
            "open findings if each is fixed, from the rules' price assumptions)"
        )
    else:
        lines.append("Estimated monthly savings: none estimated for these findings")
    lines += [f"Ranked by: {report.ranked_by}", ""]
    return lines


def _overview(report: Report) -> list[str]:
    if not report.summary:
        return []
    text = [_short(line, 500) for line in report.summary.splitlines() if line.strip()]
    return [f"OVERVIEW (written by {report.ranked_by})", *text[:40], ""]


def _changes(report: Report, lists: dict[str, _List]) -> list[str]:
    still = sum(1 for f in report.failures if f.status == "open")
    lines = [
        "CHANGES SINCE THE LAST SCAN",
        f"New: {lists['new'].total} | Resolved: {lists['resolved'].total} | Still open: {still}",
    ]
    for name in ("new", "resolved"):
        lines += _shown(lists[name])
    return [*lines, ""]


def _critical(groups: dict[str, list[Finding]], lst: _List, lower: int) -> list[str]:
    lines = ["CRITICAL FINDINGS"]
    if not lst.total:
        return [*lines, "None: no open finding at medium severity or above.", ""]
    shown: dict[str, list[_Item]] = {}
    for item in lst.items[: lst.shown]:
        shown.setdefault(item.group, []).append(item)
    ordered = sorted(shown.items(), key=lambda kv: groups[kv[0]][0].rank or 0)
    for number, (rule_id, items) in enumerate(ordered, start=1):
        group = groups[rule_id]
        first = group[0]
        lines.append(
            f"{number}) [{first.severity.upper()}] {clean(first.title)} - "
            f"{len(group)} resource(s) ({rule_id})"
        )
        for item in items:
            lines += item.lines
        if len(group) > len(items):
            lines.append(f"   ... and {len(group) - len(items)} more (see the full report)")
    hidden = [r for r in groups if r not in shown]
    if hidden:
        count = sum(len(groups[r]) for r in hidden)
        lines.append(f"... and {count} more finding(s) in {len(hidden)} more rule(s) not shown")
    if lower:
        lines.append(f"Lower severity: {lower} more open finding(s) (see the full report).")
    return [*lines, ""]


def _errors(lst: _List) -> list[str]:
    if not lst.total:
        return []
    head = f"EVALUATION ERRORS ({lst.total}): rules that could not be evaluated (not passes)"
    return [head, *_shown(lst), ""]


def _recommendations(findings: list[Finding]) -> list[str]:
    lines = ["TOP RECOMMENDATIONS"]
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.rule_id, []).append(f)
    if not groups:
        return [*lines, "Nothing to do: no open findings.", ""]
    for number, (rule_id, members) in enumerate(list(groups.items())[:RECOMMENDATIONS], 1):
        cost = sum(f.estimated_monthly_cost_usd or 0.0 for f in members)
        saving = f", est. ${cost:,.2f}/month" if cost else ""
        lines.append(
            f"{number}. {clean(members[0].remediation)} "
            f"[{rule_id}: {len(members)} resource(s){saving}]"
        )
    return [*lines, ""]


def _shown(lst: _List) -> list[str]:
    lines = [line for item in lst.items[: lst.shown] for line in item.lines]
    if lst.total > lst.shown:
        lines.append(lst.more(lst.total - lst.shown))
    return lines


def _entry(f: Finding) -> list[str]:
    name = f"{clean(f.resource_name)} " if f.resource_name else ""
    cost = (
        f" est. ${f.estimated_monthly_cost_usd:,.2f}/month" if f.estimated_monthly_cost_usd else ""
    )
    lines = [
        f"   - #{f.rank} {name}{clean(f.resource_id)} | {f.account_id} {f.region} | "
        f"{f.status}{cost}"
    ]
    if f.evidence:
        pairs = ", ".join(f"{k}={_short(v)}" for k, v in sorted(f.evidence.items()))
        lines.append(f"     evidence: {pairs}")
    if f.explanation:
        lines.append(f"     why it matters ({f.explained_by}): {_short(f.explanation, 600)}")
    return lines


def _error(f: Finding) -> list[str]:
    return [f"  - {f.rule_id} on {clean(f.resource_id)}: {_short(f.error or 'unknown error')}"]


def _change(sign: str, f: Finding) -> str:
    name = f" ({clean(f.resource_name)})" if f.resource_name else ""
    return f"  {sign} [{f.severity.upper()}] {clean(f.title)}: {clean(f.resource_id)}{name}"


def _short(value: Any, limit: int = VALUE_MAX) -> str:
    """One value on one line; a very long one is elided visibly, never silently."""
    text = clean(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...(+{len(text) - limit} chars)"


def _total_resources(report: Report) -> int:
    return sum(sum(by_region.values()) for by_region in report.resource_counts().values())
