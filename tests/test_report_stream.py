"""Every format is a writer: streamed output equals ``render()`` output, byte for byte.

``render(name, report)`` is a ``StringIO`` under the registered writer; these tests hold the
writer itself to the same bytes when the stream is a real file.
"""

from __future__ import annotations

import io
import json
import tracemalloc
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


def test_a_report_without_findings_is_still_a_whole_document() -> None:
    empty = synthetic_report(0, partial=False)
    assert render("ocsf", empty) == "[]\n"
    assert render("asff", empty) == '{"Findings": []}\n'
    assert json.loads(render("json", empty))["findings"] == []
    assert render("json", empty).endswith('\n  "findings": []\n}\n')
    assert json.loads(render("sarif", empty))["runs"][0]["results"] == []
    assert '\n      "results": [],\n' in render("sarif", empty)
    junit = render("junit", empty)
    assert junit.endswith(
        '<testsuites name="aws-inventory-engine" tests="0" failures="0" errors="0" skipped="0" />\n'
    )
    assert render("text", empty).endswith("FINDINGS\n  No findings.\n")
    assert '<script type="application/json" id="findings-data">[]</script>' in render("html", empty)


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


class Sink(io.TextIOBase):
    """A stream that keeps nothing: it only counts what it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


#: memory a writer may allocate above the report it writes; the documents are 2.5 to 12 times this
MEMORY_MAX = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def many() -> Report:
    return synthetic_report(12_000)


@pytest.mark.parametrize("fmt", STREAMED)
def test_writer_memory_does_not_grow_with_the_document(
    large: Report, many: Report, fmt: str
) -> None:
    """Writing 12,000 findings (5 to 25 MB of text) allocates under 2 MiB at its peak: the
    document is never built in memory, nor a dict or an element per finding all at once.

    What remains grows far slower than the document (the HTML and JUnit writers keep a
    reference per finding for their lists and suites) or not at all (the text writer's wrapping
    cache, 4,096 entries at most, is most of its peak)."""
    writer = FORMATS.get(fmt)
    writer(large, Sink())  # warm up: template compiled, caches filled, modules imported
    sink = Sink()
    tracemalloc.start()
    try:
        writer(many, sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size > 2 * MEMORY_MAX
    assert peak < MEMORY_MAX, f"{fmt}: {peak:,} bytes at the peak for {sink.size:,} characters"
