"""The built-in simulated AWS account behind ``engine check --simulated``.

This is the demo and test account, not product code. It sits before the pipeline: inside
``simulated_account(now)`` moto answers every AWS call in-process, a small deterministic
account has been built through plain boto3 calls (one ``simulator/build_*.py`` module per
service), and the real collectors run against it unchanged. Nothing leaves the process and
nothing in the user's AWS set-up is read or used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import boto3

from engine.errors import RuntimeFailure
from simulator.base import SIMULATED_REGIONS, BuildContext, builder_modules

_SEED = 20261125


def describe() -> list[str]:
    """One line per simulated resource, for the README and ``--simulated`` help."""
    lines: list[str] = []
    for module in builder_modules():
        lines.extend(module.describe())
    return lines


def known_fixes() -> list[str]:
    """Names accepted by ``simulated_account(fixes=...)``, from every builder's ``FIXES``."""
    names: list[str] = []
    for module in builder_modules():
        names.extend(getattr(module, "FIXES", {}))
    return sorted(names)


@contextmanager
def simulated_account(now: datetime, fixes: Iterable[str] = ()) -> Iterator[boto3.Session]:
    """Build the simulated account as of ``now`` and yield a session that reads it."""
    # Imported here: moto and freezegun are the optional "simulate" extra, and slow to import.
    try:
        from freezegun import freeze_time
        from moto import mock_aws
        from moto.moto_api._internal import mock_random
    except ModuleNotFoundError as exc:
        raise RuntimeFailure(
            "the simulated account needs moto and freezegun: "
            "pip install 'aws-inventory-engine[simulate]'"
        ) from exc
    wanted = frozenset(fixes)
    unknown = sorted(wanted - set(known_fixes()))
    if unknown:
        known = ", ".join(known_fixes()) or "none"
        raise RuntimeFailure(f"unknown simulated fix(es): {', '.join(unknown)} (known: {known})")
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    # moto draws its ids (instances, volumes, VPCs, AMIs) from one seedable generator; seeded,
    # the same calls give the same ids, so two simulated runs give byte-identical findings.
    # https://docs.getmoto.org/en/latest/docs/configuration/recorder/index.html (read
    # 2026-11-25; the documented ``moto.moto_api.mock_random`` lives in ``_internal`` in 5.2).
    # Its state is put back afterwards so other moto users in the process are unaffected.
    random_state = mock_random.getstate()
    try:
        with _isolated_environment(), mock_aws():
            mock_random.seed(_SEED)
            # moto's conventional fake credentials, not a secret
            session = boto3.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106
                region_name="us-east-1",
            )
            account_id = session.client("sts").get_caller_identity()["Account"]
            ctx = BuildContext(session, account_id, moment, freeze_time, SIMULATED_REGIONS, wanted)
            for module in builder_modules():
                module.build(ctx)
            yield session
    finally:
        mock_random.setstate(random_state)


@contextmanager
def _isolated_environment() -> Iterator[None]:
    """Hide the user's AWS set-up (profiles, endpoints, tokens, config files); restore it after.

    Every ``AWS_*`` variable is removed, not only the well-known ones: an endpoint override
    (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), a FIPS or dual-stack switch or a
    web-identity role would otherwise send calls past moto or fail them. Process-wide, like
    ``os.environ`` itself; clients built before entering keep their old configuration.
    """
    with tempfile.TemporaryDirectory(prefix="engine-simulated-") as scratch:
        missing = os.path.join(scratch, "does-not-exist")
        wanted = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": missing,
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_EC2_METADATA_DISABLED": "true",
            # moto seeds about a thousand public AMIs (and their snapshots) per region unless
            # told not to; the simulator registers its own image instead.
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
        touched = {k for k in os.environ if k.startswith("AWS_")} | set(wanted) | {"MOTO_AMIS_PATH"}
        saved = {key: os.environ.get(key) for key in touched}
        try:
            for key in touched:
                os.environ.pop(key, None)
            os.environ.update(wanted)
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
