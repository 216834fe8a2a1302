"""History stores: where scans, findings and manifests are kept between runs.

The store stage sits after ``evaluate()``; the pipeline uses three names from here::

    store = open_store(target)                                # --history PATH | dynamodb:TABLE
    findings = track_history(store, manifest, findings, now)  # new / open / resolved
    written = record_scan(store, manifest, findings, resources)
    if written.error: ...                                     # a StoreError, exit code 3

``open_store(None)`` opens the default SQLite file (``default_history_path()``). Importing this
package imports neither boto3 nor sqlite3: each backend is imported when opened.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.history import apply_history
from engine.model import Finding, Resource, ScanManifest
from engine.store.base import (
    ScanWrite,
    Store,
    StoreError,
    WriteResult,
    load_previous,
    merge_results,
    put_resource_batch,
    write_scan,
)

DYNAMODB_PREFIX = "dynamodb:"

__all__ = [
    "ScanWrite",
    "Store",
    "StoreError",
    "WriteResult",
    "default_history_path",
    "merge_results",
    "open_store",
    "put_resource_batch",
    "record_scan",
    "track_history",
]


def default_history_path() -> Path:
    """``$XDG_STATE_HOME/aws-inventory-engine/history.sqlite`` (``~/.local/state/...``)."""
    from engine.store.sqlite import default_history_path as default

    return default()


def open_store(
    target: str | Path | None = None,
    *,
    retention_days: int = 90,
    session: Any = None,
) -> Store:
    """A store for ``target``: ``dynamodb:TABLE`` (a boto3 ``session``, or the default one),
    otherwise a SQLite file path; ``None`` is the default SQLite file.

    A target that names nothing (``--history ''``, ``dynamodb:``) is a ConfigError (exit 2),
    not a silent fallback to the default file; a store that cannot be opened is a StoreError.
    """
    text = str(target) if target is not None else ""
    if target is not None and not text:
        raise ConfigError("--history '': name a SQLite file or dynamodb:TABLE")
    if text.startswith(DYNAMODB_PREFIX):
        table = text[len(DYNAMODB_PREFIX) :]
        if not table:
            raise ConfigError(f"--history {text!r}: name the table, e.g. dynamodb:aws-inventory")
        import boto3

        from engine.store.dynamodb import DynamoStore

        client = (session or boto3.Session()).client("dynamodb")
        return DynamoStore(client, table, retention_days=retention_days)
    from engine.store.sqlite import SqliteStore

    path = Path(text) if text else default_history_path()
    return SqliteStore(path, retention_days=retention_days)


def track_history(
    store: Store,
    manifest: ScanManifest,
    findings: Sequence[Finding],
    now: datetime,
    resources: Sequence[Resource] | None = None,
    *,
    seen_ids: Collection[str] | None = None,
) -> list[Finding]:
    """This scan's findings with history statuses, plus resolved and carried-over ones.

    Call after ``evaluate()`` (and suppressions), with the manifest that carries the
    evaluation summary, before ``rank()``. The scan's resources, or just their ids
    (``seen_ids``, what a streaming run keeps), let a resolution say whether the resource is
    gone. Raises ``StoreError`` if the store cannot be read.
    """
    previous = load_previous(store, manifest, findings)
    seen = seen_ids if resources is None else {r.resource_id for r in resources}
    return apply_history(findings, manifest, previous, now, seen)


def record_scan(
    store: Store,
    manifest: ScanManifest,
    findings: Sequence[Finding],
    resources: Sequence[Resource] = (),
    *,
    resources_written: WriteResult | None = None,
) -> ScanWrite:
    """Write the scan; never raises for unwritten items: ``.error`` is the StoreError."""
    return write_scan(store, manifest, findings, resources, resources_written=resources_written)
