"""Checking the model's answer, and applying it without letting it change a finding.

Where it sits: the explain stage, between the Converse call (``bedrock.py``) and the report.
``validate_answer`` is total: whatever the tool input holds, it returns an order holding every
group id exactly once (invented ids discarded, duplicates dropped, missing ones appended in the
deterministic order) and plain-text explanations cut to length, with HTML tags, Markdown links
and images, bare URLs, control, zero-width and bidi characters removed, so neither the email nor
the HTML report can misrender them. ``reorder`` then moves whole groups; each finding keeps its
own severity, evidence, status and everything else, and only ``rank``, ``explanation`` and
``explained_by`` change. ``same_findings`` checks exactly that.
"""

from __future__ import annotations

import html
import json
import math
import operator
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from engine.explain.prompt import group_findings
from engine.explain.schema import SUMMARY_SECTIONS
from engine.model import Finding

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^<>]*>")
_URL = re.compile(r"(?i)\b(?:(?:https?|ftp|file|javascript|data|vbscript|mailto):|www\.)\S*")
_MD_MARKS = re.compile(r"(?m)`+|\*{2,}|_{2,}|~{2,}|^\s*(?:#{1,6}|>)\s*")
_FIELDS = tuple(f.name for f in fields(Finding))
_ALL = operator.attrgetter(*_FIELDS)
_RANK, _EXPLANATION, _EXPLAINED_BY = (
    _FIELDS.index(n) for n in ("rank", "explanation", "explained_by")
)
#: every field the model must never influence (all but rank, explanation, explained_by)
_KEPT = operator.attrgetter(
    *(n for n in _FIELDS if n not in {"rank", "explanation", "explained_by"})
)
# C0 and C1 controls, zero-width characters, bidi embeddings/overrides/isolates, BOM
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)


@dataclass(frozen=True)
class AnswerLimits:
    """Hard caps applied to the model's text (the prompt asks for less)."""

    explanation_chars: int = 400
    top_action_chars: int = 200
    summary_item_chars: int = 300
    summary_chars: int = 2000


@dataclass(frozen=True)
class ValidatedAnswer:
    """``order`` holds every group id once; ``usable`` is False when nothing could be used."""

    order: tuple[str, ...]
    explanations: dict[str, str]
    summary: str | None
    usable: bool
    problems: tuple[str, ...]


def sanitize(text: Any, max_chars: int) -> str:
    """One line of plain text, at most ``max_chars`` long; non-strings give ``""``."""
    if not isinstance(text, str):
        return ""
    value = unicodedata.normalize("NFKC", html.unescape(text))  # fullwidth < becomes <, etc.
    value = _MD_IMAGE.sub(r"\1", value)
    value = _MD_LINK.sub(r"\1", value)
    value = _TAG.sub(" ", value).replace("<", " ").replace(">", " ")
    value = _URL.sub("[link removed]", value)
    value = _MD_MARKS.sub("", value)
    value = " ".join(_CONTROL.sub(" ", value).split())
    if len(value) <= max_chars:
        return value
    cut = value[: max(0, max_chars - 3)]
    if " " in cut[len(cut) // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "..."


def decode_tool_input(raw: Any) -> tuple[Any, str | None]:
    """The tool input as a value; a string is decoded as JSON (models sometimes send that)."""
    if not isinstance(raw, str):
        return raw, None
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as exc:
        return None, f"tool input is not valid JSON ({exc.msg} at char {exc.pos})"


def validate_answer(
    answer: Any, group_ids: Sequence[str], limits: AnswerLimits | None = None
) -> ValidatedAnswer:
    """Every group id once, in the model's order where it gave a usable one."""
    limits = limits or AnswerLimits()
    answer, error = decode_tool_input(answer)
    if error:
        return _unusable(group_ids, error)
    if not isinstance(answer, dict):
        return _unusable(group_ids, f"tool input is a JSON {type(answer).__name__}, not an object")
    ranking, error = decode_tool_input(answer.get("ranking"))
    if error or not isinstance(ranking, list):
        return _unusable(group_ids, "tool input has no 'ranking' list")
    known = set(group_ids)
    entries: list[tuple[float, int, str, dict[str, Any]]] = []
    unknown = malformed = 0
    for position, item in enumerate(ranking):
        group_id = item.get("group_id") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(group_id, str):
            malformed += 1
        elif group_id not in known:
            unknown += 1
        else:
            rank = item.get("rank")
            usable_rank = isinstance(rank, int) and not isinstance(rank, bool) and rank >= 1
            key = float(rank) if usable_rank and isinstance(rank, int) else math.inf
            entries.append((key, position, group_id, item))
    entries.sort(key=lambda e: (e[0], e[1]))
    order: list[str] = []
    seen: set[str] = set()
    explanations: dict[str, str] = {}
    for _, _, group_id, item in entries:
        if group_id in seen:
            continue
        seen.add(group_id)
        order.append(group_id)
        text = _explanation(item, limits)
        if text:
            explanations[group_id] = text
    duplicates = len(entries) - len(order)
    if not order:
        return _unusable(group_ids, "the answer ranked none of the groups")
    missing = [g for g in dict.fromkeys(group_ids) if g not in seen]
    summary = _summary(answer.get("summary"), limits)
    problems = [
        f"{count} {what}"
        for count, what in (
            (unknown, "unknown group ids discarded"),
            (duplicates, "duplicate entries dropped"),
            (malformed, "malformed entries ignored"),
            (len(missing), "groups missing from the answer appended in rule order"),
        )
        if count
    ]
    if summary is None:
        problems.append("no usable executive summary")
    return ValidatedAnswer(tuple(order + missing), explanations, summary, True, tuple(problems))


def reorder(findings: Sequence[Finding], answer: ValidatedAnswer, label: str) -> list[Finding]:
    """Findings moved group by group in ``answer.order`` (deterministic order inside a group),
    ranks renumbered from 1, explanations attached; nothing else of a finding changes."""
    _, members = group_findings(findings)
    out: list[Finding] = []
    for group_id in answer.order:
        text = answer.explanations.get(group_id)
        for f in members.get(group_id, []):
            values = list(_ALL(f))  # dataclasses.replace is ~3x slower: 100,000 findings matter
            values[_RANK] = len(out) + 1
            if text:
                values[_EXPLANATION], values[_EXPLAINED_BY] = text, label
            out.append(Finding(*values))
    return out


def same_findings(before: Sequence[Finding], after: Sequence[Finding]) -> bool:
    """True when ``after`` holds the same findings, differing only in rank and explanation."""
    if len(before) != len(after):
        return False
    old = sorted(before, key=lambda f: f.finding_id)
    new = sorted(after, key=lambda f: f.finding_id)
    return all(_KEPT(a) == _KEPT(b) for a, b in zip(old, new, strict=True))


def _unusable(group_ids: Sequence[str], problem: str) -> ValidatedAnswer:
    return ValidatedAnswer(tuple(dict.fromkeys(group_ids)), {}, None, False, (problem,))


def _explanation(item: dict[str, Any], limits: AnswerLimits) -> str:
    why = sanitize(item.get("explanation"), limits.explanation_chars)
    action = sanitize(item.get("top_action"), limits.top_action_chars)
    if why and action:
        return f"{why} Next step: {action}"
    return why or (f"Next step: {action}" if action else "")


def _summary(value: Any, limits: AnswerLimits) -> str | None:
    """The summary sections as plain-text lines, or None when nothing usable was given."""
    value, _ = decode_tool_input(value)
    if not isinstance(value, dict):
        return None
    lines: list[str] = []
    for key, title, most in SUMMARY_SECTIONS:
        items = value.get(key)
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list):
            continue
        texts = [t for t in (sanitize(i, limits.summary_item_chars) for i in items[:most]) if t]
        if texts:
            lines += [f"{title}:", *(f"- {t}" for t in texts)]
    while lines and len("\n".join(lines)) > limits.summary_chars:
        lines.pop()
    if lines and lines[-1].endswith(":"):
        lines.pop()
    return "\n".join(lines) or None
