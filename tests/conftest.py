"""Shared pytest fixtures. Keep each one small and generic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and none of the developer's AWS set-up, for moto tests.

    Clears profiles, session tokens, endpoint overrides (``AWS_ENDPOINT_URL`` and every
    ``AWS_ENDPOINT_URL_<SERVICE>``) and points the config files at a path that does not exist,
    so a test can neither reach a real account nor be redirected away from moto.
    """
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL") or key in {
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_REGION",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        }:
            monkeypatch.delenv(key)
    missing = os.path.join(tmp_path, "no-such-aws-config")
    monkeypatch.setenv("AWS_CONFIG_FILE", missing)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # moto otherwise seeds ~1,000 public AMIs and their snapshots per region (slow, and they
    # show up in describe_snapshots); tests register the images they need.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(autouse=True)
def _isolated_history(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every test gets its own history folder: the default SQLite store lives under it."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
