"""Secrets planted in an account never reach a Resource or the scan manifest.

Lambda environment variables, EC2 user data and secret-looking tags are planted in moto, the
real ``collectors.runner.collect`` runs over it, and the JSON of every resource and of the
manifest is searched for the secret strings. ``redact_tags`` itself is tested here too.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from collectors.runner import CollectResult, collect
from collectors.secrets import REDACTED, is_secret_key, is_secret_value, redact_tags
from engine.clock import fixed_clock

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
REGION = "us-east-1"
USER_DATA = "#!/bin/bash\nexport DB_PASS='ud-Sup3rSecret!'\n"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n-----END RSA PRIVATE KEY-----"
# every string that must appear nowhere in what the collectors produce
SECRETS = (
    "hunter2-secret",
    "DB_PASSWORD",
    "ud-Sup3rSecret!",
    base64.b64encode(USER_DATA.encode()).decode(),
    "letmein-tag-value",
    "AKIAIOSFODNN7EXAMPLE",
    "MIIEowIBAAKCAQEA7bq",
    "sk_live_0123456789abcdefghij",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
)


def plant_secrets() -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.register_image(Name="secret-base")["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        UserData=USER_DATA,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [
                    {"Key": "Name", "Value": "app"},
                    {"Key": "Notes", "Value": "password=letmein-tag-value"},
                ],
            }
        ],
    )["Instances"][0]
    ec2.create_volume(
        AvailabilityZone=instance["Placement"]["AvailabilityZone"],
        Size=1,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "deploy", "Value": PEM}]}],
    )
    role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="billing",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"DB_PASSWORD": "hunter2-secret"}},
        Tags={"stripe": "sk_live_0123456789abcdefghij"},
    )
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="accounts",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "ci-user", "Value": "AKIAIOSFODNN7EXAMPLE"}],
    )
    boto3.client("eks", region_name=REGION).create_cluster(
        name="k8s",
        roleArn=role["Role"]["Arn"],
        resourcesVpcConfig={},
        tags={"GithubToken": "ghp_0123456789abcdefghijklmnopqrstuvwxyz"},
    )


@pytest.fixture
def result(aws_env: None) -> CollectResult:
    with mock_aws():
        plant_secrets()
        session = boto3.Session(region_name=REGION)
        types = [
            "aws.dynamodb.table",
            "aws.ebs.volume",
            "aws.ec2.instance",
            "aws.eks.cluster",
            "aws.lambda.function",
        ]
        # plain moto lacks AWS Backup's selection APIs: coverage is not what this test is about
        return collect(
            session, [REGION], clock=fixed_clock(NOW), resource_types=types, backup_coverage=False
        )


def test_planted_secrets_appear_nowhere(result: CollectResult) -> None:
    assert result.errors == []
    assert {r.resource_type for r in result.resources} == {
        "aws.dynamodb.table",
        "aws.ebs.volume",
        "aws.ec2.instance",
        "aws.eks.cluster",
        "aws.lambda.function",
    }
    dumped = json.dumps(
        {
            "resources": [r.to_dict() for r in result.resources],
            "manifest": result.manifest.to_dict(),
        }
    )
    for secret in SECRETS:
        assert secret not in dumped, secret


def test_the_redacted_tags_are_still_there(result: CollectResult) -> None:
    # nothing is dropped silently: a rule can still see that the tag exists
    tags = {r.resource_type: r.tags for r in result.resources}
    assert tags["aws.ec2.instance"] == {"Name": "app", "Notes": REDACTED}
    assert tags["aws.lambda.function"] == {"stripe": REDACTED}
    assert tags["aws.dynamodb.table"] == {"ci-user": REDACTED}
    assert tags["aws.eks.cluster"] == {"GithubToken": REDACTED}


@pytest.mark.usefixtures("aws_env")
def test_s3_bucket_tags_are_redacted() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="secret-tags")
        s3.put_bucket_tagging(
            Bucket="secret-tags",
            Tagging={"TagSet": [{"Key": "backup-password", "Value": "s3-hunter2"}]},
        )
        found = collect(
            boto3.Session(region_name=REGION),
            [REGION],
            clock=fixed_clock(NOW),
            resource_types=["aws.s3.bucket"],
        )
    assert "s3-hunter2" not in json.dumps([r.to_dict() for r in found.resources])


# --- redact_tags, pure ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "DB_PASSWORD",
        "db-passwd",
        "Secret",
        "client_secret",
        "api_key",
        "API-KEY",
        "ApiKey",
        "github-token",
        "AccessKey",
        "private_key",
        "Authorization",
        "connection_string",
        "credentials",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)
    assert redact_tags({key: "anything"}) == {key: REDACTED}


@pytest.mark.parametrize(
    "key",
    ["Name", "Environment", "Owner", "Backup", "CostCenter", "Passenger", "Compass", "Author"],
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    "value",
    [
        "password=hunter2",
        "db password: hunter2",
        "token=abc",
        "api_key=xyz",
        PEM,
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "AKIAIOSFODNN7EXAMPLE",
        "temp ASIAIOSFODNN7EXAMPLE creds",
        "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
        "xoxb-123456789012-abcdefghij",
        "sk_live_0123456789abcdefghij",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.signature",
        "postgres://admin:hunter2@db.internal:5432/app",
    ],
)
def test_secret_values(value: str) -> None:
    assert is_secret_value(value)
    assert redact_tags({"Notes": value}) == {"Notes": REDACTED}


@pytest.mark.parametrize(
    "value",
    [
        "daily",
        "prod",
        "team-payments",
        "https://wiki.example.com/runbook",
        "arn:aws:iam::123456789012:role/app",
        "AKIA-lookalike",
        "",
    ],
)
def test_ordinary_values(value: str) -> None:
    assert not is_secret_value(value)
    assert redact_tags({"Notes": value}) == {"Notes": value}


def test_allowed_keys_pass_and_secret_looking_keys_are_renamed() -> None:
    tags = {"api-key-id": "public-id-123", "AKIAIOSFODNN7EXAMPLE": "x", "AKIAIOSFODNN7EXAMPLF": "y"}
    assert redact_tags(tags, allow={"api-key-id"}) == {
        "api-key-id": "public-id-123",
        "[redacted-key-1]": REDACTED,
        "[redacted-key-2]": REDACTED,
    }


def test_input_is_not_modified() -> None:
    tags = {"password": "hunter2"}
    redact_tags(tags)
    assert tags == {"password": "hunter2"}
