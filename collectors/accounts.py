"""Which accounts a scan reads, and a boto3 session for each (STS AssumeRole).

Before collection: targets come from the command line (``--account`` with
``--account-role-arn`` as a template), from an accounts file, or from an AWS Organization
(with allow and deny lists). Each assumed-role session carries credentials that refresh
themselves before they expire, so a long scan never fails half-way on an expired token.
A target that cannot be assumed is a recorded error (the scan is partial); the others go on.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import boto3
import botocore.session
from botocore.credentials import RefreshableCredentials

from engine.errors import ConfigError, Located, one_line
from engine.yamlsource import YamlSourceError, load

SESSION_NAME = "aws-inventory-engine"
# AssumeRole's default and minimum is 900 s; an hour covers a scan and refresh keeps it alive.
# https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (read 2026-11-25)
DURATION_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class AccountTarget:
    """One account to scan: by the caller's own credentials, or through a role."""

    account_id: str | None  # None: whatever account the base credentials belong to
    role_arn: str | None = None
    external_id: str | None = None
    regions: tuple[str, ...] = ()  # empty: the scan's regions

    @property
    def label(self) -> str:
        return self.account_id or "current"


def role_arn_for(template: str, account_id: str) -> str:
    """``arn:aws:iam::{account_id}:role/Name`` with the id filled in."""
    if "{account_id}" not in template:
        raise ConfigError(f"--account-role-arn must contain {{account_id}}: {template!r}")
    return template.replace("{account_id}", account_id)


def targets_from_options(
    accounts: Sequence[str], role_template: str | None, external_id: str | None
) -> list[AccountTarget]:
    """``--account ID`` (repeatable) with ``--account-role-arn TEMPLATE``."""
    if accounts and not role_template:
        raise ConfigError("--account needs --account-role-arn (a role ARN template)")
    out = []
    for account_id in accounts:
        _check_account_id(account_id, "--account")
        out.append(
            AccountTarget(account_id, role_arn_for(role_template or "", account_id), external_id)
        )
    return out


def targets_from_file(path: str | Path, role_template: str | None = None) -> list[AccountTarget]:
    """An accounts file: ``accounts: [{id, role_arn?, external_id?, regions?}]``.

    ``role_arn_template`` at the top level (or ``--account-role-arn``) fills missing role ARNs.
    """
    shown = str(path)
    try:
        doc = load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: not UTF-8 text: {exc.reason}") from exc
    except YamlSourceError as exc:
        raise ConfigError(f"{Located.where(shown, exc.line)}: {exc.message}") from exc
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
        where = Located.where(shown, doc.line(()))
        raise ConfigError(f"{where}: expected a mapping with an 'accounts' list")
    template = data.get("role_arn_template") or role_template
    if template is not None and not isinstance(template, str):
        raise ConfigError(
            f"{Located.where(shown, doc.line(('role_arn_template',)))}: "
            "role_arn_template: expected a string"
        )
    out = []
    for index, entry in enumerate(data["accounts"]):
        where = f"{Located.where(shown, doc.line(('accounts', index)))}: accounts[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with at least 'id'")
        unknown = sorted(map(repr, set(entry) - {"id", "role_arn", "external_id", "regions"}))
        if unknown:
            raise ConfigError(one_line(f"{where}: unknown field(s): {', '.join(unknown)}", 400))
        for name in ("role_arn", "external_id"):
            if entry.get(name) is not None and not isinstance(entry[name], str):
                raise ConfigError(f"{where}.{name}: expected a string")
        account_id = str(entry.get("id", ""))
        _check_account_id(account_id, f"{where}.id")
        role = entry.get("role_arn") or (role_arn_for(template, account_id) if template else None)
        regions = entry.get("regions") or []
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise ConfigError(f"{where}.regions: expected a list of region names")
        out.append(AccountTarget(account_id, role, entry.get("external_id"), tuple(regions)))
    return out


def targets_from_organization(
    session: boto3.Session,
    role_template: str,
    allow: Sequence[str] = (),
    deny: Sequence[str] = (),
    external_id: str | None = None,
) -> list[AccountTarget]:
    """Every ACTIVE account of the caller's AWS Organization, filtered by id or name globs.

    Needs organizations:ListAccounts, which only the management account or a delegated
    administrator may call. Accounts that are SUSPENDED or PENDING_CLOSURE are skipped.
    https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
    (read 2026-11-25)
    """
    client = session.client("organizations")
    out = []
    for page in client.get_paginator("list_accounts").paginate():
        for account in page.get("Accounts", []):
            if account.get("Status", "ACTIVE") != "ACTIVE":
                continue
            keys = (str(account["Id"]), str(account.get("Name", "")))
            if allow and not any(fnmatch.fnmatchcase(k, p) for k in keys for p in allow):
                continue
            if any(fnmatch.fnmatchcase(k, p) for k in keys for p in deny):
                continue
            out.append(AccountTarget(keys[0], role_arn_for(role_template, keys[0]), external_id))
    return sorted(out, key=lambda t: t.account_id or "")


def _check_account_id(value: str, where: str) -> None:
    # ASCII digits only: str.isdigit() would also take "١٢٣..." or superscripts.
    if re.fullmatch(r"[0-9]{12}", value) is None:
        raise ConfigError(one_line(f"{where}: not a 12-digit AWS account id: {value!r}", 400))


def assumed_session(
    base: boto3.Session, target: AccountTarget, sts: Any, region: str
) -> boto3.Session:
    """A session in ``target``'s account whose credentials refresh themselves.

    botocore's RefreshableCredentials calls ``refresh`` again shortly before expiry (15 min
    advisory, 10 min mandatory by default), so a scan longer than the session lasts.
    ``sts`` is a client of the caller's own credentials (counted like every other client).
    """
    if target.role_arn is None:
        return base

    def refresh() -> dict[str, str]:
        params: dict[str, Any] = {
            "RoleArn": target.role_arn,
            "RoleSessionName": SESSION_NAME,
            "DurationSeconds": DURATION_SECONDS,
        }
        if target.external_id:
            params["ExternalId"] = target.external_id
        creds = sts.assume_role(**params)["Credentials"]
        expiry = creds["Expiration"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )
    core = botocore.session.get_session()
    # botocore has no public setter for refreshable credentials; this is the common idiom.
    cast(Any, core)._credentials = credentials
    core.set_config_variable("region", region)
    return boto3.Session(botocore_session=core)


SessionFor = Callable[[AccountTarget], boto3.Session]
