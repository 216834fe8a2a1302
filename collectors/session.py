"""boto3 sessions and clients, configured in one place.

Retries, timeouts and API-call accounting are set here and nowhere else. Endpoints are left to
boto3, so ``AWS_ENDPOINT_URL`` (and the per-service variants) redirect every client, which is
how the same command runs against a moto server.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextvars import ContextVar
from typing import Any, cast

import boto3
from botocore.config import Config

# Standard retry mode: exponential backoff with jitter on throttling and 5xx, bounded attempts.
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html (read 2026-11-25)
MAX_ATTEMPTS = 5
CLIENT_CONFIG = Config(
    # total_max_attempts counts the first try; botocore's "max_attempts" would count retries.
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="aws-inventory-engine",
)


_CURRENT_TYPE: ContextVar[str | None] = ContextVar("current_resource_type", default=None)


class ApiCallCounter:
    """Counts API calls by ``service.Operation`` through a botocore event hook.

    Calls are also counted per resource type: the runner names the collector a worker thread
    is running (``working_on``), so the benchmark can report API calls per resource per type.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.by_type: dict[str, Counter[str]] = {}

    def working_on(self, resource_type: str | None) -> None:
        # A context variable, so that work a collector fans out (``Api.map``) is still counted
        # for its resource type.
        _CURRENT_TYPE.set(resource_type)

    def hook(self, model: Any, **_: Any) -> None:
        key = f"{model.service_model.endpoint_prefix}.{model.name}"
        current = _CURRENT_TYPE.get()
        with self._lock:
            self.calls[key] += 1
            if current:
                self.by_type.setdefault(current, Counter())[key] += 1

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-call", self.hook)
        return client


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """The default credential chain, or a named profile."""
    return boto3.Session(profile_name=profile, region_name=region)


def client_factory(session: boto3.Session, counter: ApiCallCounter) -> Any:
    """A ``(service, region) -> client`` factory with the shared config and counting.

    Clients are thread-safe, sessions are not: building a client is serialised by a lock.
    """
    lock = threading.Lock()

    def build(service: str, region: str) -> Any:
        with lock:
            # boto3-stubs only type literal service names; the factory serves every collector.
            client = cast(Any, session).client(service, region_name=region, config=CLIENT_CONFIG)
        return counter.attach(client)

    return build
