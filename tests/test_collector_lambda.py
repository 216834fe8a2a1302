"""aws.lambda.function: pure normalise from recorded items, fetch against moto, a denied
ListTags, and environment variables that never reach a Resource."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from moto import mock_aws

from collectors.base import REGISTRY
from collectors.lambda_function import LambdaFunctionCollector
from engine.model import CollectionError, Resource
from tests.support.collectors import CTX, denial, fixture_items, make_api, validate_resource

ITEMS = fixture_items("lambda_list_functions")


def normalise(name: str) -> Resource:
    item = next(i for i in ITEMS if i["FunctionName"] == name)
    return LambdaFunctionCollector.normalise(item, CTX)


def test_registered_under_its_type() -> None:
    assert REGISTRY.get("aws.lambda.function") is LambdaFunctionCollector
    assert (LambdaFunctionCollector.service, LambdaFunctionCollector.operation) == (
        "lambda",
        "ListFunctions",
    )


def test_zip_function_with_layers() -> None:
    resource = normalise("orders-api")
    assert resource.resource_id == "arn:aws:lambda:us-east-1:123456789012:function:orders-api"
    assert (resource.name, resource.state, resource.created_at) == ("orders-api", None, None)
    assert resource.tags == {"Environment": "prod", "Owner": "payments"}
    assert resource.attributes == {
        "function_name": "orders-api",
        "runtime": "python3.12",
        "package_type": "Zip",
        "architectures": ["x86_64"],
        "memory_mb": 1024,
        "timeout_s": 30,
        "last_modified": "2026-10-01T14:03:59Z",  # AWS writes "...59.123+0000"
        "code_size_bytes": 5242880,
        "layers": [
            "arn:aws:lambda:us-east-1:123456789012:layer:shared-libs:7",
            "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:4",
        ],
        "handler": "orders.app.handler",
        "role_arn": "arn:aws:iam::123456789012:role/orders-api-exec",
        "ephemeral_storage_mb": 512,
        "state": None,  # AWS's ListFunctions does not return State
        "unreadable": {},
    }


def test_image_function_has_no_runtime_and_no_handler() -> None:
    attributes = normalise("image-resizer").attributes
    assert attributes["package_type"] == "Image"
    assert attributes["runtime"] is None
    assert attributes["handler"] is None
    assert attributes["architectures"] == ["arm64"]
    assert attributes["layers"] == []  # no Layers key at all
    assert attributes["ephemeral_storage_mb"] == 10240


def test_moto_shaped_item_with_state_and_nanoseconds() -> None:
    resource = normalise("legacy-webhook")
    assert resource.state == "active"
    assert resource.attributes["state"] == "Active"
    assert resource.attributes["last_modified"] == "2023-03-04T05:06:07Z"
    assert resource.tags == {"Environment": "dev", "api_token": "[redacted]"}


def test_missing_optional_fields_take_the_api_defaults() -> None:
    attributes = normalise("partner-sync").attributes
    assert attributes["architectures"] == ["x86_64"]
    assert attributes["ephemeral_storage_mb"] is None
    assert attributes["layers"] == []


def test_unreadable_tags_are_named_and_empty() -> None:
    resource = normalise("partner-sync")
    assert resource.tags == {}
    assert resource.attributes["unreadable"] == {"tags": "AccessDeniedException"}
    assert resource.attributes["runtime"] == "python3.9"  # everything else was read


def test_environment_and_kms_key_in_the_raw_item_are_ignored() -> None:
    dumped = json.dumps(normalise("billing-export").to_dict())
    for secret in ("hunter2-secret", "DB_PASSWORD", "sk_live_", "STRIPE_KEY", "ffffeeee"):
        assert secret not in dumped


@pytest.mark.parametrize("item", ITEMS, ids=[i["FunctionName"] for i in ITEMS])
def test_resources_match_the_schema(item: dict[str, Any]) -> None:
    validate_resource(LambdaFunctionCollector.normalise(item, CTX))


# --- fetch, against moto ------------------------------------------------------------------


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def create_functions(region: str) -> None:
    role = boto3.client("iam").create_role(RoleName="test-exec", AssumeRolePolicyDocument="{}")[
        "Role"
    ]["Arn"]
    client = boto3.client("lambda", region_name=region)
    client.create_function(
        FunctionName="zip-fn",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package()},
        Environment={"Variables": {"DB_PASSWORD": "hunter2-secret"}},
        Tags={"Team": "data"},
    )
    client.create_function(
        FunctionName="image-fn",
        Role=role,
        PackageType="Image",
        Code={"ImageUri": f"123456789012.dkr.ecr.{region}.amazonaws.com/image-fn:latest"},
        Environment={"Variables": {"DB_PASSWORD": "hunter2-secret"}},
    )


@pytest.mark.usefixtures("aws_env")
def test_fetch_reads_functions_and_tags_and_never_the_environment() -> None:
    errors: list[CollectionError] = []
    with mock_aws():
        create_functions("eu-west-1")
        raw = list(LambdaFunctionCollector().fetch(make_api(("eu-west-1",), errors), "eu-west-1"))

    assert errors == []
    assert all("Environment" not in item for item in raw)  # dropped as soon as it arrives
    resources = {r.name: r for r in (LambdaFunctionCollector.normalise(i, CTX) for i in raw)}
    assert sorted(resources) == ["image-fn", "zip-fn"]
    assert resources["zip-fn"].tags == {"Team": "data"}
    assert resources["zip-fn"].attributes["runtime"] == "python3.12"
    assert resources["image-fn"].attributes["runtime"] is None
    assert resources["image-fn"].attributes["package_type"] == "Image"
    for resource in resources.values():
        validate_resource(resource)
        dumped = json.dumps(resource.to_dict())
        assert "hunter2-secret" not in dumped
        assert "DB_PASSWORD" not in dumped


@pytest.mark.usefixtures("aws_env")
def test_denied_list_tags_for_one_function_is_recorded_and_the_function_kept() -> None:
    errors: list[CollectionError] = []
    denied_arn = "arn:aws:lambda:eu-west-1:123456789012:function:image-fn"
    hooks = {"lambda.ListTags": denial("ListTags", lambda p: p.get("Resource") == denied_arn)}
    with mock_aws():
        create_functions("eu-west-1")
        raw = list(
            LambdaFunctionCollector().fetch(make_api(("eu-west-1",), errors, hooks), "eu-west-1")
        )

    assert errors == [
        CollectionError(
            account_id="123456789012",
            region="eu-west-1",
            service="lambda",
            operation="ListTags",
            error_code="AccessDeniedException",
            message="not authorized",
            resource_type="aws.lambda.function",
            resource_id=denied_arn,
        )
    ]
    resources = {r.name: r for r in (LambdaFunctionCollector.normalise(i, CTX) for i in raw)}
    assert resources["image-fn"].attributes["unreadable"] == {"tags": "AccessDeniedException"}
    assert resources["image-fn"].tags == {}
    assert resources["zip-fn"].attributes["unreadable"] == {}
    assert resources["zip-fn"].tags == {"Team": "data"}
    for resource in resources.values():
        validate_resource(resource)
