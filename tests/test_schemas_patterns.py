"""Schema patterns refuse a trailing newline, and Unicode digits, as ECMA-262 patterns would.

jsonschema checks ``pattern`` with Python's ``re.search``, where ``$`` also matches just before
a final ``\\n`` and ``\\d`` matches any Unicode decimal digit (``"١٢"``), so
``^[0-9]{12}$`` lets ``"123456789012\\n"`` through (so does the ``date-time`` format checker).
Every pattern anchored with ``$`` therefore ends in ``(?!\\n)$`` or comes with
``minLength == maxLength``, none uses ``\\d``, and every ``date-time`` has a pattern; the
examples below show a snapshot, a rule and a suppressions file refused with located one-liners.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.errors import ConfigError, InventoryError, RuleErrors
from engine.inventory import load_snapshot
from engine.rules import load_rules, shipped_rules_dir
from engine.suppressions import load_suppressions

SCHEMAS = Path(__file__).resolve().parents[1] / "engine" / "schemas"
NOW = "2026-11-25T00:00:00Z"


def patterns(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, subschema)`` for every subschema with a ``pattern`` or a ``date-time``."""
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str) or node.get("format") == "date-time":
            yield where, node
        for key, value in node.items():
            yield from patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from patterns(value, f"{where}/{index}")


ALL_PATTERNS = [
    (f"{path.relative_to(SCHEMAS)}#{where}", node)
    for path in sorted(SCHEMAS.rglob("*.json"))
    for where, node in patterns(json.loads(path.read_text(encoding="utf-8")), "")
]


def test_the_walk_finds_the_patterns() -> None:
    assert len(ALL_PATTERNS) >= 20, [where for where, _ in ALL_PATTERNS]


@pytest.mark.parametrize(("where", "node"), ALL_PATTERNS, ids=[w for w, _ in ALL_PATTERNS])
def test_no_pattern_lets_a_trailing_newline_or_a_unicode_digit_through(
    where: str, node: dict[str, Any]
) -> None:
    pattern = node.get("pattern")
    assert pattern is not None, f"{where}: the date-time checker takes 'value\\n'; add a pattern"
    assert "\\d" not in pattern, f"{where}: \\d also matches Unicode digits; write [0-9]"
    fixed = "maxLength" in node and node.get("minLength") == node["maxLength"]
    if pattern.endswith("$"):
        assert pattern.endswith("(?!\\n)$") or fixed, (
            f"{where}: {pattern!r} takes 'value\\n': end it in (?!\\n)$ or fix the length"
        )


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("snap") / "snapshot.json"
    assert main(["collect", "--simulated", "--now", NOW, "--output", str(path)]) == 0
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def refused_snapshot(tmp_path: Path, document: dict[str, Any]) -> str:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InventoryError) as info:
        load_snapshot(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


def test_a_trailing_newline_account_id_is_refused_located(
    tmp_path: Path, snapshot: dict[str, Any]
) -> None:
    document = json.loads(json.dumps(snapshot))
    resource = document["resources"][3]
    resource["account_id"] = "123456789012\n"
    message = refused_snapshot(tmp_path, document)
    assert message == (
        f"{tmp_path / 'snapshot.json'}: resources[3] ({resource['resource_id']}): "
        "account_id: '123456789012\\n' is too long"
    )


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("account_id", "\u0661" * 12, "account_id: "),
        ("collected_at", f"{NOW}\n", "collected_at: "),
        ("created_at", "2026-01-29T00:00:00Z\n", "created_at: "),
        ("attributes.last_modified", "2026-11-23T00:00:00Z\n", "attributes.last_modified: "),
        ("attributes.last_modified", "\u0662026-11-23T00:00:00Z", "attributes.last_modified: "),
    ],
)
def test_resource_fields_refuse_newlines_and_unicode_digits(
    tmp_path: Path, snapshot: dict[str, Any], field: str, value: str, shown: str
) -> None:
    document = json.loads(json.dumps(snapshot))
    index, resource = next(
        (i, r)
        for i, r in enumerate(document["resources"])
        if r["resource_type"] == "aws.lambda.function"
    )
    target = resource
    *parents, last = field.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    message = refused_snapshot(tmp_path, document)
    assert f": resources[{index}] ({resource['resource_id']}): {shown}" in message


@pytest.mark.parametrize("field", ["started_at", "finished_at"])
def test_scan_times_refuse_a_trailing_newline(
    tmp_path: Path, snapshot: dict[str, Any], field: str
) -> None:
    document = json.loads(json.dumps(snapshot))
    document["scan"][field] += "\n"
    assert f": scan: {field}: " in refused_snapshot(tmp_path, document)


RULE = "ec2-instance-stopped-too-long"


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("  days_stopped: days_since", '  "days_stopped\\n": days_since', ":19: "),
        ("security_hub: [EC2.4]", 'security_hub: ["EC2.4\\n"]', ":29: "),
        ("last_verified: 2026-11-25", 'last_verified: "2026-11-25\\n"', ":34: "),
        ("last_verified: 2026-11-25", 'last_verified: "\\u0662026-11-25"', ":34: "),
    ],
)
def test_rule_fields_refuse_a_trailing_newline(
    tmp_path: Path, old: str, new: str, shown: str
) -> None:
    text = (shipped_rules_dir() / "ec2" / f"{RULE}.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{RULE}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleErrors) as info:
        load_rules([path])
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}{shown}{RULE}: "), message


def test_a_trailing_newline_expiry_is_refused_located(tmp_path: Path) -> None:
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        'suppressions:\n  - {rule: "s3-*", resource: "*", reason: kept, expires: "2027-01-31\\n"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_suppressions(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:2: suppressions[0].expires: ")
