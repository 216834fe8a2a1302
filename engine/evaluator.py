"""``evaluate()``: resources x rules -> outcomes and findings.

Third stage of the pipeline. Rules are dispatched by resource type. Each (rule, resource) pair
has one outcome: pass, fail (a ``Finding``), not applicable (the rule's ``where`` is false), or
error: the condition did not yield a boolean (a ``null`` from a missing path included), a
function raised, or the rule reads an attribute the collector could not read. An error is a
finding of its own (``outcome='error'``), never read as a pass.

Fast path: the rules of each type are compiled into one kernel (``engine.jmes_codegen.
generate_kernel``) that decides every rule's ``where`` and condition in one call, with params
folded in, shared reads and memoised lifecycle, date and price lookups. It runs when the
resource has every attribute the rules read and nothing unreadable (then no rule can be
unusable); if it raises, that resource is evaluated rule by rule, so a rule that raises gets
its own error outcome exactly as without the kernel. Severity, evidence and cost are evaluated
for fails only, rule by rule. ``Evaluator(..., kernels=False)`` turns the fast path off (the
differential tests compare both).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jmespath

from engine.clock import iso
from engine.errors import one_line
from engine.functions import FunctionContext, make_functions
from engine.jmes import MEMOISED_FUNCTIONS, PURE_FUNCTIONS
from engine.jmes_codegen import KernelRule, UnsupportedNode, generate_kernel
from engine.jmes_compile import compile_kernel
from engine.lifecycle import LiveTable
from engine.model import Finding, Resource, finding_id
from engine.rules import Rule, RuleSet

OUTCOMES = ("pass", "fail", "error", "not_applicable")


@dataclass
class RuleStats:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    not_applicable: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "pass": self.passed,
            "fail": self.failed,
            "error": self.errors,
            "not_applicable": self.not_applicable,
        }


@dataclass
class Evaluation:
    """The evaluator's output: findings (fails and errors) and per-rule outcome counts."""

    findings: list[Finding]
    stats: dict[str, RuleStats] = field(default_factory=dict)
    resources: int = 0
    #: (rule id, resource id, "pass" | "not_applicable"), only when asked for (JUnit needs it)
    others: list[tuple[str, str, str]] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        total = RuleStats()
        for s in self.stats.values():
            total.passed += s.passed
            total.failed += s.failed
            total.errors += s.errors
            total.not_applicable += s.not_applicable
        return total.to_dict()

    def summary(self) -> dict[str, Any]:
        by_severity: dict[str, int] = {}
        for f in self.findings:
            if f.outcome == "fail":
                by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
        return {
            "rules_evaluated": len(self.stats),
            "resources_evaluated": self.resources,
            "outcomes": self.totals(),
            "findings_by_severity": {
                s: by_severity.get(s, 0) for s in ("critical", "high", "medium", "low", "info")
            },
            "per_rule": {rid: s.to_dict() for rid, s in sorted(self.stats.items())},
        }


class _Outcome:
    """Internal result of one (rule, resource) evaluation."""

    __slots__ = ("cost", "error", "evidence", "kind", "severity")

    def __init__(
        self,
        kind: str,
        severity: str | None = None,
        evidence: dict[str, Any] | None = None,
        cost: float | None = None,
        error: str | None = None,
    ) -> None:
        self.kind = kind
        self.severity = severity
        self.evidence = evidence or {}
        self.cost = cost
        self.error = error


@dataclass
class _Plan:
    """How one resource type is evaluated: its rules in order, and the kernel's share."""

    rules: list[Rule]
    #: ``program(doc) -> (w0, c0, ...)`` over ``kernel_rules``, or None
    kernel: Any = None
    #: per rule of ``rules``: its index in the kernel's output, or -1 (evaluated alone)
    slots: list[int] = field(default_factory=list)
    #: attributes the kernel's rules read: all present, none unreadable -> the fast path
    needs: frozenset[str] = frozenset()
    #: per rule id: ``program(doc) -> (True, v0, True, v1, ...)`` for a fail's severity
    #: ``when``s, evidence and cost, in that order (``_fail_kernel``), or absent
    fails: dict[str, Any] = field(default_factory=dict)


def _kernel_rules(rules: list[Rule]) -> list[Rule]:
    """The rules that can share a kernel: compiled to Python, not reading the whole document."""
    out = []
    for rule in rules:
        programs = [rule.condition.program] + ([rule.where.program] if rule.where else [])
        if any(p.backend != "python" for p in programs):
            continue
        try:  # generating is enough to find a whole-document read; Python compiles once, below
            generate_kernel([kernel_rule(rule)], PURE_FUNCTIONS, MEMOISED_FUNCTIONS)
        except UnsupportedNode:
            continue
        out.append(rule)
    return out


def kernel_rule(rule: Rule) -> KernelRule:
    """The kernel's view of a rule: its where and condition ASTs and its params."""
    where = rule.where.parsed.parsed if rule.where else None
    return KernelRule(where, rule.condition.parsed.parsed, rule.params)


def _plan(rules: list[Rule], functions: Any, kernels: bool) -> _Plan:
    shared = _kernel_rules(rules) if kernels else []
    if not shared:
        return _Plan(rules, slots=[-1] * len(rules))
    try:
        factory = compile_kernel(
            [kernel_rule(r) for r in shared], PURE_FUNCTIONS, MEMOISED_FUNCTIONS
        )
    except (UnsupportedNode, SyntaxError, RecursionError, MemoryError, ValueError):
        return _Plan(rules, slots=[-1] * len(rules))
    fails = {}
    for rule in shared:
        fail = _fail_kernel(rule)
        if fail is not None:
            fails[rule.id] = fail(functions)
    index = {id(rule): i for i, rule in enumerate(shared)}
    needs: set[str] = set()
    for rule in shared:
        needs |= rule.condition.attributes | (rule.where.attributes if rule.where else set())
    return _Plan(
        rules,
        kernel=factory(functions),
        slots=[index.get(id(rule), -1) for rule in rules],
        needs=frozenset(needs),
        fails=fails,
    )


def _fail_kernel(rule: Rule) -> Any:
    """A kernel of the expressions a fail evaluates, or None where one cannot be built."""
    exprs = [step.when for step in rule.severity if step.when is not None]
    exprs += [expr for _, expr in rule.evidence]
    if rule.cost is not None:
        exprs.append(rule.cost)
    if not exprs or any(e.program.backend != "python" for e in exprs):
        return None
    items = [KernelRule(None, e.parsed.parsed, rule.params) for e in exprs]
    try:
        return compile_kernel(items, PURE_FUNCTIONS, MEMOISED_FUNCTIONS)
    except (UnsupportedNode, SyntaxError, RecursionError, MemoryError, ValueError):
        return None


_PASS = _Outcome("pass")


class Evaluator:
    """Evaluates rules against resources with one clock; reusable across batches."""

    def __init__(
        self,
        rules: RuleSet,
        now: datetime,
        record_others: bool = False,
        lifecycle_live: LiveTable | None = None,
        kernels: bool = True,
    ) -> None:
        self.rules = rules
        self.record_others = record_others
        self.others: list[tuple[str, str, str]] = []
        self.now = now
        self.stamp = iso(now) or ""
        context = FunctionContext(now, lifecycle_live or {})
        self.functions = make_functions(context)
        self.options = jmespath.Options(custom_functions=self.functions)
        self.by_type = rules.by_type()
        self.plans = {t: _plan(rs, self.functions, kernels) for t, rs in self.by_type.items()}
        self.stats: dict[str, RuleStats] = {r.id: RuleStats() for r in rules.rules}

    def evaluate_one(self, rule: Rule, doc: dict[str, Any], resource: Resource) -> _Outcome:
        """One rule on one resource document (the Resource dict plus ``params``)."""
        try:
            if rule.where is not None:
                missing = _unusable(
                    rule, resource, rule.where.attributes, "tags" in rule.where.top_fields
                )
                if missing:
                    return _Outcome("error", error=missing)
                applies = rule.where.program.search(doc, self.functions)
                if not isinstance(applies, bool):
                    return _Outcome("error", error=f"where yielded {_kind(applies)}, not a boolean")
                if not applies:
                    return _Outcome("not_applicable")
            missing = _unusable(rule, resource, rule.attributes_read, rule.reads_tags)
            if missing:
                return _Outcome("error", error=missing)
            result = rule.condition.program.search(doc, self.functions)
        except Exception as exc:  # noqa: BLE001 - any failure inside a rule is its error outcome
            return _Outcome("error", error=f"{type(exc).__name__}: {exc}")
        return self._judged(rule, result, doc)

    def _decided(
        self, plan: _Plan, rule: Rule, applies: Any, result: Any, base: dict[str, Any]
    ) -> _Outcome:
        """The outcome from a kernel's ``where`` and condition values (no rule is unusable)."""
        if rule.where is not None:
            if not isinstance(applies, bool):
                return _Outcome("error", error=f"where yielded {_kind(applies)}, not a boolean")
            if not applies:
                return _Outcome("not_applicable")
        if result is not True:
            return self._judged(rule, result, base)
        fail = plan.fails.get(rule.id)
        if fail is not None:
            try:
                values = fail(base)
            except Exception:  # noqa: BLE001 - the one-by-one path gives this its own outcome
                values = None
            if values is not None:
                return self._failed(rule, values)
        doc = dict(base)  # only a fail needs the document with params
        doc["params"] = rule.params
        return self._judged(rule, result, doc)

    def _failed(self, rule: Rule, values: tuple[Any, ...]) -> _Outcome:
        """A fail from its fail kernel's values, with the checks of ``_severity``/``_cost``."""
        outputs = values[1::2]  # the kernel's (True, value) pairs: the values
        whens = sum(1 for step in rule.severity if step.when is not None)
        names = [name for name, _ in rule.evidence]
        evidence = dict(zip(names, outputs[whens : whens + len(names)], strict=True))
        try:
            severity = _pick_severity(rule, iter(outputs[:whens]))
            cost = _cost_value(outputs[whens + len(names)]) if rule.cost is not None else None
        except TypeError as exc:
            return _Outcome("error", error=f"TypeError: {exc}")
        return _Outcome("fail", severity=severity, evidence=evidence, cost=cost)

    def _judged(self, rule: Rule, result: Any, doc: dict[str, Any]) -> _Outcome:
        """Pass, fail (with severity, evidence, cost) or error, from the condition's value."""
        if not isinstance(result, bool):
            message = f"condition yielded {_kind(result)}, not a boolean"
            return _Outcome("error", error=message + " (a path it reads may be missing)")
        if not result:
            return _PASS
        try:
            severity = self._severity(rule, doc)
            evidence = {
                name: expr.program.search(doc, self.functions) for name, expr in rule.evidence
            }
            cost = self._cost(rule, doc)
        except Exception as exc:  # noqa: BLE001 - any failure inside a rule is its error outcome
            return _Outcome("error", error=f"{type(exc).__name__}: {exc}")
        return _Outcome("fail", severity=severity, evidence=evidence, cost=cost)

    def _severity(self, rule: Rule, doc: dict[str, Any]) -> str:
        whens = (s.when for s in rule.severity if s.when is not None)
        return _pick_severity(rule, (when.program.search(doc, self.functions) for when in whens))

    def _cost(self, rule: Rule, doc: dict[str, Any]) -> float | None:
        if rule.cost is None:
            return None
        return _cost_value(rule.cost.program.search(doc, self.functions))

    def run(self, resources: Iterable[Resource]) -> tuple[list[Finding], int]:
        """Evaluate a batch; returns its findings and the number of resources seen."""
        findings: list[Finding] = []
        count = 0
        for resource in resources:
            count += 1
            plan = self.plans.get(resource.resource_type)
            if plan is None:
                continue
            base = resource.to_dict()
            decided = self._kernel(plan, resource, base)
            for rule, slot in zip(plan.rules, plan.slots, strict=True):
                if decided is not None and slot >= 0:
                    applies, result = decided[2 * slot], decided[2 * slot + 1]
                    outcome = self._decided(plan, rule, applies, result, base)
                else:
                    doc = dict(base)
                    doc["params"] = rule.params
                    outcome = self.evaluate_one(rule, doc, resource)
                self._count(rule, resource, outcome, findings)
        return findings, count

    def _kernel(
        self, plan: _Plan, resource: Resource, base: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        """The kernel's values for this resource, or None: the rules then run one by one."""
        if plan.kernel is None:
            return None
        attributes = resource.attributes
        if attributes.get("unreadable") or not attributes.keys() >= plan.needs:
            return None
        try:
            decided: tuple[Any, ...] = plan.kernel(base)
        except Exception:  # noqa: BLE001 - rule by rule, each raising rule gets its own error
            return None
        return decided

    def _count(
        self, rule: Rule, resource: Resource, outcome: _Outcome, findings: list[Finding]
    ) -> None:
        stats = self.stats[rule.id]
        kind = outcome.kind
        if kind == "pass" or kind == "not_applicable":  # noqa: PLR1714 - two interned strings
            if kind == "pass":
                stats.passed += 1
            else:
                stats.not_applicable += 1
            if self.record_others:
                self.others.append((rule.id, resource.resource_id, kind))
            return
        if kind == "fail":
            stats.failed += 1
        else:
            stats.errors += 1
        findings.append(self._finding(rule, resource, outcome))

    def _finding(self, rule: Rule, resource: Resource, outcome: _Outcome) -> Finding:
        is_error = outcome.kind == "error"
        return Finding(
            finding_id=finding_id(rule.id, resource.resource_id),
            rule_id=rule.id,
            resource_id=resource.resource_id,
            resource_type=resource.resource_type,
            resource_name=resource.name,
            account_id=resource.account_id,
            region=resource.region,
            outcome="error" if is_error else "fail",
            severity=(outcome.severity or rule.base_severity),  # type: ignore[arg-type]
            category=rule.category,  # type: ignore[arg-type]
            title=(f"Evaluation error: {rule.title}" if is_error else rule.title),
            evidence=_jsonable(outcome.evidence),
            remediation=rule.remediation,
            references=rule.references,
            status="new",
            first_seen=self.stamp,
            last_seen=self.stamp,
            # one line whatever the input held (an unreadable code, a value in a message)
            error=one_line(outcome.error, 500) if outcome.error else None,
            estimated_monthly_cost_usd=outcome.cost,
        )


def evaluate(
    resources: Iterable[Resource],
    rules: RuleSet,
    now: datetime,
    record_others: bool = False,
    lifecycle_live: LiveTable | None = None,
    *,
    kernels: bool = True,
) -> Evaluation:
    """Evaluate every rule against every resource of its type.

    ``record_others`` also keeps the (rule, resource) pairs that passed or did not apply, for
    formats that list every evaluation (JUnit); off by default to keep memory flat.
    """
    evaluator = Evaluator(rules, now, record_others, lifecycle_live, kernels)
    findings, count = evaluator.run(resources)
    return Evaluation(
        findings=findings, stats=evaluator.stats, resources=count, others=evaluator.others
    )


def _pick_severity(rule: Rule, hits: Iterator[Any]) -> str:
    """The first escalation step whose ``when`` is true (``hits``: each ``when``'s value, in
    order, read only as far as needed), else the base severity; a non-boolean raises."""
    for step in rule.severity:
        if step.when is None:
            return step.severity
        hit = next(hits)
        if not isinstance(hit, bool):
            raise TypeError(f"severity 'when' {step.when.source!r} yielded {_kind(hit)}")
        if hit:
            return step.severity
    return rule.base_severity


def _cost_value(value: Any) -> float | None:
    """A cost expression's value as dollars and cents; raises for anything but a number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"estimated_monthly_cost_usd yielded {_kind(value)}, not a number")
    return round(float(value), 2)


def _unusable(
    rule: Rule, resource: Resource, reads: frozenset[str], reads_tags: bool
) -> str | None:
    """Why the rule cannot judge this resource: attributes it reads are absent or unreadable."""
    attributes = resource.attributes
    absent = sorted(a for a in reads if a not in attributes)
    if absent:
        return "the resource has no " + ", ".join(f"attributes.{a}" for a in absent)
    unreadable = attributes.get("unreadable")
    if not isinstance(unreadable, dict) or not unreadable:
        return None
    failed = sorted(a for a in reads if a in unreadable)
    if "tags" in unreadable and reads_tags:
        failed.append("tags")
    if not failed:
        return None
    return "could not be collected: " + ", ".join(f"{a} ({unreadable[a]})" for a in failed)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, list):
        return "an array"
    return "an object"


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


def _jsonable(value: Any) -> Any:
    """A JSON copy of an evidence value: shares nothing with the resource it was read from."""
    if isinstance(value, dict):
        return {
            str(k): v if v.__class__ in _JSON_SCALARS else _jsonable(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
