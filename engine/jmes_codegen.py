"""JMESPath AST -> Python source: the code generator behind ``engine.jmes_compile``.

Sits between the rule loader (``engine.jmes`` parses each expression with ``jmespath.compile``)
and the evaluator: ``generate(ast)`` turns the parsed AST (the dict tree of
``ParsedResult.parsed``) into the source of one factory function,
``_bind(functions) -> program(doc)``, that ``engine.jmes_compile`` compiles once per expression.
Each node becomes straight-line statements over local variables, mirroring one method of
jmespath 1.1.0's ``TreeInterpreter`` (``jmespath/visitor.py``); projections become ``for``
loops. The runtime helpers the source names (``_field``, ``_equals``, ``_resolve``, ...) live in
``engine.jmes_compile``.

``generate_kernel(rules)`` emits one function for all the rules of a resource type, for the
evaluator's fast path: each rule's ``where`` and ``condition`` in turn over one document, the
rule's ``params`` folded in as constants (the document is the resource alone, no per-rule copy),
field reads and pure calls shared between rules, and the expensive functions (lifecycle lookups,
timestamp arithmetic, prices) memoised across documents for the life of one binding.

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
#: entries per memoised call site and binding: a bound on memory, not a tuning knob
MEMO_LIMIT = 65_536
_ROOT = "v0"
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
    #: two levels: ``def _bind`` and ``def program`` (the kernel's prologue is emitted here)
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


@dataclass(frozen=True)
class KernelRule:
    """One rule for ``generate_kernel``: its ASTs and the value ``params`` has in its documents."""

    where: dict[str, Any] | None
    condition: dict[str, Any]
    params: Any


def generate_kernel(
    rules: list[KernelRule],
    pure_functions: frozenset[str] = frozenset(),
    memoised: frozenset[str] = frozenset(),
) -> Generated:
    """Source of ``_bind(functions) -> program(doc)`` returning ``(w0, c0, w1, c1, ...)``.

    ``doc`` is the document without ``params``; for rule ``i``, ``w_i`` is its ``where`` value
    (``True`` when it has none) and ``c_i`` its condition's value when ``w_i is True``, else
    None. Each value is what ``search`` on ``{**doc, "params": params_i}`` returns. Raises
    ``UnsupportedNode`` when a rule reads the document as a whole (``@`` at the top, ``*``
    over it): there ``params`` could not be folded, so that rule must run on its own.
    Functions in ``memoised`` must depend on their arguments and the binding alone: a call
    with the same arguments (and argument classes) returns the first call's object.
    """
    return _Generator(pure_functions, memoised).run_kernel(rules)


def _truthy_constant(value: Any) -> bool:
    # TreeInterpreter._is_false term by term, evaluated once for a literal
    return not (value == "" or value == [] or value == {} or value is None or value is False)  # noqa: PLR1714


def _is_constant(code: str) -> bool:
    """Whether generated code is a constant: an inline literal ``(...)`` or a ``_k`` global."""
    return code.startswith("(") or code.startswith("_k")


def _literal(node: dict[str, Any]) -> bool:
    """A literal, or a key: literal pair of a multi-select hash."""
    if node.get("type") == "key_val_pair":
        return _literal(node["children"][0])
    return node.get("type") == "literal"


def _literal_value(node: dict[str, Any]) -> Any:
    if node.get("type") == "key_val_pair":
        return _literal_value(node["children"][0])
    return node["value"]


#: functions whose call the generated code makes inline, after the same arity and type checks;
#: only where the bound table holds the library's own implementation (``contains``,
#: ``length``) or a function whose ``jmespath_inline`` attribute is this very template
#: (``engine.functions`` sets it on the arithmetic it registers)
INLINE = {
    "contains": "({1} in {0})",
    "length": "len({0})",
    "multiply": "({0} * {1})",
    "add": "({0} + {1})",
    "subtract": "({0} - {1})",
}


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


class _NoParams:
    """``params`` is not folded: the document carries its own."""


_NO_PARAMS = _NoParams()


class _Generator:
    def __init__(
        self, pure_functions: frozenset[str], memoised: frozenset[str] = frozenset()
    ) -> None:
        self.pure = pure_functions
        self.memoised = memoised
        #: the rule's params in a kernel, read by ``params`` at the top of the document
        self.params: Any = _NO_PARAMS
        self.memos: list[int] = []
        self.inlined: set[int] = set()
        #: kernel only: field reads from the document (and from those reads), done once at
        #: the top of the program for every rule: a JSON field read has no side effects and
        #: cannot raise, so reading it early changes no result
        self.hoist = False
        self.hoisted: dict[tuple[str, ...], str] = {}
        self.hoisted_names: set[str] = set()
        self.prologue = _Function()
        self.counter = 0
        self.namespace: dict[str, Any] = {}
        self.calls: list[tuple[str, int]] = []
        self.subs: list[list[str]] = []
        self.exprefs: list[str] = []
        self.fn = _Function()

    def run(self, ast: dict[str, Any]) -> Generated:
        self.fn.lines.append(f"    def program({_ROOT}):")
        result = self.expr(ast, _Val(_ROOT))
        self.emit(f"return {result.code}")
        return self.finish()

    def run_kernel(self, rules: list[KernelRule]) -> Generated:
        self.fn.lines.append(f"    def program({_ROOT}):")
        self.hoist = True
        outputs: list[str] = []
        for rule in rules:
            self.params = rule.params
            applies, result = self.name("w"), self.name("r")
            if rule.where is None:
                self.emit(f"{applies} = True")
                self.emit(f"{result} = {self.expr(rule.condition, _Val(_ROOT)).code}")
            else:
                self.emit(f"{applies} = {self.expr(rule.where, _Val(_ROOT)).code}")
                self.open(f"if {applies} is True:")
                self.emit(f"{result} = {self.expr(rule.condition, _Val(_ROOT)).code}")
                self.close()
                self.emit("else:")
                self.emit(f"    {result} = None")
            outputs += [applies, result]
        self.params = _NO_PARAMS
        self.emit(f"return ({', '.join(outputs)},)")
        self.fn.lines[1:1] = self.prologue.lines
        return self.finish()

    def finish(self) -> Generated:
        lines = ["def _bind(functions):"]
        for site, (name, argc) in enumerate(self.calls):
            names = [f"_fast{site}", f"_fn{site}"]
            names += [f"_{kind}{site}_{i}" for i in range(argc) for kind in ("ok", "tc")]
            lines.append(f"    {', '.join(names)} = _resolve(functions, {name!r}, {argc})")
        lines += [f"    _memo{site} = {{}}" for site in self.memos]
        lines += [
            f"    _inl{site} = _fast{site} and _inline(functions, {name!r}, _fn{site})"
            for site, (name, _) in enumerate(self.calls)
            if site in self.inlined
        ]
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
        # the common classes decided inline (a string by its emptiness, a number always true)
        return (
            f"({c} is True if {c}.__class__ is bool else ({c} != '' if {c}.__class__ is str "
            f"else ({c}.__class__ in _NUMBERS or ({c} is not None and _truthy({c})))))"
        )

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
            self.whole_document(cur)
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

    def whole_document(self, cur: _Val) -> None:
        """In a kernel, the top document lacks ``params``: it must not escape as a value."""
        if self.params is not _NO_PARAMS and not cur.const and cur.code == _ROOT:
            raise UnsupportedNode("the expression reads the whole document")

    def n_identity(self, node: dict[str, Any], cur: _Val) -> _Val:
        self.whole_document(cur)
        return cur

    n_current = n_identity

    def n_literal(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.constant(node["value"])

    def n_key_val_pair(self, node: dict[str, Any], cur: _Val) -> _Val:
        return self.expr(node["children"][0], cur)

    def n_field(self, node: dict[str, Any], cur: _Val) -> _Val:
        if cur.const:  # a field of a literal (or of folded params) is known now
            value = cur.value.get(node["value"]) if isinstance(cur.value, dict) else None
            return self.constant(value)
        if self.params is not _NO_PARAMS and cur.code == _ROOT and node["value"] == "params":
            return self.constant(self.params)
        c, key = cur.code, repr(node["value"])
        if self.hoist and (c == _ROOT or c in self.hoisted_names):
            if (c, key) not in self.hoisted:
                target = self.name("h")
                line = f"{target} = {c}.get({key}) if {c}.__class__ is dict else _field({c}, {key})"
                self.prologue.lines.append("        " + line)
                self.hoisted[(c, key)] = target
                self.hoisted_names.add(target)
            return _Val(self.hoisted[(c, key)])
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
        children = node["children"]
        if children and all(_literal(child) for child in children) and not cur.const:
            # ``['a', 'b']``: built once (the library builds a new one per search; nothing
            # downstream mutates a value, and evidence is copied into findings)
            values = [_literal_value(child) for child in children]
            folded = values if keys is None else dict(zip(keys, values, strict=True))
            c, target, constant = self.var(cur), self.name("t"), self.constant(folded)
            self.emit(f"{target} = None if {c} is None else {constant.code}")
            return _Val(target)
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
        if (
            self.hoist
            and name in self.memoised
            and all(a in self.hoisted_names or _is_constant(a) for a in args)
        ):
            return self.hoisted_call(name, args)
        site, target = len(self.calls), self.name("t")
        self.calls.append((name, len(args)))
        if name in self.memoised:
            self.memo_call(site, name, args, target)
        else:
            self.call(site, name, args, target)
        if name in self.pure:
            self.fn.known[key] = target
        return _Val(target)

    def hoisted_call(self, name: str, args: list[str]) -> _Val:
        """A memoised call on hoisted or constant arguments, made once at the top for every
        rule (``lifecycle(attributes.engine, attributes.engine_version)``: one memo lookup per
        resource, its fields hoisted too). Made where a rule would not have made it, it may
        raise where that rule would not: then the kernel raises and the evaluator runs that
        resource's rules one by one, so outcomes are unchanged."""
        key = ("()", name, *args)
        if key not in self.hoisted:
            site, target = len(self.calls), self.name("h")
            self.calls.append((name, len(args)))
            saved, self.fn = self.fn, self.prologue
            self.memo_call(site, name, args, target)
            self.fn = saved
            self.hoisted[key] = target
            self.hoisted_names.add(target)
        return _Val(self.hoisted[key])

    def call(self, site: int, name: str, args: list[str], target: str) -> None:
        # Fast path: the same arity and type checks as Functions.call_function, resolved once
        # per Functions instance by _resolve (engine/jmes_compile.py); else the library call.
        self.open(f"if _fast{site}:")
        for i, arg in enumerate(args):
            self.emit(f"if {arg}.__class__ not in _ok{site}_{i}:")
            self.emit(f"    _tc{site}_{i}({arg})")
        call = f"_fn{site}(functions{''.join(', ' + a for a in args)})"
        if name in INLINE and len(args) == INLINE[name].count("{"):
            call = f"{INLINE[name].format(*args)} if _inl{site} else {call}"
            self.inlined.add(site)
        self.emit(f"{target} = {call}")
        self.close()
        self.emit("else:")
        self.emit(f"    {target} = functions.call_function({name!r}, [{', '.join(args)}])")

    def memo_call(self, site: int, name: str, args: list[str], target: str) -> None:
        """``call`` behind a per-binding memo keyed by the arguments and their classes (so
        ``1``, ``1.0`` and ``true`` stay apart); arguments that are not scalars are not kept,
        nor is a call that raised, nor any call once the memo holds ``MEMO_LIMIT`` entries."""
        self.memos.append(site)
        key = self.name("k")
        scalars = " and ".join(f"{a}.__class__ in _SCALARS" for a in args) or "True"
        parts = "".join(f"{a}, {a}.__class__, " for a in args)
        self.open(f"if {scalars}:")
        self.emit(f"{key} = ({parts})")
        self.emit(f"{target} = _memo{site}.get({key}, _MISSING)")
        self.open(f"if {target} is _MISSING:")
        self.call(site, name, args, target)
        self.emit(f"if len(_memo{site}) < {MEMO_LIMIT}:")
        self.emit(f"    _memo{site}[{key}] = {target}")
        self.close()
        self.close()
        self.open("else:")
        self.call(site, name, args, target)
        self.close()
