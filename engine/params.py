"""Per-deployment rule parameters: a YAML file ``{rule-id: {param: value}}`` over the defaults.

Read before evaluation (``--params FILE``). An unknown rule id, an unknown param name or a value
of the wrong type is an error with ``file:line``, never ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import RuleError, RuleErrors, one_line
from engine.rules import RuleSet, check_param_value, display_path, is_rule_id
from engine.yamlsource import YamlSourceError, load


def load_params(path: str | Path, rules: RuleSet) -> dict[str, dict[str, Any]]:
    """Read and validate a params file against the loaded rules' param specs."""
    file = Path(path)
    shown = display_path(file)
    try:
        doc = load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleErrors(
            [RuleError(shown, None, "-", "-", f"cannot read params file: {exc.strerror}")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise RuleErrors(
            [RuleError(shown, None, "-", "-", f"not UTF-8 text: {exc.reason}")]
        ) from exc
    except YamlSourceError as exc:
        raise RuleErrors([RuleError(shown, exc.line, "-", "-", exc.message)]) from exc
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise RuleErrors(
            [
                RuleError(
                    shown,
                    doc.line(()),
                    "-",
                    "-",
                    "a params file must map rule ids to {param: value}",
                )
            ]
        )
    by_id = rules.by_id()
    errors: list[RuleError] = []
    result: dict[str, dict[str, Any]] = {}
    for rule_id, values in data.items():
        line = doc.line((str(rule_id),))
        if rule_id not in by_id:
            # a key that is not even shaped like a rule id is quoted, not used as the subject
            shaped = is_rule_id(rule_id)
            message = "unknown rule id" + ("" if shaped else f" {one_line(repr(rule_id), 100)}")
            errors.append(RuleError(shown, line, rule_id if shaped else "-", "-", message))
            continue
        if not isinstance(values, dict):
            errors.append(
                RuleError(
                    shown, line, str(rule_id), "-", "expected a mapping of param names to values"
                )
            )
            continue
        specs = by_id[rule_id].param_specs
        for name, value in values.items():
            where = doc.line((str(rule_id), str(name)))
            if name not in specs:
                known = ", ".join(sorted(specs)) or "none"
                errors.append(
                    RuleError(
                        shown, where, rule_id, f"params.{name}", f"unknown param (known: {known})"
                    )
                )
                continue
            problem = check_param_value(specs[name], value)
            if problem:
                errors.append(RuleError(shown, where, rule_id, f"params.{name}", problem))
                continue
            result.setdefault(rule_id, {})[name] = value
    if errors:
        raise RuleErrors(errors)
    return result


def apply_params(rules: RuleSet, overrides: dict[str, dict[str, Any]]) -> RuleSet:
    """The rule set with overridden params (defaults kept for the rest)."""
    return RuleSet(
        tuple(r.with_params(overrides[r.id]) if r.id in overrides else r for r in rules.rules)
    )
