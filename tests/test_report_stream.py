"""Every format is a writer: streamed output equals ``render()`` output, byte for byte.

``render(name, report)`` is a ``StringIO`` under the registered writer; these tests hold the
writer itself to the same bytes when the stream is a real file.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from engine.report import Report
from engine.reports import FORMATS, load_all, render, write
from tests.support.reports import simulated_report, synthetic_report

load_all()


@pytest.fixture(scope="module")
def simulated() -> Report:
    return simulated_report()


@pytest.mark.parametrize("fmt", FORMATS.keys())
def test_streamed_equals_rendered(simulated: Report, fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"report.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as out:
        write(fmt, simulated, out)
    rendered = render(fmt, simulated)
    assert rendered, "the simulated account has something to report in every format"
    assert path.read_bytes() == rendered.encode("utf-8")
    buffer = io.StringIO()
    FORMATS.get(fmt)(simulated, buffer)
    assert buffer.getvalue() == rendered


class Recorder(io.StringIO):
    """A stream that remembers how much each ``write`` call handed it."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        return super().write(text)


#: no single write may exceed this; the documents below are more than 20 times larger
PIECE_MAX = 64 * 1024
STREAMED = ("text", "json", "html", "sarif", "ocsf", "asff", "junit")


@pytest.fixture(scope="module")
def large() -> Report:
    return synthetic_report(4_000)


@pytest.mark.parametrize("fmt", STREAMED)
def test_writer_writes_piece_by_piece(large: Report, fmt: str) -> None:
    """A 4,000-finding document (1.7-8 MB) arrives in pieces of at most 64 KiB, never whole."""
    out = Recorder()
    FORMATS.get(fmt)(large, out)
    total = sum(out.sizes)
    assert total == len(out.getvalue()) > 20 * PIECE_MAX
    assert max(out.sizes) <= PIECE_MAX, f"{fmt}: one write of {max(out.sizes):,} characters"
    assert out.getvalue() == render(fmt, large)
