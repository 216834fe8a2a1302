"""What a builder module of the simulated account receives, and how builders are found.

Each ``simulator/build_*.py`` module defines ``ORDER`` (int: lower builds first, so volumes
can attach to instances and backup plans can select them), ``build(ctx)`` and
``describe() -> list[str]``; ``simulator.account`` imports them all, in order. Adding a
resource type to the simulated account is one new module, no edits elsewhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

import boto3

SIMULATED_REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1")
# freezegun's freeze_time, passed in because it is imported lazily
Freeze = Callable[[datetime], AbstractContextManager[Any]]


@dataclass
class BuildContext:
    """The account being built: its session, clock and what earlier builders made."""

    session: boto3.Session
    account_id: str
    now: datetime
    freeze: Freeze
    regions: tuple[str, ...] = SIMULATED_REGIONS
    #: named changes a user can ask for (``--simulated-fix``), e.g. to see a finding resolved
    fixes: frozenset[str] = frozenset()
    #: ids that later builders may need, e.g. ``made["ec2:web-us-east-1"] = "i-..."``
    made: dict[str, str] = field(default_factory=dict)


def builder_modules() -> list[ModuleType]:
    """Every ``simulator.build_*`` module, sorted by ``ORDER`` then name."""
    import simulator

    found = [
        importlib.import_module(f"simulator.{info.name}")
        for info in pkgutil.iter_modules(simulator.__path__)
        if info.name.startswith("build_")
    ]
    return sorted(found, key=lambda m: (int(getattr(m, "ORDER", 100)), m.__name__))
