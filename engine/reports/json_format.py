"""``--format json``: ``{"scan": <manifest>, "ranked_by", "summary", "notes", "findings": [...]}``.

Where it sits: the last stage (report), one registered format (``write_json(report, out)``).
Findings come in rank order with sorted keys, one per line, so for the same input and ``--now``
the findings section is the same byte for byte (the scan section carries run times and the scan
id). The small head is indented; the findings are written one at a time with the C encoder (the
indenting one is pure Python, far too slow for 100,000 findings), so the document is never one
string, nor one list of dicts, in memory.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from engine.report import Report
from engine.reports import FORMATS, to_string, write_joined


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ": "))


@FORMATS.register("json")
def write_json(report: Report, out: TextIO) -> None:
    head = json.dumps(report.header(), indent=2, sort_keys=True, ensure_ascii=False)
    out.write(f'{head[:-2]},\n  "findings": [')  # the head without its closing "\n}"
    lines = (_line(f.to_dict()) for f in report.findings)
    write_joined(out, lines, separator=",\n  ", ends=("\n  ", "\n]\n}\n"), empty="]\n}\n")


def render_json(report: Report) -> str:
    return to_string(write_json, report)
