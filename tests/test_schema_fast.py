"""The compiled Resource check (``engine.schema_compile``) against jsonschema itself.

``engine.schema.resource_errors`` answers "valid" from a generated function per resource type
and asks jsonschema only when that function is not sure. Its promise: the same accept/refuse
decision, and the same errors, as ``validator("resource").iter_errors`` for any document. The
base is the simulated account's resources (every type, collected once per module, about 8 s);
each example takes one resource of a chosen type and mutates it: values deleted (required),
nulled, replaced by another type, a near-miss enum, a bad or near-miss timestamp (the
``date-time`` format checker and the timestamp patterns), unexpected keys (additional
properties, ``propertyNames``), hostile text and integral floats.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.model import Resource
from engine.schema import (
    is_valid_resource,
    known_resource_types,
    resource_checks,
    resource_errors,
    schema,
    validator,
)
from engine.schema_compile import (
    Unsupported,
    compile_resource_checks,
    dispatcher,
    generate,
    type_branches,
)
from tests.support.hypothesis_profiles import budget, counted
from tests.support.strategies import (
    BAD_TIMESTAMPS,
    get_path,
    json_scalars,
    mutated,
    paths_of,
    text_with_surrogates,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)
VALUES = st.one_of(json_scalars, text_with_surrogates)


def accepted(doc: Any) -> bool:
    """The compiled check alone: True means "certainly valid", False "ask jsonschema"."""
    return dispatcher(resource_checks())(doc)


@cache
def simulated() -> list[Resource]:
    """The simulated account's resources (collected once, about 8 s)."""
    from engine.sources import SimulatedSource

    resources, _ = SimulatedSource().load(NOW, None)
    return resources


@cache
def base_resources() -> dict[str, list[dict[str, Any]]]:
    """The simulated account's resources as JSON documents, by type."""
    out: dict[str, list[dict[str, Any]]] = {}
    for resource in simulated():
        doc = json.loads(json.dumps(resource.to_dict()))  # as a snapshot file gives it back
        out.setdefault(resource.resource_type, []).append(doc)
    return out


def near_misses(value: Any) -> list[Any]:
    """Values one step from ``value``: what a pattern, a format or an exact type must catch."""
    if isinstance(value, bool):
        return [int(value), str(value).lower(), None]
    if isinstance(value, int):
        return [float(value), value + 0.5, -1, True, str(value), 2**64]
    if isinstance(value, str):
        out = [value + "\n", value.upper(), value.lower(), value[:-1], " " + value]
        if len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":  # a timestamp
            out += [
                value[:5] + "02-30" + value[10:],
                value[:-1] + "+00:00",
                value[:-1] + ".5Z",
                value[:-1] + "z",
                value.replace("T", " "),
                value.replace("2", "\u0662"),
                value[:-1],
            ]
        if value.isdigit():
            out += [value.replace("1", "\u0661"), value + "0", value[1:]]
        return out
    if isinstance(value, list):
        return [[*value, None], [*value, 1.0], {}, None]
    if isinstance(value, dict):
        return [[], None, {**value, "unexpected": "x"}]
    return [None]


@st.composite
def near_missed(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` with one or two values replaced by a near miss."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(paths_of(doc)))
        parent = get_path(doc, path[:-1])
        parent[path[-1]] = draw(st.sampled_from(near_misses(parent[path[-1]])))
    return doc


@st.composite
def resource_documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    by_type = base_resources()
    kind = draw(st.sampled_from(sorted(by_type)))
    doc = draw(st.sampled_from(by_type[kind]))
    within = draw(st.sampled_from([(), ("attributes",), ("tags",)]))
    broken = draw(
        st.one_of(
            near_missed(doc),
            mutated(doc, within=within, values=VALUES).map(lambda pair: pair[0]),
            st.sampled_from(BAD_TIMESTAMPS).map(lambda stamp: _stamped(doc, stamp)),
        )
    )
    return kind, broken


def _stamped(doc: dict[str, Any], stamp: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(doc))
    out["collected_at"] = stamp
    return out


def has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(item) for item in value.values())
    if isinstance(value, list):
        return any(has_float(item) for item in value)
    return False


def described(errors: list[Any]) -> list[tuple[str, list[Any], str]]:
    return [(e.message, list(e.absolute_path), e.validator) for e in errors]


@budget(2000)
@given(case=resource_documents())
def test_the_compiled_check_decides_as_jsonschema_does(case: tuple[str, dict[str, Any]]) -> None:
    counted("resource schema (compiled check)")
    kind, doc = case
    expected = list(validator("resource").iter_errors(doc))
    fast = accepted(doc)
    event(f"{kind}: {'valid' if not expected else 'invalid'}")
    # soundness: the compiled check never accepts what jsonschema refuses
    assert not (fast and expected), described(expected)
    # and it is not lazy: it refuses a valid document only for a float where an integer goes
    # (jsonschema takes 3.0 as an integer; the check leaves floats to jsonschema)
    if not fast and not expected:
        assert has_float(doc), doc
    assert is_valid_resource(doc) == (not expected)
    assert described(resource_errors(doc)) == described(expected)


def test_every_resource_type_has_a_compiled_check() -> None:
    """A schema keyword the generator does not translate leaves its type on plain jsonschema;
    this test says so, rather than the benchmark going quietly slower."""
    assert sorted(resource_checks()) == known_resource_types()


def test_every_real_resource_is_accepted_by_the_compiled_check() -> None:
    by_type = base_resources()
    assert sorted(by_type) == known_resource_types(), "the simulated account has every type"
    for docs in by_type.values():
        for doc in docs:
            assert validator("resource").is_valid(doc)
            assert accepted(doc), doc["resource_id"]
            assert resource_errors(doc) == []
    # and as the collectors' runner checks them, straight from normalise (no JSON round trip)
    for resource in simulated():
        assert accepted(resource.to_dict()), resource.resource_id


def test_the_format_checks_the_schema_uses_are_enforced() -> None:
    """The validator's FormatChecker knows every format the Resource schema names (with
    rfc3339-validator installed, date-time), so the compiled check calls the same functions."""
    formats = set()
    for node in _walk(schema("resource")):
        if isinstance(node, dict) and isinstance(node.get("format"), str):
            formats.add(node["format"])
    assert formats == {"date-time"}
    assert formats <= set(Draft202012Validator.FORMAT_CHECKER.checkers)
    doc = json.loads(json.dumps(base_resources()["aws.ec2.instance"][0]))
    doc["collected_at"] = "2026-02-30T00:00:00Z"  # the pattern takes it, the format does not
    assert not accepted(doc)
    assert [e.validator for e in resource_errors(doc)] == ["format"]


def _walk(node: Any) -> Any:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


@pytest.mark.parametrize(
    ("doc", "fast", "valid"),
    [
        ({"kind": "a", "n": 3}, True, True),
        ({"kind": "a", "n": 3.0}, False, True),  # an integer to jsonschema; left to it
        ({"kind": "a", "n": True}, False, False),
        ({"kind": "a", "n": -1}, False, False),
        ({"kind": "a", "n": 3, "x": 1}, False, False),
        ({"kind": "a", "n": 3, "s": "on"}, True, True),
        ({"kind": "a", "n": 3, "s": "off"}, False, False),
        ({"kind": "a", "n": 3, "s": None}, False, False),  # null is a type here, not a value
        ({"kind": "a"}, False, False),
        ({"kind": "b", "n": 3}, False, True),  # no branch for b: no compiled check
        ({"kind": "c", "n": 3}, False, True),  # c's branch uses "not": not translated
        ([], False, False),
    ],
)
def test_the_generator_on_a_small_composed_schema(doc: Any, fast: bool, valid: bool) -> None:
    composed = {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "n"],
        "properties": {
            "kind": {"type": "string"},
            "n": {"type": "integer"},
            "s": {"type": ["string", "null"], "enum": ["on"]},
        },
        "$defs": {"a": {"minimum": 0}, "c": {"not": {"const": 1}}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": name}}, "required": ["kind"]},
                "then": {"properties": {"n": {"$ref": f"#/$defs/{name}"}}},
            }
            for name in ("a", "c")
        ],
    }
    # the per-type shape is keyed on "resource_type": rename for the generator's check
    renamed = json.loads(json.dumps(composed).replace('"kind"', '"resource_type"'))
    doc = json.loads(json.dumps(doc).replace('"kind"', '"resource_type"'))
    checks = compile_resource_checks(renamed, Draft202012Validator.FORMAT_CHECKER)
    assert sorted(checks) == ["a"]
    assert dispatcher(checks)(doc) is fast
    assert Draft202012Validator(renamed).is_valid(doc) is valid


def test_the_generated_source_reads_as_python() -> None:
    """The source is straight-line ``if``s and ``for``s: printable when a check misbehaves."""
    composed = schema("resource")
    base = {key: value for key, value in composed.items() if key != "allOf"}
    for kind, thens in type_branches(composed).items():
        specialised = {**base, "allOf": thens}
        source, constants = generate(specialised, composed, Draft202012Validator.FORMAT_CHECKER)
        assert source.startswith("def check(v0):\n") and source.endswith("return True\n"), kind
        assert all(name.startswith("_k") for name in constants)
    with pytest.raises(Unsupported, match="if"):
        generate(composed, composed, Draft202012Validator.FORMAT_CHECKER)
