"""Where an inventory comes from: a real account, the simulated account, or a snapshot file.

The first stage of the pipeline behind one interface, so that ``engine check`` runs the same
line whatever the source. The AWS and simulated sources import boto3 (through ``collectors``)
only when used, so the core keeps working with no AWS libraries touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from engine.clock import fixed_clock
from engine.model import Resource, ScanManifest

Progress = Callable[[str], None]


class Source(Protocol):
    def load(
        self, now: datetime, progress: Progress | None
    ) -> tuple[Iterable[Resource], ScanManifest]:
        """The inventory (any iterable: ``engine.pipeline.check`` reads it once, in batches)
        and its scan manifest."""
        ...


@dataclass(frozen=True)
class StaticSource:
    """An inventory given by the caller: a list, or a generator read once (a scheduled scan's
    stored parts, part by part)."""

    resources: Iterable[Resource]
    manifest: ScanManifest

    def load(
        self, now: datetime, progress: Progress | None
    ) -> tuple[Iterable[Resource], ScanManifest]:
        return self.resources, self.manifest


@dataclass(frozen=True)
class SnapshotSource:
    """A snapshot file written by ``engine collect``; no AWS at all."""

    path: Path

    def load(self, now: datetime, progress: Progress | None) -> tuple[list[Resource], ScanManifest]:
        from engine.inventory import load_snapshot

        if progress:
            progress(f"reading {self.path} ...")
        return load_snapshot(self.path)


@dataclass(frozen=True)
class AwsSource:
    """A real account through the default credential chain (or a profile).

    Endpoints are left to boto3, so ``AWS_ENDPOINT_URL`` points it at any compatible server.
    """

    profile: str | None = None
    regions: Sequence[str] = field(default_factory=tuple)
    resource_types: Sequence[str] | None = None
    clock: Callable[[], datetime] | None = None
    accounts: AccountOptions | None = None
    max_workers: int = 8
    per_service: int = 2
    backup_coverage: bool = True

    def load(self, now: datetime, progress: Progress | None) -> tuple[list[Resource], ScanManifest]:
        from botocore.exceptions import BotoCoreError

        from collectors.runner import CollectionFailure, collect
        from collectors.session import make_session

        try:
            session = make_session(self.profile)
        except BotoCoreError as exc:  # e.g. ProfileNotFound
            raise CollectionFailure(f"cannot start an AWS session: {exc}") from exc
        targets = self.accounts.targets(session) if self.accounts else []
        result = collect(
            session,
            list(self.regions),
            clock=self.clock or fixed_clock(now),
            resource_types=self.resource_types,
            progress=progress,
            accounts=targets,
            max_workers=self.max_workers,
            per_service=self.per_service,
            backup_coverage=self.backup_coverage,
        )
        return result.resources, result.manifest


@dataclass(frozen=True)
class AccountOptions:
    """Which accounts to scan besides (or instead of) the caller's own."""

    accounts: Sequence[str] = ()
    role_arn_template: str | None = None
    external_id: str | None = None
    accounts_file: str | None = None
    organization: bool = False
    allow: Sequence[str] = ()
    deny: Sequence[str] = ()

    def targets(self, session: Any) -> list[Any]:
        from collectors.accounts import (
            targets_from_file,
            targets_from_options,
            targets_from_organization,
        )
        from engine.errors import ConfigError

        out = targets_from_options(self.accounts, self.role_arn_template, self.external_id)
        if self.accounts_file:
            out += targets_from_file(self.accounts_file, self.role_arn_template)
        if self.organization:
            if not self.role_arn_template:
                raise ConfigError("--organization needs --account-role-arn (a role ARN template)")
            out += targets_from_organization(
                session, self.role_arn_template, self.allow, self.deny, self.external_id
            )
        seen: dict[str | None, Any] = {}
        for target in out:
            seen.setdefault(target.account_id, target)
        return list(seen.values())


@dataclass(frozen=True)
class SimulatedSource:
    """The built-in simulated account: moto in-process, isolated from any real credentials.

    ``fixes`` names changes to the account (``simulator.known_fixes()``), so that a second run
    shows a finding resolved.
    """

    resource_types: Sequence[str] | None = None
    fixes: Sequence[str] = ()

    def load(self, now: datetime, progress: Progress | None) -> tuple[list[Resource], ScanManifest]:
        from collectors.runner import collect
        from simulator import SIMULATED_REGIONS, simulated_account

        if progress:
            progress("building the simulated account (moto, in-process) ...")
        with simulated_account(now, self.fixes) as session:
            result = collect(
                session,
                list(SIMULATED_REGIONS),
                clock=fixed_clock(now),
                resource_types=self.resource_types,
                progress=progress,
                source="simulated",
                simulated=True,
            )
        return result.resources, result.manifest
