"""The public pages' rules: killed and embargoed items appear nowhere (an embargoed one until the clock
passes its embargo), machine translations only with a configured backend and always labelled,
paging, errors in the reader's language, and a page's cost in queries that does not grow with it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from public_scenario import Exchange, build, classes, client, page, place, push

from sql_statements import statements_run
from tabadol.hub import Hub
from tabadol.storage import index
from tabadol.types import utc_now
from tabadol.web.portal.pages import public


@pytest.fixture
def exchange(hub: Hub) -> Exchange:
    return build(hub)


@pytest.fixture
def site_of(exchange: Exchange) -> Iterator[TestClient]:
    yield from client(exchange)


def public_paths(exchange: Exchange) -> list[str]:
    pages = [
        "/{lang}/",
        f"/{{lang}}/story/{exchange.story}",
        f"/{{lang}}/item/{exchange.az}",
        f"/{{lang}}/item/{exchange.ru}",
        "/{lang}/topic/20000337",
        "/{lang}/topic/04000000",
        "/{lang}/country/AZ",
        "/{lang}/country/KZ",
        "/{lang}/country/RU",
        "/{lang}/member/azertac",
        "/{lang}/member/tass",
        "/{lang}/countries",
    ]
    return [path.format(lang=code) for code in ("en", "fa") for path in pages]


def twin(path: str) -> str:
    return path.rstrip("/") + ("/index.json" if path.endswith("/") else ".json")


def visible_everywhere(site: TestClient, exchange: Exchange, item_ids: Sequence[str]) -> dict[str, list[str]]:
    """Which of the items each public page (and its .json twin) mentions."""
    seen: dict[str, list[str]] = {}
    for path in public_paths(exchange):
        for url in (path, twin(path)):
            response = site.get(url)
            assert response.status_code == 200, url
            seen[url] = [item_id for item_id in item_ids if item_id in response.text]
    return seen


def test_killed_and_embargoed_items_appear_nowhere(site_of: TestClient, exchange: Exchange) -> None:
    hidden = [exchange.killed, exchange.embargoed]
    assert all(found == [] for found in visible_everywhere(site_of, exchange, hidden).values())
    for item_id in hidden:  # not even their existence: the same 404 as an unknown id
        for url in (f"/en/item/{item_id}", f"/en/item/{item_id}.json"):
            assert site_of.get(url).status_code == 404
    for text in ("Ошибочное", "Embarqolu", "Gizli"):
        assert text not in site_of.get(f"/en/story/{exchange.story}").text
    # The embargoed item names Kazakhstan; until it is released no item is counted there.
    kazakhstan = site_of.get("/en/countries.json").json()["countries"][2]
    assert kazakhstan["country"]["code"] == "KZ" and kazakhstan["items"] == 0


def test_an_embargoed_item_appears_once_the_clock_passes(site_of: TestClient, exchange: Exchange) -> None:
    assert site_of.get(f"/en/item/{exchange.embargoed}").status_code == 404
    exchange.clock.now = utc_now() + timedelta(hours=2)
    tree = page(site_of, f"/en/story/{exchange.story}")
    assert exchange.embargoed in [v.get("data-item-id") for v in classes(tree, "story-version")]
    assert page(site_of, f"/en/item/{exchange.embargoed}") is not None
    assert exchange.embargoed in site_of.get("/en/country/KZ").text
    assert exchange.embargoed in site_of.get("/en/member/azertac.json").text
    seen = visible_everywhere(site_of, exchange, [exchange.killed])
    assert all(found == [] for found in seen.values())  # the kill stays


class EchoTranslator:
    """A translation backend that marks what it translated (no model needed)."""

    name = "http"
    model_id = "echo-1"
    languages = None

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.calls.append((source, target))
        return [f"[{target}] {text}" for text in texts]


def test_machine_translations_are_offered_and_labelled_with_a_backend(exchange: Exchange) -> None:
    translator = EchoTranslator()
    for site in client(exchange, translator=translator):
        story = page(site, f"/en/story/{exchange.story}")
        offers = [a.get("href") for a in classes(story, "translate-offer") for a in a.iter("a")]
        assert offers == [
            f"/en/item/{item}?translation=1" for item in (exchange.fa, exchange.ru, exchange.az)
        ]
        item = page(site, f"/en/item/{exchange.ru}?translation=1")
        block = classes(item, "machine-translation")[0]
        label = block.find_class("translation-label")[0].text_content()
        assert label == "Machine translation ru→en (http: echo-1), not the agency's text"
        assert block.find(".//div").get("lang") == "en"
        assert "[en] Новая паромная линия на Каспии" in block.text_content()
        assert classes(item, "item-text")[0].text_content().strip() == "Паром вышел из Астрахани."
        assert translator.calls == [("ru", "en")]
        # Stored apart from the item: the story now shows it, labelled, without asking again.
        story = page(site, f"/en/story/{exchange.story}")
        shown = [v for v in classes(story, "story-version") if v.get("data-item-id") == exchange.ru][0]
        assert shown.find_class("translation-label") and not shown.find_class("translate-offer")
        page(site, f"/ru/item/{exchange.ru}?translation=1")  # already in the reader's language
        assert translator.calls == [("ru", "en")]


def test_lists_page_with_cursors(
    site_of: TestClient, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(public, "LIST_PAGE", 2)
    first = page(site_of, "/en/topic/20000337")
    assert [line.get("data-item-id") for line in classes(first, "item-line")] == [exchange.az, exchange.ru]
    older = classes(first, "pager-next")[0].get("href")
    assert not classes(first, "pager-first")
    second = page(site_of, "/en/topic/20000337" + older)
    assert [line.get("data-item-id") for line in classes(second, "item-line")] == [exchange.fa]
    assert not classes(second, "pager-next") and classes(second, "pager-first")


def test_the_home_page_pages_through_a_busy_day(
    site_of: TestClient, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(public, "HOME_STORIES", 1)
    first = page(site_of, "/en/")
    assert [c.get("data-story-id") for c in classes(first, "story-card")] == [exchange.story]
    pager = [a for a in classes(first, "pager")[0].iter("a")]
    assert [a.get("aria-current") for a in pager] == ["page", None]
    second = page(site_of, "/en/" + pager[1].get("href"))
    assert [c.get("data-story-id") for c in classes(second, "story-card")] == [exchange.solo_story]


def test_a_quiet_day_shows_the_latest_day_with_stories(site_of: TestClient, exchange: Exchange) -> None:
    exchange.clock.now = utc_now() + timedelta(days=3)
    data_ = site_of.get("/en/index.json").json()
    assert data_["ranking"] == [exchange.story, exchange.solo_story]
    assert data_["is_today"] is False and data_["next_day"] is not None
    past = site_of.get("/en/index.json?day=2020-01-01").json()
    assert past["ranking"] == [] and past["day"] == "2020-01-01"


@pytest.mark.parametrize(
    "path",
    [
        "/fa/story/st_nothing",
        "/fa/item/it_nothing",
        "/fa/topic/99999999",
        "/fa/country/XX",
        "/fa/member/nobody",
    ],
)
def test_unknown_things_are_404_pages_in_the_readers_language(site_of: TestClient, path: str) -> None:
    response = site_of.get(path)
    assert response.status_code == 404 and '<html lang="fa" dir="rtl">' in response.text
    assert site_of.get(path + ".json").status_code == 404


def test_a_bad_day_is_refused_and_case_and_merges_redirect(site_of: TestClient, exchange: Exchange) -> None:
    refused = site_of.get("/en/?day=yesterday")
    assert refused.status_code == 400 and "E307" in refused.text
    assert site_of.get("/en/country/az").headers["location"] == "/en/country/AZ"
    survivor = exchange.story
    with exchange.hub.storage.index_transaction() as connection:
        moved = index.put_in_story(
            connection, exchange.solo, exchange.solo_story, (survivor,), 5.0, exchange.at, utc_now()
        )
    assert moved == survivor
    redirect = site_of.get(f"/en/story/{exchange.solo_story}")
    assert redirect.status_code == 301 and redirect.headers["location"] == f"/en/story/{survivor}"
    assert (
        site_of.get(f"/en/story/{exchange.solo_story}.json").headers["location"]
        == f"/en/story/{survivor}.json"
    )


def test_pages_cost_the_same_queries_for_many_stories(site_of: TestClient, exchange: Exchange) -> None:
    hub = exchange.hub
    with statements_run(hub.storage) as before:
        site_of.get("/en/")
        site_of.get("/en/topic/20000337")
    few = len(before)
    for n in range(40):  # forty more stories, each reported by two members
        at = exchange.at + timedelta(seconds=n)
        a = push(hub, "irna", f"urn:irna:x{n}", "fa", f"خبر {n}", "متن", at)
        b = push(hub, "tass", f"urn:tass:x{n}", "ru", f"Новость {n}", "Текст", at)
        story = place(hub, a, "irna", "fa", at, None)
        place(hub, b, "tass", "ru", at, story)
    with statements_run(hub.storage) as statements:
        site_of.get("/en/")
        site_of.get("/en/topic/20000337")
    assert len(statements) <= few + 4, statements


def test_ranking_looks_past_stories_whose_members_only_copied(
    site_of: TestClient, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story with many members can rank below one with fewer when its members only republished:
    the home page must still find the most corroborated story when it starts with few candidates."""
    from tabadol.types import ItemLink
    from tabadol.web.portal.pages import public_views

    hub = exchange.hub
    at = exchange.at + timedelta(minutes=20)  # the most recent: first among equals
    copied = []
    for n in range(2):  # two stories, three members each, two of them copying the first
        ids = [
            push(hub, member, f"urn:{member}:copy{n}", language, f"copy {n} {member}", "same text", at)
            for member, language in (("irna", "fa"), ("tass", "ru"), ("azertac", "az"))
        ]
        story = place(hub, ids[0], "irna", "fa", at, None)
        for item_id, member, language in zip(ids[1:], ("tass", "azertac"), ("ru", "az"), strict=True):
            place(hub, item_id, member, language, at, story)
        with hub.storage.index_transaction() as connection:
            for item_id in ids[1:]:
                index.save_link(connection, ItemLink(item_id, "near_duplicate", ids[0], 0.97, utc_now()))
        copied.append(story)
    monkeypatch.setattr(public_views, "FIRST_CANDIDATES", 1)
    monkeypatch.setattr(public, "HOME_STORIES", 1)
    assert site_of.get("/en/index.json").json()["ranking"] == [exchange.story]
    second = site_of.get("/en/index.json?page=2").json()["ranking"]
    assert second[0] in copied  # independent reporters: 1 each, but three members
