"""Benchmark: compiled JMESPath against the library and against hand-written Python.

Run from the repository root: ``python bench/compile_benchmark.py [--resources N] [--runs K]
[--json]``. Measures the condition of every shipped rule, alone, on the synthetic inventory of
``bench/benchmark.py`` (same generator and seed; one document per (rule, resource) pair:
``to_dict()`` plus the rule's ``params``, built before timing):

- ``jmespath_search``: ``jmespath.search(source, doc, options)`` with our functions (jmespath
  caches parsed expressions: a lookup, not a parse);
- ``jmespath_compiled``: ``jmespath.compile(source)`` once, then ``.search(doc, options)``;
- ``compiled_search``: ``engine.jmes_compile`` program, ``program.search(doc, functions)``;
- ``compiled_bound``: the same program bound once, ``bound(doc)`` (what the evaluator calls);
- ``hand_written``: the condition written as a plain Python function: the limit baseline;
- ``compiled_kernel`` (all rules together only): what the evaluator runs, one kernel per
  resource type deciding every rule of the type in one call (``engine.evaluator``: params
  folded, shared reads, memoised lifecycle/date/price lookups) on the resource document
  without params; where a kernel raises for a document, that document's rules run one by one
  (``compiled_bound``), as the evaluator does, and that time counts.

Each of K runs times every side back to back in rotating order and counts the conditions that
are true and the errors raised by class; all sides must count the same per rule. Throughput is
evaluations per second; a ratio is taken within each run, then its median, so drift between
runs cancels. Time is this process's CPU time (``time.process_time``) by default, so that other
jobs on the shared machine are not counted as ours; ``--clock wall`` uses ``time.perf_counter``.
Read these numbers, never use them as test assertions.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import jmespath

from engine.evaluator import kernel_rule
from engine.functions import FUNCTIONS, FunctionContext, builtin_names, days_since, make_functions
from engine.jmes import MEMOISED_FUNCTIONS, PURE_FUNCTIONS
from engine.jmes_compile import CompiledProgram, compile_kernel, compile_program
from engine.rules import load_rules

SIDES = (
    "jmespath_search",
    "jmespath_compiled",
    "compiled_search",
    "compiled_bound",
    "hand_written",
    "compiled_kernel",
)
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
Condition = Callable[[dict[str, Any]], Any]


def _benchmark_module() -> ModuleType:
    """``bench/benchmark.py`` by path: ``bench`` is not an installed package."""
    path = Path(__file__).resolve().with_name("benchmark.py")
    spec = importlib.util.spec_from_file_location("bench_benchmark", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hand_written(ctx: FunctionContext) -> dict[str, Condition]:
    """The shipped conditions as a Python programmer would write them for this data."""

    def ec2_instance_stopped_too_long(doc: dict[str, Any]) -> bool:
        state: str = doc["state"]
        if state != "stopped":
            return False
        stopped_at: str | None = doc["attributes"]["stopped_at"]
        allowed: int = doc["params"]["max_stopped_days"]
        return stopped_at is None or (days_since(ctx, stopped_at) or 0) > allowed

    def s3_bucket_no_lifecycle(doc: dict[str, Any]) -> bool:
        count: int = doc["attributes"]["lifecycle_enabled_rule_count"]
        return count == 0

    def s3_bucket_versioning_disabled(doc: dict[str, Any]) -> bool:
        versioning: str | None = doc["attributes"]["versioning"]
        return versioning != "Enabled"

    return {
        "ec2-instance-stopped-too-long": ec2_instance_stopped_too_long,
        "s3-bucket-no-lifecycle": s3_bucket_no_lifecycle,
        "s3-bucket-versioning-disabled": s3_bucket_versioning_disabled,
    }


Job = tuple[str, dict[str, Condition], list[Any]]  # rule id, condition per side, documents
# per resource type: (rule id, gated bound condition) per rule, the kernel's factory and
# functions (bound afresh in each run: its memos belong to one evaluation), documents without
# params, and each rule's documents with its params (the fallback's input)
Kernel = tuple[
    list[tuple[str, Condition]], Callable[[Any], Condition], Any, list[Any], list[list[Any]]
]


def kernels(n: int, seed: int, functions: Any) -> list[Kernel]:
    """One kernel per resource type, as ``engine.evaluator`` builds them."""
    bench = _benchmark_module()
    bases: dict[str, list[dict[str, Any]]] = {}
    for resource in bench.generate(n, seed):
        bases.setdefault(resource.resource_type, []).append(resource.to_dict())
    out: list[Kernel] = []
    for resource_type, rules in load_rules().by_type().items():
        docs = bases.get(resource_type, [])
        if not docs:
            continue
        factory = compile_kernel(
            [kernel_rule(rule) for rule in rules], PURE_FUNCTIONS, MEMOISED_FUNCTIONS
        )
        bound = _makers(functions, None)["compiled_bound"]
        one_by_one = [(rule.id, _gated(bound(rule.where), bound(rule.condition))) for rule in rules]
        with_params = [[{**doc, "params": rule.params} for doc in docs] for rule in rules]
        out.append((one_by_one, factory, functions, docs, with_params))
    return out


def kernel_outcomes(kernel: Kernel) -> dict[str, tuple[int, Counter[str]]]:
    """Per rule: conditions true and errors by class, as ``outcomes`` counts them."""
    rules, factory, functions, docs, with_params = kernel
    program = factory(functions)
    true = [0] * len(rules)
    errors = [Counter[str]() for _ in rules]
    for d, doc in enumerate(docs):
        try:
            values = program(doc)
        except Exception:  # noqa: BLE001 - this document's rules run one by one
            for i, (_, condition) in enumerate(rules):
                try:
                    true[i] += condition(with_params[i][d]) is True
                except Exception as exc:  # noqa: BLE001 - counted and compared
                    errors[i][type(exc).__name__] += 1
            continue
        for i in range(len(rules)):
            true[i] += values[2 * i] is True and values[2 * i + 1] is True
    return {rule_id: (true[i], errors[i]) for i, (rule_id, _) in enumerate(rules)}


def prepare(n: int, seed: int) -> tuple[list[Job], list[str]]:
    """One job per rule with documents in the inventory; the ids of the rules without."""
    bench = _benchmark_module()
    ctx = FunctionContext(bench.NOW)
    functions = make_functions(ctx)
    options = jmespath.Options(custom_functions=functions)
    rules = load_rules()
    manual = hand_written(ctx)
    by_id = rules.by_id()
    if odd := {r for r in manual if r not in by_id or by_id[r].where is not None}:
        raise SystemExit(f"hand-written conditions out of date (rule gone or has a where): {odd}")
    bases: dict[str, list[dict[str, Any]]] = {}
    for resource in bench.generate(n, seed):
        bases.setdefault(resource.resource_type, []).append(resource.to_dict())
    jobs, skipped = [], []
    for rule in rules.rules:
        docs = [{**doc, "params": rule.params} for doc in bases.get(rule.resource_type, [])]
        if not docs:
            skipped.append(rule.id)
            continue
        sides = {
            name: _gated(*(make(e) for e in (rule.where, rule.condition)))
            for name, make in _makers(functions, options).items()
        }
        if rule.id in manual:
            sides["hand_written"] = manual[rule.id]
        jobs.append((rule.id, sides, docs))
    return jobs, skipped


def _makers(functions: Any, options: Any) -> dict[str, Callable[[Any], Condition | None]]:
    """Per side: expression (or None) -> its condition function, for one rule expression."""
    pure = builtin_names() | set(FUNCTIONS)  # as the evaluator compiles them

    def program(expr: Any) -> CompiledProgram:
        compiled = compile_program(expr.parsed.parsed, pure)
        if compiled.backend != "python":
            raise SystemExit(f"not compiled ({compiled.reason}): {expr.source!r}")
        return compiled

    def side(make: Callable[[Any], Condition]) -> Callable[[Any], Condition | None]:
        return lambda expr: None if expr is None else make(expr)

    return {
        "jmespath_search": side(lambda e: partial(jmespath.search, e.source, options=options)),
        "jmespath_compiled": side(lambda e: partial(e.parsed.search, options=options)),
        "compiled_search": side(lambda e: partial(program(e).search, functions=functions)),
        "compiled_bound": side(lambda e: program(e).bind(functions)),
    }


def _gated(where: Condition | None, condition: Condition | None) -> Condition:
    """The rule's condition, behind its ``where`` as the evaluator does (null: not applicable)."""
    assert condition is not None
    if where is None:
        return condition
    return lambda doc: condition(doc) if where(doc) is True else None


def outcomes(condition: Condition, docs: list[Any]) -> tuple[int, str]:
    """How many conditions are true, and the error classes raised (a rule may read an attribute
    the synthetic inventory lacks: an error outcome in the evaluator, counted here)."""
    true, errors = 0, Counter[str]()
    for doc in docs:
        try:
            if condition(doc) is True:
                true += 1
        except Exception as exc:  # noqa: BLE001 - counted and compared between the sides
            errors[type(exc).__name__] += 1
    return true, ", ".join(f"{n} {name}" for name, n in sorted(errors.items()))


def timed_runs(
    jobs: list[Job], runs: int, clock: Callable[[], float], kernel_jobs: list[Kernel]
) -> dict[str, Any]:
    """Per run, per rule and side: evaluations/s; every side must count the same trues."""
    eps: dict[str, dict[str, list[float]]] = {rule_id: {} for rule_id, _, _ in jobs}
    seconds: dict[str, dict[str, list[float]]] = {rule_id: {} for rule_id, _, _ in jobs}
    kernel_seconds: list[float] = []
    expected = {rule_id: outcomes(sides["compiled_bound"], docs) for rule_id, sides, docs in jobs}
    for k in range(runs):
        elapsed = 0.0
        for kernel in kernel_jobs:
            gc.collect()
            start = clock()
            counted = kernel_outcomes(kernel)
            elapsed += clock() - start
            for rule_id, (true, errors) in counted.items():
                text = ", ".join(f"{n} {name}" for name, n in sorted(errors.items()))
                if rule_id in expected and (true, text) != expected[rule_id]:
                    raise SystemExit(f"{rule_id}: the kernel disagrees: {(true, text)}")
        kernel_seconds.append(elapsed)
        for rule_id, sides, docs in jobs:
            names = list(sides)
            counts = {}
            for side in names[k % len(names) :] + names[: k % len(names)]:  # rotate the order
                condition = sides[side]
                gc.collect()
                start = clock()
                counts[side] = outcomes(condition, docs)
                elapsed = clock() - start
                seconds[rule_id].setdefault(side, []).append(elapsed)
                eps[rule_id].setdefault(side, []).append(len(docs) / elapsed)
            if len(set(counts.values())) != 1:
                raise SystemExit(f"{rule_id}: the sides disagree on (true, errors): {counts}")
    return {"per_rule": eps, "seconds": seconds, "kernel_seconds": kernel_seconds}


def summarise(jobs: list[Job], timed: dict[str, Any], runs: int) -> dict[str, Any]:
    """Scopes: the rules with a hand-written condition together, all rules together, each rule."""
    sizes = {rule_id: len(docs) for rule_id, _, docs in jobs}
    groups = {
        "rules with a hand-written equivalent": [r for r, s, _ in jobs if "hand_written" in s],
        "all rules with resources": list(sizes),
    }
    scopes: dict[str, dict[str, list[float]]] = {}
    for title, members in groups.items():
        if not members:
            continue
        sides = [s for s in SIDES if all(s in timed["seconds"][r] for r in members)]
        total = sum(sizes[r] for r in members)
        scopes[title] = {
            s: [total / sum(timed["seconds"][r][s][k] for r in members) for k in range(runs)]
            for s in sides
        }
        if title == "all rules with resources":
            scopes[title]["compiled_kernel"] = [total / t for t in timed["kernel_seconds"]]
    scopes.update(timed["per_rule"])
    out: dict[str, Any] = {}
    for scope, by_side in scopes.items():
        pairs = [
            (ours, theirs)
            for ours in ("compiled_kernel", "compiled_bound", "compiled_search")
            for theirs in SIDES[:2]
        ]
        pairs += [("hand_written", "jmespath_search"), ("hand_written", "compiled_bound")]
        out[scope] = {
            "evaluations": sum(sizes[r] for r in groups.get(scope, [scope])),
            "evaluations_per_second": {s: _spread(v) for s, v in by_side.items()},
            "ratio": {
                f"{a}_over_{b}": _spread(_ratio(by_side[a], by_side[b]))
                for a, b in pairs
                if a in by_side and b in by_side
            },
        }
    return out


def _ratio(a: list[float], b: list[float]) -> list[float]:
    return [x / y for x, y in zip(a, b, strict=True)]


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def table(result: dict[str, Any]) -> str:
    lines = [
        f"N={result['resources']} resources, K={result['runs']} runs, seed {result['seed']}, "
        f"{result['clock']} time; an evaluation is one (rule, resource) condition",
    ]
    if result["rules_without_resources"]:
        skipped = ", ".join(result["rules_without_resources"])
        lines.append(f"Rules with no resources in the synthetic inventory: {skipped}")
    for scope, s in result["scopes"].items():
        head = f"{scope} ({s['evaluations']:,} evaluations)"
        lines.append(f"\n{head:<48}{'median':>12}{'min':>12}{'max':>12}")
        for side, spread in s["evaluations_per_second"].items():
            values = "".join(f"{v:>12,.0f}" for v in spread.values())
            lines.append(f"  {side + ' (eval/s)':<46}{values}")
        for name, spread in s["ratio"].items():
            lines.append(f"  {name:<46}" + "".join(f"{v:>12.2f}" for v in spread.values()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--resources", type=int, default=100_000, metavar="N")
    parser.add_argument("--runs", type=int, default=5, metavar="K")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="default: cpu")
    args = parser.parse_args(argv)
    if args.resources < 1 or args.runs < 1:
        parser.error("--resources and --runs must be at least 1")
    jobs, skipped = prepare(args.resources, args.seed)
    functions = make_functions(FunctionContext(_benchmark_module().NOW))
    kernel_jobs = kernels(args.resources, args.seed, functions)
    timed = timed_runs(jobs, args.runs, CLOCKS[args.clock], kernel_jobs)
    result = {
        "resources": args.resources,
        "runs": args.runs,
        "seed": args.seed,
        "clock": args.clock,
        "rules_without_resources": skipped,
        "scopes": summarise(jobs, timed, args.runs),
    }
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
