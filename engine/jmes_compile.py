"""Compiled JMESPath: each rule expression as one Python function, jmespath's semantics exactly.

Sits between the rule loader and the evaluator. ``engine.jmes`` parses an expression with
``jmespath.compile``; ``compile_program(parsed.parsed)`` turns its AST into a
``CompiledProgram`` (source from ``engine.jmes_codegen``, compiled and ``exec``'d once); the
evaluator calls ``program.bind(functions)`` once per clock and the bound function per resource.

Why generated source rather than nested closures: one flat function per expression keeps every
intermediate value in a local, so a two-clause condition costs a few bytecodes per node and one
Python call, where closures pay a call per node and the library a dict-dispatched visit per node
(``TreeInterpreter.visit``) plus an interpreter object per search (``ParsedResult.search``).

Semantics are jmespath 1.1.0's ``TreeInterpreter`` (``jmespath/visitor.py``): the generated
code inlines the common case (a ``dict`` field, a ``list`` index, a literal on one side of
``==``) and calls the library's own ``_equals`` / ``_is_comparable`` or a helper below that
copies one visitor method otherwise. Functions run through the ``Functions`` instance: when its
class keeps the library's ``call_function`` and checks, ``_resolve`` looks each function up once
per bind and the call site repeats the arity and type checks inline; otherwise every call goes
to ``functions.call_function``. Errors are the library's: ``ArityError``, ``JMESPathTypeError``,
``UnknownFunctionError`` (at call time, as the library), ``ValueError`` for a zero slice step.

Where the generator has no translation (a node type this jmespath version does not produce) or
Python cannot compile the result, the program falls back to the library's interpreter for the
whole expression, with ``backend == "jmespath"`` and the reason.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

import jmespath
from jmespath import functions as jp_functions
from jmespath import visitor

from engine.jmes_codegen import INLINE, KernelRule, UnsupportedNode, generate, generate_kernel

Program = Callable[[Any], Any]
_MISSING = object()
_LIBRARY = jp_functions.Functions
_DEFAULT_FUNCTIONS = jp_functions.Functions()
#: Methods whose library versions the inline checks repeat; a subclass overriding any of them
#: gets every call through its own ``call_function``.
_CHECKED_METHODS = (
    "call_function",
    "_validate_arguments",
    "_type_check",
    "_type_check_single",
    "_get_allowed_pytypes",
)


def _field(value: Any, key: str) -> Any:
    """``TreeInterpreter.visit_field`` for a value that is not a plain ``dict``."""
    try:
        return value.get(key)
    except AttributeError:
        return None


def _index(value: Any, index: int) -> Any:
    """``TreeInterpreter.visit_index`` for a value that is not a plain ``list``."""
    if not isinstance(value, list):
        return None
    try:
        return value[index]
    except IndexError:
        return None


def _values(value: Any) -> Any:
    """``base.values()`` as in ``visit_value_projection``; ``_MISSING`` where it has none."""
    try:
        return value.values()
    except AttributeError:
        return _MISSING


def _truthy(value: Any) -> bool:
    """``not TreeInterpreter._is_false(value)``: '', [], {}, null and false are false."""
    # the library's test term by term (``jmespath/visitor.py``), so no ``in`` with its identity
    return not (value == "" or value == [] or value == {} or value is None or value is False)  # noqa: PLR1714


def _not(value: Any) -> bool:
    """``TreeInterpreter.visit_not_expression`` after its child: ``!0`` is false."""
    if visitor._is_actual_number(value) and value == 0:
        return False
    return not value


class _Expression:
    """An ``&expr`` argument. Named as the library's class: type checks go by class name."""

    __slots__ = ("_functions", "_program", "expression")

    def __init__(self, expression: dict[str, Any], program: Program, functions: Any) -> None:
        self.expression = expression
        self._program = program
        self._functions = functions

    @property
    def interpreter(self) -> visitor.TreeInterpreter:
        return visitor.TreeInterpreter(jmespath.Options(custom_functions=self._functions))

    def visit(self, node: dict[str, Any], value: Any) -> Any:
        """What ``sort_by``, ``map``, ``min_by`` and ``max_by`` call for each element."""
        if node is self.expression:
            return self._program(value)
        return self.interpreter.visit(node, value)


_KNOWN_CLASSES = (
    str,
    int,
    float,
    bool,
    list,
    dict,
    type(None),
    OrderedDict,
    _Expression,
    visitor._Expression,
)
_ANY_JSON = frozenset(_KNOWN_CLASSES)
_NUMSTR = frozenset((int, float, str))


def _no_check(value: Any) -> None:
    return None


def _fast_path(functions: Any) -> bool:
    cls, own = type(functions), getattr(functions, "__dict__", {})
    return all(
        getattr(cls, name, None) is getattr(_LIBRARY, name) and name not in own
        for name in _CHECKED_METHODS
    )


def _array_check(value: Any, groups: tuple[frozenset[type], ...], slow: Any) -> None:
    """``_type_check_single`` for an ``array-<type>`` argument, the accepting case inline.

    The library takes the element type group of the first element and requires every element
    in it (``Functions._subtype_check``); an empty list passes. A plain ``list`` whose elements
    all sit in the first element's group passes here; anything else goes to the library's own
    check, which raises its error (or passes a class it knows and we do not).
    """
    if value.__class__ is list:
        if not value:
            return
        first = value[0].__class__
        for group in groups:
            if first in group:
                for element in value:
                    if element.__class__ not in group:
                        slow(value)
                        return
                return
    slow(value)


def _inline(functions: Any, name: str, function: Any) -> bool:
    """Whether the call site may run ``INLINE[name]`` instead of calling ``function``: the
    table holds the library's own implementation, or one that declares that template."""
    if function is None or name not in INLINE:
        return False
    own = _LIBRARY.FUNCTION_TABLE.get(name, {}).get("function")
    return function is own or getattr(function, "jmespath_inline", None) == INLINE[name]


def _resolve(functions: Any, name: str, argc: int) -> tuple[Any, ...]:
    """``(fast, function, ok_0, check_0, ...)`` for one call site, once per bind.

    Repeats ``Functions._validate_arguments``: the arity is known here, so a site whose arity
    is wrong (or whose function is unknown) is not fast and calls ``call_function``, which
    raises the library's error when (and only when) the call is reached. For each checked
    argument, ``ok`` holds the classes whose name the signature allows, so the inline
    ``value.__class__ in ok`` passes exactly where ``_type_check_single`` would; any other
    class, and every array argument with element types, goes to ``_type_check_single`` itself.
    """
    slow = (False, None) + (None, None) * argc
    spec = functions.FUNCTION_TABLE.get(name) if _fast_path(functions) else None
    if spec is None:
        return slow
    signature = spec["signature"]
    if signature and signature[-1].get("variadic"):
        if argc < len(signature):
            return slow
    elif argc != len(signature):
        return slow
    checks: list[Any] = []
    for i in range(argc):
        types = signature[i]["types"] if i < len(signature) else []
        if not types:  # _type_check skips an untyped or variadic-tail argument
            checks += [_ANY_JSON, _no_check]
            continue
        try:
            allowed, subtypes = functions._get_allowed_pytypes(types)
        except KeyError:  # an unknown type name: let the library raise it at call time
            return slow
        slow_check = partial(functions._type_check_single, types=types, function_name=name)
        if subtypes:  # an array of one element type: the class test cannot say, a loop can
            groups = tuple(
                frozenset(c for c in _KNOWN_CLASSES if c.__name__ in names) for names in subtypes
            )
            checks += [frozenset(), partial(_array_check, groups=groups, slow=slow_check)]
            continue
        ok = frozenset(c for c in _KNOWN_CLASSES if c.__name__ in allowed)
        checks += [ok, slow_check]
    return (True, spec["function"], *checks)


_RUNTIME: dict[str, Any] = {
    "_field": _field,
    "_index": _index,
    "_values": _values,
    "_truthy": _truthy,
    "_not": _not,
    "_equals": visitor._equals,
    "_cmp": visitor._is_comparable,
    "_NUMSTR": _NUMSTR,
    "_NON_NUMBERS": frozenset((bool, type(None), str, list, dict)),
    "_SCALARS": frozenset((str, int, float, bool, type(None))),
    "_NUMBERS": frozenset((int, float)),
    "_inline": _inline,
    "_MISSING": _MISSING,
    "_Expression": _Expression,
    "_resolve": _resolve,
    "__builtins__": {
        "len": len,
        "isinstance": isinstance,
        "list": list,
        "dict": dict,
        "bool": bool,
        "str": str,
    },
}


@dataclass
class CompiledProgram:
    """One expression, runnable against a document with a jmespath ``Functions`` instance."""

    ast: dict[str, Any] = field(repr=False)
    backend: Literal["python", "jmespath"]
    #: why the expression runs on the library (``backend == "jmespath"``), else None
    reason: str | None = None
    #: the generated Python (``backend == "python"``), for ``engine rules list`` and debugging
    source: str | None = field(default=None, repr=False)
    _factory: Callable[[Any], Program] | None = field(default=None, repr=False)
    _cached: tuple[Any, Program | None] = field(default=(object(), None), repr=False)

    def bind(self, functions: Any = None) -> Program:
        """``doc -> value`` with ``functions`` (a jmespath ``Functions``; None: built-ins only).

        The function table is read once, here: bind again after changing it.
        """
        functions = _DEFAULT_FUNCTIONS if functions is None else functions
        if self._factory is not None:
            return self._factory(functions)
        interpreter = visitor.TreeInterpreter(jmespath.Options(custom_functions=functions))
        return partial(interpreter.visit, self.ast)

    def search(self, doc: Any, functions: Any = None) -> Any:
        """``jmespath`` ``ParsedResult.search(doc, Options(custom_functions=functions))``."""
        key, program = self._cached
        if key is not functions or program is None:
            program = self.bind(functions)
            self._cached = (functions, program)  # one tuple: safe to race
        return program(doc)


def compile_program(ast: dict[str, Any], pure_functions: Iterable[str] = ()) -> CompiledProgram:
    """Compile a jmespath AST (``jmespath.compile(source).parsed``); never raises for one.

    ``pure_functions``: names whose result depends on their arguments alone (and the bound
    clock) and who mutate nothing; a repeated call with the same arguments is made once per
    evaluation. The one visible difference: two such calls in one result are the same object.
    """
    try:
        generated = generate(ast, frozenset(pure_functions))
        code = compile(generated.source, "<jmespath program>", "exec")
    except UnsupportedNode as exc:
        return CompiledProgram(ast, "jmespath", reason=str(exc))
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        reason = f"Python could not compile the generated code: {type(exc).__name__}: {exc}"
        return CompiledProgram(ast, "jmespath", reason=reason)
    namespace = {**_RUNTIME, **generated.namespace}
    exec(code, namespace)  # noqa: S102 - our own generated code; literals are passed as objects
    return CompiledProgram(ast, "python", source=generated.source, _factory=namespace["_bind"])


def compile_kernel(
    rules: list[KernelRule],
    pure_functions: Iterable[str] = (),
    memoised: Iterable[str] = (),
) -> Callable[[Any], Program]:
    """``functions -> program(doc) -> (w0, c0, w1, c1, ...)`` for ``generate_kernel``'s rules.

    Raises ``UnsupportedNode`` (a rule that reads the whole document), or ``SyntaxError`` /
    ``RecursionError`` / ``MemoryError`` / ``ValueError`` when Python cannot compile the
    source: the caller then evaluates those rules one by one.
    """
    generated = generate_kernel(rules, frozenset(pure_functions), frozenset(memoised))
    code = compile(generated.source, "<jmespath kernel>", "exec")
    namespace = {**_RUNTIME, **generated.namespace}
    exec(code, namespace)  # noqa: S102 - our own generated code; literals are passed as objects
    factory: Callable[[Any], Program] = namespace["_bind"]
    return factory


def compile_source(expression: str, pure_functions: Iterable[str] = ()) -> CompiledProgram:
    """``compile_program(jmespath.compile(expression).parsed)``; parse errors are jmespath's."""
    return compile_program(jmespath.compile(expression).parsed, pure_functions)


def backend_summary(programs: Iterable[CompiledProgram]) -> str:
    """For ``engine rules list``: "python" when every program of a rule compiled, else
    "jmespath (<reason>)" naming why the first that did not runs on the library."""
    for program in programs:
        if program.backend != "python":
            return f"jmespath ({program.reason})"
    return "python"
