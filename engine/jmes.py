"""JMESPath at load time: compile, and walk the AST for what jmespath only finds at search time.

Used by the rule loader: unknown function names and wrong argument counts are caught here,
before any resource is evaluated; the params and attributes an expression reads are collected
so the loader can check ``params.x`` is declared and the evaluator can tell when a rule reads an
attribute that the collector could not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError, ParseError
from jmespath.parser import ParsedResult

from engine import functions
from engine.jmes_compile import CompiledProgram, compile_program

# Every function is pure given its bound context (the clock): repeated calls with the same
# arguments in one expression are evaluated once.
PURE_FUNCTIONS = functions.builtin_names() | frozenset(functions.FUNCTIONS)
# The expensive ones (a timestamp parse, a lifecycle or price table lookup), whose results the
# evaluator's kernels keep across resources for one evaluation: one lookup per distinct value.
MEMOISED_FUNCTIONS = frozenset({"days_since", "days_until", "lifecycle", "price"})


class ExpressionError(ValueError):
    """An expression that does not compile or calls an unknown function; one-line message."""


@dataclass(frozen=True)
class Compiled:
    """A compiled expression and what it reads."""

    source: str
    parsed: ParsedResult
    #: the expression compiled to Python (exactly jmespath's semantics; ``backend`` says
    #: whether it fell back to the library's interpreter)
    program: CompiledProgram
    params: frozenset[str] = field(default_factory=frozenset)
    attributes: frozenset[str] = field(default_factory=frozenset)
    top_fields: frozenset[str] = field(default_factory=frozenset)


def compile_expression(source: str) -> Compiled:
    """Compile ``source`` and check every function it calls; raise ``ExpressionError``."""
    try:
        parsed = jmespath.compile(source)
    except ParseError as exc:
        column = getattr(exc, "lex_position", None)
        where = f" at column {column + 1}" if isinstance(column, int) else ""
        reason = getattr(exc, "msg", None) or "syntax error"
        token = getattr(exc, "token_value", None)
        near = f" near {token!r}" if token not in (None, "") else ""
        raise ExpressionError(f"invalid JMESPath{where}{near}: {reason}: {source!r}") from exc
    except JMESPathError as exc:
        raise ExpressionError(f"invalid JMESPath: {exc}: {source!r}") from exc
    ast = parsed.parsed
    for name, argc in _calls(ast):
        spec = functions.arity(name)
        if spec is None:
            known = sorted(functions.builtin_names() | set(functions.FUNCTIONS))
            raise ExpressionError(
                f"unknown function {name}() in {source!r}; known: {', '.join(known)}"
            )
        expected, variadic = spec
        if (variadic and argc < expected) or (not variadic and argc != expected):
            need = f"at least {expected}" if variadic else str(expected)
            raise ExpressionError(
                f"function {name}() takes {need} argument(s), {argc} given in {source!r}"
            )
    params, attributes, top = _reads(ast)
    program = compile_program(ast, PURE_FUNCTIONS)
    return Compiled(
        source, parsed, program, frozenset(params), frozenset(attributes), frozenset(top)
    )


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.get("children", []):
            yield from _walk(child)


def _calls(ast: Any) -> Iterator[tuple[str, int]]:
    for node in _walk(ast):
        if node.get("type") == "function_expression":
            yield str(node["value"]), len(node.get("children", []))


def _reads(ast: Any) -> tuple[set[str], set[str], set[str]]:
    """Params named (``params.x``), attributes read (``attributes.x``), top-level fields."""
    params: set[str] = set()
    attributes: set[str] = set()
    top: set[str] = set()
    for node in _walk(ast):
        kind = node.get("type")
        if kind == "subexpression":
            chain = node.get("children", [])
            names = [c.get("value") for c in chain[:2] if c.get("type") == "field"]
            if names:
                top.add(str(names[0]))
            if len(names) == 2 and names[0] == "params":
                params.add(str(names[1]))
            if len(names) == 2 and names[0] == "attributes":
                attributes.add(str(names[1]))
        elif kind == "field":
            top.add(str(node.get("value")))
    return params, attributes, top
