"""The SNS notifier against moto: publish, read the email back through SQS, retries, policies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from moto import mock_aws

from engine.errors import ConfigError
from engine.notify import NOTIFIERS, load_all, should_send
from engine.notify.sns import SnsNotifier
from engine.report import Report
from engine.reports.email import render_email
from tests.support.reports import synthetic_report
from tests.support.servers import free_port, moto_server

LOCATION = "s3://reports-bucket/2026-11-25/report.html"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture
def small() -> Report:
    return synthetic_report(30, rules=6, partial=False)


def _topic_and_queue(session: boto3.Session) -> tuple[str, Any, str]:
    sns = session.client("sns", region_name="eu-west-1")
    sqs = session.client("sqs", region_name="eu-west-1")
    topic = sns.create_topic(Name="inventory-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, sqs, queue


def _received(sqs: Any, queue: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def aws(aws_env: None) -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session(region_name="eu-west-1")


def test_registered_under_sns() -> None:
    assert "sns" in load_all()
    assert NOTIFIERS.get("sns") is SnsNotifier


def test_publish_is_read_back_exactly(aws: boto3.Session, small: Report) -> None:
    topic, sqs, queue = _topic_and_queue(aws)
    notifier = SnsNotifier(topic, when="always", client=aws.client("sns", region_name="eu-west-1"))
    result = notifier.notify(small, LOCATION)
    assert result.sent and not result.failed and result.attempts == 1
    assert result.message_id
    [envelope] = _received(sqs, queue)
    expected = render_email(small, LOCATION)
    assert envelope["MessageId"] == result.message_id
    assert envelope["Subject"] == expected.subject
    assert envelope["Message"] == expected.body
    assert LOCATION in envelope["Message"]


def test_a_truncated_large_email_is_accepted_by_sns(aws: boto3.Session) -> None:
    big = synthetic_report(20_000, rules=2_000)
    topic, sqs, queue = _topic_and_queue(aws)
    notifier = SnsNotifier(topic, when="always", client=aws.client("sns", region_name="eu-west-1"))
    result = notifier.notify(big)
    assert result.sent, result
    [envelope] = _received(sqs, queue)
    assert "shortened to fit the SNS size limit" in envelope["Message"]
    assert len(envelope["Message"].encode("utf-8")) < 262_144


@pytest.mark.server
def test_builds_its_client_from_aws_endpoint_url(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, small: Report
) -> None:
    with moto_server() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        session = boto3.Session()
        topic, sqs, queue = _topic_and_queue(session)
        result = SnsNotifier(topic, when="always", session=session).notify(small)
        assert result.sent, result
        [envelope] = _received(sqs, queue)
        assert envelope["Subject"] == render_email(small).subject


def test_unreachable_endpoint_is_retried_then_reported(aws_env: None, small: Report) -> None:
    client = boto3.client(
        "sns",
        region_name="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=NO_RETRY.merge(Config(connect_timeout=2, read_timeout=2)),
    )
    slept: list[float] = []
    topic = "arn:aws:sns:eu-west-1:123456789012:inventory-alerts"
    notifier = SnsNotifier(topic, when="always", client=client, sleep=slept.append, attempts=3)
    result = notifier.notify(small)
    assert not result.sent and result.failed
    assert result.attempts == 3
    assert slept == [1.0, 2.0]
    assert result.error is not None
    assert "after 3 attempt(s)" in result.error and "EndpointConnectionError" in result.error


@pytest.mark.server
def test_throttled_twice_then_published(aws_env: None, small: Report) -> None:
    # A real HTTP boundary: in-process moto would also see the requests the hook answers.
    with moto_server() as endpoint:
        session = boto3.Session()
        topic, sqs, queue = _topic_and_queue_at(session, endpoint)
        client = session.client(
            "sns", region_name="eu-west-1", endpoint_url=endpoint, config=NO_RETRY
        )
        calls: list[int] = []

        def throttle(request: Any, **_: Any) -> AWSResponse | None:
            calls.append(1)
            if len(calls) > 2:
                return None  # the request goes to the server
            return AWSResponse(request.url, 400, {"Content-Type": "text/xml"}, _Raw(THROTTLED))

        client.meta.events.register("before-send.sns.Publish", throttle)
        slept: list[float] = []
        result = SnsNotifier(
            topic, when="always", client=client, sleep=slept.append, base_delay=0.5
        ).notify(small)
        assert result.sent and result.attempts == 3
        assert slept == [0.5, 1.0]
        assert len(_received(sqs, queue)) == 1


THROTTLED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
    b"<Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"
)


class _Raw:
    """The raw body botocore reads from a response returned by a before-send hook."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def _topic_and_queue_at(session: boto3.Session, endpoint: str) -> tuple[str, Any, str]:
    sns = session.client("sns", region_name="eu-west-1", endpoint_url=endpoint)
    sqs = session.client("sqs", region_name="eu-west-1", endpoint_url=endpoint)
    topic = sns.create_topic(Name="inventory-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=attrs["Attributes"]["QueueArn"])
    return topic, sqs, queue


def test_missing_topic_fails_at_once_without_retry(aws: boto3.Session, small: Report) -> None:
    slept: list[float] = []
    topic = "arn:aws:sns:eu-west-1:123456789012:no-such-topic"
    result = SnsNotifier(
        topic, when="always", client=aws.client("sns", region_name="eu-west-1"), sleep=slept.append
    ).notify(small)
    assert result.failed and result.attempts == 1 and slept == []
    assert result.error is not None and result.error.startswith("NotFound")


def test_policy_skip_publishes_nothing(aws: boto3.Session, small: Report) -> None:
    topic, sqs, queue = _topic_and_queue(aws)
    quiet = replace(small, findings=[])
    result = SnsNotifier(
        topic, when="on_findings", client=aws.client("sns", region_name="eu-west-1")
    ).notify(quiet)
    assert not result.sent and not result.failed
    assert result.reason.startswith("not sent")
    assert _received(sqs, queue) == []


def _with(report: Report, **changes: Any) -> Report:
    return replace(report, findings=[replace(f, **changes) for f in report.findings])


def test_policies(small: Report) -> None:
    fails = [f for f in small.findings if f.outcome == "fail"]
    base = replace(small, findings=fails)
    clean = replace(small, findings=[])
    open_low = _with(replace(base, findings=fails[:1]), status="open", severity="low")
    new_low = _with(open_low, status="new")
    open_critical = _with(open_low, severity="critical")
    resolved_only = _with(base, status="resolved")
    partial = synthetic_report(0, partial=True)

    assert should_send(clean, "always")[0]
    for policy in ("on_findings", "on_new_or_critical"):
        assert not should_send(clean, policy)[0]
        assert not should_send(resolved_only, policy)[0]
        assert should_send(partial, policy)[0]
        assert should_send(new_low, policy)[0]
        assert should_send(open_critical, policy)[0]
    assert should_send(open_low, "on_findings")[0]
    assert not should_send(open_low, "on_new_or_critical")[0]
    with pytest.raises(ValueError, match="unknown notify policy"):
        should_send(clean, "sometimes")


def test_bad_configuration_is_refused_up_front() -> None:
    with pytest.raises(ConfigError, match="not an SNS topic ARN"):
        SnsNotifier("arn:aws:sqs:eu-west-1:123456789012:queue")
    with pytest.raises(ConfigError, match="unknown policy"):
        SnsNotifier("arn:aws:sns:eu-west-1:123456789012:t", when="weekly")
