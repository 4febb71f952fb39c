"""Members, keys, feeds, the audit log and the health endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer

from tabadol.hub import Hub

KAZINFORM = {
    "code": "kazinform",
    "names": {"en": "Kazinform", "kk": "Қазақпарат", "ru": "Казинформ"},
    "country": "kz",
    "languages": ["kk", "ru", "kk-latn"],
}


def test_admin_adds_a_member_and_issues_a_working_key(client: TestClient, admin_token: str) -> None:
    created = client.post("/api/v1/members", json=KAZINFORM, headers=bearer(admin_token))
    assert created.status_code == 201, created.text
    assert created.json()["country"] == "KZ"
    assert created.json()["languages"] == ["kk", "ru", "kk-Latn"]
    assert_error(
        client.post("/api/v1/members", json=KAZINFORM, headers=bearer(admin_token)), 409, "member_exists"
    )

    issued = client.post(
        "/api/v1/members/kazinform/keys",
        json={"role": "editor", "label": "desk"},
        headers=bearer(admin_token),
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()
    assert key["member"] == "kazinform" and key["role"] == "editor" and key["token"].startswith("tbd_")
    me = client.get("/api/v1/members/kazinform", headers=bearer(key["token"]))
    assert me.json()["names"]["kk"] == "Қазақпарат"
    assert "token" not in me.text
    codes = [m["code"] for m in client.get("/api/v1/members", headers=bearer(key["token"])).json()["members"]]
    assert codes == ["irna", "kazinform"]


def test_member_and_key_errors(client: TestClient, admin_token: str, reader_token: str) -> None:
    invalid = {**KAZINFORM, "code": "Bad Code"}
    assert_error(
        client.post("/api/v1/members", json=invalid, headers=bearer(admin_token)), 422, "invalid_member"
    )
    missing = {"code": "x1"}
    assert_error(
        client.post("/api/v1/members", json=missing, headers=bearer(admin_token)), 422, "invalid_request_body"
    )
    bad_role = client.post("/api/v1/members/irna/keys", json={"role": "owner"}, headers=bearer(admin_token))
    assert_error(bad_role, 422, "invalid_request_body")
    no_member = client.post(
        "/api/v1/members/nobody/keys", json={"role": "reader"}, headers=bearer(admin_token)
    )
    assert_error(no_member, 404, "member_not_found")
    assert_error(client.get("/api/v1/members/nobody", headers=bearer(reader_token)), 404, "member_not_found")


def test_audit_log_records_writes_newest_first_with_paging(
    client: TestClient, hub: Hub, admin_token: str, editor_token: str
) -> None:
    client.post("/api/v1/members", json=KAZINFORM, headers=bearer(admin_token))
    client.post(
        "/api/v1/items",
        content=b"Headline\n\nBody text.",
        headers={**bearer(editor_token), "Content-Type": "text/plain"},
    )
    first = client.get("/api/v1/audit?limit=2", headers=bearer(admin_token))
    assert first.status_code == 200
    page = first.json()
    assert [e["action"] for e in page["entries"]] == ["items.ingest", "member.add"]
    ingest = page["entries"][0]
    assert ingest["actor_member"] == "irna"
    assert ingest["remote_addr"] == "testclient"
    assert ingest["actor_key_id"] == editor_token.split("_")[1]
    ids: list[int] = [e["id"] for e in page["entries"]]
    url = page["links"]["next"]
    rounds = 0
    while url and rounds < 20:
        more = client.get(url, headers=bearer(admin_token)).json()
        ids.extend(e["id"] for e in more["entries"])
        url = more["links"]["next"]
        rounds += 1
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == len(set(ids)) == len(hub.storage.list_audit(limit=1000))


def test_feeds_are_checked_added_listed_and_removed(
    client: TestClient,
    hub: Hub,
    admin_token: str,
    editor_token: str,
    reader_token: str,
    tass_editor_token: str,
) -> None:
    public = {"url": "http://93.184.216.34/rss.xml", "interval_seconds": 600}
    added = client.post("/api/v1/members/irna/feeds", json=public, headers=bearer(editor_token))
    assert added.status_code == 201, added.text
    feed = added.json()
    assert feed["member"] == "irna" and feed["interval_seconds"] == 600
    listing = client.get("/api/v1/members/irna/feeds", headers=bearer(reader_token)).json()["feeds"]
    assert [f["id"] for f in listing] == [feed["id"]]
    assert_error(
        client.get("/api/v1/members/irna/feeds", headers=bearer(tass_editor_token)), 403, "forbidden"
    )
    other = client.post("/api/v1/members/irna/feeds", json=public, headers=bearer(tass_editor_token))
    assert_error(other, 403, "forbidden")
    assert_error(
        client.delete(f"/api/v1/feeds/{feed['id']}", headers=bearer(tass_editor_token)), 403, "forbidden"
    )
    assert client.delete(f"/api/v1/feeds/{feed['id']}", headers=bearer(admin_token)).status_code == 204
    assert_error(
        client.delete(f"/api/v1/feeds/{feed['id']}", headers=bearer(admin_token)), 404, "feed_not_found"
    )
    actions = [e.action for e in hub.storage.list_audit(limit=10)]
    assert actions[:2] == ["feed.remove", "feed.add"]


def test_unsafe_feed_urls_are_refused(client: TestClient, hub: Hub, editor_token: str) -> None:
    for url in ("http://127.0.0.1:8000/", "http://169.254.169.254/latest/meta-data", "file:///etc/passwd"):
        response = client.post("/api/v1/members/irna/feeds", json={"url": url}, headers=bearer(editor_token))
        assert_error(response, 422, "unsafe_url")
    too_fast = {"url": "http://93.184.216.34/rss", "interval_seconds": 1}
    response = client.post("/api/v1/members/irna/feeds", json=too_fast, headers=bearer(editor_token))
    assert_error(response, 422, "invalid_request_body")
    assert hub.storage.list_feeds("irna") == []


def test_health_is_public_and_reports_the_store(
    client: TestClient, hub: Hub, backend: str, member: Any
) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    assert body["schema_version"] == hub.storage.schema_version() >= 1
    assert body["items"] == 0
    import tabadol

    assert body["version"] == tabadol.__version__


def test_health_answers_503_when_the_store_does_not_answer(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dead database cannot be produced the same way on both backends; the store's own health
    # probe is what the endpoint consults, so it is the probe that reports the failure here.
    monkeypatch.setattr(hub.storage, "healthy", lambda: False)
    assert_error(client.get("/api/v1/health"), 503, "storage_unavailable")

    def driver_failure() -> int:
        raise ConnectionResetError("server closed the connection")

    monkeypatch.setattr(hub.storage, "healthy", lambda: True)
    monkeypatch.setattr(hub.storage, "count_items", driver_failure)
    error = assert_error(client.get("/api/v1/health"), 503, "storage_unavailable")
    assert error["detail"]["reason"] == "ConnectionResetError"
