"""The daily digest: the day's stories ranked by independent reporters, headlines in the digest
language when a member wrote one, as a page in each language, an Atom feed and an e-mail file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import pytest
from fastapi.testclient import TestClient
from search_support import MovableClock, add_members, by_class, enrich, flores, page, push, split, text_of

from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.types import utc_now
from tabadol.web.app import create_app
from tabadol.web.portal.catalog import catalog, messages

ATOM = "{http://www.w3.org/2005/Atom}"
# Noon UTC yesterday: the same calendar day in every interface's time zone (UTC to UTC+5).
BASE = datetime.combine((utc_now() - timedelta(days=1)).date(), datetime.min.time(), UTC) + timedelta(
    hours=12
)
DAY = BASE.date().isoformat()


@pytest.fixture
def clock() -> MovableClock:
    moved = MovableClock()
    moved.offset = (BASE + timedelta(hours=3)) - utc_now()  # "now" is 15:00 UTC on the digest's day
    return moved


@pytest.fixture
def site(hub: Hub, clock: MovableClock) -> Iterator[TestClient]:
    with TestClient(
        create_app(hub, clock=clock), raise_server_exceptions=False, follow_redirects=False
    ) as client:
        yield client


@pytest.fixture
def day(hub: Hub) -> dict[str, str]:
    """Article 0 from IRNA (Persian, first), TASS (Russian) and AzerTAc (Azerbaijani): one story, three
    independent reporters. Article 1 from TASS in English and Russian: two items, one reporter.
    Article 2 from IRNA in English. And article 3 two days earlier."""
    add_members(hub)
    first, second, third = flores(0), flores(1), flores(2)
    ids = {
        "fa": push(hub, "irna", "urn:irna:0", first["fa"], "fa", BASE),
        "ru": push(hub, "tass", "urn:tass:0", first["ru"], "ru", BASE + timedelta(minutes=10)),
        "az": push(hub, "azertac", "urn:azertac:0", first["az"], "az", BASE + timedelta(minutes=25)),
        "en1": push(hub, "tass", "urn:tass:1", second["en"], "en", BASE + timedelta(minutes=40)),
        "ru1": push(hub, "tass", "urn:tass:1ru", second["ru"], "ru", BASE + timedelta(minutes=42)),
        "en2": push(hub, "irna", "urn:irna:2", third["en"], "en", BASE + timedelta(minutes=50)),
        "old": push(hub, "irna", "urn:irna:3", flores(3)["en"], "en", BASE - timedelta(days=2)),
    }
    enrich(hub)
    return ids


def stories_of(html: str) -> list[lxml.html.HtmlElement]:
    return by_class(page(html), "digest-story")


def test_stories_are_ranked_by_independent_reporters(site: TestClient, day: dict[str, str]) -> None:
    response = site.get(f"/en/digest/{DAY}")
    assert response.status_code == 200
    stories = stories_of(response.text)
    assert [story.get("data-independent") for story in stories][:1] == ["3"]
    assert all(
        int(a.get("data-independent")) >= int(b.get("data-independent")) for a, b in zip(stories, stories[1:])
    )
    top = stories[0]
    reporters = by_class(top, "digest-reporter")
    assert [r.get("data-member") for r in reporters] == ["irna", "tass", "azertac"]  # first reporter first
    assert "is-first" in reporters[0].get("class") and by_class(reporters[0], "digest-first")
    assert [text_of(by_class(r, "digest-member")[0]) for r in reporters] == ["IRNA", "TASS", "AzerTAc"]
    assert reporters[0].xpath(".//time/@datetime") == [format_datetime(BASE).replace("+00:00", "Z")]
    # No member wrote it in English: the first reporter's headline, in Persian, labelled so.
    [headline] = by_class(top, "digest-headline")[0].xpath(".//a")
    assert headline.get("lang") == "fa" and headline.get("dir") == "auto"
    assert text_of(headline) == split(flores(0)["fa"])[0]
    assert headline.get("href").startswith("/en/story/st_")
    assert "Persian" in text_of(by_class(top, "digest-original-language")[0])
    # The old article is not on this day's digest.
    assert split(flores(3)["en"])[0] not in response.text


def test_the_headline_is_in_the_digest_language_when_a_member_wrote_one(
    site: TestClient, day: dict[str, str]
) -> None:
    top = stories_of(site.get(f"/ru/digest/{DAY}").text)[0]
    [headline] = by_class(top, "digest-headline")[0].xpath(".//a")
    assert headline.get("lang") == "ru" and text_of(headline) == split(flores(0)["ru"])[0]
    assert not by_class(top, "digest-original-language")
    root = page(site.get(f"/fa/digest/{DAY}").text)
    assert root.get("dir") == "rtl" and root.get("lang") == "fa"
    persian = by_class(root, "digest-story")[0]
    assert by_class(persian, "digest-headline")[0].xpath(".//a/@lang") == ["fa"]
    assert catalog("fa")["digest.heading"] in text_of(by_class(root, "digest-title")[0])


def test_today_and_other_days(site: TestClient, day: dict[str, str]) -> None:
    today = site.get("/en/digest")
    assert today.status_code == 200
    assert page(today.text).xpath('//*[contains(@class, "digest-page")]/@data-day') == [DAY]
    root = page(today.text)
    assert root.xpath('//nav[contains(@class, "site-nav")]//a[@aria-current="page"]/@href') == ["/en/digest"]
    previous = root.xpath('//a[@rel="prev"]/@href')[0]
    assert not root.xpath('//a[@rel="next"]')  # no digest of tomorrow
    empty = page(site.get(previous).text)
    assert by_class(empty, "digest-empty") and not by_class(empty, "digest-story")
    assert empty.xpath('//a[@rel="next"]/@href') == [f"/en/digest/{DAY}"]
    data = site.get(f"/en/digest/{DAY}.json").json()
    assert data["digest"]["day"] == DAY and data["digest"]["stories"][0]["independent"] == 3
    assert data["digest"]["stories"][0]["headline_item_id"] == day["fa"]


def test_bad_and_future_days(site: TestClient, day: dict[str, str]) -> None:
    bad = site.get("/en/digest/2026-13-45")
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    tomorrow = (BASE + timedelta(days=1)).date().isoformat()
    assert site.get(f"/en/digest/{tomorrow}").status_code == 404
    assert site.get(f"/en/digest/{tomorrow}/email.html").status_code == 404
    assert site.get(f"/xx/digest/{DAY}").status_code == 404
    assert site.get("/xx/digest.atom").status_code == 404


def test_killed_and_embargoed_items_stay_out(
    site: TestClient, hub: Hub, clock: MovableClock, day: dict[str, str]
) -> None:
    hub.kill_item(day["az"], OPERATOR)
    later = BASE + timedelta(minutes=30)
    embargoed = push(
        hub,
        "tass",
        "urn:tass:emb",
        flores(4)["en"],
        "en",
        later,
        embargoed=format_datetime(BASE + timedelta(hours=5)),
    )
    enrich(hub)
    html = site.get(f"/en/digest/{DAY}").text
    top = stories_of(html)[0]
    assert top.get("data-independent") == "2"
    assert [r.get("data-member") for r in by_class(top, "digest-reporter")] == ["irna", "tass"]
    assert split(flores(4)["en"])[0] not in html and embargoed
    clock.offset += timedelta(hours=6)
    assert split(flores(4)["en"])[0] in site.get(f"/en/digest/{DAY}").text


def test_the_atom_feed(site: TestClient, day: dict[str, str]) -> None:
    response = site.get("/en/digest.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == "urn:tabadol:digest:en" and parsed.feed.title
    # One entry per day with stories, newest first: the digest's day and the day of the old article.
    older = (BASE - timedelta(days=2)).date().isoformat()
    assert [e.id for e in parsed.entries] == [
        f"urn:tabadol:digest:en:{DAY}",
        f"urn:tabadol:digest:en:{older}",
    ]
    entry = parsed.entries[0]
    assert urlsplit(entry.link).path == f"/en/digest/{DAY}"
    assert entry.updated_parsed is not None
    assert split(flores(0)["fa"])[0] in entry.content[0].value
    # Structurally: what RFC 4287 requires of a feed and of each entry.
    root = lxml.etree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    for name in ("id", "title", "updated", "author"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f'{ATOM}link[@rel="self"]').get("href").endswith("/en/digest.atom")
    for element in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{name}")) == 1, name
        assert element.find(f'{ATOM}link[@rel="alternate"]') is not None
        assert element.find(f"{ATOM}content").get("type") == "html"
        datetime.fromisoformat(element.find(f"{ATOM}updated").text.replace("Z", "+00:00"))
    persian = feedparser.parse(site.get("/fa/digest.atom").content)
    assert not persian.bozo and persian.feed.title == catalog("fa")["digest.feed_title"]
    assert 'dir="rtl"' in persian.entries[0].content[0].value


@pytest.mark.parametrize(("code", "direction"), [("en", "ltr"), ("fa", "rtl"), ("ru", "ltr")])
def test_the_email_file(site: TestClient, day: dict[str, str], code: str, direction: str) -> None:
    response = site.get(f"/{code}/digest/{DAY}/email.html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert (
        "style-src 'unsafe-inline'" in policy
        and "script-src" not in policy
        and "default-src 'none'" in policy
    )
    root = page(response.text)
    assert root.get("lang") == code and root.get("dir") == direction
    assert not root.xpath("//script") and "<script" not in response.text.lower()
    assert not [name for element in root.iter() for name in element.attrib if name.lower().startswith("on")]
    assert not root.xpath("//link[@rel='stylesheet'] | //style")  # mail clients drop them: inline only
    [layout] = by_class(root, "digest-email")
    assert layout.tag == "table" and layout.get("dir") == direction
    stories = by_class(root, "digest-email-story")
    assert len(stories) == 3
    for href in root.xpath("//a/@href"):
        assert urlsplit(href).scheme in ("http", "https"), href
    assert root.xpath("//a[@lang]/@lang")[0] in ("fa", "ru")
    assert catalog(code)["digest.heading"] in text_of(root)
    assert messages(code)("digest.independent", count=3) in text_of(stories[0])
    page_link = page(site.get(f"/{code}/digest/{DAY}").text).xpath(
        '//a[contains(@class, "digest-email-link")]/@href'
    )
    assert page_link == [f"/{code}/digest/{DAY}/email.html"]
