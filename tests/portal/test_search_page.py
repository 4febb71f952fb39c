"""The search page: words and meaning across languages, filters and their counts, paging, the empty
page, mistyped query strings, the reading rules (no embargoed, no killed item) and the .json twin."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from search_support import (
    MovableClock,
    add_members,
    by_class,
    enrich,
    flores,
    page,
    push,
    split,
    text_of,
)

from sql_statements import statements_run
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.types import ItemQuery, utc_now
from tabadol.web.app import create_app
from tabadol.web.portal.catalog import catalog
from tabadol.web.portal.pages import search_data
from tabadol.web.portal.pages.search_data import snippet, terms_of


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def site(hub: Hub, clock: MovableClock) -> Iterator[TestClient]:
    with TestClient(
        create_app(hub, clock=clock), raise_server_exceptions=False, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def corpus(hub: Hub) -> dict[str, str]:
    """FLORES article 0 from IRNA (Persian), TASS (Russian) and AzerTAc (Azerbaijani); article 1 from
    TASS in English and Russian; article 2 from IRNA in English. Enriched."""
    add_members(hub)
    now = utc_now() - timedelta(hours=1)
    first, second, third = flores(0), flores(1), flores(2)
    ids = {
        "fa": push(hub, "irna", "urn:irna:0", first["fa"], "fa", now),
        "ru": push(hub, "tass", "urn:tass:0", first["ru"], "ru", now + timedelta(minutes=5)),
        "az": push(hub, "azertac", "urn:azertac:0", first["az"], "az", now + timedelta(minutes=9)),
        "en1": push(hub, "tass", "urn:tass:1", second["en"], "en", now + timedelta(minutes=20)),
        "ru1": push(hub, "tass", "urn:tass:1ru", second["ru"], "ru", now + timedelta(minutes=21)),
        "en2": push(hub, "irna", "urn:irna:2", third["en"], "en", now + timedelta(minutes=30)),
    }
    enrich(hub)
    return ids


def hits_of(html: str) -> list[Any]:
    return by_class(page(html), "search-hit")


def hit_ids(html: str) -> list[str]:
    return [hit.get("data-item") for hit in hits_of(html)]


def test_a_persian_query_finds_the_russian_and_azerbaijani_reports(
    site: TestClient, corpus: dict[str, str]
) -> None:
    headline, _ = split(flores(0)["fa"])
    response = site.get("/fa/search", params={"q": headline})
    assert response.status_code == 200
    root = page(response.text)
    assert root.get("dir") == "rtl" and root.get("lang") == "fa"
    found = hit_ids(response.text)
    assert {corpus["fa"], corpus["ru"], corpus["az"]} <= set(found)
    russian = next(hit for hit in hits_of(response.text) if hit.get("data-item") == corpus["ru"])
    [headline_link] = by_class(russian, "hit-headline")[0].xpath(".//a")
    assert headline_link.get("lang") == "ru" and headline_link.get("dir") == "auto"
    assert "agency-text" in headline_link.get("class")
    assert headline_link.get("href") == f"/fa/item/{corpus['ru']}"
    [found_by] = by_class(russian, "hit-found")
    assert found_by.get("data-found") == "meaning"
    assert text_of(found_by) == catalog("fa")["search.found.meaning"]
    assert by_class(russian, "hit-member") and text_of(by_class(russian, "hit-member")[0]) == "تاس"
    assert russian.xpath(".//time/@datetime")
    # The Persian item holds the words themselves: found both ways, the words marked in its snippet.
    persian = next(hit for hit in hits_of(response.text) if hit.get("data-item") == corpus["fa"])
    assert by_class(persian, "hit-found")[0].get("data-found") == "both"


def test_words_only_and_meaning_only(site: TestClient, corpus: dict[str, str]) -> None:
    word = max(split(flores(1)["en"])[0].split(), key=len).strip(",.")
    by_words = site.get("/en/search", params={"q": word, "mode": "words"})
    assert hit_ids(by_words.text) == [corpus["en1"]]
    [hit] = hits_of(by_words.text)
    assert by_class(hit, "hit-found")[0].get("data-found") == "words"
    marked = hit.xpath('.//*[contains(@class, "hit-snippet")]//mark | .//*[contains(@class, "hit-snippet")]')
    assert marked
    headline, _ = split(flores(0)["fa"])
    by_meaning = site.get("/en/search", params={"q": headline, "mode": "meaning"})
    assert corpus["ru"] in hit_ids(by_meaning.text)
    assert {by_class(h, "hit-found")[0].get("data-found") for h in hits_of(by_meaning.text)} == {"meaning"}
    checked = page(by_meaning.text).xpath('//input[@name="mode"][@checked]/@value')
    assert checked == ["meaning"]


def test_facets_count_the_results(site: TestClient, corpus: dict[str, str]) -> None:
    response = site.get("/en/search.json", params={"member": "tass"})
    assert response.status_code == 200
    outcome = response.json()["outcome"]
    assert {hit["item_id"] for hit in outcome["hits"]} == {corpus["ru"], corpus["en1"], corpus["ru1"]}
    facets = {facet["name"]: {v["value"]: v["count"] for v in facet["values"]} for facet in outcome["facets"]}
    assert facets["language"] == {"ru": 2, "en": 1}
    assert facets["member"] == {"tass": 3}
    assert sum(facets["day"].values()) == 3
    # The same counts on the page, next to each value, and the selected member marked.
    root = page(site.get("/en/search", params={"member": "tass"}).text)
    [languages] = by_class(root, "facet-language")
    shown = {
        link.get("data-value"): text_of(by_class(link, "facet-count")[0])
        for link in by_class(languages, "facet-value")
    }
    assert shown == {"ru": "2", "en": "1"}
    [member] = by_class(by_class(root, "facet-member")[0], "facet-value")
    assert member.get("aria-current") == "true" and "is-selected" in member.get("class")


def test_every_facet_counts_what_its_filter_keeps(site: TestClient, corpus: dict[str, str]) -> None:
    headline, _ = split(flores(0)["en"])
    outcome = site.get("/en/search.json", params={"q": headline}).json()["outcome"]
    total = outcome["total"]
    assert total == len(outcome["hits"]) >= 3
    for facet in outcome["facets"]:
        for value in facet["values"]:
            narrowed = site.get("/en/search.json?" + value["query"]).json()["outcome"]
            assert narrowed["total"] == value["count"], (facet["name"], value["value"])
            assert narrowed["total"] <= total


def test_facet_links_and_the_form_filter_alike(site: TestClient, corpus: dict[str, str]) -> None:
    root = page(site.get("/en/search", params={"member": "tass"}).text)
    russian = next(
        link
        for link in by_class(by_class(root, "facet-language")[0], "facet-value")
        if link.get("data-value") == "ru"
    )
    query = parse_qs(urlsplit(russian.get("href")).query)
    assert query == {"member": ["tass"], "language": ["ru"]}
    followed = site.get(russian.get("href"))
    assert set(hit_ids(followed.text)) == {corpus["ru"], corpus["ru1"]}
    submitted = site.get("/en/search?member=tass&language=ru")  # what the form's checkboxes send
    assert set(hit_ids(submitted.text)) == set(hit_ids(followed.text))
    form = page(followed.text).xpath('//form[contains(@class, "search-form")]')[0]
    assert form.get("method") == "get" and form.get("action") == "/en/search"
    assert form.xpath('.//input[@name="language"][@value="ru"]/@checked') is not None
    assert form.xpath('.//input[@name="member"][@value="tass"][@checked]')
    for field in form.xpath(".//input[@type!='hidden' and @type!='radio' and @type!='checkbox']"):
        assert form.xpath(f'.//label[@for="{field.get("id")}"]'), field.get("name")


def test_date_filter_is_a_day_of_the_readers_time_zone(
    site: TestClient, hub: Hub, corpus: dict[str, str]
) -> None:
    item = hub.storage.get_item(corpus["en2"])
    assert item is not None
    day = item.version_created.date().isoformat()
    found = site.get("/en/search.json", params={"from": day, "to": day}).json()["outcome"]
    assert corpus["en2"] in {hit["item_id"] for hit in found["hits"]}
    earlier = (item.version_created - timedelta(days=3)).date().isoformat()
    none = site.get("/en/search.json", params={"from": earlier, "to": earlier}).json()["outcome"]
    assert none["total"] == 0 and none["hits"] == []
    html = site.get("/en/search", params={"from": earlier, "to": earlier}).text
    assert by_class(page(html), "search-none")


def test_the_empty_query_is_a_helpful_page(site: TestClient, corpus: dict[str, str]) -> None:
    for code in ("en", "fa", "ru"):
        response = site.get(f"/{code}/search")
        assert response.status_code == 200
        root = page(response.text)
        assert by_class(root, "search-help") and not by_class(root, "search-results")
        assert catalog(code)["search.help.languages"] in text_of(root)
        assert root.xpath('//nav[contains(@class, "site-nav")]//a[@aria-current="page"]/@href') == [
            f"/{code}/search"
        ]
    assert site.get("/en/search.json").json()["outcome"] is None


def test_mistyped_query_strings_are_explained_on_the_page(site: TestClient, corpus: dict[str, str]) -> None:
    response = site.get(
        "/ru/search", params={"q": "море", "from": "yesterday", "mode": "telepathy", "page": "x"}
    )
    assert response.status_code == 200
    [problems] = by_class(page(response.text), "search-problems")
    assert problems.get("role") == "alert"
    said = text_of(problems)
    assert catalog("ru")["search.error.date"] in said and catalog("ru")["search.error.mode"] in said
    assert page(response.text).xpath('//input[@name="q"]/@value') == ["море"]
    long = site.get("/en/search.json", params={"q": "x" * 600}).json()
    assert len(long["form"]["q"]) == search_data.MAX_QUERY_CHARS
    assert "search.error.too_long" in long["problems"]


def test_embargoed_and_killed_items_are_never_found(
    site: TestClient, hub: Hub, clock: MovableClock, corpus: dict[str, str]
) -> None:
    article = flores(0)
    until = utc_now() + timedelta(hours=2)
    embargoed = push(
        hub, "irna", "urn:irna:embargo", article["en"], "en", utc_now(), embargoed=format_datetime(until)
    )
    enrich(hub)
    hub.kill_item(corpus["ru"], OPERATOR)
    enrich(hub)
    headline, _ = split(article["en"])
    for mode in ("both", "words", "meaning"):
        found = set(hit_ids(site.get("/en/search", params={"q": headline, "mode": mode}).text))
        assert embargoed not in found and corpus["ru"] not in found, mode
    assert corpus["ru"] not in set(hit_ids(site.get("/en/search", params={"member": "tass"}).text))
    clock.offset = timedelta(hours=3)
    assert embargoed in set(hit_ids(site.get("/en/search", params={"q": headline, "mode": "words"}).text))


def test_results_come_in_pages(
    site: TestClient, corpus: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_data, "PAGE_SIZE", 2)
    seen: list[str] = []
    url = "/en/search?language=en&language=ru"
    while url:
        root = page(site.get(url).text)
        seen += [hit.get("data-item") for hit in by_class(root, "search-hit")]
        following = root.xpath('//a[@rel="next"]/@href')
        url = following[0] if following else ""
    expected = {corpus["ru"], corpus["en1"], corpus["ru1"], corpus["en2"]}
    assert len(seen) == len(set(seen)) == 4 and set(seen) == expected
    last = page(site.get("/en/search?language=en&language=ru&page=2").text)
    assert last.xpath('//a[@rel="prev"]/@href') and not last.xpath('//a[@rel="next"]')


def test_a_search_runs_a_fixed_number_of_queries(site: TestClient, hub: Hub, corpus: dict[str, str]) -> None:
    headline, _ = split(flores(0)["en"])
    site.get("/en/search", params={"q": headline})  # the model and the vector index load once
    with statements_run(hub.storage) as few:
        narrow = site.get("/en/search", params={"q": headline, "member": "irna"})
    with statements_run(hub.storage) as many:
        wide = site.get("/en/search", params={"q": headline})
    assert len(hit_ids(wide.text)) > len(hit_ids(narrow.text)) >= 1
    selects = [statement for statement in many if statement.lstrip().upper().startswith("SELECT")]
    # members, word matches (on SQLite with the recent-items probe first), vector index catch-up and
    # rows, meaning matches, topics and entities, the page's items: however many hits.
    assert len(many) == len(few) and len(selects) <= 8


def test_the_store_reads_behind_search(hub: Hub, corpus: dict[str, str]) -> None:
    items = hub.storage.get_items([corpus["fa"], corpus["ru"], "nope"])
    assert set(items) == {corpus["fa"], corpus["ru"]} and items[corpus["ru"]].language == "ru"
    word = max(split(flores(1)["en"])[0].split(), key=len).strip(",.")
    query = ItemQuery(now=utc_now())
    assert [h.id for h in hub.storage.match_heads(query, (word.upper(),), 10)] == [corpus["en1"]]
    both = hub.storage.match_heads(query, (), 10, ids=[corpus["fa"], corpus["en2"], "nope"])
    assert [h.id for h in both] == [corpus["en2"], corpus["fa"]]  # newest first
    data = hub.storage.component_data([corpus["fa"]], ("topics", "entities"))
    assert set(data[corpus["fa"]]) <= {"topics", "entities"} and data[corpus["fa"]]


def test_snippets_mark_the_words_whatever_their_spelling() -> None:
    parts = snippet("خبرگزاری ايرنا گزارش داد که کشتی جدید به بندر رسید.", terms_of("ایرنا"))
    assert [part.text for part in parts if part.match] == ["ايرنا"]
    long = " ".join(f"w{n}" for n in range(100)) + " Caspian " + " ".join(f"v{n}" for n in range(100))
    parts = snippet(long, terms_of("caspian"))
    assert parts[0].text.startswith("…") and parts[-1].text.endswith("…")
    assert [part.text for part in parts if part.match] == ["Caspian"]
    assert terms_of('ferry "Caspian Sea" port') == ("ferry", "Caspian Sea", "port")
    assert terms_of('паром «Каспийское море» " ') == ("паром", "Каспийское море")
    assert Counter(part.match for part in snippet("no match here", ("zzz",))) == Counter({False: 1})
