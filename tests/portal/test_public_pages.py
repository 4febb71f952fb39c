"""The public pages: the home page's day of stories by topic and country, the story page with every
member's version side by side, the item page, the topic, country and member pages and their `.json`
twins, in left-to-right and right-to-left interfaces."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from public_scenario import TRANSPORT, Exchange, build, classes, client, page, push

from tabadol.hub import Hub
from tabadol.storage import index
from tabadol.storage.claims import StoredClaimMatch, StoredClaimReview
from tabadol.types import ItemLink, utc_now


@pytest.fixture
def exchange(hub: Hub) -> Exchange:
    return build(hub)


@pytest.fixture
def site_of(exchange: Exchange) -> Iterator[TestClient]:
    yield from client(exchange)


def test_home_ranks_the_days_stories_by_corroboration_and_groups_them(
    site_of: TestClient, exchange: Exchange
) -> None:
    tree = page(site_of, "/en/")
    cards = classes(tree, "story-card")
    assert [card.get("data-story-id") for card in cards] == [exchange.story, exchange.solo_story]
    top = cards[0]
    assert "Independent reporters: 3" in top.text_content()
    link = top.find_class("story-headline")[0].find("a")
    # No member wrote in English: the first reporter's headline, in its own language and direction.
    assert (link.get("lang"), link.get("dir")) == ("fa", "rtl")
    assert link.text_content() == "خط کشتیرانی تازه در دریای خزر"
    assert link.get("href") == f"/en/story/{exchange.story}"
    members = [a.text_content() for a in top.find_class("member-link")]
    assert members == ["IRNA", "TASS", "AzerTAc"]  # first reporter first
    assert {b.get("data-language") for b in top.find_class("language-badge")} == {"fa", "ru", "az"}
    assert top.find(".//time").get("datetime").endswith("Z")
    sections = classes(tree, "topic-section")
    assert [s.get("data-topic") for s in sections] == ["20000337", "20000038"]  # transport, culture
    assert sections[0].find_class("topic-link")[0].get("href") == "/en/topic/20000337"
    countries = [s.get("data-country") for s in classes(tree, "country-section")]
    assert countries == ["AZ", "IR", "RU"]  # the Caspian states in their fixed order
    latest = [line.get("data-item-id") for line in classes(tree, "item-line")]
    assert exchange.fa in latest and exchange.solo in latest


def test_the_readers_language_headline_is_chosen_when_a_member_wrote_one(
    site_of: TestClient, exchange: Exchange
) -> None:
    for code, expected in (("ru", "Новая паромная линия на Каспии"), ("az", "Xəzərdə yeni bərə xətti")):
        top = classes(page(site_of, f"/{code}/"), "story-card")[0]
        link = top.find_class("story-headline")[0].find("a")
        assert (link.text_content(), link.get("lang"), link.get("dir")) == (expected, code, "ltr")


def test_the_home_page_json_twin(site_of: TestClient, exchange: Exchange) -> None:
    data = site_of.get("/en/index.json").json()
    assert data["page"] == "public/home" and data["lang"] == "en"
    assert data["ranking"] == [exchange.story, exchange.solo_story]
    first = data["topics"][0]
    assert first["topic"]["code"] == TRANSPORT and first["stories"][0]["independent"] == 3
    assert first["stories"][0]["first_member"]["code"] == "irna"
    assert [c["country"]["code"] for c in data["countries"]] == ["AZ", "IR", "RU"]
    assert data["story_count"] == 2


def test_a_story_shows_every_members_version_side_by_side(site_of: TestClient, exchange: Exchange) -> None:
    tree = page(site_of, f"/en/story/{exchange.story}")
    versions = classes(tree, "story-version")
    texts = [v.find_class("version-text")[0] for v in versions]
    assert [(t.get("lang"), t.get("dir")) for t in texts] == [("fa", "rtl"), ("ru", "ltr"), ("az", "ltr")]
    assert [v.get("data-item-id") for v in versions] == [exchange.fa, exchange.ru, exchange.az]
    assert "first-reporter" in versions[0].get("class")
    # Plain text keeps its paragraphs; every version carries its member, time and signature.
    assert [p.text_content() for p in texts[0].findall("p")] == ["کشتی از بندر انزلی", "راه افتاد"]
    for version in versions:
        assert version.find_class("member-link") and version.find(".//time") is not None
        assert version.find_class("signature")[0].get("data-status") == "hub-signed"
    # No translation backend: nothing about translation.
    assert not classes(tree, "translate-offer") and not classes(tree, "machine-translation")


def test_the_readers_language_version_comes_first(site_of: TestClient, exchange: Exchange) -> None:
    for code, first in (("ru", exchange.ru), ("az", exchange.az), ("fa", exchange.fa)):
        versions = classes(page(site_of, f"/{code}/story/{exchange.story}"), "story-version")
        assert versions[0].get("data-item-id") == first
        assert "reader-language" in versions[0].get("class")


def test_the_story_timeline_marks_the_first_reporter_and_the_kill(
    site_of: TestClient, exchange: Exchange
) -> None:
    tree = page(site_of, f"/en/story/{exchange.story}")
    events = [(e.get("data-kind"), e.get("data-item-id")) for e in classes(tree, "timeline-event")]
    assert events[0] == ("first_report", exchange.fa)
    assert ("report", exchange.ru) in events and ("report", exchange.az) in events
    kills = [e for e in classes(tree, "timeline-event") if e.get("data-kind") == "kill"]
    assert len(kills) == 1 and "TASS withdrew a report" in kills[0].text_content()
    assert kills[0].find(".//a") is None  # the kill is an event, its item is not shown


def test_persian_pages_are_right_to_left(site_of: TestClient, exchange: Exchange) -> None:
    for path in (
        "/fa/",
        f"/fa/story/{exchange.story}",
        f"/fa/item/{exchange.ru}",
        "/fa/topics",
        "/fa/countries",
    ):
        tree = page(site_of, path)
        assert (tree.get("lang"), tree.get("dir")) == ("fa", "rtl"), path
    tree = page(site_of, f"/fa/item/{exchange.ru}")
    text = classes(tree, "item-text")[0]
    assert (text.get("lang"), text.get("dir")) == ("ru", "ltr")  # agency text keeps its own direction
    member = classes(tree, "member-link")[0]
    assert member.text_content() == "تاس"  # the member's Persian name


def test_the_item_page(site_of: TestClient, exchange: Exchange) -> None:
    corrected = "Паром вышел из Астрахани в Баку."
    push(
        exchange.hub,
        "tass",
        "urn:tass:1",
        "ru",
        "Новая паромная линия на Каспии",
        corrected,
        exchange.at + timedelta(minutes=20),
    )
    tree = page(site_of, f"/en/item/{exchange.ru}")
    assert classes(tree, "item-headline")[0].text_content() == "Новая паромная линия на Каспии"
    assert classes(tree, "item-text")[0].text_content().strip() == corrected
    attribution = classes(tree, "item-attribution")[0]
    assert "TASS" in attribution.text_content()
    assert (
        attribution.find_class("original-bytes-link")[0].get("href")
        == f"/api/v1/items/{exchange.ru}/original"
    )
    versions = classes(tree, "item-version")
    assert [v.get("data-version") for v in versions] == ["2", "1"]
    assert versions[0].find_class("change-body") and versions[1].find_class("change-first")
    signed = [a.get("href") for a in tree.find_class("signed-link")]
    assert signed == [
        f"/api/v1/items/{exchange.ru}/versions/2/signed",
        f"/api/v1/items/{exchange.ru}/versions/1/signed",
    ]
    assert classes(tree, "keys-link")[0].get("href") == "/.well-known/tabadol-keys.json"
    assert not classes(page(site_of, f"/en/item/{exchange.ru}?translation=1"), "machine-translation")
    assert not classes(tree, "translate-offer")  # no backend configured: nothing about translation
    related = {line.get("data-item-id") for line in classes(tree, "related-story")}
    assert related == {exchange.fa, exchange.az}
    assert classes(tree, "story-link")[0].get("href") == f"/en/story/{exchange.story}"
    topics = [a.get("href") for a in classes(tree, "topic-link")]
    assert "/en/topic/20000337" in topics
    assert [a.get("href") for a in classes(tree, "country-link")] == ["/en/country/RU"]
    data = site_of.get(f"/en/item/{exchange.ru}.json").json()
    assert data["item"]["language"] == "ru" and len(data["versions"]) == 2
    assert data["versions"][0]["signature"]["status"] == "hub-signed"


def test_topic_country_and_member_pages(site_of: TestClient, exchange: Exchange) -> None:
    transport = page(site_of, "/en/topic/20000337")
    assert {line.get("data-item-id") for line in classes(transport, "item-line")} == {
        exchange.fa,
        exchange.ru,
        exchange.az,
    }
    assert classes(transport, "topic-page")[0].find(".//h1").text_content() == "transport"
    assert page(site_of, "/ru/topic/medtop:20000337").find(".//h1").text_content() == "транспорт"
    parent = page(site_of, "/en/topic/04000000")  # a broader topic takes in its narrower ones
    assert {line.get("data-item-id") for line in classes(parent, "item-line")} == {
        exchange.fa,
        exchange.ru,
        exchange.az,
    }
    azerbaijan = page(site_of, "/en/country/AZ")
    assert [line.get("data-item-id") for line in classes(azerbaijan, "item-line")] == [exchange.az]
    assert [a.text_content() for a in classes(azerbaijan, "member-link")][0] == "AzerTAc"
    iran = page(site_of, "/fa/country/IR")
    assert iran.find(".//h1").text_content() == "ایران"  # CLDR's name in the reader's language
    assert {line.get("data-item-id") for line in classes(iran, "item-line")} == {exchange.fa, exchange.solo}
    tass = page(site_of, "/en/member/tass")
    assert [line.get("data-item-id") for line in classes(tass, "item-line")] == [exchange.ru]
    assert page(site_of, "/ru/member/tass").find(".//h1").text_content() == "ТАСС"


def test_indexes_and_their_json_twins(site_of: TestClient, exchange: Exchange) -> None:
    countries = site_of.get("/en/countries.json").json()["countries"]
    codes = [entry["country"]["code"] for entry in countries]
    assert codes[:5] == ["AZ", "IR", "KZ", "RU", "TM"]  # the Caspian five always, first
    counts = {entry["country"]["code"]: entry["items"] for entry in countries}
    assert counts["AZ"] == 1 and counts["IR"] == 2 and counts["RU"] == 1 and counts["KZ"] == 0
    tree = page(site_of, "/kk/countries")
    names = [a.text_content() for a in classes(tree, "country-link")][:5]
    assert names == ["Әзірбайжан", "Иран", "Қазақстан", "Ресей", "Түрікменстан"]
    topics = site_of.get("/en/topics.json").json()["topics"]
    assert len(topics) == 17 and topics[0]["topic"]["slug"] == "01000000"
    economy = next(node for node in topics if node["topic"]["slug"] == "04000000")
    assert TRANSPORT in [child["topic"]["code"] for child in economy["children"]]
    members = site_of.get("/az/members.json").json()["members"]
    assert [m["member"]["code"] for m in members] == ["azertac", "irna", "tass"]  # AZ, IR, RU
    assert members[0]["member"]["name"] == "AzərTAc"
    story = site_of.get(f"/en/story/{exchange.story}.json").json()
    assert [v["language"] for v in story["versions"]] == ["fa", "ru", "az"]
    assert story["story"]["independent"] == 3


def test_near_duplicates_are_related_and_not_independent(site_of: TestClient, exchange: Exchange) -> None:
    now = utc_now()
    with exchange.hub.storage.index_transaction() as connection:
        index.save_link(connection, ItemLink(exchange.az, "near_duplicate", exchange.fa, 0.93, now))
    story = site_of.get(f"/en/story/{exchange.story}.json").json()
    assert story["story"]["independent"] == 2
    assert story["republications"][0]["item_id"] == exchange.az
    tree = page(site_of, f"/en/story/{exchange.story}")
    kinds = {e.get("data-item-id"): e.get("data-kind") for e in classes(tree, "timeline-event")}
    assert kinds[exchange.az] == "republication" and kinds[exchange.fa] == "first_report"
    copy = page(site_of, f"/en/item/{exchange.az}")
    assert [line.get("data-item-id") for line in classes(copy, "related-copy_of")] == [exchange.fa]
    source = page(site_of, f"/en/item/{exchange.fa}")
    assert [line.get("data-item-id") for line in classes(source, "related-copied_by")] == [exchange.az]


def test_fact_checks_matched_to_an_item_are_shown(site_of: TestClient, exchange: Exchange) -> None:
    now = utc_now()
    review = StoredClaimReview(
        id="fc_1",
        member_code="irna",
        url="https://factcheck.example/ferry",
        record={"@type": "ClaimReview", "author": {"@type": "Organization", "name": "IRNA Fact Desk"}},
        claim_text="Паромная линия закрыта",
        language="ru",
        rating="False",
        date_published=now,
        created_at=now,
        updated_at=now,
    )
    exchange.hub.storage.save_claim_reviews([review])
    exchange.hub.storage.add_claim_matches(
        [StoredClaimMatch(exchange.ru, "fc_1", 1, 0.87, {"score": 0.87}, now)]
    )
    tree = page(site_of, f"/fa/item/{exchange.ru}")
    [check] = classes(tree, "fact-check")
    claim = check.find_class("fact-check-claim")[0]
    assert (claim.text_content(), claim.get("lang"), claim.get("dir")) == (
        "Паромная линия закрыта",
        "ru",
        "ltr",
    )
    assert (
        "IRNA Fact Desk" in check.text_content() and check.find_class("fact-check-rating")[0].text == "False"
    )
    hrefs = [a.get("href") for a in check.iter("a")]
    assert "https://factcheck.example/ferry" in hrefs and "/api/v1/fact-checks/fc_1" in hrefs
    assert not classes(page(site_of, f"/fa/item/{exchange.az}"), "fact-check")
