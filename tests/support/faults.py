"""Fault injection at the botocore boundary, for ``tests/test_faults.py``.

Faults are botocore event handlers, so the product's own clients meet them exactly where they
would meet AWS: ``on_every_client`` adds a handler to botocore's built-in list, which every
session created meanwhile (the CLI builds its own) registers; a ``before-send`` handler that
returns a response answers in place of the service (moto's in-process mock is the same kind
of handler, registered less specifically, so ours runs first). Error responses are built in
the wire format of the service's protocol, so botocore parses them, retries them or not, and
raises them as it would for AWS.
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html (read 2026-11-25)

Also here: the small two-region account the fault tests scan (built through boto3 on moto),
and ``Killed``, the exception a hook raises to stop a run the way a killed Lambda stops.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.handlers import BUILTIN_HANDLERS
from moto import mock_aws

ACCOUNT = "123456789012"
HOME, OTHER = "us-east-1", "eu-west-1"
REGIONS = (HOME, OTHER)


class Killed(BaseException):
    """Raised by a hook to stop the process mid-run: no ``except Exception`` catches it."""


#: every service a scan calls: a handler for "before-send.<service>" runs before moto's, which
#: is registered for plain "before-send" (botocore calls the more specific handlers first)
SERVICES = ("ec2", "s3", "sts", "rds", "lambda", "eks", "dynamodb", "backup", "sns")


@contextmanager
def on_every_client(event: str, handler: Callable[..., Any]) -> Iterator[None]:
    """Register ``handler`` for ``event`` on every botocore session created in the block.

    ``before-send`` alone means ``before-send.<service>`` for each of ``SERVICES``.
    """
    events = [f"{event}.{service}" for service in SERVICES] if event == "before-send" else [event]
    entries = [(name, handler) for name in events]
    BUILTIN_HANDLERS.extend(entries)
    try:
        yield
    finally:
        for entry in entries:
            BUILTIN_HANDLERS.remove(entry)


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


@cache
def _protocol(service: str) -> str:
    model = botocore.session.get_session().get_service_model(service)
    return str(model.metadata["protocol"])


def aws_error(url: str, service: str, status: int, code: str, message: str) -> AWSResponse:
    """An error response in the wire format of ``service``'s protocol."""
    protocol = _protocol(service)
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": "fault-injected"}
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>fault-injected</RequestID></Response>"
        )
    elif protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
            "</Message></Error><RequestId>fault-injected</RequestId></ErrorResponse>"
        )
    else:  # json, rest-json
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
        body = json.dumps({"__type": code, "message": message})
    wire = HTTPHeaders()
    for name, value in headers.items():
        wire[name] = value
    return AWSResponse(url, status, wire, _Body(body.encode()))


def answer_with(
    status: int, code: str, message: str, when: Callable[[Any, str], bool]
) -> Callable[..., AWSResponse | None]:
    """A ``before-send`` handler answering ``code`` when ``when(request, event_name)``."""

    def handler(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if not when(request, event_name):
            return None
        service = event_name.split(".")[1]
        return aws_error(request.url, service, status, code, message)

    return handler


def in_region(region: str) -> Callable[[Any, str], bool]:
    """Requests sent to ``region``'s endpoints (the account-wide S3 listing goes elsewhere)."""
    return lambda request, _: f".{region}." in request.url


@contextmanager
def fake_credentials() -> Iterator[None]:
    """Fake credentials and none of the developer's endpoints, for a module-scoped mock."""
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
            patch.delenv(key)
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
            patch.delenv(key, raising=False)
        missing = "/nonexistent/aws-config"
        patch.setenv("AWS_CONFIG_FILE", missing)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", HOME)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        yield


@contextmanager
def small_account() -> Iterator[boto3.Session]:
    """Two regions of the same few resources on moto: instances, volumes, buckets, a topic.

    Every region fails some rules (unattached gp2 volumes, buckets without versioning), so a
    healthy region has findings a fault must not take away.
    """
    with fake_credentials(), mock_aws():
        session = boto3.Session(region_name=HOME)
        for region in REGIONS:
            ec2 = session.client("ec2", region_name=region)
            image = ec2.register_image(Name=f"img-{region}")["ImageId"]
            for name in ("app", "batch"):
                ec2.run_instances(
                    ImageId=image,
                    MinCount=1,
                    MaxCount=1,
                    TagSpecifications=[
                        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
                    ],
                )
            ec2.create_volume(AvailabilityZone=f"{region}a", Size=50, VolumeType="gp2")
            s3 = session.client("s3", region_name=region)
            bucket = f"fault-{region}"
            if region == HOME:
                s3.create_bucket(Bucket=bucket)
            else:
                where: Any = {"LocationConstraint": region}
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=where)
        session.client("sns").create_topic(Name="inventory-alerts")
        yield session


def collect_snapshot(path: Path, argv: list[str]) -> Path:
    """``engine collect`` of the small account into ``path`` (a fixed scan id from now on)."""
    from engine.cli import main

    with small_account():
        assert main(["collect", *argv, "-o", str(path)]) == 0
    return path


Requests = list[dict[str, Any]]


class BatchWriteFaults:
    """BatchWriteItem faults on one DynamoDB client, counting its calls.

    ``withhold(call, requests)`` names requests to leave out of the call and hand back as
    ``UnprocessedItems`` (so they are really not written); ``fail_with(call, requests)`` names
    an error code to answer the whole call with; ``kill_after`` raises ``Killed`` on the call
    after that many have gone through. Neither moto nor DynamoDB Local ever returns
    UnprocessedItems or throttles, hence the hooks.
    """

    def __init__(self, client: Any, table: str) -> None:
        self.table = table
        self.calls = 0
        self.withhold: Callable[[int, Requests], Requests] = lambda n, r: []
        self.fail_with: Callable[[int, Requests], str | None] = lambda n, r: None
        self.kill_after: int | None = None
        # The store writes batches from several threads at once; botocore runs a call's
        # handlers in the thread making it, so each thread keeps its own call's state.
        self._lock = threading.Lock()
        self._local = threading.local()
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.BatchWriteItem", self._params)
        events.register("before-call.dynamodb.BatchWriteItem", self._call)
        events.register("after-call.dynamodb.BatchWriteItem", self._after)

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.calls += 1
            call = self.calls
            if self.kill_after is not None and call > self.kill_after:
                raise Killed(f"killed during BatchWriteItem call {call}")
            requests: Requests = params["RequestItems"][self.table]
            code = self.fail_with(call, requests)
            held = [] if code is not None else self.withhold(call, requests)
        self._local.held, self._local.answer = [], None
        if code is not None:
            error = {"Error": {"Code": code, "Message": f"injected {code}"}}
            self._local.answer = (AWSResponse("http://injected", 400, HTTPHeaders(), None), error)
            return
        kept = [r for r in requests if r not in held]
        if not kept:  # an empty batch fails validation: answer without sending
            answer = {"UnprocessedItems": {self.table: held}}
            self._local.answer = (AWSResponse("http://injected", 200, HTTPHeaders(), None), answer)
            return
        params["RequestItems"][self.table] = kept
        self._local.held = held

    def _call(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        answer = getattr(self._local, "answer", None)
        self._local.answer = None
        return answer

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        held = getattr(self._local, "held", [])
        if held:
            parsed.setdefault("UnprocessedItems", {})[self.table] = held
            self._local.held = []


def partition_key(request: dict[str, Any]) -> str:
    return str(request["PutRequest"]["Item"]["resource_id"]["S"])


def item_key(request: dict[str, Any]) -> tuple[str, str]:
    """The (HASH, RANGE) key of a put request: which item it writes."""
    item = request["PutRequest"]["Item"]
    return str(item["resource_id"]["S"]), str(item["timestamp"]["S"])
