"""Custom JMESPath functions that rule conditions can call, in one registry.

Used by the rule loader (every function name in a condition is checked against this registry
plus JMESPath's built-ins at load time) and by the evaluator (which binds the injected clock).
Each function's docstring carries an ``Example:`` block (``now``, ``data``, ``expr``,
``result``) that the test suite runs, so the documentation cannot drift from the behaviour.

To add one: write a function taking a ``FunctionContext`` and the JMESPath arguments, decorate
it with ``@function("name", [types...], ...)``, and give it an example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jmespath.functions

from engine.clock import iso, parse_timestamp
from engine.lifecycle import LiveDates, lookup
from engine.registry import Registry
from engine.yamlsource import load_data


@dataclass(frozen=True, slots=True)
class FunctionContext:
    """What a function may know beyond its arguments: the injected clock, live lifecycle data.

    ``cache`` memoises pure lookups per evaluation (one lifecycle lookup per distinct version,
    not per resource).
    """

    now: datetime
    lifecycle_live: Mapping[tuple[str, str], LiveDates] = field(default_factory=dict)
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JmesFunction:
    name: str
    impl: Callable[..., Any]
    signature: tuple[tuple[str, ...], ...]
    variadic: bool
    doc: str
    #: the call as a Python expression over ``{0}``, ``{1}``..., when the compiled code may make
    #: it inline (``engine.jmes_codegen.INLINE`` must hold the same template)
    inline: str | None = None


FUNCTIONS: Registry[JmesFunction] = Registry("jmespath functions")


def function(
    name: str, *arg_types: list[str], variadic: bool = False, inline: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``impl(ctx, *args)`` as JMESPath function ``name`` with argument types."""

    def decorator(impl: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS.add(
            name,
            JmesFunction(
                name=name,
                impl=impl,
                signature=tuple(tuple(t) for t in arg_types),
                variadic=variadic,
                doc=impl.__doc__ or "",
                inline=inline,
            ),
        )
        return impl

    return decorator


def builtin_names() -> frozenset[str]:
    """Names of JMESPath's own functions (``length``, ``contains``, ...)."""
    return frozenset(jmespath.functions.Functions.FUNCTION_TABLE)


def arity(name: str) -> tuple[int, bool] | None:
    """``(number of arguments, variadic)`` of a known function, or None if unknown."""
    if name in FUNCTIONS:
        spec = FUNCTIONS.get(name)
        return len(spec.signature), spec.variadic
    table = jmespath.functions.Functions.FUNCTION_TABLE
    if name in table:
        sig = table[name]["signature"]
        variadic = bool(sig) and bool(sig[-1].get("variadic"))
        return len(sig), variadic
    return None


def make_functions(ctx: FunctionContext) -> jmespath.functions.Functions:
    """A jmespath ``Functions`` object with every registered function bound to ``ctx``."""
    instance = jmespath.functions.Functions()
    # Copy the class table so that binding one clock never leaks into another evaluation.
    table = dict(instance.FUNCTION_TABLE)
    for name, spec in FUNCTIONS.items():
        signature: list[dict[str, Any]] = [{"types": list(t)} for t in spec.signature]
        if spec.variadic and signature:
            signature[-1]["variadic"] = True
        bound = _bind(spec.impl, ctx)
        if spec.inline is not None:
            bound.jmespath_inline = spec.inline  # type: ignore[attr-defined]
        table[name] = {"function": bound, "signature": signature}
    instance.FUNCTION_TABLE = table  # instance attribute shadows the class table
    return instance


def _bind(impl: Callable[..., Any], ctx: FunctionContext) -> Callable[..., Any]:
    # jmespath calls table entries as ``function(functions_instance, *args)``.
    def bound(_functions: Any, *args: Any) -> Any:
        return impl(ctx, *args)

    return bound


# --- date arithmetic on ISO timestamps, against the injected clock -------------------------


def _whole_days(seconds: float) -> int:
    return math.floor(seconds / 86400)


@function("days_since", ["string", "null"])
def days_since(ctx: FunctionContext, timestamp: str | None) -> int | None:
    """Whole days elapsed from an ISO 8601 timestamp to now; null in, null out.

    A timestamp that does not parse raises, so the rule's outcome is an error, not a pass.

    Example:
        now: "2026-01-31T12:00:00Z"
        data: {"stopped_at": "2026-01-01T00:00:00Z"}
        expr: "days_since(stopped_at)"
        result: 30
    """
    if timestamp is None:
        return None
    return _whole_days((ctx.now - parse_timestamp(timestamp)).total_seconds())


@function("days_until", ["string", "null"])
def days_until(ctx: FunctionContext, timestamp: str | None) -> int | None:
    """Whole days from now until an ISO 8601 date or timestamp (negative once past).

    Example:
        now: "2026-01-01T00:00:00Z"
        data: {"end": "2026-03-02"}
        expr: "days_until(end)"
        result: 60
    """
    if timestamp is None:
        return None
    return _whole_days((parse_timestamp(timestamp) - ctx.now).total_seconds())


@function("now")
def now(ctx: FunctionContext) -> str:
    """The evaluation clock as an ISO 8601 UTC timestamp.

    Example:
        now: "2026-05-04T03:02:01Z"
        data: {}
        expr: "now()"
        result: "2026-05-04T03:02:01Z"
    """
    return iso(ctx.now) or ""


@function("lifecycle", ["string"], ["string", "null"])
def lifecycle(ctx: FunctionContext, product: str, version: str | None) -> dict[str, Any] | None:
    """Where a version stands in its AWS support lifecycle on the evaluation date.

    ``product`` is ``lambda``, ``eks``, ``rds-mysql``, ``rds-postgresql``, ``rds-mariadb``,
    ``aurora-mysql``, ``aurora-postgresql`` or an RDS engine name (``mysql``, ``postgres``,
    ``aurora-mysql``, ...). Returns an object: ``phase`` (``supported``, ``extended_support``,
    ``end_of_life``; Lambda: ``deprecated``, ``create_blocked``, ``update_blocked``; or
    ``unknown`` when the product or version is not known, never ``supported``), ``major``,
    ``label``, the dates, ``days_to_*`` counts, ``source`` (``dataset`` or the live API) and
    ``data_date``. Live dates read during collection win over the shipped dataset. Null in,
    null out (an image-packaged Lambda function has no runtime).

    Example:
        now: "2026-11-25T00:00:00Z"
        data: {"engine": "mysql", "engine_version": "5.7.44-rds.20240808"}
        expr: "lifecycle(engine, engine_version).[phase, major, days_to_end_of_extended_support]"
        result: ["extended_support", "5.7", 948]
    """
    if version is None:
        return None
    key = ("lifecycle", product, version)
    if key not in ctx.cache:
        info = lookup(product, version, ctx.now.date(), dict(ctx.lifecycle_live))
        ctx.cache[key] = info.to_dict()
    # a copy: a rule's evidence must not share (and so alias) another finding's object
    return dict(ctx.cache[key])


# --- arithmetic and prices, for estimated costs (JMESPath has no arithmetic operators) ------


@function("multiply", ["number"], ["number"], inline="({0} * {1})")
def multiply(ctx: FunctionContext, left: float, right: float) -> float:
    """The product of two numbers.

    Example:
        now: "2026-01-01T00:00:00Z"
        data: {"size_gib": 100}
        expr: "multiply(size_gib, `0.08`)"
        result: 8.0
    """
    return left * right


@function("add", ["number"], ["number"], inline="({0} + {1})")
def add(ctx: FunctionContext, left: float, right: float) -> float:
    """The sum of two numbers.

    Example:
        now: "2026-01-01T00:00:00Z"
        data: {"a": 2, "b": 3}
        expr: "add(a, b)"
        result: 5
    """
    return left + right


@function("subtract", ["number"], ["number"], inline="({0} - {1})")
def subtract(ctx: FunctionContext, left: float, right: float) -> float:
    """``left - right``.

    Example:
        now: "2026-01-01T00:00:00Z"
        data: {"size_gib": 1500}
        expr: "subtract(multiply(size_gib, `3`), `3000`)"
        result: 1500
    """
    return left - right


@function("price", ["string"], ["string", "null"])
def price(ctx: FunctionContext, table: str, key: str | None) -> float | None:
    """A unit price from the shipped price table (``rules/data/prices.yaml``), an estimate.

    US East list prices, each table with its source and date. An unknown key gives null (no
    estimate rather than a wrong one); an unknown table raises, so a typo is an error.

    Example:
        now: "2026-01-01T00:00:00Z"
        data: {"volume_type": "gp2"}
        expr: "price('ebs_gb_month', volume_type)"
        result: 0.1
    """
    tables = _prices()
    if table not in tables:
        raise ValueError(f"unknown price table {table!r}; known: {', '.join(sorted(tables))}")
    if key is None:
        return None
    value = tables[table].get(key)
    return float(value) if isinstance(value, int | float) else None


@cache
def _prices() -> dict[str, dict[str, Any]]:
    text = resources.files("rules").joinpath("data", "prices.yaml").read_text(encoding="utf-8")
    data = load_data(text)
    return {
        name: dict(body.get("prices") or {})
        for name, body in data.items()
        if isinstance(body, dict) and "prices" in body
    }
