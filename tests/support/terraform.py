"""Test-only helpers for the deployment in ``terraform/``: HCL parsing, the state machine
definition rendered as Terraform's ``templatefile()`` would, and the handler contracts.

The Lambda handler tests can validate their events and return values with ``contract()``; the
check script renders the definition for ``asl-validator`` with
``python3 -m tests.support.terraform render OUT``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
ENGINE = TERRAFORM / "modules" / "engine"
ASL_TEMPLATE = ENGINE / "statemachine.asl.json.tftpl"
CONTRACTS = ENGINE / "contracts"
UNSCOPED_ACTIONS = TERRAFORM / "iam-unscoped-actions.json"

ACCOUNT = "123456789012"
REGION = "us-east-1"

#: What ``stepfunctions.tf`` passes to ``templatefile()``, with the module's defaults: numbers as
#: Terraform prints them, the failure percentage as ``format("%.2f", ...)`` makes it.
SAMPLE_VALUES: dict[str, str | int] = {
    "partition": "aws",
    "collector_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:aws-inventory-collector",
    "analyser_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:aws-inventory-analyser",
    "max_concurrency": 10,
    "tolerated_failure_percentage": "10.00",
    "collector_task_timeout": 330,
    "analyser_task_timeout": 90,
}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TemplateError(ValueError):
    """The definition uses template syntax this renderer (and the tests) do not model."""


def template_variables(text: str) -> set[str]:
    """The ``${name}`` placeholders of a template."""
    return set(_PLACEHOLDER.findall(text))


def render_template(text: str, values: dict[str, str | int]) -> str:
    """``templatefile()`` for templates made only of ``${name}`` interpolations.

    Directives (``%{ ... }``) and expressions (``${a.b}``, ``${f(x)}``) are refused rather than
    rendered differently from Terraform; so is a placeholder without a value.
    """
    if "%{" in text:
        raise TemplateError("template directives (%{...}) are not supported")
    leftover = re.search(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*\})", text)
    if leftover:
        raise TemplateError(f"unsupported interpolation at offset {leftover.start()}")
    missing = template_variables(text) - set(values)
    if missing:
        raise TemplateError(f"no value for {', '.join(sorted(missing))}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def rendered_definition(values: dict[str, str | int] | None = None) -> dict[str, Any]:
    """The state machine definition as Terraform renders it (``SAMPLE_VALUES`` by default)."""
    text = render_template(ASL_TEMPLATE.read_text(encoding="utf-8"), values or SAMPLE_VALUES)
    definition: dict[str, Any] = json.loads(text)
    return definition


@cache
def contract(name: str) -> dict[str, Any]:
    """``contracts/<name>.schema.json``: collector_input, collector_output or analyser_input."""
    schema: dict[str, Any] = json.loads((CONTRACTS / f"{name}.schema.json").read_text())
    return schema


def contract_errors(name: str, instance: Any) -> list[str]:
    """Every violation of the contract ``name`` by ``instance`` (formats checked), as text."""
    validator = jsonschema.Draft202012Validator(
        contract(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


@cache
def load_hcl(path: Path) -> dict[str, Any]:
    """One ``.tf`` file as plain values (python-hcl2; expressions stay ``${...}`` strings)."""
    import hcl2

    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = hcl2.load(handle, serialization_options=options)
    return data


def tf_files() -> list[Path]:
    """Every ``.tf`` file under ``terraform/``, sorted (never a ``.terraform/`` cache)."""
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


class Module:
    """The blocks of one Terraform folder, merged over its files, as python-hcl2 gives them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.terraform: list[dict[str, Any]] = []
        for path in sorted(folder.glob("*.tf")):
            parsed = load_hcl(path)
            for kind, target in (("resource", self.resources), ("data", self.data)):
                for block in parsed.get(kind, []):
                    for type_name, named in block.items():
                        for name, body in named.items():
                            target[(type_name, name)] = body
            for block in parsed.get("variable", []):
                self.variables.update(block)
            for block in parsed.get("output", []):
                self.outputs.update(block)
            for block in parsed.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
            self.terraform.extend(parsed.get("terraform", []))

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        """Resources of one type by name."""
        return {name: body for (kind, name), body in self.resources.items() if kind == type_name}

    def local(self, expression: Any) -> Any:
        """The value of ``${local.a}`` or ``${local.a.b}`` when it is a literal; else as given."""
        if not isinstance(expression, str):
            return expression
        match = re.fullmatch(r"\$\{local\.(\w+)(?:\.(\w+))?\}", expression)
        if not match or match.group(1) not in self.locals:
            return expression
        value = self.locals[match.group(1)]
        if match.group(2) is not None:
            return value.get(match.group(2), expression) if isinstance(value, dict) else expression
        return value


@dataclass(frozen=True)
class Statement:
    """One statement of an ``aws_iam_policy_document``, dynamic blocks expanded per Sid."""

    document: str  # the data source's name
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] | str  # a literal list, or an expression left as text
    source: tuple[str, str] | None  # (locals map, key) the actions came from, if any

    @property
    def unscoped(self) -> bool:
        """Resource is "*" (or an expression that can yield it)."""
        if isinstance(self.resources, str):
            return '"*"' in self.resources or self.resources == "*"
        return "*" in self.resources


_LOCAL_KEY = re.compile(r"\$\{local\.(\w+)\.(\w+)\}")
_LOCAL_INDEX = re.compile(r"\$\{local\.(\w+)\[statement\.value\]\}")


def policy_statements(mod: Module) -> list[Statement]:
    """Every statement of every policy document in ``mod``; raises on a shape it cannot read."""
    out: list[Statement] = []
    for (kind, name), body in sorted(mod.data.items()):
        if kind != "aws_iam_policy_document":
            continue
        for raw in body.get("statement", []):
            out.append(_statement(mod, name, raw, str(raw.get("sid", ""))))
        for dynamic in body.get("dynamic", []):
            block = dynamic.get("statement")
            if block is None:
                continue
            content = block["content"][0]
            for sid in _dynamic_sids(mod, name, block["for_each"], content):
                out.append(_statement(mod, name, content, sid))
    return out


def _dynamic_sids(mod: Module, doc: str, for_each: str, content: dict[str, Any]) -> list[str]:
    literal = re.findall(r'\[\s*"(\w+)"\s*\]', for_each)
    if literal:
        return literal
    indexed = _LOCAL_INDEX.fullmatch(str(content.get("actions", "")))
    if indexed and isinstance(mod.locals.get(indexed.group(1)), dict):
        return sorted(mod.locals[indexed.group(1)])
    raise ValueError(f"{mod.folder.name}/{doc}: cannot expand dynamic statement over {for_each}")


def _statement(mod: Module, doc: str, raw: dict[str, Any], sid: str) -> Statement:
    actions_raw, source = raw.get("actions", []), None
    if isinstance(actions_raw, str):
        key = _LOCAL_KEY.fullmatch(actions_raw)
        indexed = _LOCAL_INDEX.fullmatch(actions_raw)
        if key:
            source = (key.group(1), key.group(2))
        elif indexed:
            source = (indexed.group(1), sid)
        else:
            raise ValueError(f"{mod.folder.name}/{doc}/{sid}: actions {actions_raw!r} unreadable")
        actions_raw = mod.locals[source[0]][source[1]]
    resources_raw = raw.get("resources", [])
    if isinstance(resources_raw, str) and (indexed := _LOCAL_INDEX.fullmatch(resources_raw)):
        resources_raw = mod.locals[indexed.group(1)][sid]
    resources = tuple(resources_raw) if isinstance(resources_raw, list) else str(resources_raw)
    return Statement(
        doc, sid, str(raw.get("effect", "Allow")), tuple(actions_raw), resources, source
    )


def module(name: str) -> Module:
    """``terraform/modules/<name>`` (or ``examples/<name>`` for ``examples/...``)."""
    folder = TERRAFORM / name if name.startswith("examples/") else TERRAFORM / "modules" / name
    return _module(folder)


@cache
def _module(folder: Path) -> Module:
    return Module(folder)


def main(argv: list[str]) -> int:
    """``render OUT``: write the definition rendered with ``SAMPLE_VALUES`` to OUT."""
    if len(argv) != 2 or argv[0] != "render":
        print("usage: python -m tests.support.terraform render OUT", file=sys.stderr)
        return 2
    Path(argv[1]).write_text(json.dumps(rendered_definition(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
