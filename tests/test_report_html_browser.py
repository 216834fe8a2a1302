"""The HTML report in a real browser: headless Chromium loads the file from disk.

The report comes from the simulated account through the real pipeline, with one resource
renamed (name and Name tag) to ``<script>alert(1)</script>`` and a hostile note, as an attacker
who can tag a resource would. Checked in the browser: every finding is a table row, typing
into the filter and choosing a severity hide the right rows, sorting works, the hostile text is
shown as text and never runs, the page makes no network request and logs no error (its
Content-Security-Policy admits only its own script). A screenshot is saved as an artefact.

Chromium missing: the test fails when ``CI`` is set and is skipped otherwise.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.model import Resource, ScanManifest
from engine.pipeline import check
from engine.report import Report
from engine.reports.html import render_html
from engine.rules import load_rules
from engine.sources import Progress, SimulatedSource
from tests.support.chromium import Page, artifacts_dir, chromium, find_chromium
from tests.support.reports import synthetic_report

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


@dataclass(frozen=True)
class _Tainted:
    """The simulated account with one stopped instance renamed by a hostile tag."""

    def load(self, now: datetime, progress: Progress | None) -> tuple[list[Resource], ScanManifest]:
        resources, manifest = SimulatedSource().load(now, progress)
        target = next(r for r in resources if r.name == "legacy-batch-us-east-1")
        tainted = replace(target, name=HOSTILE, tags={**target.tags, "Name": HOSTILE})
        return [tainted if r is target else r for r in resources], manifest


@pytest.fixture(scope="module")
def report() -> Report:
    base = check(_Tainted(), load_rules(), NOW)
    return replace(base, notes=[f"note with markup {HOSTILE}"])


@pytest.fixture(scope="module")
def binary() -> str:
    path = find_chromium()
    if path is None:
        message = "Chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser(
    binary: str, report: Report, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Page, Path]]:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    with chromium(binary, tmp_path_factory.mktemp("profile")) as tab:
        for domain in ("Page", "Network", "Log", "Runtime"):
            tab.call(f"{domain}.enable")
        # Any alert() that ran would flip this flag (and open a dialog event).
        tab.call(
            "Page.addScriptToEvaluateOnNewDocument",
            source="window.alert = function () { window.__alerted = true; };",
        )
        yield tab, path


@pytest.fixture
def page(browser: tuple[Page, Path]) -> Page:
    """The report freshly loaded from disk, for each test: no state carried over."""
    tab, path = browser
    tab.events.clear()
    tab.call("Page.navigate", url=path.as_uri())
    tab.wait_for("Page.loadEventFired")
    assert tab.evaluate("document.documentElement.getAttribute('data-ready')") == "1"
    return tab


def _visible(page: Page) -> int:
    return int(
        page.evaluate("document.querySelectorAll('#findings tbody tr:not([hidden])').length")
    )


def _type_filter(page: Page, text: str) -> None:
    page.evaluate("(function(f){f.value=''; f.focus();})(document.getElementById('filter'))")
    page.call("Input.insertText", text=text)


def test_script_ran_and_table_has_every_finding(page: Page, report: Report) -> None:
    assert page.evaluate("document.documentElement.getAttribute('data-ready')") == "1"
    ids = page.evaluate(
        "Array.from(document.querySelectorAll('#findings tbody tr'))"
        ".map(r => r.getAttribute('data-finding-id'))"
    )
    assert ids == [f.finding_id for f in report.findings]
    assert len(ids) >= 6
    assert page.evaluate("document.getElementById('visible-count').textContent") == str(len(ids))


def test_typing_into_the_filter_hides_other_rows(page: Page, report: Report) -> None:
    stopped = [f for f in report.findings if f.rule_id == "ec2-instance-stopped-too-long"]
    one = stopped[0].resource_id
    on_that_resource = sum(1 for f in report.findings if one in f.resource_id)
    _type_filter(page, one)
    assert _visible(page) == on_that_resource
    assert page.evaluate("document.getElementById('match-count').textContent") == str(
        on_that_resource
    )
    _type_filter(page, "ec2-instance-stopped-too-long")
    assert _visible(page) == len(stopped)
    _type_filter(page, "no-such-thing-anywhere")
    assert _visible(page) == 0
    page.evaluate(
        "(function(f){f.value=''; f.dispatchEvent(new Event('input'));})"
        "(document.getElementById('filter'))"
    )
    assert _visible(page) == len(report.findings)


def test_severity_select_filters_rows(page: Page, report: Report) -> None:
    low = sum(1 for f in report.findings if f.severity == "low" and f.outcome == "fail")
    assert low > 0
    page.evaluate(
        "(function(s){s.value='low'; s.dispatchEvent(new Event('change'));})"
        "(document.getElementById('severity-filter'))"
    )
    assert _visible(page) == low
    page.evaluate(
        "(function(s){s.value=''; s.dispatchEvent(new Event('change'));})"
        "(document.getElementById('severity-filter'))"
    )
    assert _visible(page) == len(report.findings)


def test_clicking_rank_header_reverses_the_order(page: Page, report: Report) -> None:
    page.evaluate("document.querySelector('#findings thead th').click()")
    ranks = page.evaluate(
        "Array.from(document.querySelectorAll('#findings tbody tr td:first-child'))"
        ".map(td => Number(td.textContent))"
    )
    assert ranks == sorted((f.rank or 0 for f in report.findings), reverse=True)
    page.evaluate("document.querySelector('#findings thead th').click()")
    first = page.evaluate("document.querySelector('#findings tbody td').textContent")
    assert first == "1"


def test_hostile_names_are_text_and_never_run(page: Page) -> None:
    kinds = page.evaluate("Array.from(document.scripts).map(s => s.type || 'classic')")
    assert sorted(kinds) == ["application/json", "classic"]  # the data island never runs
    assert page.evaluate("window.__alerted === true") is False
    assert not [e for e in page.events if e.get("method") == "Page.javascriptDialogOpening"]
    cells = page.evaluate(
        "Array.from(document.querySelectorAll('#findings tbody td'))"
        ".map(td => td.textContent).filter(t => t.includes('alert(1)'))"
    )
    assert cells
    assert any(HOSTILE in text for text in cells)
    notes = page.evaluate(
        "Array.from(document.querySelectorAll('.banner.note')).map(n => n.textContent)"
    )
    assert any(HOSTILE in n for n in notes)
    _type_filter(page, HOSTILE)
    hostile_rows = page.evaluate(
        "Array.from(document.querySelectorAll('#findings tbody tr'))"
        ".map(r => r.cells[4].firstChild.textContent)"
    )
    assert hostile_rows and all(name == HOSTILE for name in hostile_rows)


def test_no_network_request_and_no_console_error(page: Page) -> None:
    urls = [
        e["params"]["request"]["url"]
        for e in page.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert urls, "the navigation itself should have been seen"
    assert all(url.startswith("file://") for url in urls), urls
    errors = [
        e["params"]["entry"]
        for e in page.events
        if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
    ]
    assert not errors, errors
    thrown = [e for e in page.events if e.get("method") == "Runtime.exceptionThrown"]
    assert not thrown, thrown


def test_screenshot_is_saved_as_an_artefact(page: Page, tmp_path: Path) -> None:
    size = page.call("Page.getLayoutMetrics")["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 2400), "scale": 1}
    shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
    data = base64.b64decode(shot["data"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    path = artifacts_dir(tmp_path) / "report-html.png"
    path.write_bytes(data)
    print(f"screenshot: {path}")
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one


def test_large_table_pages_and_eol_timeline(browser: tuple[Page, Path], tmp_path: Path) -> None:
    tab, _ = browser
    big = synthetic_report(1_200, rules=10)
    path = tmp_path / "big.html"
    path.write_text(render_html(big), encoding="utf-8")
    tab.events.clear()
    tab.call("Page.navigate", url=path.as_uri())
    tab.wait_for("Page.loadEventFired")
    assert tab.evaluate("document.getElementById('match-count').textContent") == "1200"
    assert _visible(tab) == 500
    more = "document.getElementById('show-more')"
    tab.evaluate(f"{more}.click()")
    assert _visible(tab) == 1000
    tab.evaluate(f"{more}.click()")
    assert _visible(tab) == 1200
    assert tab.evaluate(f"{more}.hidden") is True
    # lifecycle findings carry support dates: one timeline row per (rule, runtime)
    lifecycle = [f for f in big.failures if f.category == "lifecycle" and f.status != "resolved"]
    rows = {(f.rule_id, f.evidence.get("runtime")) for f in lifecycle}
    drawn = tab.evaluate("document.querySelectorAll('#timeline table.eol tbody tr').length")
    assert drawn == len(rows) > 0
    assert tab.evaluate("document.querySelectorAll('#timeline svg circle').length") >= drawn
