"""Collectors: read-only boto3 code that turns AWS API responses into ``Resource`` values.

First stage of the pipeline. Each resource type is one module, registered in ``REGISTRY`` by
its class decorator; ``load_all()`` imports them. ``collect()`` (in ``collectors.runner``) runs
them across regions and records every failed call in the scan manifest.
"""

from __future__ import annotations

import importlib
import pkgutil

from collectors.base import REGISTRY, Collector

# Modules of this package that are framework, not resource types.
FRAMEWORK = frozenset(
    {"base", "runner", "session", "accounts", "lifecycle_live", "secrets", "backup_coverage"}
)


def load_all() -> dict[str, type[Collector]]:
    """Import every collector module (one per resource type) and return the registry.

    Importing a module only registers its class: no clients, no I/O.
    """
    for info in pkgutil.iter_modules(__path__):
        if info.name not in FRAMEWORK and not info.name.startswith("_"):
            importlib.import_module(f"collectors.{info.name}")
    return dict(REGISTRY.items())


__all__ = ["REGISTRY", "Collector", "load_all"]
