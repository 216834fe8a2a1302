"""A fake Amazon Bedrock Runtime on 127.0.0.1 that speaks the Converse REST shape, scripted per test.

boto3 reaches it through ``endpoint_url`` (or ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``): requests
arrive as ``POST /model/<url-encoded model id>/converse`` with the JSON body botocore built
(SigV4-signed for service ``bedrock``). Each request takes the next scripted reply; the last
one repeats. Errors are an HTTP status plus the ``x-amzn-ErrorType`` header, which is how
botocore's rest-json parser picks the exception code. A reply can hang: the handler waits, and
the wait is released when the server stops, so a test never leaves a thread behind.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FENCE_OPEN = "<findings_data>"
FENCE_CLOSE = "</findings_data>"


@dataclass(frozen=True)
class Received:
    """One request as it arrived on the wire."""

    path: str
    headers: dict[str, str]
    body: bytes
    #: ``time.monotonic()`` when the request had arrived whole
    at: float = 0.0

    @property
    def model_id(self) -> str:
        return urllib.parse.unquote(self.path.split("/")[2])

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    @property
    def user_text(self) -> str:
        return str(self.json["messages"][0]["content"][0]["text"])

    def data_lines(self) -> list[str]:
        text = self.user_text
        start = text.index(FENCE_OPEN) + len(FENCE_OPEN)
        return [line for line in text[start : text.index(FENCE_CLOSE)].split("\n") if line]

    def groups(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.data_lines()]

    def group_ids(self) -> list[str]:
        return [g["group_id"] for g in self.groups()]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    error_type: str | None = None
    delay_s: float = 0.0


Responder = Callable[[Received], Reply]


def tool_reply(
    tool_input: Any,
    *,
    input_tokens: int = 5000,
    output_tokens: int = 800,
    stop_reason: str = "tool_use",
    name: str = "submit_ranking",
    extra_blocks: list[dict[str, Any]] | None = None,
) -> Reply:
    """A Converse response whose assistant message calls the tool with ``tool_input``."""
    content = [*(extra_blocks or []), {"toolUse": {"toolUseId": "tooluse_1", "name": name,
                                                   "input": tool_input}}]  # fmt: skip
    return json_reply(
        {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
            "metrics": {"latencyMs": 1234},
        }
    )


def json_reply(document: dict[str, Any], status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(document).encode())


def error_reply(status: int, error_type: str | None, message: str) -> Reply:
    """An AWS error: status code, ``x-amzn-ErrorType`` header and ``{"message": ...}`` body."""
    return Reply(
        status=status, body=json.dumps({"message": message}).encode(), error_type=error_type
    )


def throttled() -> Reply:
    return error_reply(
        429, "ThrottlingException", "Too many requests, please wait before trying again."
    )


def answer(
    group_ids: list[str],
    explanation: str = "Explained.",
    top_action: str = "Fix it.",
    summary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A well-formed tool input ranking ``group_ids`` in the order given."""
    return {
        "ranking": [
            {
                "group_id": g,
                "rank": i,
                "explanation": f"{explanation} ({g})",
                "top_action": top_action,
            }
            for i, g in enumerate(group_ids, start=1)
        ],
        "summary": summary
        if summary is not None
        else {
            "cost_opportunities": ["Delete idle volumes."],
            "eol_warnings": ["Lambda runtime python3.8 is deprecated."],
            "compliance_issues": ["Versioning disabled on buckets."],
            "recommendations": ["Start with the first group."],
        },
    }


@dataclass
class FakeBedrock:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[Reply | Responder] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    #: exceptions raised by scripted responders (a fixture should assert this stays empty)
    errors: list[str] = field(default_factory=list)

    def then(self, *items: Reply | Responder) -> FakeBedrock:
        self.script.extend(items)
        return self

    def next_reply(self, received: Received) -> Reply:
        if not self.script:
            return error_reply(500, "InternalServerException", "fake server: nothing scripted")
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if not callable(item):
            return item
        try:
            return item(received)
        except Exception as exc:  # a test's responder failed: record it for the test to see
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return error_reply(400, "ValidationException", f"fake server responder failed: {exc}")


@contextmanager
def fake_bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            received = Received(self.path, dict(self.headers.items()), body, time.monotonic())
            fake.requests.append(received)
            reply = fake.next_reply(received)
            if reply.delay_s and fake.release.wait(reply.delay_s):
                return  # server stopping: drop the connection
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                if reply.error_type:
                    self.send_header(
                        "x-amzn-ErrorType",
                        f"{reply.error_type}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                    )
                self.send_header("x-amzn-RequestId", f"req-{len(fake.requests)}")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (its read timeout): nothing to answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
