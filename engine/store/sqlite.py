"""The local history store: one SQLite file (standard library only), the default on a laptop.

Same contract as the DynamoDB store (``engine.store.base.Store``), so ``engine check`` run twice
shows new, open and resolved findings with no AWS at all. Default file:
``$XDG_STATE_HOME/aws-inventory-engine/history.sqlite``, or
``~/.local/state/aws-inventory-engine/history.sqlite`` when ``XDG_STATE_HOME`` is unset
(the XDG Base Directory spec's place for state that should survive restarts).

- The schema is created on open; ``PRAGMA user_version`` records its version.
- WAL journal, so a reader (a report) never blocks the writer; a 5 s busy timeout.
- One transaction per scan: the first ``put_*`` of a scan begins it, ``put_manifest`` commits
  it. A crash in between leaves no trace of the scan. Writing a scan id again replaces it.
- Retention: rows carry ``expires_at`` (scan start + retention days) and each commit deletes
  the rows that expired before that scan started, as DynamoDB's TTL would.
- Objects are stored as JSON text (floats, NaN and infinities round trip exactly).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Container, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from engine.clock import parse_timestamp
from engine.history import Prior
from engine.model import Finding, Resource, ScanManifest
from engine.store.base import ScanSummary, StoreError, WriteResult, brief

SCHEMA_VERSION = 1
CHUNK = 2_000  # rows per executemany
SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    scan_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, manifest TEXT NOT NULL,
    complete INTEGER NOT NULL, resources INTEGER NOT NULL, findings INTEGER NOT NULL,
    expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS scan_scopes (
    account_id TEXT NOT NULL, region TEXT NOT NULL, started_at TEXT NOT NULL,
    scan_id TEXT NOT NULL, PRIMARY KEY (account_id, region, scan_id));
CREATE INDEX IF NOT EXISTS scan_scopes_latest ON scan_scopes (account_id, region, started_at);
CREATE TABLE IF NOT EXISTS resources (
    scan_id TEXT NOT NULL, resource_id TEXT NOT NULL, collected_at TEXT NOT NULL,
    data TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (scan_id, resource_id));
CREATE INDEX IF NOT EXISTS resources_by_id ON resources (resource_id, collected_at);
CREATE TABLE IF NOT EXISTS findings (
    scan_id TEXT NOT NULL, finding_id TEXT NOT NULL, started_at TEXT NOT NULL,
    data TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (scan_id, finding_id));
CREATE INDEX IF NOT EXISTS findings_by_id ON findings (finding_id, started_at);
"""
_TABLES = ("resources", "findings", "scan_scopes", "scans")
_T = TypeVar("_T", Resource, Finding, ScanManifest)


def default_history_path(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path:
    """``$XDG_STATE_HOME/aws-inventory-engine/history.sqlite`` or ``~/.local/state/...``."""
    environ = os.environ if env is None else env
    state = environ.get("XDG_STATE_HOME") or ""
    # The spec says a relative path in XDG_STATE_HOME is invalid and must be ignored.
    base = Path(state) if os.path.isabs(state) else (home or Path.home()) / ".local" / "state"
    return base / "aws-inventory-engine" / "history.sqlite"


class SqliteStore:
    """History in one SQLite file."""

    def __init__(self, path: str | Path, *, retention_days: int = 90) -> None:
        self.path = Path(path)
        self.name = f"sqlite:{self.path}"
        self.retention_days = retention_days
        self._open_scan: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per scan.
            self._db = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.name}: schema version {version} is newer than this engine's "
                    f"({SCHEMA_VERSION}); upgrade the engine or use another --history file"
                )
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.name}: cannot open: {exc}") from exc

    # -- writes -------------------------------------------------------------------------------

    def put_resources(self, manifest: ScanManifest, resources: Sequence[Resource]) -> WriteResult:
        expires = self._expires(manifest)
        rows = (
            (manifest.scan_id, r.resource_id, r.collected_at, _dumps(r.to_dict()), expires)
            for r in resources
        )
        self._insert(manifest, "INSERT OR REPLACE INTO resources VALUES (?,?,?,?,?)", rows)
        return WriteResult(kind="resource", attempted=len(resources))

    def put_findings(self, manifest: ScanManifest, findings: Sequence[Finding]) -> WriteResult:
        expires = self._expires(manifest)
        rows = (
            (manifest.scan_id, f.finding_id, manifest.started_at, _dumps(f.fields()), expires)
            for f in findings
        )
        self._insert(manifest, "INSERT OR REPLACE INTO findings VALUES (?,?,?,?,?)", rows)
        return WriteResult(kind="finding", attempted=len(findings))

    def _insert(self, manifest: ScanManifest, sql: str, rows: Iterator[tuple[Any, ...]]) -> None:
        """``rows`` in chunks of ``CHUNK``, inside the scan's one transaction: only one chunk
        of rows is built at a time (1.6 million findings never sit in memory as rows)."""
        with self._in_scan(manifest):
            while chunk := list(islice(rows, CHUNK)):
                self._db.executemany(sql, chunk)

    def put_manifest(self, manifest: ScanManifest, summary: ScanSummary) -> WriteResult:
        expires = self._expires(manifest)
        with self._in_scan(manifest):
            self._db.execute(
                "INSERT OR REPLACE INTO scans VALUES (?,?,?,?,?,?,?)",
                (
                    manifest.scan_id,
                    manifest.started_at,
                    _dumps(manifest.to_dict()),
                    int(summary.complete),
                    summary.resources,
                    summary.findings,
                    expires,
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO scan_scopes VALUES (?,?,?,?)",
                [(a, r, manifest.started_at, manifest.scan_id) for a, r in summary.scopes],
            )
            horizon = int(parse_timestamp(manifest.started_at).timestamp())
            for table in ("resources", "findings", "scans"):
                self._db.execute(f"DELETE FROM {table} WHERE expires_at < ?", (horizon,))  # noqa: S608
            self._db.execute(
                "DELETE FROM scan_scopes WHERE scan_id NOT IN (SELECT scan_id FROM scans)"
            )
        self._commit()
        return WriteResult(kind="manifest", attempted=1)

    @contextmanager
    def _in_scan(self, manifest: ScanManifest) -> Iterator[None]:
        """Run inside the scan's transaction; begin it (clearing an earlier attempt) if new."""
        try:
            if self._open_scan is None:
                self._db.execute("BEGIN IMMEDIATE")
                self._open_scan = manifest.scan_id
                for table in _TABLES:
                    self._db.execute(f"DELETE FROM {table} WHERE scan_id = ?", (manifest.scan_id,))  # noqa: S608
            elif self._open_scan != manifest.scan_id:
                raise StoreError(
                    f"{self.name}: scan {self._open_scan} is still being written "
                    f"(put_manifest not called) when scan {manifest.scan_id} began"
                )
            yield
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"{self.name}: write failed: {exc}") from exc

    def _commit(self) -> None:
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"{self.name}: commit failed: {exc}") from exc
        finally:
            self._open_scan = None

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._open_scan = None

    def _expires(self, manifest: ScanManifest) -> int:
        started = parse_timestamp(manifest.started_at)
        return int(started.timestamp()) + self.retention_days * 86400

    # -- reads --------------------------------------------------------------------------------

    def latest_scan(
        self, account_id: str, region: str, *, exclude_scan_id: str | None = None
    ) -> ScanManifest | None:
        row = self._one(
            "SELECT s.manifest FROM scan_scopes c JOIN scans s ON s.scan_id = c.scan_id "
            "WHERE c.account_id = ? AND c.region = ? AND s.complete = 1 AND s.scan_id != ? "
            "ORDER BY c.started_at DESC, c.scan_id DESC LIMIT 1",
            (account_id, region, exclude_scan_id or ""),
        )
        return None if row is None else _load(ScanManifest, row[0], self.name)

    def scan_manifest(self, scan_id: str) -> ScanManifest | None:
        row = self._one("SELECT manifest FROM scans WHERE scan_id = ?", (scan_id,))
        return None if row is None else _load(ScanManifest, row[0], self.name)

    def scan_findings(self, scan_id: str) -> list[Finding]:
        return sorted(self._findings(scan_id), key=lambda f: (f.rule_id, f.resource_id))

    def prior_findings(self, scan_id: str, found_again: Container[str]) -> list[Finding | Prior]:
        return brief(self._findings(scan_id), found_again)

    def _findings(self, scan_id: str) -> Iterator[Finding]:
        """The scan's findings, decoded one row at a time (StoreError if no such scan)."""
        self._require_scan(scan_id)
        rows = self._rows("SELECT data FROM findings WHERE scan_id = ?", (scan_id,))
        return (_load(Finding, r[0], self.name) for r in rows)

    def scan_resources(self, scan_id: str) -> list[Resource]:
        self._require_scan(scan_id)
        rows = self._rows("SELECT data FROM resources WHERE scan_id = ?", (scan_id,))
        found = [_load(Resource, r[0], self.name) for r in rows]
        return sorted(found, key=lambda r: (r.resource_type, r.region, r.resource_id))

    def finding_history(self, finding_id: str) -> list[Finding]:
        rows = self._all(
            "SELECT data FROM findings WHERE finding_id = ? ORDER BY started_at, scan_id",
            (finding_id,),
        )
        return [_load(Finding, r[0], self.name) for r in rows]

    def resource_history(self, resource_id: str) -> list[Resource]:
        rows = self._all(
            "SELECT data FROM resources WHERE resource_id = ? ORDER BY collected_at, scan_id",
            (resource_id,),
        )
        return [_load(Resource, r[0], self.name) for r in rows]

    def _require_scan(self, scan_id: str) -> None:
        if self._one("SELECT 1 FROM scans WHERE scan_id = ?", (scan_id,)) is None:
            raise StoreError(f"{self.name}: no scan {scan_id!r}")

    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        try:
            return self._db.execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.name}: read failed: {exc}") from exc

    def _all(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return list(self._rows(sql, args))

    def _rows(self, sql: str, args: tuple[Any, ...]) -> Iterator[Any]:
        """The rows one at a time: a scan's stored JSON is never all in memory at once (at
        164,471 findings it is 270 MB, beside the findings decoded from it)."""
        try:
            cursor = self._db.execute(sql, args)
            while rows := cursor.fetchmany(1000):
                yield from rows
        except sqlite3.Error as exc:
            raise StoreError(f"{self.name}: read failed: {exc}") from exc

    def close(self) -> None:
        self._rollback()
        self._db.close()


def _dumps(value: Any) -> str:
    # ensure_ascii: a lone surrogate (not UTF-8) is kept as a JSON escape, not an error
    return json.dumps(value, ensure_ascii=True, allow_nan=True, separators=(",", ":"))


def _load(cls: type[_T], text: str, where: str) -> _T:
    try:
        return cls.from_dict(json.loads(text))
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(f"{where}: unreadable stored {cls.__name__}: {exc}") from exc
