"""Reporters: the last stage, turning a ``Report`` into text people or machines read.

Each format is one module registered in ``FORMATS`` by name: ``text`` (terminal), ``json`` (the
Finding schema), ``email`` (the SNS message, previewed), ``html`` (one self-contained file),
``sarif`` (2.1.0), ``junit``, ``ocsf`` (Compliance Finding) and ``asff`` (Security Hub).
``render(name, report)`` returns the document as text.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from engine.registry import Registry
from engine.report import Report

Renderer = Callable[[Report], str]
FORMATS: Registry[Renderer] = Registry("output formats")
MODULES = (
    "engine.reports.text",
    "engine.reports.json_format",
    "engine.reports.email",
    "engine.reports.html",
    "engine.reports.sarif",
    "engine.reports.junit",
    "engine.reports.ocsf",
    "engine.reports.asff",
)


def load_all() -> list[str]:
    for name in MODULES:
        importlib.import_module(name)
    return FORMATS.keys()


def render(name: str, report: Report) -> str:
    load_all()
    return FORMATS.get(name)(report)
