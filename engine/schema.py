"""The JSON Schemas of the contracts, loaded from the package and composed.

The Resource schema is the base (``resource.base.json``) plus one attributes fragment per
resource type (``schemas/types/<type>.json``); the set of fragments is also the set of resource
types rules may name. Used by the rule loader, the snapshot reader, ``engine schema`` and tests.

``resource_errors(doc)`` is the per-resource check of the snapshot reader and the collectors:
a compiled acceptance check per resource type (``engine.schema_compile``) answers "valid" in a
few microseconds, and only a document it is not sure of goes through jsonschema, whose errors
are returned as ``validator("resource").iter_errors`` gives them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from engine.schema_compile import Check, compile_resource_checks, dispatcher

SCHEMA_NAMES = ("resource", "rule", "finding")


def _read(name: str) -> dict[str, Any]:
    text = resources.files("engine").joinpath("schemas", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def type_fragments() -> dict[str, dict[str, Any]]:
    """``{resource_type: attributes schema}`` for every documented type."""
    folder = resources.files("engine").joinpath("schemas", "types")
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            out[entry.name[: -len(".json")]] = json.loads(entry.read_text(encoding="utf-8"))
    return out


@cache
def shared_definitions() -> dict[str, dict[str, Any]]:
    """``{name: schema}`` from ``schemas/shared/``: attributes several types share."""
    folder = resources.files("engine").joinpath("schemas", "shared")
    return {
        entry.name[: -len(".json")]: json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    }


def known_resource_types() -> list[str]:
    return sorted(type_fragments())


@cache
def schema(name: str) -> dict[str, Any]:
    """The named schema (``resource``, ``rule`` or ``finding``) as a dict."""
    if name == "resource":
        return _resource_schema()
    if name in ("rule", "finding"):
        return _read(f"{name}.schema.json")
    raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")


def _resource_schema() -> dict[str, Any]:
    base = _read("resource.base.json")
    fragments = type_fragments()
    base["properties"]["resource_type"]["enum"] = sorted(fragments)
    base["$defs"] = dict(fragments)
    # shared attribute definitions, referenced from fragments as "#/$defs/<name>"
    for name, shared in shared_definitions().items():
        base["$defs"][name] = shared
    base["allOf"] = [
        {
            "if": {"properties": {"resource_type": {"const": name}}, "required": ["resource_type"]},
            "then": {"properties": {"attributes": {"$ref": f"#/$defs/{name}"}}},
        }
        for name in sorted(fragments)
    ]
    return base


@cache
def validator_for(name: str) -> Draft202012Validator:
    """A validator for an auxiliary schema file ``schemas/<name>.schema.json``."""
    return Draft202012Validator(
        _read(f"{name}.schema.json"), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@cache
def validator(name: str) -> Draft202012Validator:
    """A cached validator for the named schema."""
    return Draft202012Validator(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def resource_checks() -> dict[str, Check]:
    """``{resource_type: check}``: the compiled acceptance checks, one per type that translates."""
    return compile_resource_checks(schema("resource"), Draft202012Validator.FORMAT_CHECKER)


@cache
def _accepts_resource() -> Check:
    return dispatcher(resource_checks())


def resource_errors(doc: Any) -> list[ValidationError]:
    """The Resource schema's errors for ``doc`` (``[]`` when valid), as jsonschema reports them.

    Same decisions and messages as ``validator("resource").iter_errors(doc)``: the compiled
    check only ever answers "certainly valid"; everything else is jsonschema's to judge.
    """
    if _accepts_resource()(doc):
        return []
    return list(validator("resource").iter_errors(doc))


def is_valid_resource(doc: Any) -> bool:
    return _accepts_resource()(doc) or validator("resource").is_valid(doc)


def dotted(path: Any) -> str:
    """``['tests', 'fail', 0, 'x']`` -> ``tests.fail[0].x``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "-"
