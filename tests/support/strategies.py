"""Hypothesis strategies for every input the engine reads, for the bad-input property tests.

- text: ``hostile_text`` (unicode, control and bidi characters, line separators, huge), and
  ``text_with_surrogates`` (lone surrogates, which JSON escapes and boto3's JSON parser can
  produce but UTF-8 cannot carry);
- values: ``json_values`` (any JSON value, huge numbers, NaN and infinities included),
  ``yaml_values`` (plus YAML's own dates and timestamps), ``api_values`` (plus the ``datetime``
  values boto3 returns for timestamps), ``replacement_for`` (a value of the wrong type, an
  unexpected enum value, a bad date, ...);
- documents: ``yamlish_text`` (text from a YAML-ish grammar: non-mappings, deep nesting,
  duplicate keys, anchors and aliases, tags, bad dates, huge values, multiple documents,
  control characters), ``mutated`` (a copy of a document with a few values deleted, nulled or
  replaced at random paths);
- ``lambda_env`` (environment settings for the Lambda handlers: the hook for the handlers'
  property tests, see ``tests/test_properties_inputs.py``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import yaml
from hypothesis import strategies as st

Path = tuple[str | int, ...]

# Characters that break one-line messages, terminals and parsers: line breaks of every kind,
# NUL and other C0/C1 controls, bidi overrides, zero-width and BOM characters.
NASTY_CHARACTERS = (
    "\n\r\t\x00\x07\x0b\x0c\x1b\x7f\x85\xa0\u2028\u2029\u200b\u200e\u200f\u202a\u202e\u2066"
    "\u2069\ufeff\ufffd\uffff"
)
NASTY_STRINGS = (
    "",
    " ",
    "line one\nline two",
    "carriage\rreturn",
    "\u202eevil\u202c",
    "NUL\x00byte",
    "\x1b[31mred\x1b[0m",
    "tab\tseparated",
    "\uff21\uff23\uff34\uff29\uff36\uff25",  # full-width letters
    "\u0661\u0666.\u0664",  # Arabic-Indic digits
    "\U0001d7cf\U0001d7d4.\U0001d7d2",  # mathematical bold digits
    "e\u0301",  # combining accent
    "💥" * 3,
    "{placeholder}",
    "%s%n",
    "'; DROP TABLE findings; --",
    "<script>alert(1)</script>",
    "a: b",
    "- item",
    "!!python/object:os.system",
    "*alias",
    "&anchor",
    "x" * 5_000,
)

hostile_text: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.text(st.sampled_from(NASTY_CHARACTERS + "az09:-_. "), max_size=20),
)

text_with_surrogates: st.SearchStrategy[str] = st.one_of(
    hostile_text,
    st.builds(
        lambda a, s, b: a + s + b,
        st.text(max_size=5),
        st.sampled_from(["\ud800", "\udfff", "\udc80"]),
        st.text(max_size=5),
    ),
)

big_integers = st.sampled_from([2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**64), 10**40, 10**400])
odd_floats = st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e-320, 1.7976931348623157e308])

json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    big_integers,
    st.floats(allow_nan=False, allow_infinity=False),
    odd_floats,
    hostile_text,
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4)


json_values: st.SearchStrategy[Any] = st.recursive(json_scalars, _containers, max_leaves=12)

# Dates and timestamps as YAML and boto3 produce them, the awkward ones included: day one,
# the last representable day, offsets that push a time past either end, naive and aware.
_EXTREME_DATES = [date(1, 1, 1), date(9999, 12, 31), date(1970, 1, 1), date(2024, 2, 29)]
_EXTREME_TIMES = [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1, 1, 1),
    datetime(9999, 12, 31, 23, 59, 59),
    datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 12, 0, tzinfo=timezone(timedelta(hours=23, minutes=59))),
]
date_values: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(_EXTREME_DATES + _EXTREME_TIMES),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
)
BAD_TIMESTAMPS = (
    "2026-02-30T00:00:00Z",
    "2026-13-01",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2026-11-25T25:61:61Z",
    "2026-11-25T00:00:00+24:00",
    "yesterday",
    "2026-11-25\n",
    "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0662\u0665",
    "",
)

yaml_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars | date_values, _containers, max_leaves=12
)
api_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars | date_values | st.sampled_from(BAD_TIMESTAMPS), _containers, max_leaves=8
)


_BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "bool": st.booleans(),
    "number": st.integers(-(10**6), 10**6) | st.floats() | big_integers,
    "string": hostile_text,
    "list": st.lists(json_scalars, max_size=3),
    "dict": st.dictionaries(hostile_text, json_scalars, max_size=3),
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def unexpected_enum(value: str) -> st.SearchStrategy[str]:
    """Values an API might send for an enum field tomorrow, or a near miss of today's value."""
    return st.sampled_from(
        [
            value.lower(),
            value.upper(),
            value.swapcase(),
            f" {value}",
            f"{value}\n",
            value[:-1],
            f"{value}-new",
            "UNKNOWN_TO_THIS_ENGINE",
            "\uff21\uff23\uff34\uff29\uff36\uff25",
            "",
        ]
    )


def replacement_for(
    current: Any, extra: st.SearchStrategy[Any] = json_scalars
) -> st.SearchStrategy[Any]:
    """Something to put where ``current`` was: another type, a near-miss enum, a huge or
    hostile value, a bad date; ``extra`` adds the values the input format itself allows."""
    kinds = [kind for kind in _BY_KIND if kind != _kind(current)]
    other_type = st.sampled_from(kinds).flatmap(lambda kind: _BY_KIND[kind])
    options = [
        other_type,
        extra,
        hostile_text,
        st.sampled_from(BAD_TIMESTAMPS),
        st.just("x" * 100_000),
        st.just(_nested(300)),
        st.just([current] * 50),
    ]
    if isinstance(current, str) and current:
        options.append(unexpected_enum(current))
    if isinstance(current, (int, float)) and not isinstance(current, bool):
        options.append(st.sampled_from([-1, 0, -current, current * 10**6] if current else [-1]))
        options.append(odd_floats | big_integers)
    return st.one_of(*options)


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def paths_of(document: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside ``document`` (dict keys and list indexes), root excluded."""
    out: list[Path] = []
    if isinstance(document, dict):
        items: Sequence[tuple[str | int, Any]] = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        return out
    for key, value in items:
        path = (*prefix, key)
        out.append(path)
        out.extend(paths_of(value, path))
    return out


def get_path(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


@dataclass(frozen=True)
class Mutation:
    """One change made to a document, for the failure report and for assertions."""

    path: Path
    kind: str  # "delete" | "null" | "replace" | "add"
    value: Any = None

    def __repr__(self) -> str:
        shown = repr(self.value)
        return f"{self.kind} {self.path!r}" + (
            f" = {shown[:80]}" if self.kind in ("replace", "add") else ""
        )


@st.composite
def mutated(
    draw: st.DrawFn,
    document: Any,
    *,
    within: Path = (),
    values: st.SearchStrategy[Any] = json_scalars,
    keys: st.SearchStrategy[str] = hostile_text,
    max_changes: int = 3,
    allowed: Callable[[Path], bool] = lambda _: True,
) -> tuple[Any, list[Mutation]]:
    """A deep copy of ``document`` with 1..``max_changes`` changes under the path ``within``:
    a value deleted, nulled, replaced (``replacement_for``), or an unexpected key added."""
    doc = copy.deepcopy(document)
    changes: list[Mutation] = []
    for _ in range(draw(st.integers(1, max_changes))):
        root = get_path(doc, within)
        candidates = [(*within, *p) for p in paths_of(root) if allowed((*within, *p))]
        kind = draw(st.sampled_from(["delete", "null", "replace", "replace", "add"]))
        if kind == "add" or not candidates:
            containers = [within] + [p for p in candidates if isinstance(get_path(doc, p), dict)]
            where = draw(st.sampled_from(containers))
            target = get_path(doc, where)
            if not isinstance(target, dict):
                continue
            key = draw(keys)
            value = draw(values)
            target[key] = value
            changes.append(Mutation((*where, key), "add", value))
            continue
        path = draw(st.sampled_from(candidates))
        parent = get_path(doc, path[:-1])
        if kind == "delete":
            del parent[path[-1]]
            changes.append(Mutation(path, "delete"))
        elif kind == "null":
            parent[path[-1]] = None
            changes.append(Mutation(path, "null"))
        else:
            value = draw(replacement_for(parent[path[-1]], values))
            parent[path[-1]] = value
            changes.append(Mutation(path, "replace", value))
    return doc, changes


# --- YAML-ish text --------------------------------------------------------------------------

RULE_FIELDS = (
    "id",
    "title",
    "description",
    "resource",
    "severity",
    "category",
    "where",
    "condition",
    "evidence",
    "estimated_monthly_cost_usd",
    "remediation",
    "references",
    "last_verified",
    "params",
    "tests",
)
YAML_SCALARS = (
    "~",
    "null",
    "true",
    "no",
    "0x1F",
    "0o17",
    "1e400",
    "-1e400",
    ".nan",
    "-.inf",
    "123456789012345678901234567890",
    "2026-02-30",
    "2026-11-25",
    "2026-11-25T00:00:00Z",
    "2026-01-01T00:00:00+99:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "!!binary AAAA",
    "!!binary '***'",
    "!!python/object:os.system x",
    "!!python/name:os.system",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!timestamp nope",
    "!!int nope",
    "!!float x",
    "!!str",
    "!custom tag",
    "&a anchored",
    "*a",
    "*undefined",
    "'single ''quoted'''",
    '"escape \\x00 \\u202e \\N \\L"',
    '"\\ud800"',
    "|\n  literal\n  block",
    ">-\n  folded\n  block",
    "`backtick`",
    "@reserved",
    "%directive",
    "? complex",
    "a: b: c",
    "[unclosed",
    "{unclosed: map",
    "- - nested",
    "\t",
    "state == 'stopped'",
    "days_since(attributes.stopped_at) > params.max_stopped_days",
    "frobnicate(x)",
    "length(`1`, `2`)",
    "attributes.no_such_attribute",
    "params.undeclared",
    "aws.ec2.instance",
    "aws.no.such_type",
    "high",
    "critical",
    "cost",
    "{max_stopped_days}",
    "{unknown_placeholder}",
    "{",
)
_scalar_text = st.one_of(
    st.sampled_from(YAML_SCALARS),
    hostile_text.map(lambda s: s.replace("\n", " ")),
    st.builds(lambda s: yaml.safe_dump(s, allow_unicode=True).strip(), hostile_text),
)
_key_text = st.one_of(
    st.sampled_from(RULE_FIELDS),
    st.sampled_from(["<<", "? [a, b]", "1", "null", "true", "'quoted key'", "&k key", "*k"]),
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8),
)


@st.composite
def _block(draw: st.DrawFn, depth: int, indent: int) -> str:
    """A block mapping or sequence at ``indent``, nested up to ``depth`` levels."""
    pad = " " * indent
    lines: list[str] = []
    as_list = draw(st.booleans()) and depth < 4
    for _ in range(draw(st.integers(1, 4))):
        head = f"{pad}- " if as_list else f"{pad}{draw(_key_text)}:"
        if depth > 0 and draw(st.integers(0, 2)) == 0:
            lines.append(head.rstrip())
            lines.append(draw(_block(depth - 1, indent + 2)))
        elif draw(st.integers(0, 4)) == 0:
            lines.append(f"{head} {draw(_flow(depth))}")
        else:
            lines.append(f"{head} {draw(_scalar_text)}")
    return "\n".join(lines)


@st.composite
def _flow(draw: st.DrawFn, depth: int) -> str:
    items = [
        draw(_scalar_text.filter(lambda s: "\n" not in s)) for _ in range(draw(st.integers(0, 3)))
    ]
    if depth > 0 and draw(st.booleans()):
        items.append(draw(_flow(depth - 1)))
    if draw(st.booleans()):
        return "[" + ", ".join(items) + "]"
    keys = [draw(_key_text) for _ in items]
    return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items, strict=True)) + "}"


def _deep(depth: int, flow: bool) -> str:
    if flow:
        return "id: x\ncondition: " + "[" * depth + "]" * depth + "\n"
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth)) + "  " * depth + "v\n"


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


_special_documents = st.one_of(
    # past MAX_DEPTH (100), and past the point where PyYAML's recursive composer overflows
    # the stack (about 330 levels); PyYAML's scanner is quadratic in flow depth, hence no more
    st.sampled_from([20, 101, 150, 400, 1100]).map(lambda depth: _deep(depth, flow=True)),
    st.sampled_from([20, 101, 150, 400]).map(lambda depth: _deep(depth, flow=False)),
    st.integers(2, 9).map(_laughs),
    st.just("a: &a [*a]\n"),
    st.just("a: &a {b: *a}\n"),
    st.just("id: x\nid: y\n"),
    st.just("id: x\ntitle: first\ntitle: second\n"),
    st.just("base: &b {id: x}\n<<: *b\n"),
    st.just("--- a\n--- b\n"),
    st.just("%YAML 1.1\n---\nid: x\n"),
    st.just("\ufeffid: with-bom\n"),
    st.just("id: x\r\ntitle: crlf line ends\r\n"),
    st.just("id: x\n\ttitle: tab indent\n"),
    st.just("title: " + "x" * 200_000 + "\n"),
    st.just("tests:\n  pass:\n" + "    - {state: running}\n" * 2_000),
    st.just("now: 2026-02-30T00:00:00Z\n"),
    st.just(""),
    st.just("   \n\n"),
    st.just("# only a comment\n"),
    st.just("null\n"),
    st.just("[]\n"),
    st.just("- 1\n- 2\n"),
    st.just("just a string\n"),
    st.just("42\n"),
)


def yamlish_text() -> st.SearchStrategy[str]:
    """Text from a YAML-ish grammar, valid YAML or not, plus hand-picked hostile documents."""
    return st.one_of(
        st.integers(0, 4).flatmap(lambda depth: _block(depth, 0)),
        st.integers(0, 3).flatmap(_flow),
        _special_documents,
        st.builds(
            lambda value: yaml.safe_dump(value, allow_unicode=True, sort_keys=False),
            yaml_values,
        ),
        hostile_text,
    )


def yamlish_bytes() -> st.SearchStrategy[bytes]:
    """File contents: YAML-ish text as UTF-8, UTF-16, or bytes that are not UTF-8 at all."""
    return st.one_of(
        yamlish_text().map(lambda t: t.encode("utf-8")),
        yamlish_text().map(lambda t: t.encode("utf-16")),
        st.binary(max_size=64),
        st.just(b"id: x\ntitle: \xff\xfe broken\n"),
    )


# --- Lambda environment settings (hook) -----------------------------------------------------

#: the variables ``engine.scheduled.Settings.from_env`` reads (terraform lambda.tf sets them)
LAMBDA_SETTINGS = (
    "INVENTORY_TABLE_NAME",
    "INVENTORY_RETENTION_DAYS",
    "INVENTORY_TOPIC_ARN",
    "INVENTORY_NOTIFY_WHEN",
    "INVENTORY_BEDROCK_MODEL_ID",
    "INVENTORY_BEDROCK_REGION",
    "INVENTORY_INCLUDE_RESOURCE_NAMES",
    "INVENTORY_REPORT_BUCKET",
    "INVENTORY_REPORT_PREFIX",
)


def lambda_env(names: Sequence[str] = LAMBDA_SETTINGS) -> st.SearchStrategy[dict[str, str]]:
    """Environment dicts for a Lambda handler: each setting absent, empty, plausible or hostile.

    Environment values are always strings; the hostile ones are what a console edit or a
    Terraform typo produces (whitespace, wrong case, non-ASCII digits, JSON, huge). The property
    for the handlers' settings: ``Settings.from_env(env)`` returns settings or raises
    ``ConfigError`` with one line naming the variable.
    """
    plausible = st.sampled_from(
        [
            "aws-inventory",
            "arn:aws:sns:us-east-1:123456789012:alerts",
            "us-east-1",
            "anthropic.claude-sonnet-4-6",
            "reports/",
            "true",
            "false",
            "on_findings",
            "90",
        ]
    )
    hostile = st.one_of(
        hostile_text.map(lambda s: s.replace("\x00", "")),  # the OS refuses NUL in env values
        st.sampled_from(
            ["-1", "0", "3651", "1e9", "NaN", "²", "١٢", " 90 ", "TRUE", '["us-east-1"]', ""]
        ),
    )
    return st.dictionaries(st.sampled_from(list(names)), plausible | hostile, max_size=len(names))
