"""Subscriptions over HTTP: who may manage them, who may see them, validation, audit, preview."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.hub import Hub

FILTER = {"languages": ["ru", "fa"], "topics": ["20000337"], "query": "Каспий"}


def add(client: TestClient, token: str, **body: Any) -> Any:
    return client.post(
        "/api/v1/subscriptions",
        json={"name": "Caspian transport", "filter": FILTER, **body},
        headers=bearer(token),
    )


def test_an_editor_manages_its_members_subscriptions(
    client: TestClient, hub: Hub, editor_token: str, reader_token: str
) -> None:
    created = add(client, editor_token)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["member"] == "irna" and body["id"].startswith("sub_")
    assert body["filter"]["topics"] == ["medtop:20000337"] and body["filter"]["languages"] == ["fa", "ru"]
    sid = body["id"]
    assert (
        client.get(f"/api/v1/subscriptions/{sid}", headers=bearer(reader_token)).json()["name"]
        == "Caspian transport"
    )
    listed = client.get("/api/v1/subscriptions", headers=bearer(reader_token)).json()["subscriptions"]
    assert [s["id"] for s in listed] == [sid]
    changed = client.put(
        f"/api/v1/subscriptions/{sid}",
        json={"name": "Energy", "filter": {"topics": ["medtop:20000256"]}},
        headers=bearer(editor_token),
    )
    assert changed.status_code == 200 and changed.json()["filter"]["topics"] == ["medtop:20000256"]
    assert_error(
        client.delete(f"/api/v1/subscriptions/{sid}", headers=bearer(reader_token)), 403, "forbidden"
    )
    assert client.delete(f"/api/v1/subscriptions/{sid}", headers=bearer(editor_token)).status_code == 204
    assert_error(
        client.get(f"/api/v1/subscriptions/{sid}", headers=bearer(editor_token)),
        404,
        "subscription_not_found",
    )
    actions = [entry.action for entry in hub.storage.list_audit()]
    assert {"subscription.add", "subscription.change", "subscription.remove"} <= set(actions)


def test_another_member_cannot_see_or_touch_them(
    client: TestClient, editor_token: str, tass_editor_token: str, admin_token: str
) -> None:
    sid = add(client, editor_token).json()["id"]
    for method in ("get", "delete"):
        response = getattr(client, method)(f"/api/v1/subscriptions/{sid}", headers=bearer(tass_editor_token))
        assert_error(response, 404, "subscription_not_found")  # not even its existence
    assert (
        client.get("/api/v1/subscriptions", headers=bearer(tass_editor_token)).json()["subscriptions"] == []
    )
    assert_error(
        client.get("/api/v1/subscriptions?member=irna", headers=bearer(tass_editor_token)), 403, "forbidden"
    )
    assert_error(add(client, tass_editor_token, member="irna"), 403, "forbidden")
    # An administrator sees and manages everyone's.
    assert client.get(f"/api/v1/subscriptions/{sid}", headers=bearer(admin_token)).status_code == 200
    assert add(client, admin_token, member="tass").json()["member"] == "tass"


def test_invalid_filters_are_refused_naming_the_field(client: TestClient, editor_token: str) -> None:
    for bad, param in (
        ({"topics": ["economy"]}, "topics"),
        ({"languages": "ru"}, "languages"),
        ({"max_urgency": 12}, "max_urgency"),
        ({"colour": ["red"]}, "filter"),
    ):
        response = add(client, editor_token, filter=bad)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["detail"]["param"] == param


def test_preview_shows_the_newest_items_the_filter_selects(
    client: TestClient, editor_token: str, tass_editor_token: str
) -> None:
    for guid, language, headline in (
        ("urn:t:1", "ru", "Паром через Каспий"),
        ("urn:t:2", "ru", "Футбол"),
        ("urn:t:3", "en", "Caspian ferry"),
    ):
        pushed = client.post(
            "/api/v1/items",
            content=ninjs_bytes(guid=guid, language=language, headline=headline),
            headers={**bearer(tass_editor_token), "Content-Type": "application/ninjs+json"},
        )
        assert pushed.status_code == 201, pushed.text
    sid = add(client, editor_token, filter={"languages": ["ru"], "query": "каспий"}).json()["id"]
    preview = client.get(f"/api/v1/subscriptions/{sid}/preview", headers=bearer(editor_token)).json()
    assert [item["headlines"][0]["value"] for item in preview["items"]] == ["Паром через Каспий"]
    assert preview["scanned"] == 3
