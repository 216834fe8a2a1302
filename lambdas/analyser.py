"""Analyser Lambda: the scan's parts in, findings ranked, explained, stored, reported, sent.

Settings are read once per cold start; the work is ``engine.scheduled.analyse_scan``.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from engine.clock import system_clock
from engine.scheduled import Settings, analyse_scan

logger = Logger()
metrics = Metrics()
SETTINGS = Settings.from_env()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any, session: Any = None) -> dict[str, Any]:
    """``session`` is for local runs (the simulated account); Lambda passes none."""
    logger.append_keys(scan_id=event.get("scan_id"))
    summary = analyse_scan(event, SETTINGS, session or boto3.Session(), system_clock)
    metrics.add_metric(name="ResourcesScanned", unit=MetricUnit.Count, value=summary["resources"])
    for severity, count in summary["findings"].items():
        metrics.add_metric(
            name=f"Findings{severity.capitalize()}", unit=MetricUnit.Count, value=count
        )
    metrics.add_metric(name="EolWarnings", unit=MetricUnit.Count, value=summary["eol_warnings"])
    metrics.add_metric(
        name="EstimatedMonthlySavings",
        unit=MetricUnit.Count,
        value=summary["estimated_monthly_savings_usd"],
    )
    metrics.add_metric(
        name="CollectionErrors", unit=MetricUnit.Count, value=summary["collection_errors"]
    )
    metrics.add_metric(
        name="BedrockFallbacks", unit=MetricUnit.Count, value=int(summary["bedrock_fallback"])
    )
    logger.info("scan analysed", extra=summary)
    return summary
