"""Collectors: read-only boto3 code that turns AWS API responses into ``Resource`` values.

First stage of the pipeline. Each resource type is one module, registered in ``REGISTRY`` by
its class decorator; ``load_all()`` imports them. ``collect()`` (in ``collectors.runner``) runs
them across regions and records every failed call in the scan manifest.
"""

from __future__ import annotations

import importlib

from collectors.base import REGISTRY, Collector

# One module per resource type; importing a module only registers its class.
MODULES = ("collectors.ec2_instance", "collectors.s3_bucket")


def load_all() -> dict[str, type[Collector]]:
    """Import every collector module and return the registry as a dict."""
    for name in MODULES:
        importlib.import_module(name)
    return dict(REGISTRY.items())


__all__ = ["REGISTRY", "Collector", "load_all"]
