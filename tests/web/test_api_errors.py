"""One error shape everywhere, body limits enforced while streaming, and a complete OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.hub import Hub
from tabadol.web.app import create_app

MB = 1024 * 1024


def test_unknown_route_and_wrong_method(client: TestClient, reader_token: str) -> None:
    error = assert_error(client.get("/api/v1/nothing-here", headers=bearer(reader_token)), 404, "not_found")
    assert error["detail"]["path"] == "/api/v1/nothing-here"
    # Outside the API the portal answers: a page in the reader's language, not the API's JSON.
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 404 and favicon.headers["content-type"].startswith("text/html")
    assert_error(client.put("/api/v1/items", headers=bearer(reader_token)), 405, "method_not_allowed")
    assert_error(client.delete("/api/v1/health"), 405, "method_not_allowed")


def test_validation_errors_have_the_same_shape(client: TestClient, admin_token: str) -> None:
    assert_error(client.get("/api/v1/audit?limit=x", headers=bearer(admin_token)), 400, "invalid_query")
    not_json = client.post(
        "/api/v1/members",
        content=b"{not json",
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    assert_error(not_json, 422, "malformed_json")
    assert_error(client.delete("/api/v1/feeds/abc", headers=bearer(admin_token)), 400, "invalid_query")


def test_unexpected_failure_is_500_without_internals(
    client: TestClient, hub: Hub, reader_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[Any]:
        raise RuntimeError("password=hunter2 at /srv/secret.py line 7")

    monkeypatch.setattr(hub.storage, "list_members", broken)
    response = client.get("/api/v1/members", headers=bearer(reader_token))
    assert_error(response, 500, "internal")
    assert "hunter2" not in response.text and "secret.py" not in response.text


def test_declared_oversized_body_is_413_and_the_server_keeps_serving(
    client: TestClient, hub: Hub, editor_token: str
) -> None:
    fifty_mb = b"x" * (50 * MB)
    headers = {**bearer(editor_token), "Content-Type": "text/plain"}
    error = assert_error(
        client.post("/api/v1/items", content=fifty_mb, headers=headers), 413, "payload_too_large"
    )
    assert error["detail"]["size"] == 50 * MB
    assert error["detail"]["limit"] == hub.settings.max_payload_bytes
    after = client.post(
        "/api/v1/items", content=ninjs_bytes(), headers={**headers, "Content-Type": "application/json"}
    )
    assert after.status_code == 201


class CountingBody:
    """An ASGI receive() that streams `total` bytes in 1 MB chunks and counts what was pulled."""

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.pulled = 0
        self.first = True

    async def __call__(self) -> dict[str, Any]:
        if self.remaining <= 0:
            return {"type": "http.disconnect"}
        chunk = min(MB, self.remaining)
        self.remaining -= chunk
        self.pulled += chunk
        # Plain text: a headline line, then words, so a body under the limit is a valid item.
        data = (b"Headline\n\n" if self.first else b"") + b"word " * (chunk // 5)
        self.first = False
        return {"type": "http.request", "body": data[:chunk], "more_body": self.remaining > 0}


def call_push(hub: Hub, token: str, body: CountingBody, declared_length: int | None) -> tuple[int, bytes]:
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"text/plain")]
    if declared_length is not None:
        headers.append((b"content-length", str(declared_length).encode()))
    else:
        headers.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/items",
        "raw_path": b"/api/v1/items",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(create_app(hub)(scope, body, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, payload


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_fifty_megabytes_are_refused_without_being_buffered(
    hub: Hub, editor_token: str, declared: bool
) -> None:
    limit = hub.settings.max_payload_bytes
    body = CountingBody(50 * MB)
    status, payload = call_push(hub, editor_token, body, 50 * MB if declared else None)
    assert status == 413
    assert b'"payload_too_large"' in payload
    if declared:
        assert body.pulled == 0  # refused on the header alone
    else:
        assert body.pulled <= limit + MB  # stopped at the first chunk past the limit
    assert hub.storage.count_items() == 0


def test_body_at_the_limit_is_accepted_by_the_stream_reader(hub: Hub, editor_token: str) -> None:
    # A chunked body under the limit flows through the same counting reader to the parser.
    small = CountingBody(2 * MB)
    status, payload = call_push(hub, editor_token, small, None)
    assert small.pulled == 2 * MB
    assert status == 201, payload


def test_openapi_lists_every_route(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    # Included routers are resolved lazily by FastAPI; iter_route_contexts yields the effective routes.
    routes = [r for r in iter_route_contexts(client.app.routes) if (r.path or "").startswith("/api/v1")]  # type: ignore[attr-defined]
    expected = {
        (str(route.path), method)
        for route in routes
        for method in (route.methods or set()) - {"HEAD"}
        if route.path != "/api/v1/openapi.json"
    }
    assert len(expected) >= 18
    assert expected and expected <= documented
    for path, method in [
        ("/api/v1/items", "POST"),
        ("/api/v1/items/{item_id}/versions/{version}/original", "GET"),
        ("/api/v1/members/{code}/feeds", "POST"),
        ("/api/v1/keys/{key_id}", "DELETE"),
        ("/api/v1/audit", "GET"),
        ("/api/v1/health", "GET"),
    ]:
        assert (path, method) in documented
    push_body = spec["paths"]["/api/v1/items"]["post"]["requestBody"]["content"]
    assert "application/vnd.iptc.g2.newsitem+xml" in push_body


def test_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.text
    assert "/api/v1/openapi.json" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "default-src 'none'" in response.headers["content-security-policy"]
    for default in ("/docs", "/redoc"):  # FastAPI's default docs addresses: nothing there (portal 404s)
        elsewhere = client.get(default)
        assert elsewhere.status_code == 404 and elsewhere.headers["content-type"].startswith("text/html")


def test_writes_from_many_threads_are_all_acknowledged(
    client: TestClient, hub: Hub, push: Callable[..., Any]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda n: push(guid=f"urn:irna:conc:{n}"), range(40)))
    assert [r.status_code for r in responses] == [201] * 40
    assert hub.storage.count_items() == 40
