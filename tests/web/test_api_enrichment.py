"""Enrichment over HTTP: stories, search (text, semantic across languages, hybrid), an item's
enrichment record, enrichment in ninjs, and the reading rules (embargo, kills) on all of them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from web_helpers import MovableClock, assert_error, bearer, ninjs_bytes

import tabadol.demo
from tabadol.enrich.components import DatesComponent, EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import default_embedder
from tabadol.enrich.numbers import NumbersComponent
from tabadol.enrich.pipeline import Pipeline
from tabadol.enrich.worker import Enricher, QueueWorker
from tabadol.hub import Hub
from tabadol.index.indexer import StorageIndexStage
from tabadol.serialize import format_datetime
from tabadol.types import utc_now

FLORES = Path(tabadol.demo.__file__).parent / "data" / "flores" / "dev.jsonl"
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "ninjs" / "schema-ninjs-schema_3.1.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def articles(count: int) -> list[dict[str, str]]:
    with FLORES.open(encoding="utf-8") as lines:
        return [json.loads(line)["text"] for _, line in zip(range(count), lines, strict=False)]


def enrich_all(hub: Hub) -> None:
    pipeline = Pipeline(
        (
            LanguageComponent(),
            NormalizeComponent(),
            DatesComponent(),
            NumbersComponent(),
            EmbedComponent(default_embedder()),
        )
    )
    QueueWorker(Enricher(hub.storage, pipeline, StorageIndexStage(hub.storage)), name="t").drain()


def push(client: TestClient, token: str, guid: str, text: str, language: str, **extra: Any) -> str:
    headline, _, body = text.partition(". ")
    doc = ninjs_bytes(
        guid=guid,
        headline=headline,
        language=language,
        bodies=[{"role": "main", "contentType": "text/plain", "value": body}],
        versionCreated=format_datetime(utc_now()),
        **extra,
    )
    response = client.post(
        "/api/v1/items", content=doc, headers={**bearer(token), "Content-Type": "application/ninjs+json"}
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["items"][0]["id"])


@pytest.fixture
def corpus(client: TestClient, hub: Hub, editor_token: str, tass_editor_token: str) -> dict[str, str]:
    """Two FLORES articles: the first from IRNA in Persian and from TASS in Russian, the second in
    English; enriched."""
    first, second = articles(2)
    ids = {
        "fa": push(client, editor_token, "urn:irna:1", first["fa"], "fa"),
        "ru": push(client, tass_editor_token, "urn:tass:1", first["ru"], "ru"),
        "en2": push(client, tass_editor_token, "urn:tass:2", second["en"], "en"),
    }
    enrich_all(hub)
    return ids


def test_stories_list_and_one_story(client: TestClient, reader_token: str, corpus: dict[str, str]) -> None:
    response = client.get("/api/v1/stories", headers=bearer(reader_token))
    assert response.status_code == 200
    stories = response.json()["stories"]
    joint = next(s for s in stories if corpus["fa"] in s["item_ids"])
    assert set(joint["item_ids"]) == {corpus["fa"], corpus["ru"]}
    assert joint["languages"] == ["fa", "ru"] and joint["members"] == ["irna", "tass"]
    assert {item["id"] for item in joint["items"]} == {corpus["fa"], corpus["ru"]}
    one = client.get(f"/api/v1/stories/{joint['id']}", headers=bearer(reader_token)).json()
    assert one["id"] == joint["id"] and one["item_count"] == 2
    only_multi = client.get("/api/v1/stories?min_items=2", headers=bearer(reader_token)).json()["stories"]
    assert [s["id"] for s in only_multi] == [joint["id"]]
    assert_error(client.get("/api/v1/stories/st_nope", headers=bearer(reader_token)), 404, "story_not_found")


def test_items_carry_their_story_and_enrichment(
    client: TestClient, reader_token: str, corpus: dict[str, str]
) -> None:
    enrichment = client.get(f"/api/v1/items/{corpus['ru']}/enrichment", headers=bearer(reader_token)).json()
    assert enrichment["language"] == "ru"
    assert enrichment["story_id"].startswith("st_")
    assert enrichment["numbers"]
    assert set(enrichment["components"]) >= {"language", "normalize", "dates", "numbers", "embed"}
    document = client.get(f"/api/v1/items/{corpus['ru']}", headers=bearer(reader_token)).json()
    VALIDATOR.validate(document)
    assert {"role": "tabadol:story-id", "value": enrichment["story_id"]} in document["altIds"]


def test_semantic_search_finds_the_dispatch_in_other_languages(
    client: TestClient, reader_token: str, corpus: dict[str, str]
) -> None:
    [first] = articles(1)
    query = first["fa"].split(". ")[0]  # the Persian headline
    response = client.get(
        "/api/v1/search", params={"q": query, "mode": "semantic"}, headers=bearer(reader_token)
    )
    assert response.status_code == 200
    results = response.json()["results"]
    top_two = {r["item"]["altIds"][0]["value"] for r in results[:2]}
    assert top_two == {corpus["fa"], corpus["ru"]}
    for result in results:
        VALIDATOR.validate(result["item"])
    russian_only = client.get(
        "/api/v1/search",
        params={"q": query, "mode": "semantic", "language": "ru"},
        headers=bearer(reader_token),
    ).json()["results"]
    assert [r["item"]["language"] for r in russian_only] == ["ru"]


def test_text_and_hybrid_search(client: TestClient, reader_token: str, corpus: dict[str, str]) -> None:
    [first, second] = articles(2)
    word = max(second["en"].split(". ")[0].split(), key=len).strip(",.")
    text = client.get(
        "/api/v1/search", params={"q": word, "mode": "text"}, headers=bearer(reader_token)
    ).json()
    assert [r["item"]["altIds"][0]["value"] for r in text["results"]] == [corpus["en2"]]
    hybrid = client.get("/api/v1/search", params={"q": word}, headers=bearer(reader_token)).json()
    assert hybrid["mode"] == "hybrid"
    assert hybrid["results"][0]["item"]["altIds"][0]["value"] == corpus["en2"]
    assert hybrid["results"][0]["match"]["text_rank"] == 1
    refused = client.get(
        "/api/v1/search", params={"q": "x", "mode": "telepathy"}, headers=bearer(reader_token)
    )
    assert refused.status_code == 400 and refused.json()["error"]["detail"]["param"] == "mode"


def test_embargoed_and_killed_items_are_absent_from_stories_and_search(
    client: TestClient,
    hub: Hub,
    clock: MovableClock,
    editor_token: str,
    tass_editor_token: str,
    reader_token: str,
) -> None:
    [first] = articles(1)
    until = format_datetime(utc_now() + timedelta(hours=2))
    embargoed = push(client, editor_token, "urn:irna:e", first["fa"], "fa", embargoedUntil=until)
    visible = push(client, tass_editor_token, "urn:tass:v", first["ru"], "ru")
    enrich_all(hub)
    query = {"q": first["en"].split(". ")[0], "mode": "semantic"}

    def found() -> set[str]:
        results = client.get("/api/v1/search", params=query, headers=bearer(reader_token)).json()["results"]
        return {r["item"]["altIds"][0]["value"] for r in results}

    def story_items() -> set[str]:
        stories = client.get("/api/v1/stories", headers=bearer(reader_token)).json()["stories"]
        return {item_id for story in stories for item_id in story["item_ids"]}

    assert found() == {visible} and story_items() == {visible}
    clock.offset = timedelta(hours=3)
    assert found() == {embargoed, visible} and story_items() == {embargoed, visible}
    killed = client.post(f"/api/v1/items/{visible}/kill", headers=bearer(tass_editor_token))
    assert killed.status_code == 201, killed.text
    enrich_all(hub)
    assert found() == {embargoed} and story_items() == {embargoed}


def test_stories_page_with_a_cursor(client: TestClient, reader_token: str, corpus: dict[str, str]) -> None:
    everything = client.get("/api/v1/stories", headers=bearer(reader_token)).json()["stories"]
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/stories", params=params, headers=bearer(reader_token)).json()
        seen += [story["id"] for story in page["stories"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [story["id"] for story in everything] and len(seen) == 2
    refused = client.get("/api/v1/stories", params={"cursor": "not-a-cursor"}, headers=bearer(reader_token))
    assert_error(refused, 400, "invalid_cursor")


def test_stories_and_items_carry_their_corroboration(
    client: TestClient, reader_token: str, tass_editor_token: str, corpus: dict[str, str]
) -> None:
    stories = client.get("/api/v1/stories", headers=bearer(reader_token)).json()["stories"]
    joint = next(s for s in stories if corpus["fa"] in s["item_ids"])
    corroboration = joint["corroboration"]
    assert corroboration["count"] == 2 and corroboration["republications"] == []
    assert corroboration["first"] == {"member": "irna", "item_id": corpus["fa"]}  # pushed first
    assert [entry["member"] for entry in corroboration["independent"]] == ["irna", "tass"]
    # TASS takes IRNA's item: its Russian item came before the take, so it still counts.
    taken = client.post(f"/api/v1/items/{corpus['fa']}/take", headers=bearer(tass_editor_token))
    assert taken.status_code in (200, 201), taken.text
    on_item = client.get(f"/api/v1/items/{corpus['ru']}/corroboration", headers=bearer(reader_token)).json()
    assert on_item["story_id"] == joint["id"] and on_item["count"] == 2
    alone = client.get(f"/api/v1/items/{corpus['en2']}/corroboration", headers=bearer(reader_token)).json()
    assert alone["count"] == 1 and alone["independent"][0]["member"] == "tass"
    by_story = client.get(f"/api/v1/stories/{joint['id']}/corroboration", headers=bearer(reader_token)).json()
    assert by_story["count"] == 2
