"""Pushing payloads: every format, idempotence, versions, kills and the verbatim originals."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_helpers import assert_error, bearer, ninjs_bytes

from tabadol.hub import Hub

NEWSML_G2 = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:tass.ru:20261120:g2-1" version="1"
  standard="NewsML-G2" standardversion="2.31" conformance="power" xml:lang="ru">
 <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"/>
 <itemMeta><itemClass qcode="ninat:text"/><provider literal="TASS"/>
  <versionCreated>2026-11-20T10:00:00Z</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>
 <contentMeta><headline>Переговоры в Москве</headline></contentMeta>
 <contentSet><inlineXML contenttype="application/xhtml+xml">
  <html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head>
  <body><p>Министры встретились в Москве.</p></body></html></inlineXML></contentSet>
</newsItem>
""".encode()

NITF = """<?xml version="1.0" encoding="UTF-8"?>
<nitf><head><title>Kazakh grain harvest</title>
 <docdata><doc-id id-string="kazinform-nitf-1"/><date.issue norm="20261120T100000Z"/></docdata></head>
 <body><body.head><hedline><hl1>Астық жинау аяқталды</hl1></hedline></body.head>
 <body.content><p>Қазақстанда астық жинау науқаны аяқталды.</p></body.content></body></nitf>
""".encode()

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>AzerTAc</title><link>https://azertag.az/</link><description>News</description>
 <item><title>Bakıda konfrans keçirilib</title><link>https://azertag.az/xeber/1</link>
  <guid>https://azertag.az/xeber/1</guid><description>Bakıda beynəlxalq konfrans keçirilib.</description>
  <pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
 <item><title>İkinci xəbər</title><link>https://azertag.az/xeber/2</link>
  <guid>https://azertag.az/xeber/2</guid><description>İkinci xəbərin mətni.</description>
  <pubDate>Fri, 20 Nov 2026 11:00:00 GMT</pubDate></item>
</channel></rss>
""".encode()

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Anadolu</title><id>urn:aa:feed</id>
 <updated>2026-11-20T10:00:00Z</updated>
 <entry><title>Ankara'da zirve</title><id>urn:aa:entry:1</id><updated>2026-11-20T10:00:00Z</updated>
  <link href="https://www.aa.com.tr/tr/1"/><summary>Ankara'da bölgesel zirve yapıldı.</summary></entry>
</feed>
""".encode()

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Turkmen wire",
        "items": [
            {
                "id": "https://tdh.gov.tm/news/1",
                "title": "Aşgabatda sergi açyldy",
                "content_text": "Aşgabatda halkara sergi açyldy.",
                "date_published": "2026-11-20T10:00:00Z",
            }
        ],
    },
    ensure_ascii=False,
).encode()

PLAIN_TEXT = "مؤتمر في دمشق\n\nعقد اليوم في دمشق مؤتمر إقليمي.\n".encode()

FORMATS = [
    ("ninjs", "application/ninjs+json", ninjs_bytes(guid="urn:irna:fmt:1"), 1),
    ("newsml-g2", "application/vnd.iptc.g2.newsitem+xml", NEWSML_G2, 1),
    ("nitf", "application/nitf+xml", NITF, 1),
    ("rss", "application/rss+xml", RSS, 2),
    ("atom", "application/atom+xml", ATOM, 1),
    ("jsonfeed", "application/feed+json", JSON_FEED, 1),
    ("plaintext", "text/plain; charset=utf-8", PLAIN_TEXT, 1),
]


def push_raw(client: TestClient, token: str, data: bytes, content_type: str | None, **params: str) -> Any:
    headers = bearer(token)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post("/api/v1/items", content=data, headers=headers, params=params)


@pytest.mark.parametrize(("name", "content_type", "data", "count"), FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize("declared", [True, False], ids=["declared", "sniffed"])
def test_push_every_format_and_read_it_back(
    client: TestClient,
    editor_token: str,
    name: str,
    content_type: str,
    data: bytes,
    count: int,
    declared: bool,
) -> None:
    response = push_raw(client, editor_token, data, content_type if declared else None)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["original_sha256"] == hashlib.sha256(data).hexdigest()
    assert len(body["items"]) == count
    assert all(entry["decision"] == "new_item" and entry["version"] == 1 for entry in body["items"])
    assert ("location" in response.headers) == (count == 1)
    for entry in body["items"]:
        document = client.get(entry["href"], headers=bearer(editor_token))
        assert document.status_code == 200
        assert document.json()["headlines"][0]["value"]
        original = client.get(f"{entry['href']}/original", headers=bearer(editor_token))
        assert original.content == data


def test_repush_is_idempotent(client: TestClient, push: Callable[..., Any]) -> None:
    first = push(guid="urn:irna:idem:1")
    assert first.status_code == 201
    again = push(guid="urn:irna:idem:1")
    assert again.status_code == 200
    assert again.json()["items"][0]["decision"] == "duplicate"
    assert again.json()["items"][0]["version"] == 1
    assert again.json()["items"][0]["id"] == first.json()["items"][0]["id"]


def test_changed_content_is_a_new_version(
    client: TestClient, editor_token: str, push: Callable[..., Any]
) -> None:
    first = push(guid="urn:irna:ver:1", headline="نسخه یک").json()["items"][0]
    second = push(guid="urn:irna:ver:1", headline="نسخه دو").json()["items"][0]
    assert second["decision"] == "new_version"
    assert (second["id"], second["version"]) == (first["id"], 2)
    current = client.get(first["href"], headers=bearer(editor_token)).json()
    assert current["version"] == "2"
    assert current["headlines"][0]["value"] == "نسخه دو"
    versions = client.get(f"{first['href']}/versions", headers=bearer(editor_token)).json()["versions"]
    assert [(v["version"], v["decision"]) for v in versions] == [(1, "new_item"), (2, "new_version")]
    old = client.get(versions[0]["href"], headers=bearer(editor_token)).json()
    assert old["headlines"][0]["value"] == "نسخه یک"
    assert old["version"] == "1"
    old_original = client.get(versions[0]["original_href"], headers=bearer(editor_token))
    assert json.loads(old_original.content)["headlines"][0]["value"] == "نسخه یک"
    assert_error(
        client.get(f"{first['href']}/versions/9", headers=bearer(editor_token)), 404, "version_not_found"
    )


def test_guid_header_names_plain_text_items(client: TestClient, editor_token: str) -> None:
    headers = {**bearer(editor_token), "Content-Type": "text/plain", "X-Tabadol-Guid": "urn:irna:plain:7"}
    first = client.post("/api/v1/items", content=b"Headline one\n\nBody one.", headers=headers)
    second = client.post("/api/v1/items", content=b"Headline two\n\nBody two.", headers=headers)
    assert first.json()["items"][0]["guid"] == "urn:irna:plain:7"
    assert second.json()["items"][0]["decision"] == "new_version"
    by_query = push_raw(
        client, editor_token, b"Headline three\n\nBody three.", "text/plain", guid="urn:irna:plain:8"
    )
    assert by_query.json()["items"][0]["guid"] == "urn:irna:plain:8"


def test_kill_keeps_the_item_visible_as_canceled(
    client: TestClient, editor_token: str, reader_token: str, push: Callable[..., Any]
) -> None:
    item = push(guid="urn:irna:kill:1").json()["items"][0]
    killed = client.post(
        f"/api/v1/items/{item['id']}/kill",
        json={"reason": "Wrong casualty figures"},
        headers=bearer(editor_token),
    )
    assert killed.status_code == 201, killed.text
    assert killed.json()["items"][0]["decision"] == "kill"
    document = client.get(item["href"], headers=bearer(reader_token)).json()
    assert document["pubStatus"] == "canceled"
    assert document["edNote"] == "Wrong casualty figures"
    listed = client.get("/api/v1/items?pubStatus=canceled", headers=bearer(reader_token)).json()["items"]
    assert [d["uri"] for d in listed] == ["urn:irna:kill:1"]
    assert_error(client.post("/api/v1/items/nope/kill", headers=bearer(editor_token)), 404, "item_not_found")


def test_original_is_byte_identical_with_its_charset(client: TestClient, editor_token: str) -> None:
    arabic = "عاجل: اجتماع في دمشق\n\nعقد وزراء الخارجية اجتماعا في دمشق اليوم.\r\n"
    data = arabic.encode("windows-1256")
    content_type = "text/plain; charset=windows-1256"
    response = push_raw(client, editor_token, data, content_type)
    assert response.status_code == 201, response.text
    href = response.json()["items"][0]["href"]
    document = client.get(href, headers=bearer(editor_token)).json()
    assert document["headlines"][0]["value"] == "عاجل: اجتماع في دمشق"
    original = client.get(f"{href}/original", headers=bearer(editor_token))
    assert original.content == data
    assert original.headers["content-type"] == content_type
    sha = hashlib.sha256(data).hexdigest()
    assert original.headers["x-tabadol-sha256"] == sha
    assert original.headers["digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(data).digest()).decode()
    versioned = client.get(f"{href}/versions/1/original", headers=bearer(editor_token))
    assert versioned.content == data


@pytest.mark.parametrize(
    ("data", "content_type", "code"),
    [
        (b'{"uri": "urn:irna:trunc", "headlines": [{"value": "x"', "application/json", "malformed_json"),
        (
            b"<?xml version='1.0'?><rss version='2.0'><channel><item><title>x</tit",
            "application/rss+xml",
            "malformed_xml",
        ),
        (b'{"uri": "urn:irna:nohead", "type": "text"}', "application/ninjs+json", "missing_field"),
        ("نص".encode("utf-16-le") + b"\xff\xfe\x00\xd8", "text/plain; charset=utf-8", "undecodable_text"),
    ],
    ids=["truncated-json", "truncated-xml", "no-headline", "bad-utf8"],
)
def test_malformed_payloads_are_refused_and_nothing_is_stored(
    client: TestClient, hub: Hub, editor_token: str, data: bytes, content_type: str, code: str
) -> None:
    before = hub.storage.count_items()
    assert_error(push_raw(client, editor_token, data, content_type), 422, code)
    assert hub.storage.count_items() == before
    assert client.get("/api/v1/items", headers=bearer(editor_token)).json()["items"] == []


def test_empty_and_unrecognisable_bodies(client: TestClient, editor_token: str) -> None:
    assert_error(push_raw(client, editor_token, b"", "application/json"), 400, "empty_body")
    assert_error(
        push_raw(client, editor_token, b"\x00\x01\x02\x03" * 64, "application/pdf"), 415, "unsupported_format"
    )


def test_admin_push_needs_an_existing_member(client: TestClient, admin_token: str) -> None:
    response = push_raw(client, admin_token, ninjs_bytes(), "application/json", member="nobody")
    assert_error(response, 404, "member_not_found")


def test_content_language_applies_to_plain_text(client: TestClient, editor_token: str) -> None:
    body = "خط کشتیرانی خزر\n\nبندر انزلی به آکتائو وصل شد.".encode()
    headers = {**bearer(editor_token), "Content-Type": "text/plain; charset=utf-8", "Content-Language": "fa"}
    response = client.post("/api/v1/items", content=body, headers=headers)
    assert response.status_code == 201, response.text
    item_id = response.json()["items"][0]["id"]
    assert client.get(f"/api/v1/items/{item_id}", headers=bearer(editor_token)).json()["language"] == "fa"


def _rss(entries: int) -> bytes:
    items = "".join(
        f"<item><guid>urn:irna:feed:{n}</guid><title>خبر {n}</title>"
        f"<description>متن خبر {n}</description></item>"
        for n in range(entries)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>IRNA</title>'
    return f"{head}{items}</channel></rss>".encode()


def test_a_feed_with_ten_thousand_entries_is_refused_whole(
    client: TestClient, hub: Hub, editor_token: str
) -> None:
    headers = {**bearer(editor_token), "Content-Type": "application/rss+xml"}
    response = client.post("/api/v1/items", content=_rss(10_000), headers=headers)
    error = assert_error(response, 413, "too_many_items")
    assert error["detail"] == {"count": 10_000, "limit": hub.settings.max_items_per_payload}
    assert hub.storage.count_items() == 0
    # The hub keeps serving, and a feed within the limit is stored whole.
    accepted = client.post("/api/v1/items", content=_rss(300), headers=headers)
    assert accepted.status_code == 201, accepted.text
    assert len(accepted.json()["items"]) == 300
    assert hub.storage.count_items() == 300
