"""Collection across accounts and regions: assumed roles, concurrency caps, faults recorded.

Runs the real runner and collectors against moto. Concurrency is asserted by counting calls in
flight (a behaviour), never by wall-clock time; the speed-up is the benchmark's job.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from freezegun import freeze_time
from moto import mock_aws

from collectors.accounts import (
    AccountTarget,
    assumed_session,
    targets_from_file,
    targets_from_options,
    targets_from_organization,
)
from collectors.runner import collect
from collectors.session import MAX_ATTEMPTS
from engine.clock import fixed_clock
from engine.errors import ConfigError

pytestmark = pytest.mark.usefixtures("aws_env")
NOW = datetime(2026, 11, 25, tzinfo=UTC)
OTHER = "210987654321"
EC2 = ["aws.ec2.instance"]


def make_instances(session: boto3.Session, region: str, names: list[str]) -> None:
    ec2 = session.client("ec2", region_name=region)
    image = ec2.register_image(Name=f"img-{region}")["ImageId"]
    for name in names:
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        )


def role_session(account: str) -> boto3.Session:
    base = boto3.Session(region_name="us-east-1")
    return assumed_session(
        base,
        AccountTarget(account, f"arn:aws:iam::{account}:role/Reader"),
        base.client("sts"),
        "us-east-1",
    )


def test_two_accounts_through_assumed_roles() -> None:
    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        make_instances(base, "us-east-1", ["home-1"])
        make_instances(role_session(OTHER), "eu-west-1", ["other-1", "other-2"])
        targets = targets_from_options(
            ["123456789012", OTHER], "arn:aws:iam::{account_id}:role/Reader", None
        )
        result = collect(
            base,
            ["us-east-1", "eu-west-1"],
            clock=fixed_clock(NOW),
            backup_coverage=False,
            resource_types=EC2,
            accounts=targets,
        )
    assert result.manifest.errors == []
    assert result.manifest.accounts == ["123456789012", OTHER]
    got = sorted((r.account_id, r.region, r.name) for r in result.resources)
    assert got == [
        ("123456789012", "us-east-1", "home-1"),
        (OTHER, "eu-west-1", "other-1"),
        (OTHER, "eu-west-1", "other-2"),
    ]
    assert result.manifest.api_calls["sts.AssumeRole"] == 2
    counts = {(c["account_id"], c["region"]): c["count"] for c in result.manifest.counts}
    assert counts == {("123456789012", "us-east-1"): 1, (OTHER, "eu-west-1"): 2}


def test_account_that_cannot_be_assumed_is_recorded_and_others_reported() -> None:
    def deny(params: dict[str, Any], **_: Any) -> None:
        if OTHER in params["RoleArn"]:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole"
            )

    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        base.events.register("provide-client-params.sts.AssumeRole", deny)
        make_instances(base, "us-east-1", ["home-1"])
        targets = targets_from_options(
            ["123456789012", OTHER], "arn:aws:iam::{account_id}:role/Reader", None
        )
        result = collect(
            base,
            ["us-east-1"],
            clock=fixed_clock(NOW),
            backup_coverage=False,
            resource_types=EC2,
            accounts=targets,
        )
    assert [r.name for r in result.resources] == ["home-1"]
    assert result.manifest.partial
    [error] = result.manifest.errors
    assert (error.account_id, error.service, error.operation, error.error_code) == (
        OTHER,
        "sts",
        "AssumeRole",
        "AccessDenied",
    )
    assert OTHER in result.manifest.accounts


def test_assumed_credentials_refresh_before_expiry() -> None:
    calls: list[str] = []
    with mock_aws(), freeze_time(NOW) as frozen:
        base = boto3.Session(region_name="us-east-1")
        base.events.register("before-call.sts.AssumeRole", lambda **_: calls.append("assume"))
        session = assumed_session(
            base,
            AccountTarget(OTHER, f"arn:aws:iam::{OTHER}:role/Reader"),
            base.client("sts"),
            "us-east-1",
        )
        first = session.get_credentials().get_frozen_credentials()
        assert calls == ["assume"]
        frozen.tick(timedelta(minutes=20))
        session.get_credentials().get_frozen_credentials()
        assert calls == ["assume"], "still valid for 40 minutes: no refresh"
        frozen.tick(timedelta(minutes=35))  # 5 minutes left: inside the mandatory refresh window
        second = session.get_credentials().get_frozen_credentials()
    assert calls == ["assume", "assume"]
    assert second.access_key != first.access_key


def test_concurrency_is_bounded_per_service_and_overall() -> None:
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    lock = threading.Lock()

    def enter(model: Any, **_: Any) -> None:
        with lock:
            in_flight["all"] += 1
            peak["all"] = max(peak["all"], in_flight["all"])
        time.sleep(0.05)  # a slow API, so that tasks overlap

    def leave(**_: Any) -> None:
        with lock:
            in_flight["all"] -= 1

    regions = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]
    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        for region in regions:
            make_instances(base, region, [f"i-{region}"])
        base.events.register("before-call.ec2.DescribeInstances", enter)
        base.events.register("after-call.ec2.DescribeInstances", leave)
        wide = collect(
            base,
            regions,
            clock=fixed_clock(NOW),
            backup_coverage=False,
            resource_types=EC2,
            max_workers=8,
        )
        assert peak["all"] > 1, "regions are collected concurrently"
        peak.clear()
        narrow = collect(
            base,
            regions,
            clock=fixed_clock(NOW),
            backup_coverage=False,
            resource_types=EC2,
            max_workers=1,
        )
        assert peak["all"] == 1
    assert [r.resource_id for r in wide.resources] == [r.resource_id for r in narrow.resources]


def test_per_service_cap_holds_within_one_region() -> None:
    # two collectors on the same service in one region never exceed per_service at once
    from collectors.runner import _run, _Task

    active: Counter[tuple[str, str]] = Counter()
    peak = [0]
    lock = threading.Lock()

    class Slow:
        resource_type = "aws.test.slow"
        service = "ec2"
        operation = "DescribeNothing"
        global_service = False

        def fetch(self, api: Any, region: str) -> Any:
            with lock:
                active[(region, "ec2")] += 1
                peak[0] = max(peak[0], active[(region, "ec2")])
            time.sleep(0.05)
            with lock:
                active[(region, "ec2")] -= 1
            return iter(())

        def region_of(self, raw: Any, region: str) -> str:
            return region

    from collectors.base import Api
    from collectors.session import ApiCallCounter

    api = Api("123456789012", ("us-east-1",), lambda s, r: None, lambda e: None)
    tasks = [_Task(api, Slow(), "us-east-1") for _ in range(6)]  # type: ignore[arg-type]
    _run(
        tasks,
        counter=ApiCallCounter(),
        scan_id="s",
        collected_at="t",
        max_workers=6,
        per_service=2,
        progress=None,
    )
    assert peak[0] == 2


def throttled(request: Any, **_: Any) -> AWSResponse:
    body = b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>"
    return AWSResponse(request.url, 503, {"Content-Type": "text/xml"}, _Raw(body))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_throttling_past_the_retry_budget_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0
    )
    attempts: list[str] = []

    def storm(request: Any, **kwargs: Any) -> AWSResponse | None:
        if "eu-west-1" in request.url and kwargs["event_name"].endswith("DescribeInstances"):
            attempts.append(request.url)
            return throttled(request)
        return None

    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        make_instances(base, "us-east-1", ["calm"])
        make_instances(base, "eu-west-1", ["stormy"])
        base.events.register_first("before-send.ec2", storm)
        result = collect(
            base,
            ["us-east-1", "eu-west-1"],
            clock=fixed_clock(NOW),
            backup_coverage=False,
            resource_types=EC2,
        )
    assert len(attempts) == MAX_ATTEMPTS, "retried up to the bound, then given up"
    assert [r.name for r in result.resources] == ["calm"]
    [error] = result.manifest.errors
    assert (error.region, error.operation, error.error_code) == (
        "eu-west-1",
        "DescribeInstances",
        "RequestLimitExceeded",
    )


def test_accounts_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(
        "role_arn_template: arn:aws:iam::{account_id}:role/Reader\n"
        "accounts:\n"
        "  - id: '111111111111'\n"
        "  - {id: '222222222222', role_arn: 'arn:aws:iam::222222222222:role/Other', external_id: x, regions: [eu-west-1]}\n"
    )
    targets = targets_from_file(path)
    assert targets == [
        AccountTarget("111111111111", "arn:aws:iam::111111111111:role/Reader"),
        AccountTarget("222222222222", "arn:aws:iam::222222222222:role/Other", "x", ("eu-west-1",)),
    ]
    path.write_text("accounts:\n  - id: '12345'\n")
    with pytest.raises(ConfigError, match=r"accounts.yaml:2: accounts\[0\]\.id: not a 12-digit"):
        targets_from_file(path)
    path.write_text("accounts:\n  - {id: '111111111111', colour: red}\n")
    with pytest.raises(ConfigError, match="unknown field"):
        targets_from_file(path)
    with pytest.raises(ConfigError, match="needs --account-role-arn"):
        targets_from_options(["111111111111"], None, None)


def test_organization_accounts_with_allow_and_deny() -> None:
    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        org = base.client("organizations")
        org.create_organization(FeatureSet="ALL")
        for name in ("prod-app", "prod-data", "sandbox-1"):
            org.create_account(AccountName=name, Email=f"{name}@example.com")
        template = "arn:aws:iam::{account_id}:role/Reader"
        everyone = targets_from_organization(base, template)
        names = {a["Id"]: a["Name"] for a in org.list_accounts()["Accounts"]}
        allowed = targets_from_organization(base, template, allow=["prod-*"], deny=["*-data"])
    assert len(everyone) == len(names)
    assert [names[t.account_id or ""] for t in allowed] == ["prod-app"]
    assert allowed[0].role_arn == f"arn:aws:iam::{allowed[0].account_id}:role/Reader"


def test_unreachable_region_is_recorded_and_the_rest_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import EndpointConnectionError

    monkeypatch.setattr(
        "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0
    )

    def unreachable(request: Any, **_: Any) -> None:
        if "eu-west-1" in request.url:
            raise EndpointConnectionError(endpoint_url=request.url)

    with mock_aws():
        base = boto3.Session(region_name="us-east-1")
        make_instances(base, "us-east-1", ["reachable"])
        make_instances(base, "eu-west-1", ["cut-off"])
        base.events.register_first("before-send.ec2", unreachable)
        result = collect(
            base,
            ["us-east-1", "eu-west-1"],
            clock=fixed_clock(NOW),
            resource_types=EC2,
            backup_coverage=False,
        )
    assert [r.name for r in result.resources] == ["reachable"]
    [error] = result.manifest.errors
    assert (error.region, error.service, error.error_code) == (
        "eu-west-1",
        "ec2",
        "EndpointConnectionError",
    )
    assert result.manifest.partial
