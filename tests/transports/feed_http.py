"""A real HTTP server on 127.0.0.1 for the transport tests, with scripted answers per path."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    # False: no Content-Length, the body ends when the server closes the connection (HTTP/1.0).
    declare_length: bool = True


Route = Callable[[Mapping[str, str]], Reply]


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


class FeedServer:
    """Serves `routes[path](request headers)`; records every request it receives."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[SeenRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval keeps shutdown() (each test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, reply: Reply | Route) -> None:
        self.routes[path] = reply if callable(reply) else (lambda _headers, fixed=reply: fixed)

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [seen for seen in self.seen if seen.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            server.seen.append(SeenRequest(path=self.path, headers=headers))
            route = server.routes.get(self.path)
            reply = route(headers) if route else Reply(status=404, body=b"not found")
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.declare_length and "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status not in (204, 304):
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            return

    return Handler
