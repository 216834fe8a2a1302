"""The collector contract: ``fetch`` (boto3, pagination) apart from a pure ``normalise``.

A collector declares its resource type and AWS service as class attributes. ``fetch`` talks to
AWS through the ``Api`` it is given (clients with the one retry configuration, error
recording); ``normalise`` turns one raw item into a ``Resource`` and never does I/O, so it is
tested from recorded API responses alone.
"""

from __future__ import annotations

import contextvars
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from engine.clock import iso, parse_timestamp
from engine.model import CollectionError, Resource
from engine.registry import Registry

REGISTRY: Registry[type[Collector]] = Registry("collectors")
T = TypeVar("T")
R = TypeVar("R")


def register(cls: type[Collector]) -> type[Collector]:
    """Class decorator: register a collector under its ``resource_type``."""
    REGISTRY.add(cls.resource_type, cls)
    return cls


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Where a raw item came from, passed to ``normalise``."""

    account_id: str
    region: str
    scan_id: str
    collected_at: str
    partition: str = "aws"


class Api:
    """What a collector may use to reach AWS in one account.

    ``client`` returns cached boto3 clients built with the shared retry configuration;
    ``record`` files a failed call (it marks the scan partial and is never dropped).
    """

    def __init__(
        self,
        account_id: str,
        regions: tuple[str, ...],
        client_factory: Callable[[str, str], Any],
        record: Callable[[CollectionError], None],
    ) -> None:
        self.account_id = account_id
        self.regions = regions
        self._client_factory = client_factory
        self._record = record
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._client_factory(service, region)
            return self._clients[key]

    def map(self, fn: Callable[[T], R], items: Iterable[T], workers: int = 4) -> Iterator[R]:
        """``fn`` over ``items`` on a few threads, results in order.

        For per-item reads that AWS offers no batch call for (S3 bucket settings). Each item
        runs in a copy of the caller's context, so API accounting still knows the collector.
        """
        pending = list(items)
        if len(pending) <= 1 or workers <= 1:
            yield from (fn(item) for item in pending)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect-item") as pool:
            futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in pending]
            for future in futures:
                yield future.result()

    def record_error(
        self,
        region: str,
        service: str,
        operation: str,
        exc: BaseException,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
    ) -> str:
        """Record a failed call; returns the AWS error code it was filed under."""
        code, message = describe_error(exc)
        self._record(
            CollectionError(
                account_id=self.account_id,
                region=region,
                service=service,
                operation=operation,
                error_code=code,
                message=message,
                resource_type=resource_type,
                resource_id=resource_id,
            )
        )
        return code


def describe_error(exc: BaseException) -> tuple[str, str]:
    """The AWS error code and a one-line message of a botocore exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code = str(error.get("Code") or type(exc).__name__)
        message = str(error.get("Message") or exc)
    else:
        code, message = type(exc).__name__, str(exc)
    return code, " ".join(message.split())[:500]


def error_code(exc: BaseException) -> str:
    """Just the AWS error code of a botocore exception."""
    return describe_error(exc)[0]


class Collector(ABC):
    """Base of every collector; subclasses set the class attributes and two methods."""

    resource_type: ClassVar[str]
    service: ClassVar[str]
    #: the paginated list operation, for documentation and API accounting
    operation: ClassVar[str]
    #: listed once per account rather than per region (S3 ListBuckets)
    global_service: ClassVar[bool] = False

    @abstractmethod
    def fetch(self, api: Api, region: str) -> Iterator[dict[str, Any]]:
        """Yield raw items from AWS; may raise botocore errors for the whole region."""

    def region_of(self, raw: dict[str, Any], region: str) -> str:
        """The region a raw item belongs to (global services override this)."""
        return region

    @staticmethod
    @abstractmethod
    def normalise(raw: dict[str, Any], ctx: ScanContext) -> Resource:
        """Pure: one raw API item to one ``Resource``."""


def tags_to_dict(tags: Any) -> dict[str, str]:
    """AWS ``[{Key, Value}]`` tag lists (any key casing) to a plain dict."""
    result: dict[str, str] = {}
    if not isinstance(tags, list):
        return result
    for tag in tags:
        if not isinstance(tag, dict):
            continue
        key = tag.get("Key", tag.get("key"))
        value = tag.get("Value", tag.get("value"))
        if isinstance(key, str):
            result[key] = "" if value is None else str(value)
    return result


def to_iso(value: Any) -> str | None:
    """A boto3 timestamp (``datetime``) or a recorded one (ISO string) as ISO UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, str):
        return iso(parse_timestamp(value))
    raise TypeError(f"expected a datetime or an ISO 8601 string, got {type(value).__name__}")
