"""Collector Lambda: one (account, region) item in, one stored scan part out.

Settings are read once per cold start; the work is ``engine.scheduled.collect_part``.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from engine.clock import system_clock
from engine.scheduled import Settings, collect_part

logger = Logger()
metrics = Metrics()
SETTINGS = Settings.from_env()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any, session: Any = None) -> dict[str, Any]:
    """``session`` is for local runs (the simulated account); Lambda passes none."""
    logger.append_keys(
        scan_id=event.get("scan_id"), account_id=event.get("account_id"), region=event.get("region")
    )
    summary = collect_part(event, SETTINGS, session or boto3.Session(), system_clock)
    metrics.add_metric(name="ResourcesScanned", unit=MetricUnit.Count, value=summary["resources"])
    metrics.add_metric(name="CollectionErrors", unit=MetricUnit.Count, value=summary["errors"])
    logger.info("part stored", extra=summary)
    return summary
