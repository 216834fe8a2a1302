"""API responses the collectors cannot read are recorded errors, never crashes or silent drops.

Pure part: the recorded responses under ``tests/fixtures/api/`` (one file per registered
collector), mutated at random paths (fields deleted, nulled, of the wrong type, ``datetime``
values where strings were and back, unexpected enum values, unicode and control characters,
lone surrogates), fed to each collector through ``collectors.runner.read_item``: the result is
a Resource that fits the Resource schema, or one of the exceptions the runner records
(``RECORDED``). ``normalise`` alone may not raise anything else either.

Runner part: ``collectors.runner.collect`` against moto, with a botocore ``after-call`` hook
that corrupts one item of a real response (EC2 DescribeInstances; S3 ListBuckets, whose items
the fetch reads itself): every item is either a valid resource or a recorded error in the
manifest, the healthy items are all there, and the scan is partial exactly when one failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from moto import mock_aws

from collectors import load_all
from collectors.base import Collector, ScanContext
from collectors.runner import RECORDED, collect, read_item
from engine.clock import fixed_clock, parse_timestamp
from engine.schema import validator
from tests.support.collectors import CTX, fixture_items
from tests.support.hypothesis_profiles import budget, counted
from tests.support.strategies import api_values, mutated, text_with_surrogates

FIXTURES = {
    "aws.dynamodb.table": "dynamodb_table",
    "aws.ebs.volume": "ebs_describe_volumes",
    "aws.ec2.instance": "ec2_describe_instances",
    "aws.eks.cluster": "eks_describe_cluster",
    "aws.lambda.function": "lambda_list_functions",
    "aws.rds.cluster": "rds_describe_db_clusters",
    "aws.rds.instance": "rds_describe_db_instances",
    "aws.s3.bucket": "s3_bucket",
}
COLLECTORS = load_all()
ITEMS = {rtype: fixture_items(name) for rtype, name in FIXTURES.items()}
API_VALUES = st.one_of(api_values, text_with_surrogates)
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_every_registered_collector_has_recorded_responses_to_mutate() -> None:
    assert sorted(FIXTURES) == sorted(COLLECTORS), "add the new collector's fixture here"


def read_or_recorded(collector: type[Collector], raw: dict[str, Any], ctx: ScanContext) -> str:
    """Run ``normalise`` and ``read_item``; return what happened, failing on anything else."""
    with suppress(*RECORDED):
        collector.normalise(raw, ctx)
    try:
        resource = read_item(collector(), raw, ctx)
    except RECORDED as exc:
        return f"recorded {type(exc).__name__}"
    assert validator("resource").is_valid(resource.to_dict())
    assert resource.resource_type == collector.resource_type
    return "read"


@budget(1600)
@given(data=st.data(), rtype=st.sampled_from(sorted(FIXTURES)))
def test_a_mutated_api_item_is_read_or_a_recorded_error(data: st.DataObject, rtype: str) -> None:
    counted(f"API response ({rtype})")
    base = data.draw(st.sampled_from(ITEMS[rtype]))
    raw, _ = data.draw(mutated(base, values=API_VALUES, keys=st.sampled_from(["Tags", "x"])))
    event(read_or_recorded(COLLECTORS[rtype], raw, CTX))


@budget(800)
@given(data=st.data(), rtype=st.sampled_from(sorted(FIXTURES)))
def test_hostile_text_in_names_and_tags_is_read_or_recorded(
    data: st.DataObject, rtype: str
) -> None:
    """Every string of a real item replaced by unicode, control characters or surrogates."""
    counted(f"API response, text fields ({rtype})")
    raw = data.draw(st.sampled_from(ITEMS[rtype]))
    raw = {k: _retext(v, data) for k, v in raw.items()}
    event(read_or_recorded(COLLECTORS[rtype], raw, CTX))


def _retext(value: Any, data: st.DataObject) -> Any:
    if isinstance(value, str) and not _timestamp(value):  # timestamps have their own test
        return data.draw(st.just(value) | text_with_surrogates)
    if isinstance(value, list):
        return [_retext(v, data) for v in value]
    if isinstance(value, dict):
        return {k: _retext(v, data) for k, v in value.items()}
    return value


def _timestamp(text: str) -> bool:
    try:
        parse_timestamp(text)
    except ValueError:
        return False
    return True


# --- through the runner, against moto --------------------------------------------------------


class Corrupter:
    """An ``after-call`` hook that corrupts one item of a parsed response, when armed."""

    def __init__(self, items: Callable[[dict[str, Any]], list[dict[str, Any]]]) -> None:
        self.items = items
        self.armed: tuple[int, dict[str, Any]] | None = None

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        if self.armed is None:
            return
        index, replacement = self.armed
        found = self.items(parsed)
        found[index].clear()
        found[index].update(replacement)


@contextmanager
def moto_account() -> Iterator[boto3.Session]:
    keys = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
            patch.delenv(key)
        for key, value in keys.items():
            patch.setenv(key, value)
        with mock_aws():
            yield boto3.Session(region_name="us-east-1")


def instances(parsed: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for r in parsed.get("Reservations", []) for i in r.get("Instances", [])]


@pytest.fixture(scope="module")
def ec2_account() -> Iterator[tuple[boto3.Session, Corrupter, list[dict[str, Any]]]]:
    with moto_account() as session:
        ec2 = session.client("ec2")
        image = ec2.register_image(Name="img")["ImageId"]
        for name in ("web-1", "web-2", "web-3"):
            ec2.run_instances(
                ImageId=image,
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[
                    {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
                ],
            )
        raw = instances(dict(ec2.describe_instances()))
        hook = Corrupter(instances)
        session.events.register("after-call.ec2.DescribeInstances", hook)
        yield session, hook, raw


def collect_with(
    session: boto3.Session, hook: Corrupter, index: int, item: dict[str, Any], types: list[str]
) -> Any:
    hook.armed = (index, item)
    try:
        return collect(
            session,
            ["us-east-1"],
            clock=fixed_clock(NOW),
            resource_types=types,
            backup_coverage=False,
        )
    finally:
        hook.armed = None


@budget(60)
@given(data=st.data())
def test_a_corrupted_instance_is_a_recorded_error_and_the_others_are_all_there(
    ec2_account: tuple[boto3.Session, Corrupter, list[dict[str, Any]]], data: st.DataObject
) -> None:
    counted("API response through the runner (EC2 DescribeInstances)")
    session, hook, raw = ec2_account
    index = data.draw(st.integers(0, len(raw) - 1))
    item, changes = data.draw(mutated(raw[index], values=API_VALUES))
    result = collect_with(session, hook, index, item, ["aws.ec2.instance"])
    healthy = {i["InstanceId"] for n, i in enumerate(raw) if n != index}
    got = {r.attributes["instance_id"] for r in result.resources}
    errors = [e for e in result.manifest.errors if e.operation == "normalise"]
    assert healthy <= got, changes
    assert len(result.resources) + len(errors) == len(raw), "an item was dropped silently"
    assert result.manifest.partial == bool(errors)
    for resource in result.resources:
        assert validator("resource").is_valid(resource.to_dict())
    for error in errors:
        assert (error.service, error.resource_type) == ("ec2", "aws.ec2.instance")
        assert error.error_code in {e.__name__ for e in RECORDED} | {"InvalidResource"}
    event("recorded" if errors else "read")


@pytest.fixture(scope="module")
def s3_account() -> Iterator[tuple[boto3.Session, Corrupter, list[dict[str, Any]]]]:
    with moto_account() as session:
        s3 = session.client("s3")
        for name in ("bucket-a", "bucket-b", "bucket-c"):
            s3.create_bucket(Bucket=name)
        raw = [dict(bucket) for bucket in s3.list_buckets()["Buckets"]]
        hook = Corrupter(lambda parsed: parsed.get("Buckets", []))
        session.events.register("after-call.s3.ListBuckets", hook)
        yield session, hook, raw


@budget(40)
@given(data=st.data())
def test_a_corrupted_bucket_listing_is_recorded_never_a_crash(
    s3_account: tuple[boto3.Session, Corrupter, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """ListBuckets items are read by the fetch itself (name, region): a broken one fails the
    listing, which is a recorded error for the account's buckets, never an exception."""
    counted("API response through the runner (S3 ListBuckets)")
    session, hook, raw = s3_account
    index = data.draw(st.integers(0, len(raw) - 1))
    item, changes = data.draw(mutated(raw[index], values=API_VALUES))
    result = collect_with(session, hook, index, item, ["aws.s3.bucket"])
    names = {r.name for r in result.resources}
    errors = result.manifest.errors
    assert result.manifest.partial == bool(errors)
    for error in errors:
        assert error.service == "s3" and error.error_code and error.message, error
    if not any(e.operation == "ListBuckets" for e in errors):  # the listing itself was read
        assert {b["Name"] for n, b in enumerate(raw) if n != index} <= names, changes
    assert len(result.resources) == len(raw) or errors, "a bucket was dropped silently"
    event("recorded" if errors else "read")
