"""Every YAML file the engine reads is either used or refused with a located one-line error.

Property-based (hypothesis, budgets in ``tests/support/hypothesis_profiles.py``) over the four
YAML inputs: rule files (``engine.rules.load_rules``), params files (``engine.params``),
suppressions files (``engine.suppressions``) and the accounts file
(``collectors.accounts.targets_from_file``). The text comes from a YAML-ish grammar
(``tests/support/strategies.py``: non-mappings, deep nesting, duplicate keys, anchors, tags,
bad dates, huge values, control characters, bytes that are not UTF-8), and the shipped rules
are also mutated at random paths and, exhaustively, field by field.

The property: the loader returns its value, or raises its own error (a subclass of
``EngineError``) whose every message is one line, starts with the file (and its line, when
known) and, for rules and params, reads ``file[:line]: rule-id: field: message``. Any other
exception fails the test.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from collectors.accounts import targets_from_file
from engine.errors import ConfigError, EngineError, RuleErrors
from engine.params import load_params
from engine.rules import RuleSet, build_rule, discover, display_path, load_rules
from engine.suppressions import load_suppressions
from engine.yamlsource import load
from tests.support.hypothesis_profiles import budget, counted
from tests.support.strategies import (
    RULE_FIELDS,
    hostile_text,
    mutated,
    yaml_values,
    yamlish_bytes,
)

RULE_ID = r"[a-z0-9]+(?:[-_][a-z0-9]+)*"
SHIPPED = {path.stem: path for path in discover(None)}
SHIPPED_DOCS = {
    stem: yaml.safe_load(path.read_text(encoding="utf-8")) for stem, path in SHIPPED.items()
}
SHIPPED_RULES = load_rules(None)


def one_line(message: str) -> bool:
    """One line by every definition Python knows (``splitlines`` also splits on U+2028 etc.)."""
    return len(message.splitlines()) == 1 and message.strip() == message


def assert_located(message: str, path: Path, text_lines: int | None, subject: str) -> None:
    """``file[:line]: <subject>: <field>: <message>``, one line, a line number inside the file."""
    shown = re.escape(display_path(path))
    pattern = rf"{shown}(?::(?P<line>\d+))?: (?P<id>{subject}): (?P<field>\S[^\n]*?): \S.*"
    assert one_line(message), message
    match = re.fullmatch(pattern, message)
    assert match, message
    if match["line"] is not None and text_lines is not None:
        assert 1 <= int(match["line"]) <= text_lines + 1, message


def lines_in(content: bytes) -> int | None:
    try:
        return len(content.decode("utf-8").splitlines()) or 1
    except UnicodeDecodeError:
        return None


# --- rule files -----------------------------------------------------------------------------


def check_rule_file(path: Path, content: bytes) -> RuleSet | None:
    path.write_bytes(content)
    try:
        return load_rules([path])
    except RuleErrors as exc:
        assert exc.errors, "RuleErrors with no error in it"  # noqa: PT017 - success is fine too
        for error in exc.errors:
            assert_located(str(error), path, lines_in(content), RULE_ID)
        return None


@budget(2000)
@given(content=yamlish_bytes())
def test_any_rule_file_loads_or_fails_with_located_one_line_errors(
    tmp_path: Path, content: bytes
) -> None:
    counted("rule file (YAML-ish text)")
    check_rule_file(tmp_path / "rule-under-test.yaml", content)


@budget(300)
@given(data=st.data(), stem=st.sampled_from(sorted(SHIPPED)))
def test_shipped_rules_mutated_at_random_paths(
    tmp_path: Path, data: st.DataObject, stem: str
) -> None:
    counted("rule file (shipped rule mutated)")
    document, changes = data.draw(mutated(SHIPPED_DOCS[stem], values=yaml_values))
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    loaded = check_rule_file(tmp_path / f"{stem}.yaml", text.encode("utf-8"))
    if loaded is not None:  # whatever was changed, what loaded is a usable rule
        (rule,) = loaded.rules
        assert rule.id == stem and rule.condition is not None, changes


def _field_variants(value: Any) -> list[Any]:
    return [None, 0, -1, 1.5, math.nan, True, "", "x" * 10_000, "line\nbreak", [], [value], {}]


@pytest.mark.parametrize("stem", sorted(SHIPPED))
def test_shipped_rules_mutated_field_by_field(stem: str) -> None:
    """Every top-level field of every shipped rule: deleted, or replaced by each wrong value."""
    text = SHIPPED[stem].read_text(encoding="utf-8")
    located = load(text)
    shown = f"rules/{stem}.yaml"
    for field in RULE_FIELDS:
        variants: list[Any] = ["<deleted>", *_field_variants(located.data.get(field))]
        for variant in variants:
            counted("rule file (shipped rule, one field changed)")
            data = dict(located.data)
            if variant == "<deleted>":
                data.pop(field, None)
            else:
                data[field] = variant
            located.data = data
            try:
                build_rule(located, shown, stem)
            except RuleErrors as exc:
                for error in exc.errors:
                    message = str(error)
                    assert one_line(message), message
                    assert re.fullmatch(rf"{re.escape(shown)}(:\d+)?: {stem}: \S.*?: \S.*", message)
            except EngineError:
                raise
            except Exception as exc:  # the property: nothing else escapes
                pytest.fail(f"{stem}: {field} = {variant!r:.60}: {type(exc).__name__}: {exc}")
    located.data = load(text).data
    assert build_rule(located, shown, stem).id == stem  # the original still loads


# --- params files ---------------------------------------------------------------------------

PARAM_RULES = sorted(r.id for r in SHIPPED_RULES.rules if r.param_specs)


@st.composite
def params_documents(draw: st.DrawFn) -> Any:
    """``{rule-id: {param: value}}`` near misses: real ids and params with any value, or not."""
    out: dict[Any, Any] = {}
    for _ in range(draw(st.integers(0, 3))):
        rule_id = draw(st.sampled_from(PARAM_RULES) | hostile_text | st.integers())
        specs = SHIPPED_RULES.by_id()[rule_id].param_specs if rule_id in PARAM_RULES else {}
        names = st.sampled_from(sorted(specs)) if specs else hostile_text
        values = draw(st.dictionaries(names | hostile_text, yaml_values, max_size=3) | yaml_values)
        out[rule_id] = values
    return out


@budget(2000)
@given(
    content=yamlish_bytes()
    | params_documents().map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode("utf-8"))
)
def test_any_params_file_is_used_or_refused_with_located_errors(
    tmp_path: Path, content: bytes
) -> None:
    counted("params file")
    path = tmp_path / "params.yaml"
    path.write_bytes(content)
    try:
        overrides = load_params(path, SHIPPED_RULES)
    except RuleErrors as exc:
        for error in exc.errors:
            assert_located(str(error), path, lines_in(content), rf"-|{RULE_ID}|\S+")
        return
    by_id = SHIPPED_RULES.by_id()
    for rule_id, values in overrides.items():
        for name, value in values.items():
            spec = by_id[rule_id].param_specs[name]
            assert spec["type"] != "integer" or type(value) is int
            if isinstance(value, float):  # a NaN or infinite threshold compares false: no
                assert math.isfinite(value)  # finding could ever be raised against it


# --- suppressions and accounts files ---------------------------------------------------------


@st.composite
def suppressions_documents(draw: st.DrawFn) -> Any:
    entry = st.fixed_dictionaries(
        {},
        optional={
            "rule": st.sampled_from(["ec2-*", "s3-bucket-versioning-disabled"]) | yaml_values,
            "resource": st.just("arn:aws:s3:::scratch-*") | yaml_values,
            "tags": st.dictionaries(hostile_text, hostile_text | yaml_values, max_size=2),
            "reason": st.just("accepted for the batch run") | yaml_values,
            "expires": st.sampled_from(
                [
                    "2027-01-31",
                    "2026-02-30",
                    "2027-1-1",
                    "\u0662\u0660\u0662\u0667-\u0660\u0661-\u0663\u0661",
                ]
            )
            | yaml_values,
            "extra": yaml_values,
        },
    )
    return {"suppressions": draw(st.lists(entry, max_size=3) | yaml_values)}


def assert_config_error(message: str, path: Path) -> None:
    assert one_line(message), message
    assert re.fullmatch(rf"{re.escape(str(path))}(:\d+)?: \S.*", message), message
    assert ":None:" not in message, message


@budget(2000)
@given(
    content=yamlish_bytes()
    | suppressions_documents().map(lambda d: yaml.safe_dump(d, allow_unicode=True).encode())
)
def test_any_suppressions_file_is_used_or_refused_with_a_located_error(
    tmp_path: Path, content: bytes
) -> None:
    counted("suppressions file")
    path = tmp_path / "suppressions.yaml"
    path.write_bytes(content)
    try:
        entries = load_suppressions(path)
    except ConfigError as exc:
        assert_config_error(str(exc), path)
        return
    for entry in entries:
        assert entry.rule and entry.reason and (entry.resource or entry.tags)


@budget(1000)
@given(
    content=yamlish_bytes()
    | st.builds(
        lambda accounts: yaml.safe_dump({"accounts": accounts}, allow_unicode=True).encode(),
        st.lists(
            st.fixed_dictionaries(
                {"id": st.sampled_from(["111111111111", "12345"]) | yaml_values},
                optional={"regions": yaml_values, "role_arn": yaml_values, "x": yaml_values},
            )
            | yaml_values,
            max_size=3,
        ),
    )
)
def test_any_accounts_file_is_used_or_refused_with_a_located_error(
    tmp_path: Path, content: bytes
) -> None:
    counted("accounts file")
    path = tmp_path / "accounts.yaml"
    path.write_bytes(content)
    try:
        targets = targets_from_file(path, "arn:aws:iam::{account_id}:role/Reader")
    except ConfigError as exc:
        assert_config_error(str(exc), path)
        return
    for target in targets:
        assert target.account_id is not None and re.fullmatch(r"[0-9]{12}", target.account_id)
