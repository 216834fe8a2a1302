"""Compiled JMESPath agrees with the library on hypothesis-generated expressions and documents.

Expressions come from a grammar (fields, quoted identifiers, sub-expressions, indexes, slices
with negative and zero steps, list/value/filter projections, flatten, comparators, ``&&``
``||`` ``!``, multi-select lists and hashes, pipes, literals, calls to every built-in with
plausible and wrong arguments, and our ``days_since`` / ``days_until`` / ``now``); documents
mix null, booleans, ints and floats around 0 and 1, strings that look like dates, and nested
lists and objects over the same keys. For each pair, ``jmespath.compile(e).search(doc,
options)`` and the compiled program must return the same value with the same types, or both
raise the same exception class. 3,000 examples by default (well under a minute);
``HYPOTHESIS_PROFILE=long`` runs 50,000.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from typing import Any

import jmespath
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from jmespath import exceptions
from jmespath.functions import Functions, signature

from engine.functions import FunctionContext, make_functions
from engine.jmes_codegen import INLINE, MAX_LOOPS, KernelRule, UnsupportedNode, generate_kernel
from engine.jmes_compile import backend_summary, compile_kernel, compile_program, compile_source

EXAMPLES = 50_000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 3_000
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OURS = make_functions(FunctionContext(NOW))
KEYS = ("a", "b", "c", "foo", "state", "stopped_at", "n", "with space", "null", "1")
DATES = ("2026-01-01T00:00:00Z", "2026-05-31", "2027-02-28T23:59:59+02:00", "yesterday", "")


class Delegating(Functions):
    """Our functions behind an overridden ``call_function``: the compiled code's slow path."""

    def call_function(self, function_name: str, resolved_args: list[Any]) -> Any:
        return super().call_function(function_name, resolved_args)


DELEGATING = Delegating()
DELEGATING.FUNCTION_TABLE = OURS.FUNCTION_TABLE

# --- documents -------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, -0.0, 1.0, 0.5, -2.5, 1e300]),
    st.sampled_from(["", "stopped", "a", "abc", "x,y", *DATES]),
    st.text(max_size=3),
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=12,
)

# --- expressions -----------------------------------------------------------------------------

IDENTIFIERS = st.sampled_from(["a", "b", "c", "foo", "state", "stopped_at", "n", "null"]) | (
    st.sampled_from(['"with space"', '"1"', '"null"', '"a"'])
)
LITERALS = st.sampled_from(
    [
        "`null`", "`true`", "`false`", "`0`", "`1`", "`-1`", "`2`", "`0.0`", "`1.0`",
        "`1.5`", '`"x"`', '`""`', "`[]`", "`{}`", "`[1, 2]`", "`[true, 0]`",
        '`{"a": 1}`', "'stopped'", "''", "'2026-01-01T00:00:00Z'", "'a'",
    ]
)  # fmt: skip
LEAVES = IDENTIFIERS | LITERALS | st.just("@")
COMPARATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
#: argument kinds per function: "x" an expression, "&" an expression reference
FUNCTIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ["abs", "avg", "ceil", "floor", "length", "reverse", "sort", "sum", "max", "min"], ("x",)
    ),
    **dict.fromkeys(["keys", "values", "type", "to_string", "to_number", "to_array"], ("x",)),
    **dict.fromkeys(["contains", "starts_with", "ends_with", "join", "merge"], ("x", "x")),
    "not_null": ("x", "x", "x"),
    "map": ("&", "x"),
    **dict.fromkeys(["sort_by", "min_by", "max_by"], ("x", "&")),
    "days_since": ("x",),
    "days_until": ("x",),
    "now": (),
}


def _wrap(expression: str, parens: bool) -> str:
    return f"({expression})" if parens else expression


def _call(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    # ours three times as likely as each built-in: they are what the rules call
    name = draw(st.sampled_from(sorted(FUNCTIONS) + ["days_since", "days_until", "now"] * 2))
    kinds = list(FUNCTIONS[name])
    arity = draw(st.sampled_from(["right", "right", "right", "right", "fewer", "more"]))
    if arity == "fewer" and kinds:
        kinds.pop()
    elif arity == "more":
        kinds.append("x")
    args = [("&" + draw(inner)) if kind == "&" else draw(inner) for kind in kinds]
    return f"{name}({', '.join(args)})"


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def compound(draw: st.DrawFn) -> str:
        left = _wrap(draw(inner), draw(st.booleans()))
        form = draw(st.integers(0, 19))
        if form == 0:
            return f"{left}.{draw(IDENTIFIERS)}"
        if form == 1:
            return f"{left}[{draw(st.integers(-3, 3))}]"
        if form == 2:
            parts = [draw(st.none() | st.integers(-4, 4)) for _ in range(3)]
            return f"{left}[{':'.join('' if p is None else str(p) for p in parts)}]"
        if form == 3:
            return f"{left}[*].{draw(IDENTIFIERS)}" if draw(st.booleans()) else f"{left}[*]"
        if form == 4:
            return f"{left}[]" if draw(st.booleans()) else f"{left}[].{draw(IDENTIFIERS)}"
        if form == 5:
            return f"{left}.*" if draw(st.booleans()) else f"{left}.*.{draw(IDENTIFIERS)}"
        if form == 6:
            return f"{left}[?{draw(inner)}]" + draw(st.sampled_from(["", ".a", "[0]", "[]"]))
        if form == 7:
            right = draw(LITERALS) if draw(st.booleans()) else _wrap(draw(inner), True)
            return f"{left} {draw(COMPARATORS)} {right}"
        if form == 8:
            return f"{left} && {_wrap(draw(inner), draw(st.booleans()))}"
        if form == 9:
            return f"{left} || {_wrap(draw(inner), draw(st.booleans()))}"
        if form == 10:
            return f"!{_wrap(draw(inner), True)}"
        if form == 11:
            items = draw(st.lists(inner, min_size=1, max_size=3))
            return f"[{', '.join(items)}]"
        if form == 12:
            keys = draw(st.lists(IDENTIFIERS, min_size=1, max_size=3))
            return "{" + ", ".join(f"{k}: {draw(inner)}" for k in keys) + "}"
        if form == 13:
            return f"{left} | {draw(inner)}"
        if form == 14:
            return f"{left}.[{draw(inner)}, {draw(IDENTIFIERS)}]"
        if form == 15:
            return f"{left}.{{k: {draw(inner)}}}"
        return _call(draw, inner)  # forms 16 to 19: function calls, the richest checks

    return compound()


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=10)

# --- comparison ------------------------------------------------------------------------------


def strictly_equal(a: Any, b: Any) -> bool:
    """Same value, same JSON types, same key order; ``&expr`` objects by their expression."""
    if type(a).__name__ == "_Expression" and type(b).__name__ == "_Expression":
        return bool(a.expression == b.expression)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b) and a == b
    return bool(a == b)


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "value", run()
    except Exception as exc:  # compared by class below; a non-JMESPath error counts too
        return "error", exc


def assert_agree(
    expression: str, doc: Any, functions: Any, pure: frozenset[str] = frozenset()
) -> str:
    """Both agree; returns what the library did ("null", "value" or the error's class)."""
    try:
        parsed = jmespath.compile(expression)
    except exceptions.ParseError:
        assume(False)  # not an expression: nothing to compare
        return "unparsed"
    program = compile_program(parsed.parsed, pure)
    assert program.backend == "python", program.reason
    options = jmespath.Options(custom_functions=functions)
    kind, theirs = outcome(lambda: parsed.search(doc, options))
    for run in (lambda: program.search(doc, functions), lambda: program.bind(functions)(doc)):
        our_kind, ours = outcome(run)
        assert our_kind == kind, (expression, doc, ours, theirs)
        if kind == "error":
            assert type(ours) is type(theirs), (expression, doc, ours, theirs)
            if " object at 0x" not in str(theirs):  # an address differs between two objects
                assert str(ours) == str(theirs), (expression, doc)
        else:
            assert strictly_equal(ours, theirs), (expression, doc, ours, theirs)
    if kind == "error":
        return type(theirs).__name__
    return "null" if theirs is None else "value"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    expression=EXPRESSIONS,
    docs=st.lists(st.dictionaries(st.sampled_from(KEYS), DOCS, max_size=6) | DOCS, max_size=3),
    delegating=st.booleans(),
    pure=st.booleans(),
)
def test_compiled_agrees_with_library(
    expression: str, docs: list[Any], delegating: bool, pure: bool
) -> None:
    functions = DELEGATING if delegating else OURS
    names = frozenset(OURS.FUNCTION_TABLE) if pure else frozenset()
    for doc in docs:
        event(f"library: {assert_agree(expression, doc, functions, names)}")


# --- the edges, named ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "doc"),
    [
        ("a == `1`", {"a": True}),  # JMESPath: true is not 1
        ("a == `0`", {"a": False}),
        ("a != `1.0`", {"a": True}),
        ("[a] == `[1]`", {"a": True}),  # the library compares nested values with Python's ==
        ("!a", {"a": 0}),  # !0 is false
        ("!a", {"a": 0.0}),
        ("a < b", {"a": "a", "b": "b"}),
        ("a < b", {"a": True, "b": 2}),
        ("a < b", {"a": "a", "b": 1}),  # TypeError from Python, as in the library
        ("a[::0]", {"a": [1]}),  # ValueError: slice step cannot be zero
        ("a[::-2]", {"a": [1, 2, 3, 4, 5]}),
        ("a[-1]", {"a": []}),
        ("a.b", {"a": "text"}),
        ("*.b", {"x": {"b": 1}, "y": [1], "z": {"b": None}}),
        ("{a: a}", None),
        ("[a]", None),
        ("missing()", {}),  # unknown function: raised when reached...
        ("`true` || missing()", {}),  # ...and not when it is not
        ("length(a, b)", {}),
        ("not_null()", {}),
        ("merge(a, `1`)", {"a": {}}),  # only the typed arguments are checked
        ("sort_by(a, &b)", {"a": [{"b": 2}, {"b": "x"}]}),
        ("map(&a, @)", [{"a": 1}, 2]),
        ("days_since(a)", {"a": "2026-05-31T12:00:00Z"}),
        ("days_since(a)", {"a": "not a date"}),
        ("days_until(a)", {"a": 5}),
        ("&a", {}),
    ],
)
def test_named_edges_agree(expression: str, doc: Any) -> None:
    assert_agree(expression, doc, OURS)


class Counting(Functions):
    """``tick(x)``: x, counting its calls, through the library's own ``call_function``."""

    def __init__(self) -> None:
        self.ticks = 0

    @signature({"types": []})
    def _func_tick(self, value: Any) -> Any:
        self.ticks += 1
        return value


@pytest.mark.parametrize(("pure", "calls"), [(frozenset(), 3), (frozenset({"tick"}), 1)])
def test_pure_calls_are_made_once_others_every_time(pure: frozenset[str], calls: int) -> None:
    expression = "tick(a) && tick(a).b == tick(a).b"
    doc = {"a": {"b": 1}}
    functions = Counting()
    assert compile_source(expression, pure).search(doc, functions) is True
    assert functions.ticks == calls
    library = Counting()
    assert jmespath.search(expression, doc, jmespath.Options(custom_functions=library)) is True
    assert library.ticks == 3


def test_literal_objects_are_the_librarys_own() -> None:
    """A list or object literal is returned as the AST's object, not a copy, as the library does."""
    parsed = jmespath.compile("`[1, 2]`")
    program = compile_program(parsed.parsed)
    assert program.search({}) is parsed.search({})


def test_deep_nesting_is_split_not_fallen_back() -> None:
    depth = 4 * MAX_LOOPS
    expression = ".".join(["a[*]"] * depth) + " | [0]"
    doc: Any = 7
    for _ in range(depth):
        doc = {"a": [doc]}
    program = compile_source(expression)
    assert program.backend == "python", program.reason
    assert program.source is not None and "def _s" in program.source
    assert json.dumps(program.search(doc)) == json.dumps(jmespath.search(expression, doc))


def test_unknown_node_falls_back_to_the_library_and_says_why() -> None:
    ast = {"type": "let_expression", "children": []}
    program = compile_program(ast)
    assert program.backend == "jmespath"
    assert program.reason is not None and "let_expression" in program.reason
    with pytest.raises(NotImplementedError):  # what TreeInterpreter raises for it
        program.search({})


def test_backend_summary_names_the_fallback() -> None:
    compiled = compile_source("a.b")
    fallback = compile_program({"type": "let_expression", "children": []})
    assert backend_summary([compiled, compiled]) == "python"
    assert backend_summary([compiled, fallback]) == f"jmespath ({fallback.reason})"


def test_bind_reads_each_functions_instance() -> None:
    program = compile_source("now()")
    later = make_functions(FunctionContext(datetime(2027, 1, 1, tzinfo=UTC)))
    assert program.search({}, OURS) == "2026-06-01T12:00:00Z"
    assert program.search({}, later) == "2027-01-01T00:00:00Z"
    with pytest.raises(exceptions.UnknownFunctionError):
        program.search({}, None)  # jmespath's built-ins only


# --- kernels: every rule of a type in one function, params folded ---------------------------

# no bare ``@``: at the top it reads the whole document, which a kernel refuses (tested below)
KERNEL_LEAVES = (
    IDENTIFIERS | LITERALS | st.sampled_from(["params", "params.a", "params.n", "params.foo[0]"])
)
KERNEL_EXPRESSIONS = st.recursive(KERNEL_LEAVES, _extend, max_leaves=8)
KERNEL_DOCS = st.dictionaries(st.sampled_from(KEYS), DOCS, max_size=6)
MEMOISED = frozenset({"days_since", "days_until", "now"})


def library_kernel(
    rules: list[tuple[str | None, str, Any]], doc: dict[str, Any]
) -> tuple[Any, ...]:
    """What a kernel must return, by the library: rule by rule on ``{**doc, "params": p}``."""
    options = jmespath.Options(custom_functions=OURS)
    out: list[Any] = []
    for where, condition, params in rules:
        full = {**doc, "params": params}
        applies = True if where is None else jmespath.search(where, full, options)
        out += [applies, jmespath.search(condition, full, options) if applies is True else None]
    return tuple(out)


@settings(
    max_examples=EXAMPLES // 3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    rules=st.lists(
        st.tuples(st.none() | KERNEL_EXPRESSIONS, KERNEL_EXPRESSIONS, KERNEL_DOCS | DOCS),
        min_size=1,
        max_size=4,
    ),
    docs=st.lists(KERNEL_DOCS, min_size=1, max_size=4),
)
def test_a_kernel_agrees_with_the_library_rule_by_rule(
    rules: list[tuple[str | None, str, Any]], docs: list[dict[str, Any]]
) -> None:
    """Values strictly equal; where the library raises the kernel raises too (it may also
    raise where the library does not: a memoised call is made once at the top for every rule,
    and the evaluator then runs that document's rules one by one); memoised calls kept across
    the documents of one binding; a rule reading the whole document (``@``) is refused."""
    try:
        kernel_rules = [
            KernelRule(
                None if where is None else jmespath.compile(where).parsed,
                jmespath.compile(condition).parsed,
                params,
            )
            for where, condition, params in rules
        ]
    except exceptions.ParseError:
        assume(False)
        return
    try:
        program = compile_kernel(kernel_rules, frozenset(OURS.FUNCTION_TABLE), MEMOISED)(OURS)
    except UnsupportedNode as exc:
        assert "whole document" in str(exc)  # noqa: PT017 - a refusal is one valid outcome
        event("refused: reads the whole document")
        return
    for doc in docs:
        theirs_kind, theirs = outcome(lambda doc=doc: library_kernel(rules, doc))
        ours_kind, ours = outcome(lambda doc=doc: program(doc))
        if ours_kind == "error" and theirs_kind == "value":
            event("the kernel raised, the library did not: one by one in the evaluator")
            continue
        assert ours_kind == theirs_kind, (rules, doc, ours, theirs)
        event(f"library: {theirs_kind}")
        if theirs_kind == "value":
            assert strictly_equal(list(ours), list(theirs)), (rules, doc, ours, theirs)


def test_a_kernel_memoises_by_value_and_class_across_documents() -> None:
    """``tick`` memoised: one call per distinct (value, class), however many documents."""
    functions = Counting()
    rules = [KernelRule(None, jmespath.compile("tick(a) == `1`").parsed, {})]
    program = compile_kernel(rules, frozenset({"tick"}), frozenset({"tick"}))(functions)
    docs = [{"a": 1}, {"a": 1}, {"a": True}, {"a": 1.0}, {"a": 1}, {"a": [1]}, {"a": [1]}]
    assert [program(d)[1] for d in docs] == [True, True, False, True, True, False, False]
    assert functions.ticks == 5  # 1, true, 1.0 once each; [1] is not a scalar: every time
    fresh = compile_kernel(rules, frozenset({"tick"}), frozenset({"tick"}))(functions)
    fresh({"a": 1})
    assert functions.ticks == 6, "the memo belongs to one binding"


def test_a_kernel_folds_params_and_refuses_the_whole_document() -> None:
    rules = [KernelRule(None, jmespath.compile("n > params.limit").parsed, {"limit": 3})]
    factory = compile_kernel(rules)
    assert factory(OURS)({"n": 4}) == (True, True)
    assert "params" not in generate_kernel(rules).source, "params are a constant, not a read"
    whole = [KernelRule(None, jmespath.compile("length(@) > `1`").parsed, {})]
    with pytest.raises(UnsupportedNode, match="whole document"):
        compile_kernel(whole)


def test_inline_calls_only_where_the_table_holds_that_implementation() -> None:
    """``contains`` is made inline for the library's implementation, never for an override."""

    class Overridden(Functions):
        @signature({"types": ["array", "string"]}, {"types": []})
        def _func_contains(self, subject: Any, search: Any) -> Any:
            return "overridden"

    program = compile_source("contains(`[1]`, `1`)")
    assert program.search({}, Functions()) is True
    assert program.search({}, Overridden()) == "overridden"
    assert "in _k" in (program.source or ""), "the library's contains is inline"


def test_registered_inline_templates_are_the_generators() -> None:
    from engine.functions import FUNCTIONS as REGISTERED

    declared = {name: spec.inline for name, spec in REGISTERED.items() if spec.inline}
    assert declared == {k: v for k, v in INLINE.items() if k in REGISTERED}
    assert set(declared) == {"multiply", "add", "subtract"}
