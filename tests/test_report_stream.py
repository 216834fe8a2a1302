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
from tests.support.reports import simulated_report

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
