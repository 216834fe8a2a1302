"""Validating the model's answer: whatever it says, every group comes back exactly once.

Property tests feed arbitrary JSON values and near-miss answers (invented ids, duplicates, bad
ranks, hostile text) to ``validate_answer``; unit tests pin the sanitiser and ``reorder``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.explain.schema import tool_input_schema
from engine.explain.validate import (
    AnswerLimits,
    reorder,
    same_findings,
    sanitize,
    validate_answer,
)
from tests.support.explain_data import same_set, synthetic_findings
from tests.support.fake_bedrock import answer

GROUPS = [f"G{i}" for i in range(1, 13)]
LIMITS = AnswerLimits()
FORBIDDEN = re.compile(r"[<>\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)
hostile_text = st.text() | st.sampled_from(
    [
        "<script>alert(1)</script>",
        "[click](https://evil.example/x)",
        "![img](http://evil.example/p.png)",
        "\u202eevil\u202c",
        "line\nbreak\x1b[31m",
        "&lt;b&gt;bold&lt;/b&gt;",
        "\uff1cscript\uff1e",
        "**bold** `code` # heading",
        "x" * 5_000,
    ]
)
entries = st.fixed_dictionaries(
    {
        "group_id": st.sampled_from(GROUPS) | st.sampled_from(["G99", "", "g1", "G1 "]) | st.none(),
        "rank": st.integers(-3, 30) | st.none() | st.text(max_size=3) | st.booleans(),
        "explanation": hostile_text | st.none() | st.integers(),
        "top_action": hostile_text | st.none(),
    }
)
answers = st.fixed_dictionaries(
    {"ranking": st.lists(entries | json_values, max_size=30)},
    optional={"summary": json_values | st.dictionaries(st.sampled_from(
        ["cost_opportunities", "eol_warnings", "compliance_issues", "recommendations"]),
        st.lists(hostile_text, max_size=6) | hostile_text)},
)  # fmt: skip


@settings(max_examples=300)
@given(json_values)
def test_any_json_value_gives_every_group_exactly_once(value: Any) -> None:
    result = validate_answer(value, GROUPS)
    assert sorted(result.order) == sorted(GROUPS)


@settings(max_examples=500)
@given(answers, st.booleans())
def test_any_answer_gives_every_group_once_and_clean_text(value: Any, as_string: bool) -> None:
    result = validate_answer(json.dumps(value) if as_string else value, GROUPS)
    assert sorted(result.order) == sorted(GROUPS)
    assert set(result.explanations) <= set(GROUPS)
    for text in result.explanations.values():
        assert not FORBIDDEN.search(text)
        assert len(text) <= LIMITS.explanation_chars + len(" Next step: ") + LIMITS.top_action_chars
    if result.summary is not None:
        assert len(result.summary) <= LIMITS.summary_chars
        assert not FORBIDDEN.search(result.summary.replace("\n", " "))
    if result.usable:  # the model's valid entries come first, by rank then position
        candidates = [
            e
            for e in value["ranking"]
            if isinstance(e, dict)
            and isinstance(e.get("group_id"), str)
            and e["group_id"] in GROUPS
        ]
        valid = [e["group_id"] for e in sorted(candidates, key=rank_key)]  # stable: position
        firsts = list(dict.fromkeys(valid))
        assert list(result.order[: len(firsts)]) == firsts
        missing = [g for g in GROUPS if g not in firsts]
        assert list(result.order[len(firsts) :]) == missing  # appended in deterministic order


def rank_key(entry: dict[str, Any]) -> float:
    """The documented order: a positive integer rank first, anything else after."""
    rank = entry.get("rank")
    usable = isinstance(rank, int) and not isinstance(rank, bool) and rank >= 1
    return float(rank) if usable and isinstance(rank, int) else math.inf


def test_a_good_answer_matches_the_published_schema_and_is_used_as_given() -> None:
    good = answer(list(reversed(GROUPS)))
    jsonschema.validate(good, tool_input_schema())
    result = validate_answer(good, GROUPS)
    assert result.usable
    assert result.problems == ()
    assert list(result.order) == list(reversed(GROUPS))
    assert result.explanations["G3"] == "Explained. (G3) Next step: Fix it."
    assert result.summary is not None
    assert result.summary.splitlines()[0] == "Top cost optimisation opportunities:"


def test_invented_duplicated_and_missing_ids_are_corrected_and_reported() -> None:
    ranking = [
        {"group_id": "G5", "rank": 1, "explanation": "first", "top_action": "a"},
        {"group_id": "G404", "rank": 2, "explanation": "invented", "top_action": "b"},
        {"group_id": "G5", "rank": 3, "explanation": "again", "top_action": "c"},
        {"group_id": "G2", "rank": 4, "explanation": "second", "top_action": "d"},
    ]
    result = validate_answer({"ranking": ranking, "summary": {}}, GROUPS)
    assert result.order[:2] == ("G5", "G2")
    assert list(result.order[2:]) == [g for g in GROUPS if g not in {"G5", "G2"}]
    assert result.explanations["G5"].startswith("first")
    assert "G404" not in result.order
    assert result.problems == (
        "1 unknown group ids discarded",
        "1 duplicate entries dropped",
        "10 groups missing from the answer appended in rule order",
        "no usable executive summary",
    )


def test_a_stringified_ranking_is_decoded_and_broken_json_is_unusable() -> None:
    good = answer(GROUPS)
    assert validate_answer({**good, "ranking": json.dumps(good["ranking"])}, GROUPS).usable
    broken = validate_answer('{"ranking": [{"group_id": "G1", "rank": 1', GROUPS)
    assert not broken.usable
    assert broken.problems[0].startswith("tool input is not valid JSON")
    assert broken.order == tuple(GROUPS)


def test_sanitize_removes_markup_links_and_controls_and_caps_length() -> None:
    assert sanitize("<b>Stop</b> <script>x()</script>now", 100) == "Stop x() now"
    assert sanitize("see [the docs](https://evil.example) and ![i](http://x/y.png)", 100) == (
        "see the docs and i"
    )
    assert sanitize("go to https://evil.example/login now", 100) == "go to [link removed] now"
    assert sanitize("a\u202eb\x1b[31mc\nd\u200be", 100) == "a b [31mc d e"
    assert sanitize("&lt;img src=x onerror=alert(1)&gt;ok", 100) == "ok"
    assert sanitize("**bold** `code`", 100) == "bold code"
    assert sanitize(42, 100) == ""
    long = sanitize("word " * 200, 50)
    assert len(long) <= 50
    assert long.endswith("...")


def test_reorder_moves_whole_groups_and_changes_nothing_but_rank_and_explanation() -> None:
    findings = synthetic_findings(300)
    ids = list(dict.fromkeys(f.rule_id for f in findings))
    groups = [f"G{i}" for i in range(1, len(ids) + 1)]
    result = validate_answer(answer(list(reversed(groups))), groups)
    moved = reorder(findings, result, "bedrock:m")
    assert same_set(moved, findings)
    assert same_findings(findings, moved)
    assert [f.rank for f in moved] == list(range(1, len(findings) + 1))
    assert list(dict.fromkeys(f.rule_id for f in moved)) == list(reversed(ids))
    last_rule = [f for f in findings if f.rule_id == ids[-1]]
    assert [f.finding_id for f in moved[: len(last_rule)]] == [f.finding_id for f in last_rule]
    assert {f.explained_by for f in moved} == {"bedrock:m"}


def test_same_findings_catches_any_other_change() -> None:
    findings = synthetic_findings(20)
    for change in ({"severity": "info"}, {"status": "resolved"}, {"evidence": {"x": 1}}):
        altered = [replace(findings[0], **change), *findings[1:]]
        assert not same_findings(findings, altered)
    assert not same_findings(findings, findings[:-1])
