"""The compiled JMESPath evaluator passes every case of the official compliance suite.

The suite (``../shared/data/jmespath-compliance/*.json`` from the repository root, copied from
jmespath.py with its licence) holds ``{given, cases: [{expression, result | error}]}``. Each
case runs through ``engine.jmes_compile`` three ways: with jmespath's default functions, with
our ``make_functions`` table (the evaluator's), and through a ``Functions`` subclass whose own
``call_function`` the compiled code must use. A result must equal the expected one with the
same types (``true`` is not ``1``); an error case must raise where the library raises: syntax
errors in ``jmespath.compile``, the others (invalid-type, invalid-arity, unknown-function,
invalid-value) from the compiled program, as the library's exception class.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jmespath
import pytest
from jmespath import exceptions
from jmespath.functions import Functions

from engine.functions import FunctionContext, make_functions
from engine.jmes_compile import compile_program

SUITE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "jmespath-compliance"
ERRORS: dict[str, type[Exception]] = {
    "syntax": exceptions.ParseError,
    "invalid-type": exceptions.JMESPathTypeError,
    "invalid-arity": exceptions.ArityError,
    "unknown-function": exceptions.UnknownFunctionError,
    "invalid-value": ValueError,
}
#: Expressions of the suite allowed to run on the library instead of compiled code, with why.
#: None: every node type jmespath 1.1.0 produces has a compiled form, and nesting too deep for
#: Python's compiler (the 104-deep projection in benchmarks.json) is split into functions.
ALLOWED_FALLBACKS: dict[str, str] = {}


class CallingFunctions(Functions):
    """A subclass with its own ``call_function``: compiled calls must all go through it."""

    def __init__(self) -> None:
        self.calls = 0

    def call_function(self, function_name: str, resolved_args: list[Any]) -> Any:
        self.calls += 1
        return super().call_function(function_name, resolved_args)


def _cases() -> list[Any]:
    if not SUITE.is_dir():
        return [pytest.param(None, None, None, id="suite-missing")]
    params = []
    for path in sorted(SUITE.glob("*.json")):
        for g, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            for c, case in enumerate(group["cases"]):
                params.append(
                    pytest.param(path.name, group["given"], case, id=f"{path.stem}-{g}-{c}")
                )
    return params


CASES = _cases()


def strictly_equal(a: Any, b: Any) -> bool:
    """Equal values of the same JSON types all the way down: ``True`` is not ``1``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def providers() -> list[tuple[str, Any, frozenset[str]]]:
    """(name, functions, pure function names): ours as the evaluator compiles them."""
    ours = make_functions(FunctionContext(datetime(2026, 6, 1, tzinfo=UTC)))
    pure = frozenset(ours.FUNCTION_TABLE)
    return [
        ("default", None, frozenset()),
        ("ours", ours, pure),
        ("subclass", CallingFunctions(), frozenset()),
    ]


def _library_error(parsed: Any, given: Any) -> BaseException | None:
    try:
        parsed.search(given)
    except Exception as exc:  # any class: compared with ours below
        return exc
    return None


@pytest.mark.parametrize(("filename", "given", "case"), CASES)
def test_compliance_case(filename: str | None, given: Any, case: dict[str, Any] | None) -> None:
    if case is None:
        message = f"the JMESPath compliance suite is missing: {SUITE}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    expression, error = case["expression"], case.get("error")
    assert error is None or error in ERRORS, f"unknown error kind {error!r} in {filename}"
    if error == "syntax":
        with pytest.raises(exceptions.ParseError):
            jmespath.compile(expression)
        return
    parsed = jmespath.compile(expression)
    expected_error = _library_error(parsed, given) if error else None
    assert error is None or isinstance(expected_error, ERRORS[error]), expected_error
    for name, functions, pure in providers():
        program = compile_program(parsed.parsed, pure)
        if expression in ALLOWED_FALLBACKS:
            assert program.backend == "jmespath"
        else:
            assert program.backend == "python", program.reason
        if error is not None:
            with pytest.raises(ERRORS[error]) as raised:
                program.search(given, functions)
            assert type(raised.value) is type(expected_error), name
            continue
        got = program.search(given, functions)
        # benchmarks.json's parse-only cases carry no result: the library's is the expectation
        expected = case["result"] if "result" in case else parsed.search(given)
        assert strictly_equal(got, expected), (name, got, expected)
        assert strictly_equal(got, parsed.search(given)), name


def test_subclass_call_function_is_used() -> None:
    functions = CallingFunctions()
    program = compile_program(jmespath.compile("length(@) && abs(`-2`)").parsed)
    assert program.search("abc", functions) == 2
    assert functions.calls == 2


def test_suite_read_whole() -> None:
    """Every file of the suite contributed cases, each a result, an error or a benchmark."""
    if not SUITE.is_dir():
        pytest.skip(f"the JMESPath compliance suite is missing: {SUITE}")
    files = {p.values[0] for p in CASES}
    assert files == {p.name for p in SUITE.glob("*.json")}
    for param in CASES:
        case = param.values[2]
        assert "result" in case or "error" in case or "bench" in case, case
    print(f"{len(CASES)} compliance cases from {len(files)} files")
