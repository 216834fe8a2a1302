"""Snapshot files: the normalised inventory and its scan manifest, as one JSON document.

Written by ``engine collect --output`` and read by ``engine check --inventory`` with no AWS at
all. Every resource is validated against the Resource schema on load, and the manifest against
the scan schema; a bad one names the file, the record and the field, in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import ValidationError

from engine.errors import InventoryError, one_line
from engine.model import Resource, ScanManifest
from engine.schema import dotted, resource_errors, validator_for

FORMAT = "aws-inventory-snapshot"
VERSION = 1


def dump(resources: list[Resource], manifest: ScanManifest) -> str:
    """The snapshot document as deterministic JSON text."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "scan": manifest.to_dict(),
        "resources": [r.to_dict() for r in resources],
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_snapshot(path: str | Path) -> tuple[list[Resource], ScanManifest]:
    """Read and validate a snapshot file."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InventoryError(f"{file}: not UTF-8 text: {exc.reason}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"{file}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    return parse_snapshot(document, file)


def parse_snapshot(document: Any, file: str) -> tuple[list[Resource], ScanManifest]:
    if not isinstance(document, dict):
        raise InventoryError(f"{file}: a snapshot must be a JSON object")
    if document.get("format") != FORMAT:
        got = one_line(repr(document.get("format")), 100)
        raise InventoryError(f"{file}: format: expected {FORMAT!r}, got {got}")
    if document.get("version") != VERSION:
        got = one_line(repr(document.get("version")), 100)
        raise InventoryError(f"{file}: version: expected {VERSION}, got {got}")
    records = document.get("resources")
    if not isinstance(records, list):
        raise InventoryError(f"{file}: resources: expected an array")
    resources: list[Resource] = []
    for index, record in enumerate(records):
        rid = record.get("resource_id") if isinstance(record, dict) else None
        who = f"resources[{index}]" + (f" ({one_line(rid, 200)})" if isinstance(rid, str) else "")
        _refuse(file, who, resource_errors(record))
        _refuse_surrogates(file, who, record)
        resources.append(Resource.from_dict(record))
    scan = document.get("scan")
    if not isinstance(scan, dict):
        raise InventoryError(f"{file}: scan: expected the scan manifest object")
    _refuse(file, "scan", validator_for("scan").iter_errors(scan))
    _refuse_surrogates(file, "scan", scan)
    return resources, ScanManifest.from_dict(scan)


def _refuse(file: str, who: str, found: Iterable[ValidationError]) -> None:
    """Raise the first schema error as ``file: record: field: message`` (one line)."""
    errors = sorted(found, key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = one_line(dotted(first.absolute_path), 200)
        raise InventoryError(f"{file}: {who}: {where}: {one_line(first.message, 300)}{more}")


def _refuse_surrogates(file: str, who: str, value: Any, path: tuple[str | int, ...] = ()) -> None:
    """JSON can escape a lone surrogate ("\\ud800"), which no UTF-8 report or store can hold."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                reason = f"not valid Unicode (a lone surrogate escape): {exc.reason}"
                where = one_line(dotted(path), 200)
                raise InventoryError(f"{file}: {who}: {where}: {reason}") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_surrogates(file, who, key, path)
            _refuse_surrogates(file, who, item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_surrogates(file, who, item, (*path, index))
