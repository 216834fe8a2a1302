"""Reporters: the last stage, turning a ``Report`` into text people or machines read.

Each format is one module registered in ``FORMATS`` by name (``text``, ``json``; more formats
come later through the same registry). ``render(name, report)`` returns the document as text.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from engine.registry import Registry
from engine.report import Report

Renderer = Callable[[Report], str]
FORMATS: Registry[Renderer] = Registry("output formats")
MODULES = ("engine.reports.text", "engine.reports.json_format")


def load_all() -> list[str]:
    for name in MODULES:
        importlib.import_module(name)
    return FORMATS.keys()


def render(name: str, report: Report) -> str:
    load_all()
    return FORMATS.get(name)(report)
