"""Snapshot files: the normalised inventory and its scan manifest, as one JSON document.

Written by ``engine collect --output`` and read by ``engine check --inventory`` with no AWS at
all. Every resource is validated against the Resource schema on load; a bad one names the file,
the record and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.errors import InventoryError
from engine.model import Resource, ScanManifest
from engine.schema import dotted, validator

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
        raise InventoryError(f"{file}: format: expected {FORMAT!r}, got {document.get('format')!r}")
    if document.get("version") != VERSION:
        raise InventoryError(
            f"{file}: version: expected {VERSION}, got {document.get('version')!r}"
        )
    records = document.get("resources")
    if not isinstance(records, list):
        raise InventoryError(f"{file}: resources: expected an array")
    check = validator("resource")
    resources: list[Resource] = []
    for index, record in enumerate(records):
        errors = sorted(check.iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            first = errors[0]
            rid = record.get("resource_id") if isinstance(record, dict) else None
            who = f"resources[{index}]" + (f" ({rid})" if isinstance(rid, str) else "")
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise InventoryError(
                f"{file}: {who}: {dotted(first.absolute_path)}: {first.message}{more}"
            )
        resources.append(Resource.from_dict(record))
    scan = document.get("scan")
    if not isinstance(scan, dict):
        raise InventoryError(f"{file}: scan: expected the scan manifest object")
    try:
        manifest = ScanManifest.from_dict(scan)
    except (KeyError, TypeError) as exc:
        raise InventoryError(f"{file}: scan: missing or bad field {exc}") from exc
    return resources, manifest
