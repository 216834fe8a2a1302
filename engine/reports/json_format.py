"""``--format json``: ``{"scan": <manifest>, "findings": [<Finding>...]}``.

Findings come in rank order with sorted keys, so for the same input and ``--now`` the findings
section is the same byte for byte (the scan section carries run times and the scan id).
"""

from __future__ import annotations

import json

from engine.report import Report
from engine.reports import FORMATS


@FORMATS.register("json")
def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
