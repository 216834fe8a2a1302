"""Test-only helpers for collector tests: an ``Api`` over plain boto3 clients (moto answers
them), a botocore hook that denies one call as AWS would, and validation of a whole
``Resource`` against the composed Resource schema (which resolves the shared definitions such
as ``#/$defs/backup_coverage`` that a type fragment alone cannot)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from collectors.base import Api, ScanContext
from engine.model import CollectionError, Resource
from engine.schema import validator

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
CTX = ScanContext(ACCOUNT, "us-east-1", "scan-test", "2026-11-25T09:00:00Z")


def fixture_items(name: str) -> list[dict[str, Any]]:
    """The ``items`` of ``tests/fixtures/api/<name>.json``."""
    data = json.loads((ROOT / "tests/fixtures/api" / f"{name}.json").read_text())
    items: list[dict[str, Any]] = data["items"]
    return items


def type_fragment(resource_type: str) -> dict[str, Any]:
    fragment: dict[str, Any] = json.loads(
        (ROOT / "engine/schemas/types" / f"{resource_type}.json").read_text()
    )
    return fragment


def validate_resource(resource: Resource) -> None:
    """Raise ``jsonschema.ValidationError`` unless the resource fits the composed schema, and
    ``AssertionError`` unless its attributes are exactly the fragment's required list."""
    validator("resource").validate(resource.to_dict())
    fragment = type_fragment(resource.resource_type)
    assert sorted(resource.attributes) == sorted(fragment["required"]), resource.resource_id


def denial(
    operation: str,
    when: Callable[[Mapping[str, Any]], bool] = lambda _: True,
    region: str | None = None,
) -> Callable[..., None]:
    """A ``before-parameter-build`` hook failing ``operation`` with AccessDenied when ``when``
    holds for the call's parameters (so one item of many can be made to fail) and, if
    ``region`` is given, only for clients of that region."""

    def hook(params: Mapping[str, Any], context: Mapping[str, Any], **_: Any) -> None:
        if region is not None and context.get("client_region") != region:
            return
        if when(params):
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
            raise ClientError(error, operation)

    return hook


def make_api(
    regions: tuple[str, ...],
    errors: list[CollectionError],
    hooks: Mapping[str, Callable[..., None]] | None = None,
) -> Api:
    """An ``Api`` over plain boto3 clients; ``hooks`` maps ``service.Operation`` to a hook."""

    def factory(service: str, region: str) -> Any:
        client = boto3.client(service, region_name=region)
        for name, hook in (hooks or {}).items():
            client.meta.events.register(f"before-parameter-build.{name}", hook)
        return client

    return Api(ACCOUNT, regions, factory, errors.append)
