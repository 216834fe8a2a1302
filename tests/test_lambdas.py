"""The Lambda handlers run locally in sequence, as the state machine runs them: the collector
once per (account, region) item, then the analyser; against moto (the simulated account, the
DynamoDB store, SNS read back through SQS, the S3 report bucket). Inputs and outputs are checked
against the same contract schemas the Terraform state machine is tested with."""

from __future__ import annotations

import gzip
import importlib
import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from engine.store.dynamodb import table_definition
from simulator import SIMULATED_REGIONS, simulated_account
from tests.support.terraform import contract_errors

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
CONTEXT = SimpleNamespace(
    function_name="aws-inventory-test",
    memory_limit_in_mb=512,
    aws_request_id="req-1",
    invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:aws-inventory-test",
)


def handlers(monkeypatch: pytest.MonkeyPatch, topic: str, bucket: str) -> tuple[Any, Any]:
    env = {
        "INVENTORY_TABLE_NAME": "aws-inventory",
        "INVENTORY_RETENTION_DAYS": "90",
        "INVENTORY_TOPIC_ARN": topic,
        "INVENTORY_REPORT_BUCKET": bucket,
        "INVENTORY_REPORT_PREFIX": "reports/",
        "INVENTORY_NOTIFY_WHEN": "always",
        "POWERTOOLS_METRICS_NAMESPACE": "AwsInventoryEngine",
        "POWERTOOLS_SERVICE_NAME": "test",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import lambdas.analyser
    import lambdas.collector

    return importlib.reload(lambdas.collector), importlib.reload(lambdas.analyser)


def run_scan(
    session: Any, collector: Any, analyser: Any, scan_id: str, targets: list[dict[str, str]]
) -> tuple[list[dict], dict]:
    started = NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    outputs = []
    for target in targets:
        event = {**target, "scan_id": scan_id, "started_at": started}
        assert contract_errors("collector_input", event) == []
        out = collector.handler(event, CONTEXT, session=session)
        assert contract_errors("collector_output", out) == []
        outputs.append(out)
    event = {"scan_id": scan_id, "started_at": started, "targets": targets}
    assert contract_errors("analyser_input", event) == []
    return outputs, analyser.handler(event, CONTEXT, session=session)


def test_collector_per_item_then_analyser(monkeypatch: pytest.MonkeyPatch) -> None:
    # a table of 5 rows: the page says how many it leaves out and where they all are
    monkeypatch.setattr("engine.scheduled.HTML_TABLE_MAX", 5)
    with simulated_account(NOW) as session:
        dynamodb = session.client("dynamodb")
        dynamodb.create_table(**table_definition("aws-inventory"))
        sns, sqs, s3 = session.client("sns"), session.client("sqs"), session.client("s3")
        topic = sns.create_topic(Name="inventory")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        s3.create_bucket(Bucket="inventory-reports")
        collector, analyser = handlers(monkeypatch, topic, "inventory-reports")
        targets = [{"account_id": ACCOUNT, "region": r} for r in SIMULATED_REGIONS]
        parts, summary = run_scan(
            session, collector, analyser, "scan-20261125T020000Z-aaaaaaaa", targets
        )
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        stored = s3.get_object(Bucket="inventory-reports", Key=summary["report"].split("/", 3)[3])
        html = stored["Body"].read()
        complete = s3.get_object(
            Bucket="inventory-reports",
            Key="reports/scan-20261125T020000Z-aaaaaaaa/findings.json.gz",
        )
        everything = json.loads(gzip.decompress(complete["Body"].read()))
        # a second scan the next hour: history says open, and one target's part is missing
        _, again = run_scan(
            session, collector, analyser, "scan-20261125T030000Z-bbbbbbbb", targets[:1]
        )
    assert {p["status"] for p in parts} == {"complete"}
    assert summary["resources"] == sum(p["resources"] for p in parts) > 50
    assert summary["partial"] is False and summary["evaluation_errors"] == 0
    assert sum(summary["findings"].values()) > 0 and summary["ranked_by"] == "rules"
    assert summary["notified"]["sent"] is True and summary["problems"] == []
    assert len(messages) == 1
    email = json.loads(messages[0]["Body"])
    assert email["Subject"].startswith("AWS Inventory Alert - ")
    assert (
        "s3://inventory-reports/reports/scan-20261125T020000Z-aaaaaaaa/report.html"
        in email["Message"]
    )
    assert html.startswith(b"<!DOCTYPE html>")
    # the page went through a temporary file: uploaded whole, every finding in its table
    assert html.endswith(b"</html>") and stored["ContentLength"] == len(html)
    assert stored["ContentType"] == "text/html; charset=utf-8"
    page = html.decode("utf-8")
    total = int(re.search(r"<h2>Findings \((\d+)\)</h2>", page).group(1))  # type: ignore[union-attr]
    data = re.search(r'id="findings-data">(.*?)</script>', page, re.DOTALL).group(1)  # type: ignore[union-attr]
    assert len(json.loads(data)) == 5 < total
    # every finding, beside the page, which names it
    assert complete["ContentType"] == "application/gzip"
    assert everything["scan"]["scan_id"] == "scan-20261125T020000Z-aaaaaaaa"
    assert len(everything["findings"]) == total >= sum(summary["findings"].values()) > 0
    listed = "s3://inventory-reports/reports/scan-20261125T020000Z-aaaaaaaa/findings.json.gz"
    assert listed in page.split('id="table-capped">', 1)[1].split("</p>", 1)[0]
    assert again["resources"] < summary["resources"]


def test_missing_part_makes_the_scan_partial(monkeypatch: pytest.MonkeyPatch) -> None:
    with simulated_account(NOW) as session:
        session.client("dynamodb").create_table(**table_definition("aws-inventory"))
        collector, analyser = handlers(monkeypatch, "", "")
        monkeypatch.delenv("INVENTORY_TOPIC_ARN")
        monkeypatch.delenv("INVENTORY_REPORT_BUCKET")
        collector, analyser = importlib.reload(collector), importlib.reload(analyser)
        started = NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        collector.handler(
            {
                "account_id": ACCOUNT,
                "region": "us-east-1",
                "scan_id": "scan-x",
                "started_at": started,
            },
            CONTEXT,
            session=session,
        )
        summary = analyser.handler(
            {
                "scan_id": "scan-x",
                "started_at": started,
                "targets": [
                    {"account_id": ACCOUNT, "region": "us-east-1"},
                    {"account_id": ACCOUNT, "region": "eu-west-1"},
                ],
            },
            CONTEXT,
            session=session,
        )
    assert summary["partial"] is True and summary["collection_errors"] == 1
    assert summary["notified"] is None and summary["report"] is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "INVENTORY_TABLE_NAME: required"),
        (
            {"INVENTORY_TABLE_NAME": "t", "INVENTORY_RETENTION_DAYS": "forever"},
            "INVENTORY_RETENTION_DAYS",
        ),
        (
            {"INVENTORY_TABLE_NAME": "t", "INVENTORY_INCLUDE_RESOURCE_NAMES": "yes"},
            "INVENTORY_INCLUDE_RESOURCE_NAMES",
        ),
    ],
)
def test_settings_errors_name_the_variable(env: dict[str, str], message: str) -> None:
    from engine.errors import ConfigError
    from engine.scheduled import Settings

    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)
