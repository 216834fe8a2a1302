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

Outcome patterns: most resources of a type get the same kernel values (every ``where`` and
condition ``True``, ``False`` or ``None``), so what those values mean (which rules pass, do not
apply, or need a closer look: fails and errors) is worked out once per distinct pattern and
counted; only the rules that fail or err are looked at per resource. A pattern is keyed by the
identities of its values, so only the three singletons ``True``, ``False`` and ``None`` can
match one (a ``1`` is not ``True`` here, as it is not in ``_decided``).
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
    #: kernel outcome patterns seen so far (see the module docstring), by value identities
    patterns: dict[tuple[int, ...], _Pattern] = field(default_factory=dict)
    #: indices of the rules evaluated alone (no kernel slot)
    alone: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.alone = tuple(i for i, slot in enumerate(self.slots) if slot < 0)

    def pattern(self, decided: tuple[Any, ...]) -> _Pattern | None:
        """What ``decided`` means for each kernel rule, learnt on first sight; None when a
        value is not ``True``, ``False`` or ``None`` (those go rule by rule)."""
        key = tuple(map(id, decided))
        known = self.patterns.get(key)
        if known is not None:
            return known
        if not all(v is True or v is False or v is None for v in decided):
            return None
        passed: list[int] = []
        not_applicable: list[int] = []
        failed: list[int] = []
        closer: list[int] = []
        for index, (rule, slot) in enumerate(zip(self.rules, self.slots, strict=True)):
            if slot < 0:
                continue
            applies, result = decided[2 * slot], decided[2 * slot + 1]
            if rule.where is not None and applies is False:
                not_applicable.append(index)
            elif rule.where is not None and applies is None:
                closer.append(index)  # an error: the where yielded null
            elif result is False:
                passed.append(index)
            else:  # a fail, or an error (a null condition): built per resource
                (failed if result is True else closer).append(index)
        made = _Pattern(tuple(passed), tuple(not_applicable), tuple(failed), tuple(closer))
        self.patterns[key] = made
        return made


class _Pattern:
    """One kernel outcome pattern: rules that pass, do not apply, fail, or err (as indices
    into the plan's rules)."""

    __slots__ = ("closer", "count", "failed", "not_applicable", "passed")

    def __init__(
        self,
        passed: tuple[int, ...],
        not_applicable: tuple[int, ...],
        failed: tuple[int, ...],
        closer: tuple[int, ...],
    ) -> None:
        self.passed = passed
        self.not_applicable = not_applicable
        self.failed = failed
        self.closer = closer  # errors: ``_decided`` says which
        self.count = 0  # resources with this pattern not yet added to the rule stats


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
        self.facts = {r.id: _Facts.of(r) for r in rules.rules}

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
        facts = self.facts[rule.id]
        outputs = values[1::2]  # the kernel's (True, value) pairs: the values
        whens, names = facts.whens, facts.evidence_names
        evidence = dict(zip(names, outputs[whens : whens + len(names)], strict=True))
        try:
            severity = _pick_severity(rule, iter(outputs[:whens])) if whens else facts.severity
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
        patterns = not self.record_others  # passes are only counted, never listed
        for resource in resources:
            count += 1
            plan = self.plans.get(resource.resource_type)
            if plan is None:
                continue
            base = resource.to_dict()
            decided = self._kernel(plan, resource, base)
            if decided is None or not patterns or (pattern := plan.pattern(decided)) is None:
                self._one_by_one(plan, resource, base, decided, findings)
                continue
            pattern.count += 1
            rules, slots = plan.rules, plan.slots
            for index in pattern.failed:
                rule = rules[index]
                if not self._fail(plan, rule, resource, base, findings):
                    outcome = self._decided(plan, rule, True, True, base)
                    self._count(rule, resource, outcome, findings)
            for index in pattern.closer:
                rule, slot = rules[index], slots[index]
                applies, result = decided[2 * slot], decided[2 * slot + 1]
                outcome = self._decided(plan, rule, applies, result, base)
                self._count(rule, resource, outcome, findings)
            for index in plan.alone:
                rule = rules[index]
                doc = dict(base)
                doc["params"] = rule.params
                self._count(rule, resource, self.evaluate_one(rule, doc, resource), findings)
        self._add_pattern_counts()
        return findings, count

    def _one_by_one(
        self,
        plan: _Plan,
        resource: Resource,
        base: dict[str, Any],
        decided: tuple[Any, ...] | None,
        findings: list[Finding],
    ) -> None:
        """Every rule of the type in turn, from the kernel's values where it has them."""
        for rule, slot in zip(plan.rules, plan.slots, strict=True):
            if decided is not None and slot >= 0:
                applies, result = decided[2 * slot], decided[2 * slot + 1]
                outcome = self._decided(plan, rule, applies, result, base)
            else:
                doc = dict(base)
                doc["params"] = rule.params
                outcome = self.evaluate_one(rule, doc, resource)
            self._count(rule, resource, outcome, findings)

    def _add_pattern_counts(self) -> None:
        """Move the patterns' resource counts into the rules' pass / not-applicable stats."""
        for plan in self.plans.values():
            for pattern in plan.patterns.values():
                if not pattern.count:
                    continue
                for index in pattern.passed:
                    self.stats[plan.rules[index].id].passed += pattern.count
                for index in pattern.not_applicable:
                    self.stats[plan.rules[index].id].not_applicable += pattern.count
                pattern.count = 0

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

    def _fail(
        self,
        plan: _Plan,
        rule: Rule,
        resource: Resource,
        base: dict[str, Any],
        findings: list[Finding],
    ) -> bool:
        """A fail straight from its fail kernel (``_decided`` + ``_failed`` + ``_count`` in
        one); False when it has none, raises, or a value is wrong: ``_decided`` then says."""
        fail = plan.fails.get(rule.id)
        if fail is None:
            return False
        try:
            outputs = fail(base)[1::2]  # the kernel's (True, value) pairs: the values
        except Exception:  # noqa: BLE001 - the one-by-one path gives this its own outcome
            return False
        facts = self.facts[rule.id]
        whens, names = facts.whens, facts.evidence_names
        try:
            severity = _pick_severity(rule, iter(outputs[:whens])) if whens else facts.severity
            cost = _cost_value(outputs[whens + len(names)]) if rule.cost is not None else None
        except TypeError:
            return False
        evidence = {
            name: value if value.__class__ in _JSON_SCALARS else _jsonable(value)
            for name, value in zip(names, outputs[whens : whens + len(names)], strict=True)
        }
        self.stats[rule.id].failed += 1
        finding = self._new(
            rule, facts, resource, "fail", severity=severity, evidence=evidence, cost=cost
        )
        findings.append(finding)
        return True

    def _finding(self, rule: Rule, resource: Resource, outcome: _Outcome) -> Finding:
        facts = self.facts[rule.id]
        # one line whatever the input held (an unreadable code, a value in a message)
        error = one_line(outcome.error, 500) if outcome.error else None
        return self._new(
            rule,
            facts,
            resource,
            "error" if outcome.kind == "error" else "fail",
            severity=outcome.severity or facts.severity,
            evidence=_jsonable(outcome.evidence),
            cost=outcome.cost,
            error=error,
        )

    def _new(
        self,
        rule: Rule,
        facts: _Facts,
        resource: Resource,
        outcome: str,
        *,
        severity: str,
        evidence: dict[str, Any],
        cost: float | None,
        error: str | None = None,
    ) -> Finding:
        """A finding of this scan (status ``new`` until history says otherwise)."""
        is_error = outcome == "error"
        return Finding(
            finding_id(rule.id, resource.resource_id),
            rule.id,
            resource.resource_id,
            resource.resource_type,
            resource.name,
            resource.account_id,
            resource.region,
            outcome,  # type: ignore[arg-type]
            severity,  # type: ignore[arg-type]
            facts.category,  # type: ignore[arg-type]
            facts.error_title if is_error else facts.title,
            evidence,
            rule.remediation,
            rule.references,
            "new",
            self.stamp,
            self.stamp,
            error=error,
            estimated_monthly_cost_usd=cost,
        )


@dataclass(frozen=True, slots=True)
class _Facts:
    """What every finding of one rule shares, worked out once per evaluator."""

    title: str  # the title template with the rule's params filled in
    error_title: str
    severity: str  # the base (last) severity
    category: str
    whens: int  # escalation steps with a ``when``
    evidence_names: tuple[str, ...]

    @classmethod
    def of(cls, rule: Rule) -> _Facts:
        title = rule.title
        return cls(
            title=title,
            error_title=f"Evaluation error: {title}",
            severity=rule.base_severity,
            category=rule.category,
            whens=sum(1 for step in rule.severity if step.when is not None),
            evidence_names=tuple(name for name, _ in rule.evidence),
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
        return [v if v.__class__ in _JSON_SCALARS else _jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
