"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread.

It does what a member's endpoint must do (docs/webhooks.md): it verifies every request's signature
with `signing.verify` against the secrets it holds and records what it accepted, in arrival order.
It can misbehave on purpose: refuse (503) the first N requests, refuse during a time window or until
told to recover, and answer slowly.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tabadol.deliver.signing import IDEMPOTENCY_HEADER, SignatureError, idempotency_key, verify


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    key: str
    event_id: int
    kind: str
    version: int
    body: dict[str, Any]
    verified_with: tuple[str, ...]  # which of the receiver's secrets verify the request


class WebhookReceiver:
    def __init__(self, secrets: Iterable[str] = (), *, delay: float = 0.0) -> None:
        self.secrets: list[str] = list(secrets)
        self.delay = delay
        self.received: list[Received] = []
        self.requests = 0  # every request, refused ones included
        self.refused = 0
        self.bad_signatures: list[str] = []
        self._refuse_first = 0
        self._refuse_until = 0.0
        self._refusing = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # -- control ----------------------------------------------------------------------------
    def url(self, path: str = "/hook") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def refuse_first(self, count: int) -> None:
        with self._lock:
            self._refuse_first = self.requests + count

    def refuse_for(self, seconds: float) -> None:
        with self._lock:
            self._refuse_until = time.monotonic() + seconds

    def refuse(self) -> None:
        with self._lock:
            self._refusing = True

    def recover(self) -> None:
        with self._lock:
            self._refusing, self._refuse_first, self._refuse_until = False, 0, 0.0

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- reading ----------------------------------------------------------------------------
    def on(self, path: str) -> list[Received]:
        with self._lock:
            return [entry for entry in self.received if entry.path == path]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        """Poll `condition` until it holds or `timeout` seconds pass (never a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.02)
        return condition()

    # -- the handler's side -----------------------------------------------------------------
    def _admit(self) -> bool:
        with self._lock:
            self.requests += 1
            refuse = (
                self._refusing or self.requests <= self._refuse_first or time.monotonic() < self._refuse_until
            )
            if refuse:
                self.refused += 1
            return not refuse

    def _accept(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        verified = tuple(secret for secret in list(self.secrets) if _verifies(secret, body, headers))
        if not verified:
            with self._lock:
                self.bad_signatures.append(path)
            return 401
        document = json.loads(body)
        key = headers.get(IDEMPOTENCY_HEADER.lower(), "")
        version = int(headers["x-tabadol-item-version"])
        # The key must be the one a receiver recomputes from the signed body.
        if key != idempotency_key(document["uri"], version):
            with self._lock:
                self.bad_signatures.append(f"{path}: idempotency key does not match the body")
            return 400
        entry = Received(
            path=path,
            key=key,
            event_id=int(headers["x-tabadol-event-id"]),
            kind=headers["x-tabadol-event"],
            version=version,
            body=document,
            verified_with=verified,
        )
        with self._lock:
            self.received.append(entry)
        return 200


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        verify(secret, body, headers, int(time.time()))
    except SignatureError:
        return False
    return True


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the hub's sender uses it

        def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = 503
            if receiver._admit():
                status = receiver._accept(self.path, body, headers)
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass  # quiet: tests read the records, not the log

    return Handler
