"""Lambda functions: ``ListFunctions`` plus tags to ``Resource`` of type ``aws.lambda.function``.

First stage of the pipeline (collect). ``fetch`` pages through ListFunctions in one region and
reads each function's tags with ListTags; ``normalise`` is pure and copies an allow-list of
configuration fields into snake_case attributes.

Secrets: ListFunctions returns each function's ``Environment.Variables`` in clear text (and
``KMSKeyArn``, the key they are encrypted with at rest). None of it is ever copied: not the
variables, not their names, not their values, and nothing is ever decrypted. The function code
location (GetFunction's pre-signed ``Code.Location`` URL) is never requested. ``fetch`` drops
``Environment`` from the raw item as soon as it arrives, so it is not even held in memory
longer than the page, and ``normalise`` reads only the allow-listed fields below.

The raw item ``fetch`` yields (and the recorded fixtures hold) is a ListFunctions
``FunctionConfiguration`` without ``Environment``, plus::

    {"Tags": {key: value} | None, "__unreadable__": {"tags": error code}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from collectors.base import Api, Collector, ScanContext, register, to_iso
from collectors.secrets import redact_tags
from engine.model import Resource

AWS_ERRORS = (ClientError, BotoCoreError)
# Fields of FunctionConfiguration that may carry secrets or point at the code; never kept.
_NEVER_KEPT = ("Environment", "KMSKeyArn")


@register
class LambdaFunctionCollector(Collector):
    """Every Lambda function (unpublished ``$LATEST`` configuration) in a region."""

    resource_type = "aws.lambda.function"
    service = "lambda"
    operation = "ListFunctions"

    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        client = api.client("lambda", region)
        for page in client.get_paginator("list_functions").paginate():
            for function in page.get("Functions", []):
                raw = {k: v for k, v in function.items() if k not in _NEVER_KEPT}
                arn = raw.get("FunctionArn") or (
                    f"arn:aws:lambda:{region}:{api.account_id}:function:{raw.get('FunctionName')}"
                )
                raw.update(self._read_tags(api, client, region, str(arn)))
                yield raw

    def _read_tags(self, api: Api, client: Any, region: str, arn: str) -> dict[str, Any]:
        # ListFunctions returns no tags, so ListTags is one call per function. (The Resource
        # Groups Tagging API could batch them, but it needs another permission and is
        # eventually consistent; per-function ListTags is exact.)
        # https://docs.aws.amazon.com/lambda/latest/api/API_ListTags.html (read 2026-11-25)
        try:
            tags = dict(client.list_tags(Resource=arn).get("Tags") or {})
        except AWS_ERRORS as exc:
            code = api.record_error(
                region,
                "lambda",
                "ListTags",
                exc,
                resource_type=self.resource_type,
                resource_id=arn,
            )
            return {"Tags": None, "__unreadable__": {"tags": code}}
        return {"Tags": tags, "__unreadable__": {}}

    @staticmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        # An allow-list: Environment, KMSKeyArn and any field not named here never get in.
        name = raw["FunctionName"]
        image = raw.get("PackageType") == "Image"
        unreadable = {str(k): str(v) for k, v in (raw.get("__unreadable__") or {}).items()}
        attributes: dict[str, Any] = {
            "function_name": name,
            # Container-image functions have no Runtime and no Handler (AWS omits both).
            "runtime": None if image else raw.get("Runtime"),
            "package_type": raw.get("PackageType") or "Zip",
            "architectures": list(raw.get("Architectures") or ["x86_64"]),
            "memory_mb": raw.get("MemorySize"),
            "timeout_s": raw.get("Timeout"),
            "last_modified": to_iso(raw.get("LastModified")),
            "code_size_bytes": raw.get("CodeSize"),
            "layers": [str(layer["Arn"]) for layer in raw.get("Layers") or [] if "Arn" in layer],
            "handler": None if image else raw.get("Handler"),
            "role_arn": raw.get("Role"),
            "ephemeral_storage_mb": (raw.get("EphemeralStorage") or {}).get("Size"),
            # State is not part of what AWS's ListFunctions returns (only GetFunction has it):
            # https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
            # (read 2026-11-25). moto does return it, so it is kept when present.
            "state": raw.get("State"),
            "unreadable": dict(sorted(unreadable.items())),
        }
        tags = {} if "tags" in unreadable else redact_tags(dict(raw.get("Tags") or {}))
        return Resource(
            resource_id=(
                f"arn:{ctx.partition}:lambda:{ctx.region}:{ctx.account_id}:function:{name}"
            ),
            resource_type=LambdaFunctionCollector.resource_type,
            account_id=ctx.account_id,
            region=ctx.region,
            name=name,
            state=_lower(raw.get("State")),
            # Lambda keeps no creation time; LastModified is the closest it has.
            created_at=None,
            tags=tags,
            attributes=attributes,
            collected_at=ctx.collected_at,
            scan_id=ctx.scan_id,
        )


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None
