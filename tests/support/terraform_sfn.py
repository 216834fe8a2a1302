"""Test-only runner of the scan state machine on moto's Step Functions: the definition rendered
as Terraform renders it, two Docker-less Lambda functions whose answers are queued, and every
Invoke's payload recorded with a botocore hook (what each handler would have received).

moto runs the definition's states and intrinsic functions; Lambda tasks run no code. Two moto
5.2 differences from AWS matter here: ``$$.Execution.StartTime`` is a datetime (AWS: an ISO 8601
string, https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html,
read 2026-11-25), which ``aws_shaped_start_time`` corrects; and ToleratedFailurePercentage is
ignored (a failed item never fails the execution), which no test here relies on.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from moto.stepfunctions.parser.backend import execution_worker

from tests.support.terraform import ASL_TEMPLATE, SAMPLE_VALUES, render_template

REGION = "us-east-1"
LAMBDA_RESPONSES = "http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response"


def aws_shaped_start_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto's context object the StartTime string AWS gives (2026-11-25T02:00:00.123Z)."""
    original = execution_worker.ExecutionWorker._get_evaluation_environment

    def aws_shaped_context(self: Any) -> Any:
        env = original(self)
        data = env.states.context_object.context_object_data["Execution"]
        if isinstance(data["StartTime"], datetime):
            start = data["StartTime"].astimezone(UTC)
            data["StartTime"] = start.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start:%f}"[:3] + "Z"
        return env

    monkeypatch.setattr(
        execution_worker.ExecutionWorker, "_get_evaluation_environment", aws_shaped_context
    )


class ScanMachine:
    """The deployed definition inside an active ``mock_aws`` (executions on, Lambda simple)."""

    def __init__(self) -> None:
        self.invocations: list[dict[str, Any]] = []
        # moto's Step Functions invokes Lambda through boto3's default session, which mock_aws
        # resets on entry (and restores on exit): hook a session installed inside the mock.
        session = boto3.session.Session(region_name=REGION)
        session.events.register("provide-client-params.lambda.Invoke", self._record)
        boto3.DEFAULT_SESSION = session
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="scan", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        self.functions = {
            name: str(
                lam.create_function(
                    FunctionName=f"aws-inventory-{name}",
                    Runtime="python3.12",
                    Role=role,
                    Handler="lambdas.handler",
                    Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},  # empty zip: no code runs
                )["FunctionArn"]
            )
            for name in ("collector", "analyser")
        }
        values = {
            **SAMPLE_VALUES,
            "collector_function_arn": self.functions["collector"],
            "analyser_function_arn": self.functions["analyser"],
        }
        definition = render_template(ASL_TEMPLATE.read_text(), values)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        machine = self.sfn.create_state_machine(name="scan", definition=definition, roleArn=role)
        self.arn = str(machine["stateMachineArn"])

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.invocations.append(dict(params))

    def answer(self, *results: dict[str, Any]) -> None:
        """Queue the functions' answers, in call order (collectors first, then the analyser)."""
        response = requests.post(
            LAMBDA_RESPONSES,
            json={"results": [json.dumps(r) for r in results], "region": REGION},
            timeout=10,
        )
        assert response.status_code == 201

    def run(self, execution_input: dict[str, Any], *, seconds: float = 20.0) -> dict[str, Any]:
        """Start an execution and wait for its end; the DescribeExecution answer."""
        started = self.sfn.start_execution(
            stateMachineArn=self.arn, input=json.dumps(execution_input)
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=started["executionArn"])
            if described["status"] != "RUNNING":
                return dict(described)
            time.sleep(0.05)
        raise AssertionError(f"the execution did not finish in {seconds} s")

    def payloads(self, function: str) -> list[dict[str, Any]]:
        """What ``collector`` or ``analyser`` was invoked with, in call order."""
        arn = self.functions[function]
        return [json.loads(i["Payload"]) for i in self.invocations if i["FunctionName"] == arn]


def collector_answer(target: dict[str, str], resources: int = 3) -> dict[str, Any]:
    """A collector result that meets contracts/collector_output.schema.json."""
    return {
        "scan_id": "scan-test",
        "account_id": target["account_id"],
        "region": target["region"],
        "status": "complete",
        "resources": resources,
        "errors": 0,
    }
