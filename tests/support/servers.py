"""A moto server and a denying proxy, both on 127.0.0.1, for tests across a real HTTP boundary.

``DenyingProxy`` forwards every request to an upstream AWS-compatible endpoint, except those
signed (SigV4 credential scope) for a denied region, which get the 403 error document that
service returns when an SCP or IAM policy denies the call.
"""

from __future__ import annotations

import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from moto.server import ThreadedMotoServer

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def moto_server_process() -> Iterator[str]:
    """moto's server in its own process: state that an in-process ``mock_aws`` (the simulated
    account) cannot reset."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _denial(service: str) -> tuple[str, bytes]:
    if service == "s3":
        body = "<Error><Code>AccessDenied</Code><Message>Access Denied by an SCP</Message></Error>"
        return "application/xml", body.encode()
    if service == "ec2":
        body = (
            "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not "
            "authorized to perform this operation (explicit deny in a service control policy)"
            "</Message></Error></Errors><RequestID>r</RequestID></Response>"
        )
        return "text/xml", body.encode()
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied"
        "</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
    return "text/xml", body.encode()


@contextmanager
def denying_proxy(upstream: str, denied_regions: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Yields the proxy URL and a list that records each denied ``service:region``."""
    denied: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            match = SCOPE.search(self.headers.get("Authorization", ""))
            if match and match["region"] in denied_regions:
                denied.append(f"{match['service']}:{match['region']}")
                ctype, payload = _denial(match["service"])
                self.send_response(403)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            request = urllib.request.Request(upstream + self.path, data=body, method=self.command)
            for key, value in self.headers.items():
                if key.lower() not in ("host", "content-length", "connection"):
                    request.add_header(key, value)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, headers, payload = response.status, response.headers, response.read()
            except urllib.error.HTTPError as exc:
                status, headers, payload = exc.code, exc.headers, exc.read()
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", denied
    finally:
        server.shutdown()
        server.server_close()
