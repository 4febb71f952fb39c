"""Fact checks over HTTP (web/api/factchecks.py): who may import and author, the public list, export and
feed, matching a text, an item's matches and the `fact_checks` of POST /api/v1/verify (both backends).
The service's decisions are tested in tests/verify/test_factchecks.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
from fastapi.testclient import TestClient
from web_helpers import bearer

import tabadol.demo
from tabadol.enrich.components import EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.hub import Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.types import MemberInfo
from tabadol.verify.claims import parse_claim_reviews

FIXTURES = Path(__file__).parent.parent / "data" / "claimreview"
FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
JSONLD = {"Content-Type": "application/ld+json"}


def flores(number: int) -> dict[str, str]:
    with FLORES.open(encoding="utf-8") as lines:
        return dict(json.loads(lines.readlines()[number])["text"])


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?؟])\s+", text.strip())[0]


def kirchner_review() -> bytes:
    """A review of FLORES article 8's Russian first sentence."""
    return json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": "https://tass.ru/proverka/8",
            "claimReviewed": first_sentence(flores(8)["ru"]),
            "inLanguage": "ru",
            "author": {"@type": "Organization", "name": "ТАСС Проверка"},
            "reviewRating": {"@type": "Rating", "alternateName": "Ложь"},
        },
        ensure_ascii=False,
    ).encode()


def test_import_permissions_and_reimport(
    client: TestClient,
    editor_token: str,
    reader_token: str,
    admin_token: str,
    tass: MemberInfo,
    tass_editor_token: str,
) -> None:
    data = (FIXTURES / "list_of_reviews.json").read_bytes()
    assert client.post("/api/v1/fact-checks", content=data, headers=JSONLD).status_code == 401
    refused = client.post("/api/v1/fact-checks", content=data, headers={**JSONLD, **bearer(reader_token)})
    assert refused.status_code == 403
    other = client.post(
        "/api/v1/fact-checks?member=tass", content=data, headers={**JSONLD, **bearer(editor_token)}
    )
    assert other.status_code == 403 and other.json()["error"]["number"] == "E203"
    created = client.post("/api/v1/fact-checks", content=data, headers={**JSONLD, **bearer(editor_token)})
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["created"]) == 2 and body["updated"] == []
    assert {f["member"] for f in body["created"]} == {"irna"}
    again = client.post("/api/v1/fact-checks", content=data, headers={**JSONLD, **bearer(editor_token)})
    assert again.status_code == 200 and len(again.json()["updated"]) == 2
    taken = client.post(
        "/api/v1/fact-checks?member=tass", content=data, headers={**JSONLD, **bearer(admin_token)}
    )
    assert taken.status_code == 409 and taken.json()["error"]["number"] == "E711"
    empty = client.post("/api/v1/fact-checks", content=b"", headers={**JSONLD, **bearer(editor_token)})
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_body"
    hostile = client.post(
        "/api/v1/fact-checks",
        content=json.dumps({"@context": "https://schema.org", "@type": "ClaimReview", "url": "javascript:x"}),
        headers={**JSONLD, **bearer(editor_token)},
    )
    assert hostile.status_code == 400 and hostile.json()["error"]["number"] == "E307"


def test_author_get_list_export_feed_and_delete(
    client: TestClient, editor_token: str, tass: MemberInfo, tass_editor_token: str
) -> None:
    authored = client.post(
        "/api/v1/fact-checks/author",
        json={
            "claim": "Все школы Москвы закрыты на карантин",
            "rating": "Ложь",
            "url": "https://tass.ru/proverka/schools",
            "claimant": "Telegram-канал",
        },
        headers=bearer(tass_editor_token),
    )
    assert authored.status_code == 201, authored.text
    fact_check = authored.json()
    assert fact_check["language"] == "ru" and fact_check["reviewer"]["member"] == "tass"
    assert fact_check["claim_review"]["@type"] == "ClaimReview"
    bad = client.post(
        "/api/v1/fact-checks/author",
        json={"claim": "x", "rating": "False", "url": "ftp://example.org/x"},
        headers=bearer(tass_editor_token),
    )
    assert bad.status_code == 400 and bad.json()["error"]["detail"]["param"] == "url"
    client.post(
        "/api/v1/fact-checks",
        content=(FIXTURES / "webpage_graph.json").read_bytes(),
        headers={**JSONLD, **bearer(editor_token)},
    )
    # Reading needs no key.
    one = client.get(f"/api/v1/fact-checks/{fact_check['id']}")
    assert one.status_code == 200 and one.json()["claim"] == "Все школы Москвы закрыты на карантин"
    missing = client.get("/api/v1/fact-checks/0000")
    assert missing.status_code == 404 and missing.json()["error"]["number"] == "E710"
    page = client.get("/api/v1/fact-checks", params={"limit": 1}).json()
    assert len(page["fact_checks"]) == 1 and page["next_cursor"]
    rest = client.get("/api/v1/fact-checks", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert len(rest["fact_checks"]) == 1 and rest["next_cursor"] is None
    assert [f["member"] for f in client.get("/api/v1/fact-checks?member=tass").json()["fact_checks"]] == [
        "tass"
    ]
    assert [f["language"] for f in client.get("/api/v1/fact-checks?language=ru").json()["fact_checks"]] == [
        "ru"
    ]
    exported = client.get("/api/v1/fact-checks.jsonld")
    assert exported.headers["content-type"].startswith("application/ld+json")
    reviews = parse_claim_reviews(exported.content)
    assert {r.url for r in reviews} == {
        "https://tass.ru/proverka/schools",
        "https://www.irna.ir/factcheck/85012345",
    }
    feed = client.get("/api/v1/fact-checks/feed")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo and len(parsed.entries) == 2
    # Deleting: never another member's (it is "not found" to that key), always one's own.
    path = f"/api/v1/fact-checks/{fact_check['id']}"
    assert client.delete(path, headers=bearer(editor_token)).status_code == 404
    assert client.delete(path, headers=bearer(tass_editor_token)).status_code == 204
    assert client.get(path).status_code == 404


def test_match_item_matches_and_verify(
    client: TestClient,
    hub: Hub,
    member: MemberInfo,
    reader_token: str,
    tass: MemberInfo,
    tass_editor_token: str,
) -> None:
    created = client.post(
        "/api/v1/fact-checks", content=kirchner_review(), headers={**JSONLD, **bearer(tass_editor_token)}
    )
    assert created.status_code == 201, created.text
    review_id = created.json()["created"][0]["id"]
    persian = first_sentence(flores(8)["fa"])
    assert client.post("/api/v1/fact-checks/match", json={"text": persian}).status_code == 401
    answer = client.post("/api/v1/fact-checks/match", json={"text": persian}, headers=bearer(reader_token))
    assert answer.status_code == 200, answer.text
    [match] = answer.json()["matches"]
    assert (match["id"], match["rating"], match["url"]) == (review_id, "Ложь", "https://tass.ru/proverka/8")
    assert match["reviewer"]["name"] == "ТАСС Проверка" and match["score"] >= match["parts"]["similarity"]
    verified = client.post("/api/v1/verify", json={"text": persian}, headers=bearer(reader_token)).json()
    assert [f["id"] for f in verified["fact_checks"]] == [review_id]
    # An incoming Persian item of the same article gets the match recorded when it is enriched.
    headline, _, body = flores(8)["fa"].partition(". ")
    document = {
        "uri": "urn:irna:kirchner",
        "type": "text",
        "language": "fa",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
    }
    data = json.dumps(document, ensure_ascii=False).encode()
    item_id = hub.ingest_payload("irna", data, "application/ninjs+json", via="test").outcomes[0].item_id
    pipeline = Pipeline((LanguageComponent(), NormalizeComponent(), EmbedComponent(default_embedder())))
    QueueWorker(Enricher(hub.storage, pipeline, StorageIndexStage(hub.storage)), name="t").drain()
    matches = client.get(f"/api/v1/items/{item_id}/fact-checks", headers=bearer(reader_token))
    assert matches.status_code == 200, matches.text
    assert [m["id"] for m in matches.json()["fact_checks"]] == [review_id]
    missing = client.get("/api/v1/items/nope/fact-checks", headers=bearer(reader_token))
    assert missing.status_code == 404
