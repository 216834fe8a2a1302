"""``--notify sns``: publish the morning email (``engine.reports.email``) to an SNS topic.

Where it sits: the last stage, after the reports are written. The boto3 client (or session) is
injected; built here, it comes from ``session.client("sns", region_name=<the topic's region>)``,
so boto3's standard endpoint settings (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_SNS``) apply
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html, read 2026-11-25).
A topic can only be published to in its own region, hence the region from the ARN.

A failed publish is retried (bounded, exponential back-off through an injected ``sleep``) when
it may pass on retry: throttling, a 5xx, a dropped connection. Anything else (topic not found,
access denied, invalid parameter) fails at once. Either way ``notify`` returns the error in
its ``NotifyResult`` instead of raising: the caller exits 3, the report is already written.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from engine.errors import ConfigError
from engine.notify import NOTIFIERS, POLICIES, NotifyResult, should_send
from engine.report import Report
from engine.reports.email import render_email

TOPIC_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z0-9-]+):\d{12}:[\w-]+$")
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "KMSThrottling",
    }
)


@NOTIFIERS.register("sns")
class SnsNotifier:
    """Publishes ``render_email(report)`` to one topic when the ``when`` policy says so."""

    channel = "sns"

    def __init__(
        self,
        topic_arn: str,
        *,
        when: str = "on_findings",
        client: Any | None = None,
        session: Any | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
        base_delay: float = 1.0,
    ) -> None:
        match = TOPIC_ARN.match(topic_arn)
        if match is None:
            raise ConfigError(f"--topic-arn: not an SNS topic ARN: {topic_arn!r}")
        if attempts < 1:
            raise ConfigError(f"attempts must be at least 1, got {attempts}")
        if when not in POLICIES:
            raise ConfigError(
                f"--notify-when: unknown policy {when!r} (known: {', '.join(POLICIES)})"
            )
        self.topic_arn = topic_arn
        self.region = match["region"]
        self.when = when
        self._client = client
        self._session = session
        self._sleep = sleep
        self.attempts = attempts
        self.base_delay = base_delay

    def client(self) -> Any:
        if self._client is None:
            import boto3

            session = self._session or boto3.Session()
            self._client = session.client("sns", region_name=self.region)
        return self._client

    def notify(self, report: Report, report_location: str | None = None) -> NotifyResult:
        send, reason = should_send(report, self.when)
        if not send:
            return NotifyResult(self.channel, False, f"not sent: {reason}")
        try:
            message = render_email(report, report_location)
        except ValueError as exc:  # the fixed part alone over the SNS limit: nothing to send
            return NotifyResult(self.channel, False, f"failed: {reason}", 0, error=str(exc))
        last = ""
        for attempt in range(1, self.attempts + 1):
            outcome, retry = self._publish(message.subject, message.body)
            if retry is None:
                return NotifyResult(self.channel, True, f"sent: {reason}", attempt, outcome)
            last = outcome
            if not retry:
                return NotifyResult(self.channel, False, f"failed: {reason}", attempt, error=last)
            if attempt < self.attempts:
                self._sleep(self.base_delay * 2 ** (attempt - 1))
        return NotifyResult(
            self.channel,
            False,
            f"failed: {reason}",
            self.attempts,
            error=f"SNS publish failed after {self.attempts} attempt(s): {last}",
        )

    def _publish(self, subject: str, body: str) -> tuple[str, bool | None]:
        """``(message id, None)`` on success, else ``(error text, whether to retry)``."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        transient = (
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )
        try:
            response = self.client().publish(TopicArn=self.topic_arn, Subject=subject, Message=body)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            code = str(error.get("Code", "Unknown"))
            retry = code in RETRYABLE_CODES or status >= 500 or status == 429
            return f"{code}: {error.get('Message', '')}", retry
        except transient as exc:
            return f"{type(exc).__name__}: {exc}", True
        except BotoCoreError as exc:  # no credentials, no region, invalid parameters
            return f"{type(exc).__name__}: {exc}", False
        return str(response.get("MessageId", "")), None
