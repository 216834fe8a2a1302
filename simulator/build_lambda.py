"""Simulated Lambda functions: per region a deprecated, a current, a soon-deprecated runtime
and a container image function (no runtime at all).

moto checks that the execution role exists, so the builder creates one IAM role first (IAM is
global: once per account). Deployment packages are tiny zips built in memory. Each function's
environment holds a fake secret, so every simulated run also shows that the collector never
copies environment variables. Recorded in ``ctx.made`` as ``lambda:<name>-<region>`` -> ARN.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from simulator.base import SIMULATED_REGIONS, BuildContext

if TYPE_CHECKING:
    from mypy_boto3_lambda.literals import RuntimeType

ORDER = 30
ROLE_NAME = "sim-lambda-execution"
# Not a real secret: planted so that tests can prove it never reaches a Resource.
PLANTED_ENVIRONMENT = {"DB_PASSWORD": "sim-not-a-real-password"}


@dataclass(frozen=True, slots=True)
class _Function:
    name: str  # the region is appended: "orders-api-us-east-1"
    runtime: RuntimeType | None  # None: PackageType Image
    modified_days_ago: int
    note: str = ""


# Runtime support dates: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
# (read 2026-11-25); rules/data/eol.yaml holds the dates the rules use. ruby3.3 leaves standard
# support on 2027-03-31, about four months after the reference date 2026-11-25.
_FUNCTIONS = (
    _Function("legacy-report", "python3.7", 900, note="deprecated since 2023-12-04"),
    _Function("orders-api", "python3.12", 30, note="supported"),
    _Function("invoice-render", "ruby3.3", 200, note="standard support ends 2027-03-31"),
    _Function("image-resizer", None, 60, note="container image, no runtime"),
    _Function("edge-proto", "python3.15", 2, note="newer than the shipped lifecycle data"),
)


def describe() -> list[str]:
    return [
        f"{region}: Lambda function {spec.name}-{region} "
        f"({spec.runtime or 'PackageType Image'}: {spec.note})"
        for region in SIMULATED_REGIONS
        for spec in _FUNCTIONS
    ]


def build(ctx: BuildContext) -> None:
    iam = ctx.session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    package = _zip("def handler(event, context):\n    return {'ok': True}\n")
    for region in ctx.regions:
        client = ctx.session.client("lambda", region_name=region)
        for spec in _FUNCTIONS:
            name = f"{spec.name}-{region}"
            tags = {"Environment": "prod", "Team": spec.name}
            with ctx.freeze(ctx.now - timedelta(days=spec.modified_days_ago)):
                if spec.runtime is None:
                    answer = client.create_function(
                        FunctionName=name,
                        Role=role_arn,
                        PackageType="Image",
                        Code={
                            "ImageUri": f"{ctx.account_id}.dkr.ecr.{region}.amazonaws.com/"
                            f"{spec.name}:latest"
                        },
                        Environment={"Variables": PLANTED_ENVIRONMENT},
                        Tags=tags,
                    )
                else:
                    answer = client.create_function(
                        FunctionName=name,
                        Role=role_arn,
                        Runtime=spec.runtime,
                        Handler="app.handler",
                        Code={"ZipFile": package},
                        Environment={"Variables": PLANTED_ENVIRONMENT},
                        Tags=tags,
                    )
            ctx.made[f"lambda:{name}"] = answer["FunctionArn"]


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    # a fixed entry date keeps the package (and its CodeSha256) the same run to run
    entry = zipfile.ZipInfo("app.py", date_time=(2026, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry, source)
    return buffer.getvalue()
