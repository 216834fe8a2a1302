"""Reporters: the last stage, writing a ``Report`` as text people or machines read.

Each format is one module registered in ``FORMATS`` by name: ``text`` (terminal), ``json`` (the
Finding schema), ``email`` (the SNS message, previewed), ``html`` (one self-contained file),
``sarif`` (2.1.0), ``junit``, ``ocsf`` (Compliance Finding) and ``asff`` (Security Hub).

A format is a writer, ``(report, out) -> None``: it writes the document to the text stream
``out`` piece by piece (a line, a finding, a chunk of table rows), so a report of a million
findings goes to its file, stdout or S3 without ever being one string in memory.
``write(name, report, out)`` runs one; ``render(name, report)`` returns the document as a string
(a ``StringIO`` underneath: for tests and small reports), byte for byte what ``write`` writes.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Iterable
from typing import TextIO

from engine.registry import Registry
from engine.report import Report

Writer = Callable[[Report, TextIO], None]
FORMATS: Registry[Writer] = Registry("output formats")
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


def write(name: str, report: Report, out: TextIO) -> None:
    """Write ``report`` in format ``name`` to ``out``, piece by piece."""
    load_all()
    FORMATS.get(name)(report, out)


def render(name: str, report: Report) -> str:
    """The whole document as one string: what ``write`` would write."""
    load_all()
    return to_string(FORMATS.get(name), report)


def to_string(writer: Writer, report: Report) -> str:
    """Run one writer into memory (each module's ``render_<format>`` is this)."""
    buffer = io.StringIO()
    writer(report, buffer)
    return buffer.getvalue()


def write_joined(
    out: TextIO, pieces: Iterable[str], *, separator: str, ends: tuple[str, str], empty: str
) -> None:
    """``ends[0] + separator.join(pieces) + ends[1]`` (``empty`` when there are none), written
    one piece at a time: a JSON array of findings, one per line, without the list in memory."""
    opened = False
    for piece in pieces:
        out.write((separator if opened else ends[0]) + piece)
        opened = True
    out.write(ends[1] if opened else empty)
