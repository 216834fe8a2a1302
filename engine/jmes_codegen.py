"""JMESPath AST -> Python source: the code generator behind ``engine.jmes_compile``.

Sits between the rule loader (``engine.jmes`` parses each expression with ``jmespath.compile``)
and the evaluator: ``generate(ast)`` turns the parsed AST (the dict tree of
``ParsedResult.parsed``) into the source of one factory function,
``_bind(functions) -> program(doc)``, that ``engine.jmes_compile`` compiles once per expression.
Each node becomes straight-line statements over local variables, mirroring one method of
jmespath 1.1.0's ``TreeInterpreter`` (``jmespath/visitor.py``); projections become ``for``
loops. The runtime helpers the source names (``_field``, ``_equals``, ``_resolve``, ...) live in
``engine.jmes_compile``.

Python limits static nesting (20 nested loop blocks, 100 indentation levels), so a node met
deeper than ``MAX_LOOPS`` loops or ``MAX_INDENT`` levels is emitted as a function of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Every node type jmespath 1.1.0's parser produces (``jmespath/ast.py``).
NODE_TYPES = frozenset(
    {
        "and_expression",
        "comparator",
        "current",
        "expref",
        "field",
        "filter_projection",
        "flatten",
        "function_expression",
        "identity",
        "index",
        "index_expression",
        "key_val_pair",
        "literal",
        "multi_select_dict",
        "multi_select_list",
        "not_expression",
        "or_expression",
        "pipe",
        "projection",
        "slice",
        "subexpression",
        "value_projection",
    }
)
MAX_LOOPS = 8
MAX_INDENT = 40
_ORDERING = {"lt": "<", "gt": ">", "lte": "<=", "gte": ">="}


class UnsupportedNode(ValueError):
    """An AST node this generator has no translation for; the caller falls back."""


@dataclass(frozen=True)
class Generated:
    """The factory's source, the globals it refers to, and its function call sites."""

    source: str
    namespace: dict[str, Any]
    #: (function name, number of arguments) per call site; site ``k`` uses ``_fast{k}`` etc.
    calls: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Val:
    """A value after its statements ran: a local's name, or a constant and its source text."""

    code: str
    const: bool = False
    value: Any = None


@dataclass
class _Function:
    lines: list[str] = field(default_factory=list)
    indent: int = 2
    loops: int = 0
    #: (value's local, field name) or (function, argument sources) -> the local already
    #: holding that value, for reads and calls that dominate the current line; each block
    #: works on a copy that is dropped when it ends
    known: dict[tuple[str, ...], str] = field(default_factory=dict)
    saved: list[dict[tuple[str, ...], str]] = field(default_factory=list)


def generate(ast: dict[str, Any], pure_functions: frozenset[str] = frozenset()) -> Generated:
    """Python source for ``ast``; raises ``UnsupportedNode`` for an unknown node type.

    A call to a function in ``pure_functions`` that repeats an earlier call with the same
    arguments (``lifecycle(e, v) && lifecycle(e, v).phase == ...``) reuses its result.
    """
    return _Generator(pure_functions).run(ast)


def _truthy_constant(value: Any) -> bool:
    # TreeInterpreter._is_false term by term, evaluated once for a literal
    return not (value == "" or value == [] or value == {} or value is None or value is False)  # noqa: PLR1714


def _plain_equality(value: Any) -> bool:
    """Whether ``x == value`` is exactly jmespath's ``_equals(x, value)`` for every ``x``.

    ``_equals`` departs from ``==`` only when one side is a bool and the other a number equal to
    0 or 1 (``True == 1`` in Python, not in JMESPath); a literal that is neither is plain.
    """
    if value is None or isinstance(value, (str, list, dict)):
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value not in (0, 1)


class _Generator:
    def __init__(self, pure_functions: frozenset[str]) -> None:
        self.pure = pure_functions
        self.counter = 0
        self.namespace: dict[str, Any] = {}
        self.calls: list[tuple[str, int]] = []
        self.subs: list[list[str]] = []
        self.exprefs: list[str] = []
        self.fn = _Function()

    def run(self, ast: dict[str, Any]) -> Generated:
        self.fn.lines.append("    def program(v0):")
        result = self.expr(ast, _Val("v0"))
        self.emit(f"return {result.code}")
        lines = ["def _bind(functions):"]
        for site, (name, argc) in enumerate(self.calls):
            names = [f"_fast{site}", f"_fn{site}"]
            names += [f"_{kind}{site}_{i}" for i in range(argc) for kind in ("ok", "tc")]
            lines.append(f"    {', '.join(names)} = _resolve(functions, {name!r}, {argc})")
        for sub in self.subs:
            lines += sub
        lines += [f"    {line}" for line in self.exprefs]
        lines += self.fn.lines
        lines.append("    return program")
        return Generated("\n".join(lines) + "\n", self.namespace, tuple(self.calls))

    # --- emitting ----------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        self.fn.lines.append("    " * self.fn.indent + line)

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def constant(self, value: Any) -> _Val:
        """A literal: inline when Python can spell it, else a global holding that object."""
        simple = value is None or isinstance(value, (bool, int, str))
        if simple or (isinstance(value, float) and math.isfinite(value)):
            return _Val(f"({value!r})", const=True, value=value)
        # The library returns the AST's own object for a list or object literal; so do we.
        name = self.name("_k")
        self.namespace[name] = value
        return _Val(name, const=True, value=value)

    def var(self, value: _Val) -> str:
        """A name for ``value``: ``is`` tests on literals are a SyntaxWarning in Python."""
        if value.code.isidentifier():
            return value.code
        name = self.name("t")
        self.emit(f"{name} = {value.code}")
        return name

    def truthy(self, value: _Val) -> str:
        """A Python condition equal to ``not TreeInterpreter._is_false(value)``."""
        if value.const:
            return repr(_truthy_constant(value.value))
        c = value.code
        return f"({c} is True or ({c} is not None and {c} is not False and _truthy({c})))"

    def sub_function(self, node: dict[str, Any]) -> str:
        """Emit ``node`` as a function of its own, ``_sN(v)``, defined in the factory."""
        name = self.name("_s")
        saved, self.fn = self.fn, _Function()
        self.fn.lines.append(f"    def {name}(v):")
        result = self.expr(node, _Val("v"))
        self.emit(f"return {result.code}")
        self.subs.append(self.fn.lines)
        self.fn = saved
        return name

    def open(self, line: str | None = None) -> None:
        """Emit ``line`` (an ``if``/``else``/``for`` header) and start its block."""
        if line is not None:
            self.emit(line)
        self.fn.indent += 1
        self.fn.saved.append(self.fn.known)
        self.fn.known = dict(self.fn.known)

    def close(self) -> None:
        self.fn.indent -= 1
        self.fn.known = self.fn.saved.pop()

    def loop(self, target: str, iterable: str) -> None:
        self.open(f"for {target} in {iterable}:")
        self.fn.loops += 1

    def end_loop(self) -> None:
        self.close()
        self.fn.loops -= 1

    # --- nodes -------------------------------------------------------------------------------

    def expr(self, node: dict[str, Any], cur: _Val) -> _Val:
        kind = node.get("type") if isinstance(node, dict) else None
        if kind not in NODE_TYPES:
            raise UnsupportedNode(f"no compiled form for AST node type {kind!r}")
        if self.fn.loops >= MAX_LOOPS or self.fn.indent >= MAX_INDENT:
            target = self.name("t")
            self.emit(f"{target} = {self.sub_function(node)}({cur.code})")
            return _Val(target)
        method = getattr(self, f"n_{kind}")
        result: _Val = method(node, cur)
        return result

    def chain(self, node: dict[str, Any], cur: _Val) -> _Val:
        for child in node["children"]:
            cur = self.expr(child, cur)
        return cur

    n_subexpression = n_index_expression = n_pipe = chain

    def n_identity(self, node: dict[str, Any], cur: _Val) -> _Val:
        return cur

    n_current = n_identity

    def n_literal(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.constant(node["value"])

    def n_key_val_pair(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.expr(node["children"][0], cur)

    def n_field(self, node: dict[str, Any], cur: _Val) -> _Val:
        c, key = cur.code, repr(node["value"])
        # A field read twice from the same local (``attributes.x`` ... ``attributes.y``) is
        # read once: locals are assigned once per run of their block, and a JSON ``dict.get``
        # has no side effects.
        known = self.fn.known.get((c, key)) if not cur.const else None
        if known is not None:
            return _Val(known)
        target = self.name("t")
        self.emit(f"{target} = {c}.get({key}) if {c}.__class__ is dict else _field({c}, {key})")
        if not cur.const:
            self.fn.known[(c, key)] = target
        return _Val(target)

    def n_index(self, node: dict[str, Any], cur: _Val) -> _Val:
        c, i, target = self.var(cur), int(node["value"]), self.name("t")
        inside = f"len({c}) > {i}" if i >= 0 else f"len({c}) >= {-i}"
        fast = f"({c}[{i}] if {inside} else None)"
        self.emit(f"{target} = {fast} if {c}.__class__ is list else _index({c}, {i})")
        return _Val(target)

    def n_slice(self, node: dict[str, Any], cur: _Val) -> _Val:
        c, target = self.var(cur), self.name("t")
        parts = ":".join("" if p is None else str(int(p)) for p in node["children"])
        self.emit(f"{target} = {c}[{parts}] if isinstance({c}, list) else None")
        return _Val(target)

    def n_comparator(self, node: dict[str, Any], cur: _Val) -> _Val:
        op, (left_node, right_node) = node["value"], node["children"]
        left, right = self.expr(left_node, cur), self.expr(right_node, cur)
        target = self.name("t")
        if op in ("eq", "ne"):
            test = self.equality(left, right)
            self.emit(f"{target} = {test}" if op == "eq" else f"{target} = not ({test})")
            return _Val(target)
        if op not in _ORDERING:
            raise UnsupportedNode(f"no compiled form for comparator {op!r}")
        checks = [self.comparable(side) for side in (left, right)]
        if "False" in checks:  # a literal that is neither number nor string: always null
            self.emit(f"{target} = None")
            return _Val(target)
        test = " and ".join(c for c in checks if c != "True") or "True"
        compare = f"{left.code} {_ORDERING[op]} {right.code}"
        if test == "True":
            self.emit(f"{target} = {compare}")
        else:
            self.emit(f"{target} = ({compare}) if {test} else None")
        return _Val(target)

    def equality(self, left: _Val, right: _Val) -> str:
        """``_equals(left, right)`` (``jmespath/visitor.py``) as Python source.

        ``_equals`` is ``==`` except that a bool never equals a number: ``true == 1`` is false
        in JMESPath, true in Python. Spelled out per case, so that the common ones need no call.
        """
        a, b = left.code, right.code
        for lit, other in ((right, a), (left, b)):
            if not lit.const:
                continue
            if _plain_equality(lit.value):
                return f"{a} == {b}"
            if isinstance(lit.value, bool):  # only a number 0 or 1 on the other side differs
                return f"({a} == {b}) if {other}.__class__ in _NON_NUMBERS else _equals({a}, {b})"
            if isinstance(lit.value, (int, float)):  # 0 or 1: only a bool on the other differs
                return f"False if {other}.__class__ is bool else ({a} == {b})"
        # Without a bool on exactly one side, _equals is ==.
        same_kind = f"({a}.__class__ is bool) is ({b}.__class__ is bool)"
        return f"({a} == {b}) if {same_kind} else _equals({a}, {b})"

    def comparable(self, value: _Val) -> str:
        """``visitor._is_comparable(value)`` as Python source, or 'True'/'False' if known."""
        if value.const:
            kind = value.value.__class__
            return "True" if kind in (int, float, str) else "False"
        return f"({value.code}.__class__ in _NUMSTR or _cmp({value.code}))"

    def n_not_expression(self, node: dict[str, Any], cur: _Val) -> _Val:
        v = self.var(self.expr(node["children"][0], cur))
        target = self.name("t")
        plain = f"{v} is True or {v} is False or {v} is None"
        self.emit(f"{target} = (not {v}) if ({plain}) else _not({v})")
        return _Val(target)

    def n_and_expression(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.logical(node, cur, is_and=True)

    def n_or_expression(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.logical(node, cur, is_and=False)

    def logical(self, node: dict[str, Any], cur: _Val, is_and: bool) -> _Val:
        left, target = self.expr(node["children"][0], cur), self.name("t")
        # and: the right side when the left is true; or: the right side when the left is false.
        self.open(f"if {self.truthy(left)}:" if is_and else f"if not {self.truthy(left)}:")
        right = self.expr(node["children"][1], cur)
        self.emit(f"{target} = {right.code}")
        self.close()
        self.emit("else:")
        self.emit(f"    {target} = {left.code}")
        return _Val(target)

    def n_multi_select_list(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.multi_select(node, cur, keys=None)

    def n_multi_select_dict(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.multi_select(node, cur, keys=[c["value"] for c in node["children"]])

    def multi_select(self, node: dict[str, Any], cur: _Val, keys: list[str] | None) -> _Val:
        c, target = self.var(cur), self.name("t")
        self.emit(f"if {c} is None:")
        self.emit(f"    {target} = None")
        self.open("else:")
        values = [self.expr(child, cur).code for child in node["children"]]
        if keys is None:
            self.emit(f"{target} = [{', '.join(values)}]")
        else:
            items = ", ".join(f"{k!r}: {v}" for k, v in zip(keys, values, strict=True))
            self.emit(f"{target} = {{{items}}}")
        self.close()
        return _Val(target)

    def n_flatten(self, node: dict[str, Any], cur: _Val) -> _Val:
        base = self.var(self.expr(node["children"][0], cur))
        target, element = self.name("t"), self.name("e")
        self.open(f"if isinstance({base}, list):")
        self.emit(f"{target} = []")
        self.loop(element, base)
        self.emit(f"if isinstance({element}, list):")
        self.emit(f"    {target}.extend({element})")
        self.emit("else:")
        self.emit(f"    {target}.append({element})")
        self.end_loop()
        self.close()
        self.emit("else:")
        self.emit(f"    {target} = None")
        return _Val(target)

    def n_projection(self, node: dict[str, Any], cur: _Val) -> _Val:
        base = self.var(self.expr(node["children"][0], cur))
        target = self.name("t")
        self.open(f"if isinstance({base}, list):")
        self.collect(target, base, node["children"][1], None)
        self.close()
        self.emit("else:")
        self.emit(f"    {target} = None")
        return _Val(target)

    def n_value_projection(self, node: dict[str, Any], cur: _Val) -> _Val:
        base = self.var(self.expr(node["children"][0], cur))
        target, values = self.name("t"), self.name("t")
        self.emit(f"{values} = {base}.values() if {base}.__class__ is dict else _values({base})")
        self.emit(f"if {values} is _MISSING:")
        self.emit(f"    {target} = None")
        self.open("else:")
        self.collect(target, values, node["children"][1], None)
        self.close()
        return _Val(target)

    def n_filter_projection(self, node: dict[str, Any], cur: _Val) -> _Val:
        left, right, condition = node["children"]
        base = self.var(self.expr(left, cur))
        target = self.name("t")
        self.open(f"if isinstance({base}, list):")
        self.collect(target, base, right, condition)
        self.close()
        self.emit("else:")
        self.emit(f"    {target} = None")
        return _Val(target)

    def collect(
        self, target: str, base: str, right: dict[str, Any], condition: dict[str, Any] | None
    ) -> None:
        """``target = [right(e) for e in base if condition(e)]``, dropping nulls."""
        element = self.name("e")
        if condition is None and right.get("type") == "identity":
            self.emit(f"{target} = [{element} for {element} in {base} if {element} is not None]")
            return
        self.emit(f"{target} = []")
        self.loop(element, base)
        if condition is not None:
            self.open(f"if {self.truthy(self.expr(condition, _Val(element)))}:")
        value = self.var(self.expr(right, _Val(element)))
        self.emit(f"if {value} is not None:")
        self.emit(f"    {target}.append({value})")
        if condition is not None:
            self.close()
        self.end_loop()

    def n_expref(self, node: dict[str, Any], cur: _Val) -> _Val:
        body = node["children"][0]
        function, node_name, target = self.sub_function(body), self.name("_n"), self.name("_x")
        self.namespace[node_name] = body
        self.exprefs.append(f"{target} = _Expression({node_name}, {function}, functions)")
        return _Val(target)

    def n_function_expression(self, node: dict[str, Any], cur: _Val) -> _Val:
        args = [self.expr(child, cur).code for child in node["children"]]
        name = str(node["value"])
        key = ("()", name, *args)
        if name in self.pure and key in self.fn.known:
            return _Val(self.fn.known[key])
        site, target = len(self.calls), self.name("t")
        self.calls.append((name, len(args)))
        # Fast path: the same arity and type checks as Functions.call_function, resolved once
        # per Functions instance by _resolve (engine/jmes_compile.py); else the library call.
        self.open(f"if _fast{site}:")
        for i, arg in enumerate(args):
            self.emit(f"if {arg}.__class__ not in _ok{site}_{i}:")
            self.emit(f"    _tc{site}_{i}({arg})")
        self.emit(f"{target} = _fn{site}(functions{''.join(', ' + a for a in args)})")
        self.close()
        self.emit("else:")
        self.emit(f"    {target} = functions.call_function({name!r}, [{', '.join(args)}])")
        if name in self.pure:
            self.fn.known[key] = target
        return _Val(target)
