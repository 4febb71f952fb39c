"""One webhook request: the signed POST of one event's ninjs to a member's endpoint.

What goes on the wire (docs/webhooks.md is the receiver's side of this contract):

    POST <endpoint url>
    Content-Type: application/ninjs+json
    X-Tabadol-Timestamp / X-Tabadol-Signature     signing.sign (current secret, and the previous
                                                  one while a rotation's grace period lasts)
    X-Tabadol-Idempotency-Key                     signing.idempotency_key(item uri, event version)
    X-Tabadol-Event, -Event-Id, -Item-Version...  events.event_headers
    <body: the ninjs of the event's version, UTF-8 JSON>

The sender never raises to its caller: a refused URL, a timeout, a reset connection and a 503 are all
an `Outcome` the worker records and retries. Redirects are never followed (a 3xx is a failure): the
member registered one URL, and a redirect could point the hub at an address the URL check refused.
Each connection vets the addresses its host resolves to when it connects (netguard) and connects to them
by number, so the address is checked when it is used (not only when the URL was registered) and DNS
rebinding cannot turn an endpoint into an internal one.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import tabadol
from tabadol.deliver.events import RenderedEvent, event_headers
from tabadol.deliver.render.ninjs import NINJS_MEDIA_TYPE
from tabadol.deliver.signing import IDEMPOTENCY_HEADER, idempotency_key, sign
from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.transports.netguard import check_public_url, vet_host
from tabadol.storage.delivery import WebhookSecrets

USER_AGENT = f"tabadol-webhooks/{tabadol.__version__}"
CONNECT_TIMEOUT_SECONDS = 5.0
# Bounds each read and write on the socket, not the whole exchange; with bodies of a few kilobytes a
# request that reads nothing for this long is as good as lost.
REQUEST_TIMEOUT_SECONDS = 10.0
# How much of a refusing endpoint's answer is kept for the operator (status pages, dead letters).
_ERROR_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one request: delivered (a 2xx), or failed with the status or the error."""

    delivered: bool
    status: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SignedRequest:
    body: bytes
    headers: Mapping[str, str]


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Refuse (WEBHOOK_URL_INVALID) an endpoint the hub must not post to.

    HTTPS only: the body is a member's wire and the signature proves origin, not secrecy. Plain
    http and loopback or private addresses only where the operator allows private URLs (tests and
    alliances on an internal network). The host must resolve now, so a typo is caught when the
    member registers it, not hours later in a dead letter."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    allowed = ("https", "http") if allow_private else ("https",)
    if scheme not in allowed:
        reason = "only https endpoints are accepted" if scheme == "http" else "it is not an https URL"
        raise TabadolError(ErrorCode.WEBHOOK_URL_INVALID, url=url, reason=reason)
    try:
        check_public_url(url, allow_private=allow_private)
    except TabadolError as error:
        reason = str(error.fields.get("reason", error.message))
        raise TabadolError(ErrorCode.WEBHOOK_URL_INVALID, url=url, reason=reason) from None


def signed_request(rendered: RenderedEvent, secrets: WebhookSecrets, timestamp: int) -> SignedRequest:
    """The body and headers of one event's request (the event must carry ninjs: not withdrawn)."""
    if rendered.ninjs is None or rendered.uri is None:
        raise ValueError(f"event {rendered.event.id} has no content to send")
    event = rendered.event
    body = json.dumps(rendered.ninjs, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    previous = (secrets.previous,) if secrets.previous else ()
    headers = {
        "Content-Type": NINJS_MEDIA_TYPE,
        IDEMPOTENCY_HEADER: idempotency_key(rendered.uri, event.version),
        **event_headers(event),
        **sign(secrets.current, body, timestamp, previous_secrets=previous),
    }
    return SignedRequest(body, headers)


class WebhookHttp:
    """Posts signed requests over keep-alive connections, pooled per endpoint origin.

    Built on the standard library's http.client rather than httpx: a webhook request is small and the
    sender makes a thousand a second, so the client's own cost per request is what limits delivery
    (httpx spent ~4 times as much CPU per request). Each connection resolves and vets its host when it
    connects and connects to the vetted address by number (netguard), like the feed poller's."""

    def __init__(
        self,
        *,
        allow_private: bool,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self._allow_private = allow_private
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context()

    def post(self, url: str, request: SignedRequest) -> Outcome:
        try:
            origin, target = _split(url)
        except ValueError as error:
            return Outcome(False, None, f"invalid URL: {error}")
        headers = {"User-Agent": USER_AGENT, "Content-Length": str(len(request.body)), **request.headers}
        connection, reused = self._checkout(origin)
        try:
            try:
                status, answer, reusable = _exchange(connection, target, request.body, headers)
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                if not reused:
                    raise
                # An idle keep-alive connection the endpoint had closed: once more on a new one.
                connection.close()
                connection, reused = self._new_connection(origin), False
                status, answer, reusable = _exchange(connection, target, request.body, headers)
        except TabadolError as error:  # the guard refused the address it resolved at connect time
            connection.close()
            return Outcome(False, None, str(error.fields.get("reason", error.message)))
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            return Outcome(False, None, f"{type(error).__name__}: {error}".rstrip(": "))
        if reusable:
            self._checkin(origin, connection)
        else:
            connection.close()
        if 200 <= status < 300:
            return Outcome(True, status)
        return Outcome(False, status, _refusal(status, answer))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = [c for pool in self._idle.values() for c in pool], {}
        for connection in idle:
            connection.close()

    def _checkout(self, origin: tuple[str, str, int]) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            pool = self._idle.get(origin)
            if pool:
                return pool.pop(), True
        return self._new_connection(origin), False

    def _checkin(self, origin: tuple[str, str, int], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            pool = self._idle.setdefault(origin, [])
            if len(pool) < MAX_IDLE_PER_ORIGIN:
                pool.append(connection)
                return
        connection.close()

    def _new_connection(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        scheme, host, port = origin
        pinned = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = pinned(host, port, timeout=self._request_timeout)
        connection.vet = partial(vet_host, allow_private=self._allow_private)
        connection.connect_timeout = self._connect_timeout
        if isinstance(connection, _PinnedHTTPSConnection):
            connection.tls = self._tls
        return connection


# Idle keep-alive connections kept per endpoint origin (one per endpoint served at once is enough).
MAX_IDLE_PER_ORIGIN = 32
# An answer's body is read (so the connection can be reused) up to this size; past it the connection
# is closed instead. Receivers answer 2xx with an empty or short body.
MAX_ANSWER_BYTES = 64 * 1024


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses `vet` returned for the host (never a second lookup)."""

    vet: Callable[[str, int], list[Any]]
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS

    def connect(self) -> None:
        last_error: OSError | None = None
        for address in self.vet(self.host, self.port):
            try:
                self.sock = socket.create_connection((str(address), self.port), self.connect_timeout)
                break
            except OSError as error:
                last_error = error  # the next vetted address, as create_connection would
        else:
            raise last_error or OSError(f"no address for {self.host}")
        self.sock.settimeout(self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443
    tls: ssl.SSLContext

    def connect(self) -> None:
        super().connect()
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.host)


def _split(url: str) -> tuple[tuple[str, str, int], str]:
    """(scheme, host, port) and the request target of an http(s) URL; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL with a host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, parts.hostname, port), target


def _exchange(
    connection: http.client.HTTPConnection, target: str, body: bytes, headers: Mapping[str, str]
) -> tuple[int, bytes, bool]:
    """POST and read the answer: (status, the start of its body, whether the connection can be reused)."""
    connection.request("POST", target, body=body, headers=dict(headers))
    response = connection.getresponse()
    answer = response.read(MAX_ANSWER_BYTES)
    complete = response.isclosed() or not response.read(1)
    return response.status, answer, complete and not response.will_close


def _refusal(status: int, answer: bytes) -> str:
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed (register the final URL)"
    text = answer[:_ERROR_EXCERPT].decode("utf-8", "replace").strip()
    return f"HTTP {status}" + (f": {text}" if text else "")
