"""Reading: list filters, cursor paging, ninjs documents, ETags and embargoes on every read path."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from web_helpers import MovableClock, assert_error, bearer, ninjs_bytes

from tabadol.serialize import format_datetime
from tabadol.types import utc_now

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "ninjs" / "schema-ninjs-schema_3.1.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def push_as(client: TestClient, token: str, member: str | None = None, **doc: Any) -> dict[str, Any]:
    params = {"member": member} if member else {}
    response = client.post(
        "/api/v1/items",
        content=ninjs_bytes(**doc),
        headers={**bearer(token), "Content-Type": "application/json"},
        params=params,
    )
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()["items"][0]
    return entry


@pytest.fixture
def corpus(client: TestClient, admin_token: str, tass: Any) -> list[dict[str, Any]]:
    """Six items: irna in fa (4, one in English), tass in ru (2), one version time per hour."""
    specs = [
        ("irna", "urn:irna:c:1", "fa", "نشست تهران", "2026-11-20T01:00:00Z"),
        ("irna", "urn:irna:c:2", "fa", "اقتصاد ایران", "2026-11-20T02:00:00Z"),
        ("tass", "urn:tass:c:3", "ru", "Саммит в Москве", "2026-11-20T03:00:00Z"),
        ("irna", "urn:irna:c:4", "en", "Tehran summit ends", "2026-11-20T04:00:00Z"),
        ("tass", "urn:tass:c:5", "ru", "Экономика России", "2026-11-20T05:00:00Z"),
        ("irna", "urn:irna:c:6", "fa", "ورزش", "2026-11-20T06:00:00Z"),
    ]
    return [
        push_as(client, admin_token, member, guid=guid, language=lang, headline=headline, versionCreated=at)
        for member, guid, lang, headline, at in specs
    ]


def uris(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [doc["uri"] for doc in response.json()["items"]]


def test_list_is_newest_first_and_every_entry_is_valid_ninjs(
    client: TestClient, reader_token: str, corpus: list[dict[str, Any]]
) -> None:
    response = client.get("/api/v1/items", headers=bearer(reader_token))
    assert uris(response) == [f"urn:{m}:c:{n}" for m, n in [("irna", 6), ("tass", 5), ("irna", 4)]] + [
        "urn:tass:c:3",
        "urn:irna:c:2",
        "urn:irna:c:1",
    ]
    for document in response.json()["items"]:
        assert not list(VALIDATOR.iter_errors(document))
    assert response.json()["next_cursor"] is None
    assert response.json()["links"]["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("member=tass", ["urn:tass:c:5", "urn:tass:c:3"]),
        ("agency=tass", ["urn:tass:c:5", "urn:tass:c:3"]),
        ("member=tass,irna&language=ru", ["urn:tass:c:5", "urn:tass:c:3"]),
        ("member=irna&member=tass&language=en", ["urn:irna:c:4"]),
        ("language=fa&since=2026-11-20T02:00:00Z", ["urn:irna:c:6", "urn:irna:c:2"]),
        ("until=2026-11-20T02:30:00%2B00:00", ["urn:irna:c:2", "urn:irna:c:1"]),
        ("q=Tehran", ["urn:irna:c:4"]),
        ("pubStatus=usable&member=nobody", []),
    ],
)
def test_list_filters(
    client: TestClient, reader_token: str, corpus: list[dict[str, Any]], query: str, expected: list[str]
) -> None:
    assert uris(client.get(f"/api/v1/items?{query}", headers=bearer(reader_token))) == expected


def test_cursor_pages_through_everything_once(
    client: TestClient, reader_token: str, corpus: list[dict[str, Any]]
) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/items?limit=4&member=irna,tass"
    pages = 0
    while url and pages < 10:
        response = client.get(url, headers=bearer(reader_token))
        seen.extend(uris(response))
        url = response.json()["links"]["next"]
        pages += 1
    assert pages == 2
    assert len(seen) == 6 == len(set(seen))
    assert_error(
        client.get("/api/v1/items?cursor=garbage", headers=bearer(reader_token)), 400, "invalid_cursor"
    )


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("since=yesterday", "since"),
        ("until=2026-13-45", "until"),
        ("pubStatus=deleted", "pubStatus"),
        ("since=2026-11-21T00:00:00Z&until=2026-11-20T00:00:00Z", "until"),
    ],
)
def test_invalid_parameters_name_the_parameter(
    client: TestClient, reader_token: str, query: str, param: str
) -> None:
    error = assert_error(
        client.get(f"/api/v1/items?{query}", headers=bearer(reader_token)), 400, "invalid_query"
    )
    assert error["detail"]["param"] == param


def test_item_document_etag_and_conditional_get(
    client: TestClient, reader_token: str, corpus: list[dict[str, Any]]
) -> None:
    href = corpus[0]["href"]
    response = client.get(href, headers=bearer(reader_token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ninjs+json")
    document = response.json()
    assert not list(VALIDATOR.iter_errors(document))
    alt_ids = {a["role"]: a["value"] for a in document["altIds"]}
    assert response.headers["etag"] == f'"{alt_ids["tabadol:content-sha256"]}"'
    assert alt_ids["tabadol:item-id"] == corpus[0]["id"]
    assert document["infoSources"][0]["literal"] == "irna"
    not_modified = client.get(
        href, headers={**bearer(reader_token), "If-None-Match": response.headers["etag"]}
    )
    assert not_modified.status_code == 304
    assert_error(client.get("/api/v1/items/missing", headers=bearer(reader_token)), 404, "item_not_found")


def test_embargoed_item_is_absent_on_every_read_until_it_lifts(
    client: TestClient, clock: MovableClock, editor_token: str, reader_token: str
) -> None:
    lifts = utc_now() + timedelta(hours=1)
    item = push_as(client, editor_token, guid="urn:irna:emb:1", embargoedUntil=format_datetime(lifts))
    href = item["href"]
    reads = [
        href,
        f"{href}/versions",
        f"{href}/versions/1",
        f"{href}/original",
        f"{href}/versions/1/original",
    ]
    for token in (reader_token, editor_token):
        for url in reads:
            assert_error(client.get(url, headers=bearer(token)), 404, "item_not_found")
        assert uris(client.get("/api/v1/items", headers=bearer(token))) == []
    clock.offset = timedelta(hours=1, seconds=1)
    for url in reads:
        assert client.get(url, headers=bearer(reader_token)).status_code == 200, url
    listed = client.get("/api/v1/items", headers=bearer(reader_token)).json()["items"]
    assert [doc["uri"] for doc in listed] == ["urn:irna:emb:1"]
    assert listed[0]["embargoedUntil"] == format_datetime(lifts)


def test_embargoed_item_is_hidden_from_other_members_kill(
    client: TestClient, editor_token: str, tass_editor_token: str
) -> None:
    lifts = utc_now() + timedelta(hours=1)
    item = push_as(client, editor_token, guid="urn:irna:emb:2", embargoedUntil=format_datetime(lifts))
    response = client.post(f"/api/v1/items/{item['id']}/kill", headers=bearer(tass_editor_token))
    assert_error(response, 404, "item_not_found")
    # Its owner may still kill it before the embargo lifts.
    assert client.post(f"/api/v1/items/{item['id']}/kill", headers=bearer(editor_token)).status_code == 201


def test_read_endpoints_need_a_key(client: TestClient, corpus: list[dict[str, Any]]) -> None:
    href = corpus[0]["href"]
    for url in ("/api/v1/items", href, f"{href}/versions", f"{href}/original", "/api/v1/members"):
        assert_error(client.get(url), 401, "unauthenticated")


def test_versions_listing_describes_each_version(
    client: TestClient, editor_token: str, push: Callable[..., Any]
) -> None:
    first = push(guid="urn:irna:vl:1", headline="یک").json()
    push(guid="urn:irna:vl:1", headline="دو")
    href = first["items"][0]["href"]
    listing = client.get(f"{href}/versions", headers=bearer(editor_token)).json()
    assert listing["guid"] == "urn:irna:vl:1"
    v1, v2 = listing["versions"]
    assert v1["original_sha256"] == first["original_sha256"]
    assert v1["content_sha256"] != v2["content_sha256"]
    assert v2["href"].endswith("/versions/2") and v2["original_href"].endswith("/versions/2/original")
    assert v1["received_via"] == "http"


def test_an_embargoed_version_is_withheld_after_a_correction_lifts_the_embargo(
    client: TestClient, clock: MovableClock, editor_token: str, reader_token: str, push: Callable[..., Any]
) -> None:
    until = utc_now() + timedelta(hours=2)
    first = push(guid="urn:irna:emb-v", headline="زیر تحریم", embargoed=format_datetime(until))
    item_id = first.json()["items"][0]["id"]
    push(guid="urn:irna:emb-v", headline="منتشر شد")  # the correction carries no embargo
    reader = bearer(reader_token)
    versions = client.get(f"/api/v1/items/{item_id}/versions", headers=reader).json()["versions"]
    assert [v["version"] for v in versions] == [2]
    assert_error(client.get(f"/api/v1/items/{item_id}/versions/1", headers=reader), 404, "version_not_found")
    original = client.get(f"/api/v1/items/{item_id}/versions/1/original", headers=reader)
    assert_error(original, 404, "version_not_found")
    clock.offset = timedelta(hours=2, seconds=1)
    versions = client.get(f"/api/v1/items/{item_id}/versions", headers=reader).json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert client.get(f"/api/v1/items/{item_id}/versions/1/original", headers=reader).status_code == 200


def test_an_admin_push_is_audited_as_the_admin_for_the_member(
    client: TestClient, hub: Any, admin_token: str
) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    headers = {**bearer(admin_token), "Content-Type": "application/json"}
    response = client.post(
        "/api/v1/items?member=tass", content=ninjs_bytes(guid="urn:tass:by-admin"), headers=headers
    )
    assert response.status_code == 201, response.text
    entry = next(e for e in hub.storage.list_audit(limit=10) if e.action == "items.ingest")
    assert (entry.actor_member, entry.detail["member"]) == ("irna", "tass")
    assert entry.actor_key_id == admin_token.split("_")[1]


def test_an_item_as_nitf_or_newsml_g2_on_request(
    client: TestClient, editor_token: str, reader_token: str
) -> None:
    from tabadol.ingest.formats import newsml_g2, nitf

    pushed = push_as(client, editor_token, guid="urn:irna:fmt:1", headline="خبر چندقالبی")
    item_id = pushed["id"]
    auth = bearer(reader_token)
    as_nitf = client.get(f"/api/v1/items/{item_id}?format=nitf", headers=auth)
    assert as_nitf.status_code == 200 and as_nitf.headers["content-type"].startswith("application/nitf+xml")
    [from_nitf] = nitf.parse(as_nitf.content, None)
    by_accept = client.get(
        f"/api/v1/items/{item_id}", headers={**auth, "Accept": "application/vnd.iptc.g2.newsitem+xml"}
    )
    assert by_accept.headers["content-type"].startswith("application/vnd.iptc.g2.newsitem+xml")
    [from_g2] = newsml_g2.parse(by_accept.content, None)
    assert from_nitf.headline == from_g2.headline == "خبر چندقالبی"
    assert from_nitf.guid == from_g2.guid == "urn:irna:fmt:1"
    assert as_nitf.headers["etag"] != by_accept.headers["etag"]
    assert_error(client.get(f"/api/v1/items/{item_id}?format=pdf", headers=auth), 400, "invalid_query")
