"""Loading rules: YAML file -> validated, compiled ``Rule``.

Second stage's input: the evaluator runs ``Rule`` values. Each file is parsed with line numbers,
validated against the rule JSON Schema, its expressions compiled and their function names and
``params`` references checked, so that every mistake stops the run at load time with a one-line
``file:line: rule-id: field: message`` (exit code 2), never at evaluation time.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from engine.clock import iso
from engine.errors import RuleError, RuleErrors
from engine.jmes import Compiled, ExpressionError, compile_expression
from engine.schema import dotted, known_resource_types, type_fragments, validator
from engine.yamlsource import Located, YamlSourceError, load

RULE_SUFFIXES = (".yaml", ".yml")
PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
}


@dataclass(frozen=True)
class Escalation:
    when: Compiled | None
    severity: str


@dataclass(frozen=True)
class Rule:
    """A loaded, compiled rule. ``params`` holds the effective values (defaults + overrides)."""

    id: str
    title_template: str
    resource_type: str
    category: str
    severity: tuple[Escalation, ...]
    condition: Compiled
    where: Compiled | None
    evidence: tuple[tuple[str, Compiled], ...]
    cost: Compiled | None
    remediation: str
    references: dict[str, list[str]]
    params: dict[str, Any]
    param_specs: dict[str, dict[str, Any]]
    tests: dict[str, Any]
    file: str
    description: str = ""
    last_verified: str | None = None
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return self.title_template.format_map(self.params)

    @property
    def base_severity(self) -> str:
        """The default (last) severity: fixed rules have just one."""
        return self.severity[-1].severity

    @property
    def severities(self) -> list[str]:
        return [s.severity for s in self.severity]

    @cached_property
    def attributes_read(self) -> frozenset[str]:
        reads: set[str] = set(self.condition.attributes)
        if self.where:
            reads |= self.where.attributes
        for step in self.severity:
            if step.when:
                reads |= step.when.attributes
        return frozenset(reads)

    @cached_property
    def reads_tags(self) -> bool:
        exprs = [self.condition, self.where, *(s.when for s in self.severity)]
        return any(e is not None and "tags" in e.top_fields for e in exprs)

    def line(self, *path: str | int) -> int | None:
        current = tuple(path)
        while current and current not in self.lines:
            current = current[:-1]
        return self.lines.get(current)

    def with_params(self, overrides: dict[str, Any]) -> Rule:
        return replace(self, params={**self.params, **overrides})


@dataclass(frozen=True)
class RuleSet:
    """Rules by id (sorted) and by resource type, for dispatch."""

    rules: tuple[Rule, ...]

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def by_type(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for rule in self.rules:
            out.setdefault(rule.resource_type, []).append(rule)
        return out

    def __len__(self) -> int:
        return len(self.rules)


def shipped_rules_dir() -> Path:
    """The rule packs shipped inside the installed package."""
    return Path(str(resources.files("rules")))


def discover(paths: Sequence[str | Path] | None) -> list[Path]:
    """Rule files under ``paths`` (files or folders, recursively); default: the shipped packs."""
    roots = [Path(p) for p in paths] if paths else [shipped_rules_dir()]
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            # Data files (the EOL dataset, prices) live under data/ beside the rules.
            found.extend(
                p
                for p in sorted(root.rglob("*"))
                if p.suffix in RULE_SUFFIXES
                and p.is_file()
                and "data" not in p.relative_to(root).parts[:-1]
            )
        elif root.is_file():
            found.append(root)
        else:
            raise RuleErrors([RuleError(str(root), None, "-", "-", "no such file or folder")])
    return found


def load_rules(paths: Sequence[str | Path] | None = None) -> RuleSet:
    """Load every rule file; raise ``RuleErrors`` listing every located error found."""
    errors: list[RuleError] = []
    loaded: list[Rule] = []
    seen: dict[str, Rule] = {}
    for path in discover(paths):
        try:
            rule = load_rule_file(path)
        except RuleErrors as exc:
            errors.extend(exc.errors)
            continue
        if rule.id in seen:
            first = seen[rule.id]
            errors.append(
                RuleError(
                    rule.file,
                    rule.line("id"),
                    rule.id,
                    "id",
                    f"duplicate rule id, first defined in {first.file}:{first.line('id')}",
                )
            )
            continue
        seen[rule.id] = rule
        loaded.append(rule)
    if errors:
        raise RuleErrors(errors)
    return RuleSet(tuple(sorted(loaded, key=lambda r: r.id)))


def display_path(path: Path) -> str:
    """A path as the user would recognise it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_rule_file(path: Path) -> Rule:
    """Parse, validate and compile one rule file."""
    shown = display_path(path)
    stem = path.stem
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleErrors([RuleError(shown, None, stem, "-", f"cannot read: {exc}")]) from exc
    try:
        doc = load(text)
    except YamlSourceError as exc:
        raise RuleErrors([RuleError(shown, exc.line, stem, "-", exc.message)]) from exc
    return build_rule(doc, shown, stem)


class _Checker:
    """Collects located errors for one rule document while it is checked and compiled."""

    def __init__(self, doc: Located, shown: str, rule_id: str) -> None:
        self.doc = doc
        self.shown = shown
        self.rule_id = rule_id
        self.errors: list[RuleError] = []
        self.compiled: dict[tuple[str | int, ...], Compiled] = {}

    def error(self, path: tuple[str | int, ...], message: str) -> None:
        self.errors.append(
            RuleError(self.shown, self.doc.line(path), self.rule_id, dotted(path), message)
        )

    def compile(self, path: tuple[str | int, ...], source: str) -> None:
        try:
            self.compiled[path] = compile_expression(source)
        except ExpressionError as exc:
            self.error(path, str(exc))

    def compile_all(self, data: dict[str, Any]) -> None:
        for key in ("condition", "where", "estimated_monthly_cost_usd"):
            if key in data:
                self.compile((key,), data[key])
        for name, source in (data.get("evidence") or {}).items():
            self.compile(("evidence", name), source)
        severity = data["severity"]
        if not isinstance(severity, list):
            return
        for index, step in enumerate(severity):
            last = index == len(severity) - 1
            if last and "when" in step:
                message = "the last escalation step is the default: it must not have 'when'"
                self.error(("severity", index), message)
            elif not last and "when" not in step:
                self.error(("severity", index), "every escalation step but the last needs 'when'")
            elif "when" in step:
                self.compile(("severity", index, "when"), step["when"])

    def _check_title(self, title: str, specs: dict[str, Any]) -> None:
        """The title must fill from the defaults: ``{x[0]}``, ``{x:zz}`` or a nested ``{x:{y}}``
        would otherwise fail when a report is written, not when the rule loads."""
        try:
            title.format_map({name: spec.get("default") for name, spec in specs.items()})
        except (KeyError, IndexError, AttributeError, ValueError, TypeError) as exc:
            message = f"cannot be filled from the params' defaults: {type(exc).__name__}: {exc}"
            self.error(("title",), message)

    def check_references(self, data: dict[str, Any], specs: dict[str, Any]) -> None:
        """Every params.x declared, every attributes.x documented, every {placeholder} a param."""
        rtype = data["resource"]
        if rtype not in known_resource_types():
            known = ", ".join(known_resource_types())
            self.error(("resource",), f"unknown resource type {rtype!r}; known: {known}")
        known_attrs = _attribute_names(rtype)
        for path, expr in self.compiled.items():
            for word in sorted(expr.top_fields & {"null", "true", "false"}):
                # JMESPath reads a bare null/true/false as a field of that name (always null)
                self.error(path, f"{word} here is a field name; write the literal `{word}`")
            for name in sorted(expr.attributes - (known_attrs or expr.attributes)):
                self.error(path, f"reads attributes.{name}, which {rtype} does not have")
            for name in sorted(expr.params - set(specs)):
                self.error(path, f"reads params.{name}, which is not declared under params")
        undeclared = [name for name in _placeholders(data["title"]) if name not in specs]
        for name in undeclared:
            self.error(("title",), f"placeholder {{{name}}} is not a declared param")
        if not undeclared:
            self._check_title(data["title"], specs)
        for name, spec in specs.items():
            problem = check_param_value(spec, spec["default"])
            if problem:
                self.error(("params", name, "default"), problem)


def build_rule(doc: Located, shown: str, stem: str) -> Rule:
    """Validate a parsed rule document and compile it into a ``Rule``."""
    data = doc.data
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "an empty document"
        message = f"a rule must be a mapping, got {kind}"
        raise RuleErrors([RuleError(shown, doc.line(()), stem, "-", message)])
    # Messages name the rule by its id only when it is a well-formed one: any other value (a
    # number, text with line breaks or colons) would garble the ``file:line: id:`` line.
    rule_id = data["id"] if is_rule_id(data.get("id")) else stem
    data = _jsonable(data)
    checker = _Checker(doc, shown, rule_id)
    schema_errors = sorted(
        validator("rule").iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
    )
    for e in schema_errors:
        checker.error(tuple(e.absolute_path), _schema_message(e))
    if checker.errors:
        raise RuleErrors(checker.errors)
    if data["id"] != stem:
        checker.error(("id",), f"id must equal the file name {stem!r}")
    specs: dict[str, dict[str, Any]] = data.get("params") or {}
    checker.compile_all(data)
    checker.check_references(data, specs)
    if checker.errors:
        raise RuleErrors(checker.errors)
    compiled = checker.compiled
    severity = data["severity"]
    defaults = {name: spec["default"] for name, spec in specs.items()}

    steps = (
        tuple(
            Escalation(compiled.get(("severity", i, "when")), s["severity"])
            for i, s in enumerate(severity)
        )
        if isinstance(severity, list)
        else (Escalation(None, severity),)
    )
    return Rule(
        id=data["id"],
        title_template=data["title"],
        resource_type=data["resource"],
        category=data["category"],
        severity=steps,
        condition=compiled[("condition",)],
        where=compiled.get(("where",)),
        evidence=tuple(
            (name, compiled[("evidence", name)]) for name in (data.get("evidence") or {})
        ),
        cost=compiled.get(("estimated_monthly_cost_usd",)),
        remediation=" ".join(data["remediation"].split()),
        references=data["references"],
        params=defaults,
        param_specs=specs,
        tests=data["tests"],
        file=shown,
        description=" ".join(str(data.get("description", "")).split()),
        last_verified=data.get("last_verified"),
        lines=dict(doc.lines),
    )


_RULE_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def is_rule_id(value: Any) -> bool:
    """Whether ``value`` is a well-formed rule id (kebab or snake case, at most 100 chars)."""
    return isinstance(value, str) and len(value) <= 100 and _RULE_ID.fullmatch(value) is not None


def _attribute_names(resource_type: str) -> frozenset[str] | None:
    """Attribute names documented for a type, or None when the type is unknown."""
    fragment = type_fragments().get(resource_type)
    if fragment is None:
        return None
    return frozenset(fragment.get("properties", {}))


def check_param_value(spec: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit the param ``spec``, or None."""
    kind = spec["type"]
    allowed = PARAM_TYPES[kind]
    if isinstance(value, bool) and kind != "boolean":
        return f"expected {kind}, got boolean"
    if not isinstance(value, allowed):
        return f"expected {kind}, got {type(value).__name__}"
    if isinstance(value, float) and not math.isfinite(value):
        # every comparison with NaN is false: a NaN threshold would pass every resource
        return f"expected a finite number, got {value}"
    if kind in ("integer", "number"):
        if "minimum" in spec and value < spec["minimum"]:
            return f"{value} is below the minimum {spec['minimum']}"
        if "maximum" in spec and value > spec["maximum"]:
            return f"{value} is above the maximum {spec['maximum']}"
    return None


def _placeholders(template: str) -> Iterable[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return []
    return [name for _, name, _, _ in parsed if name]


def _schema_message(error: Any) -> str:
    message = str(error.message)
    return message if len(message) <= 300 else message[:297] + "..."


def _jsonable(value: Any) -> Any:
    """YAML dates and timestamps become ISO strings, as in the Resource JSON shape."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
