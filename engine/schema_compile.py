"""JSON Schema -> Python source: the fast acceptance check behind ``engine.schema.resource_errors``.

Sits between the composed Resource schema (``engine.schema``) and its two per-resource callers,
the snapshot reader (``engine.inventory``) and the collectors' runner. jsonschema's
``Draft202012Validator`` takes about 0.3-0.6 ms a resource, mostly because the composed schema
makes it try the ``if`` of every type's branch and build an error iterator per keyword; at a
million resources that is minutes of CPU spent saying "valid".

``compile_resource_checks(schema, format_checker)`` specialises the composed schema to one
resource type at a time (the base plus that type's ``then``) and emits one straight-line Python
function per type, in the spirit of fastjsonschema (which stops at draft-07), that returns True
only when the document is certainly valid. Anything it is not sure of (a float where an integer
is expected, an unknown resource type, a dict subclass) returns False, and the caller then asks
jsonschema itself, so decisions and error messages stay jsonschema's by construction. Soundness
rests on two rules:

- every keyword the generator meets must be one it translates (``KEYWORDS``) or a pure
  annotation; anything else raises ``Unsupported`` and that type keeps plain jsonschema;
- each translation mirrors jsonschema 4's keyword function (``jsonschema/_keywords.py``):
  ``re.search`` for ``pattern``, ``len`` for ``minLength``, the validator's own
  ``FormatChecker`` functions for ``format``, exact ``type(v) is ...`` tests for ``type``.

``tests/test_schema_fast.py`` checks the generated functions against jsonschema on mutated
resources of every type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: keywords with no effect on validity (``$defs`` is only a container for ``$ref``; ``$id`` and
#: ``$schema`` are checked where they matter, in ``_Generator.node``)
ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "examples", "default", "deprecated", "readOnly",
     "writeOnly", "$defs", "$schema", "$id"}
)  # fmt: skip
#: what the generator translates; every other keyword makes it raise ``Unsupported``
KEYWORDS = frozenset(
    {"type", "enum", "const", "format", "$ref", "allOf", "minLength", "maxLength", "pattern",
     "minimum", "maximum", "properties", "required", "additionalProperties", "propertyNames",
     "items"}
)  # fmt: skip
#: ``type`` name -> the exact test (a subclass, or a float for "integer", is left to jsonschema)
KIND_TESTS = {
    "object": "type({v}) is dict",
    "string": "type({v}) is str",
    "null": "{v} is None",
    "integer": "type({v}) is int",
    "boolean": "type({v}) is bool",
    "array": "type({v}) is list",
}
MAX_REF_DEPTH = 16

Check = Callable[[Any], bool]


class Unsupported(ValueError):
    """The schema uses something the generator does not translate; jsonschema alone decides."""


class _Generator:
    """Emits the body of ``check(v0)``; ``node`` is the entry point for one (sub)schema."""

    def __init__(self, root: dict[str, Any], format_checker: FormatChecker) -> None:
        self.root = root
        self.formats = format_checker
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.variables = 0
        # a nested "$id" changes the base a "$ref" below it resolves against: refused there
        self.in_root_scope = True
        self.ref_depth = 0

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def variable(self) -> str:
        self.variables += 1
        return f"v{self.variables}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def fail_if(self, indent: int, condition: str) -> None:
        self.emit(indent, f"if {condition}:")
        self.emit(indent + 1, "return False")

    def node(self, schema: Any, v: str, indent: int) -> None:
        """Statements that ``return False`` unless ``v`` is certainly valid against ``schema``."""
        if schema is True:
            return
        if schema is False:
            self.emit(indent, "return False")
            return
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema must be an object or a boolean, not {schema!r}")
        unknown = set(schema) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise Unsupported(f"keywords not translated: {', '.join(sorted(unknown))}")
        if schema.get("$schema", DIALECT) != DIALECT:
            raise Unsupported(f"$schema {schema['$schema']!r}")
        saved = self.in_root_scope, self.ref_depth
        self.in_root_scope = self.in_root_scope and "$id" not in schema
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            self.ref_depth += 1
            self.node(target, v, indent)
            self.ref_depth = saved[1]
        for sub in schema.get("allOf", ()):
            self.node(sub, v, indent)
        self.dispatch(schema, v, indent)
        self.in_root_scope, self.ref_depth = saved

    def resolve(self, ref: Any) -> Any:
        match = re.fullmatch(r"#/\$defs/([A-Za-z0-9_.-]+)", ref) if isinstance(ref, str) else None
        defs = self.root.get("$defs", {})
        if not self.in_root_scope or match is None or self.ref_depth >= MAX_REF_DEPTH:
            raise Unsupported(f"$ref {ref!r}")
        if match[1] not in defs:
            raise Unsupported(f"$ref {ref!r} does not resolve")
        return defs[match[1]]

    def dispatch(self, schema: dict[str, Any], v: str, indent: int) -> None:
        """One ``if``/``elif`` branch per allowed type, with the keywords that apply to it."""
        named = schema.get("type")
        kinds = [named] if isinstance(named, str) else named
        if kinds is None:
            if not set(schema) & (KEYWORDS - {"$ref", "allOf"}):
                return
            kinds = list(KIND_TESTS)  # untyped: each type's keywords on that type; floats: no
        if not isinstance(kinds, list) or any(kind not in KIND_TESTS for kind in kinds):
            raise Unsupported(f"type {named!r}")
        allowed = self.allowed_values(schema)
        for number, kind in enumerate(dict.fromkeys(kinds)):
            test = KIND_TESTS[kind].format(v=v)
            self.emit(indent, f"{'elif' if number else 'if'} {test}:")
            before = len(self.lines)
            self.kind_block(kind, schema, allowed, v, indent + 1)
            if len(self.lines) == before:
                self.emit(indent + 1, "pass")
        if kinds:
            self.emit(indent, "else:")
        self.emit(indent + int(bool(kinds)), "return False")

    def allowed_values(self, schema: dict[str, Any]) -> list[Any] | None:
        """``enum`` and ``const`` as one list of allowed values (strings and null only)."""
        allowed: list[Any] | None = None
        for values in (schema.get("enum"), [schema["const"]] if "const" in schema else None):
            if values is None:
                continue
            if not isinstance(values, list) or any(
                value is not None and type(value) is not str for value in values
            ):
                raise Unsupported(f"enum or const {values!r}: only strings and null are translated")
            allowed = values if allowed is None else [x for x in allowed if x in values]
        return allowed

    def kind_block(
        self, kind: str, schema: dict[str, Any], allowed: list[Any] | None, v: str, indent: int
    ) -> None:
        if allowed is not None:
            if kind == "string":
                strings = frozenset(x for x in allowed if x is not None)
                self.fail_if(indent, f"{v} not in {self.constant(strings)}")
            elif kind != "null" or None not in allowed:
                # equal() would compare other values; jsonschema decides those
                self.emit(indent, "return False")
        if "format" in schema:
            self.format(schema["format"], kind, v, indent)
        if kind == "string":
            self.string(schema, v, indent)
        elif kind == "integer":
            self.integer(schema, v, indent)
        elif kind == "object":
            self.object(schema, v, indent)
        elif kind == "array" and "items" in schema:
            item = self.variable()
            self.emit(indent, f"for {item} in {v}:")
            self.node(schema["items"], item, indent + 1)
            self.emit(indent + 1, "pass")

    def format(self, name: Any, kind: str, v: str, indent: int) -> None:
        # jsonschema calls the format function on every type of value; it knows only its own
        if not isinstance(name, str):
            raise Unsupported(f"format {name!r}")
        if name not in self.formats.checkers:
            return
        if kind == "null":  # the one null value: decide now
            if not self.formats.conforms(None, name):
                self.emit(indent, "return False")
            return
        func, raises = self.formats.checkers[name]
        self.emit(indent, "try:")
        self.fail_if(indent + 1, f"not {self.constant(func)}({v})")
        self.emit(indent, f"except {self.constant(raises)}:")
        self.emit(indent + 1, "return False")

    def string(self, schema: dict[str, Any], v: str, indent: int) -> None:
        for keyword, op in (("minLength", "<"), ("maxLength", ">")):
            if keyword in schema:
                if type(schema[keyword]) is not int:
                    raise Unsupported(f"{keyword} {schema[keyword]!r}")
                self.fail_if(indent, f"len({v}) {op} {schema[keyword]}")
        if "pattern" in schema:
            compiled = re.compile(schema["pattern"])  # what re.search(pattern, v) compiles
            self.fail_if(indent, f"{self.constant(compiled.search)}({v}) is None")

    def integer(self, schema: dict[str, Any], v: str, indent: int) -> None:
        for keyword, op in (("minimum", "<"), ("maximum", ">")):
            if keyword in schema:
                bound = schema[keyword]
                if type(bound) not in (int, float):
                    raise Unsupported(f"{keyword} {bound!r}")
                self.fail_if(indent, f"{v} {op} {self.constant(bound)}")

    def object(self, schema: dict[str, Any], v: str, indent: int) -> None:
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        if not isinstance(properties, dict) or not isinstance(required, list):
            raise Unsupported("properties or required of the wrong type")
        if any(type(name) is not str for name in required):
            raise Unsupported(f"required {required!r}")
        names = self.constant(frozenset(properties))
        extra = schema.get("additionalProperties", True)
        if extra is False:
            self.fail_if(indent, f"not {v}.keys() <= {names}")
        elif extra is not True:
            key, value = self.variable(), self.variable()
            self.emit(indent, f"for {key}, {value} in {v}.items():")
            self.emit(indent + 1, f"if {key} not in {names}:")
            self.node(extra, value, indent + 2)
            self.emit(indent + 2, "pass")
        for name in required:
            if name not in properties:
                self.fail_if(indent, f"{self.constant(name)} not in {v}")
        for name, sub in properties.items():
            item = self.variable()
            self.emit(indent, f"{item} = {v}.get({self.constant(name)}, _MISSING)")
            if name in required:
                self.fail_if(indent, f"{item} is _MISSING")
                self.node(sub, item, indent)
            else:
                self.emit(indent, f"if {item} is not _MISSING:")
                self.node(sub, item, indent + 1)
                self.emit(indent + 1, "pass")
        if "propertyNames" in schema:
            key = self.variable()
            self.emit(indent, f"for {key} in {v}:")
            self.node(schema["propertyNames"], key, indent + 1)
            self.emit(indent + 1, "pass")


def generate(
    schema: dict[str, Any], root: dict[str, Any], format_checker: FormatChecker
) -> tuple[str, dict[str, Any]]:
    """``(source, constants)`` of ``check(v0) -> bool`` for ``schema`` ($refs against ``root``)."""
    gen = _Generator(root, format_checker)
    if schema.get("$id") == root.get("$id"):  # the root resource itself: its own base
        schema = {key: value for key, value in schema.items() if key != "$id"}
    gen.node(schema, "v0", 1)
    lines = ["def check(v0):", *gen.lines, "    return True"]
    return "\n".join(lines) + "\n", gen.constants


def build(schema: dict[str, Any], root: dict[str, Any], format_checker: FormatChecker) -> Check:
    source, constants = generate(schema, root, format_checker)
    namespace: dict[str, Any] = {**constants, "_MISSING": object()}
    code = compile(source, "<resource schema check>", "exec")
    exec(code, namespace)  # noqa: S102 - our own generated code; literals are passed as objects
    check: Check = namespace["check"]
    return check


def _branch_type(branch: Any) -> Any:
    """N for ``{"if": {"properties": {"resource_type": {"const": N}}, "required":
    ["resource_type"]}, "then": ...}``, the shape ``engine.schema`` builds; else None."""
    if not isinstance(branch, dict) or set(branch) != {"if", "then"}:
        return None
    try:
        name = branch["if"]["properties"]["resource_type"]["const"]
    except (KeyError, TypeError):
        return None
    shape = {"properties": {"resource_type": {"const": name}}, "required": ["resource_type"]}
    return name if type(name) is str and branch["if"] == shape else None


def type_branches(composed: dict[str, Any]) -> dict[str, list[Any]]:
    """``{resource_type: [then, ...]}`` from the composed schema's ``allOf``."""
    out: dict[str, list[Any]] = {}
    for branch in composed.get("allOf", []):
        name = _branch_type(branch)
        if name is None:
            raise Unsupported(f"allOf entry not of the per-type shape: {branch!r}")
        out.setdefault(name, []).append(branch["then"])
    return out


def compile_resource_checks(
    composed: dict[str, Any], format_checker: FormatChecker
) -> dict[str, Check]:
    """``{resource_type: check}`` for each type whose specialised schema translates.

    For a document whose ``resource_type`` is exactly the string T, the ``if`` of a branch holds
    iff its const is T (``const`` compares two strings with ``==``), so the composed schema is
    the base without ``allOf`` plus the ``then`` of T's branches, which is what is compiled.
    """
    try:
        branches = type_branches(composed)
    except Unsupported:
        return {}
    base = {key: value for key, value in composed.items() if key != "allOf"}
    checks: dict[str, Check] = {}
    for name, thens in branches.items():
        try:
            checks[name] = build({**base, "allOf": thens}, composed, format_checker)
        except (Unsupported, re.error):
            continue
    return checks


def dispatcher(checks: dict[str, Check]) -> Check:
    """One ``check(doc)`` choosing the type's function by ``resource_type``; False if none."""

    def check(doc: Any) -> bool:
        if type(doc) is dict:
            name = doc.get("resource_type")
            if type(name) is str:
                specific = checks.get(name)
                if specific is not None:
                    return specific(doc)
        return False

    return check
