"""Least privilege, proved: every AWS call the code makes, recorded per role, equals the actions
that role's Terraform policy grants (nothing missing, nothing extra).

The scenarios exercise each role's whole path on the simulated account (moto, with the
simulator's AWS Backup selection APIs): the collector Lambda scanning its own account and a
member account through AssumeRole; a local CLI-style scan with the member role's credentials and
``--region all``; the analyser with the DynamoDB store, SNS, the S3 report bucket and Bedrock
(the local Converse fake). A botocore ``before-call`` hook, installed on every session, records
each call with the credentials that signed it, so a member account's reads are told apart from
the collector's own calls.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.handlers
import pytest
from freezegun import freeze_time

from collectors.runner import collect
from engine.clock import fixed_clock
from engine.store.dynamodb import table_definition
from simulator import SIMULATED_REGIONS, simulated_account
from simulator.base import BuildContext, builder_modules
from tests.support.fake_bedrock import answer, fake_bedrock, tool_reply
from tests.support.terraform import Module
from tests.test_lambdas import ACCOUNT, CONTEXT, NOW

ROOT = Path(__file__).resolve().parents[1]
MEMBER = "210987654321"
# API operations whose IAM action has another name (Service Authorization Reference pages,
# read 2026-11-25): S3's list_amazons3.html, Bedrock's Converse is authorised by InvokeModel.
RENAMED = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "bedrock:Converse": "bedrock:InvokeModel",
}


class Recorder:
    def __init__(self) -> None:
        self.role = "setup"
        self.base_keys: set[str] = set()
        self.calls: dict[str, set[str]] = {}

    def hook(self, model: Any, request_signer: Any = None, **_: Any) -> None:
        if _from_simulator():
            return  # the simulated account's own machinery, not the product's calls
        service = model.service_model.signing_name
        action = RENAMED.get(f"{service}:{model.name}", f"{service}:{model.name}")
        role = self.role
        creds = getattr(request_signer, "_credentials", None)
        key = getattr(creds, "access_key", None) if creds is not None else None
        if role == "collector" and key is not None and key not in self.base_keys:
            role = "member"  # a call signed with the assumed member role's credentials
        self.calls.setdefault(role, set()).add(action)


def _from_simulator() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if f"{os.sep}simulator{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    entry = ("before-call", recorder.hook)
    botocore.handlers.BUILTIN_HANDLERS.append(entry)  # every session built from now on
    try:
        yield recorder
    finally:
        botocore.handlers.BUILTIN_HANDLERS.remove(entry)


def granted(folder: str, local: str, drop: tuple[str, ...] = ()) -> set[str]:
    actions = Module(ROOT / "terraform" / "modules" / folder).locals[local]
    return {a for sid, values in actions.items() if sid not in drop for a in values}


def test_recorded_calls_equal_each_roles_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    with recording() as rec, fake_bedrock() as bedrock, simulated_account(NOW) as session:
        rec.base_keys = {"testing", "simulated"}
        bedrock.then(lambda received: tool_reply(answer(received.group_ids())))
        session.client("dynamodb").create_table(**table_definition("aws-inventory"))
        topic = session.client("sns").create_topic(Name="inventory")["TopicArn"]
        session.client("s3").create_bucket(Bucket="inventory-reports")
        for key, value in {
            "INVENTORY_TABLE_NAME": "aws-inventory",
            "INVENTORY_TOPIC_ARN": topic,
            "INVENTORY_REPORT_BUCKET": "inventory-reports",
            "INVENTORY_NOTIFY_WHEN": "always",
            "INVENTORY_BEDROCK_MODEL_ID": "test.model-v1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.url,
            "POWERTOOLS_METRICS_NAMESPACE": "AwsInventoryEngine",
        }.items():
            monkeypatch.setenv(key, value)
        import lambdas.analyser
        import lambdas.collector

        collector = importlib.reload(lambdas.collector)
        analyser = importlib.reload(lambdas.analyser)
        started = NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        role = f"arn:aws:iam::{MEMBER}:role/InventoryRead"
        targets = [{"account_id": ACCOUNT, "region": r} for r in SIMULATED_REGIONS]
        targets.append({"account_id": MEMBER, "region": "us-east-1", "role_arn": role})
        # the member account holds the same kinds of resources (built by the simulator's builders)
        member = session.client("sts").assume_role(RoleArn=role, RoleSessionName="local")[
            "Credentials"
        ]
        member_session = boto3.Session(
            aws_access_key_id=member["AccessKeyId"],
            aws_secret_access_key=member["SecretAccessKey"],
            aws_session_token=member["SessionToken"],
            region_name="us-east-1",
        )
        ctx = BuildContext(member_session, MEMBER, NOW, freeze_time, ("us-east-1",))
        for module in builder_modules():
            module.build(ctx)
        rec.role = "collector"
        for target in targets:
            collector.handler(
                {**target, "scan_id": "scan-lp", "started_at": started}, CONTEXT, session=session
            )
        # the same read role, as a local `engine check --region all` would use it
        rec.role = "member"
        collect(member_session, ["all"], clock=fixed_clock(NOW), max_workers=4)
        rec.role = "analyser"
        summary = analyser.handler(
            {
                "scan_id": "scan-lp",
                "started_at": started,
                "targets": [{k: t[k] for k in ("account_id", "region")} for t in targets],
            },
            CONTEXT,
            session=session,
        )
    assert summary["ranked_by"] == "bedrock:test.model-v1", "the Bedrock path was exercised"
    read = granted("read-policy", "read_actions", drop=("ListOrganizationAccounts",))
    collector_own = granted("engine", "collector_actions")
    analyser_policy = granted("engine", "analyser_actions")
    assert rec.calls["member"] == read, "the member read role: nothing missing, nothing extra"
    # the collector's own calls: its policy, plus the read policy for the deployment account
    # (a Lambda item is one region: it never lists regions)
    assert rec.calls["collector"] == collector_own | (read - {"ec2:DescribeRegions"})
    assert collector_own <= rec.calls["collector"], "no collector grant goes unused"
    assert rec.calls["analyser"] == analyser_policy
    for actions in (read, collector_own, analyser_policy):
        assert all("*" not in a for a in actions)
