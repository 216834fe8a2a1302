"""``--format json``: ``{"scan": <manifest>, "ranked_by", "summary", "notes", "findings": [...]}``.

Findings come in rank order with sorted keys, one per line, so for the same input and ``--now``
the findings section is the same byte for byte (the scan section carries run times and the scan
id) and a 100,000-finding report is written with the C encoder rather than the slow indenting
one.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from engine.report import Report
from engine.reports import FORMATS


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ": "))


@FORMATS.register("json")
def write_json(report: Report, out: TextIO) -> None:
    out.write(render_json(report))


def render_json(report: Report) -> str:
    document = report.to_dict()
    findings = document.pop("findings")
    head = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    body = ",\n".join(f"  {_line(f)}" for f in findings)
    inner = f"\n{body}\n" if findings else ""
    return f'{head[:-2]},\n  "findings": [{inner}]\n}}\n'
