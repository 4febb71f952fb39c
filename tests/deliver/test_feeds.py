"""Atom, RSS 2.0 and JSON Feed renderers: feedparser and lxml read back what the hub wrote."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from tabadol.deliver.render.feeds import (
    KILL_PREFIX,
    TABADOL_NS,
    clean_text,
    entry_id,
    render_atom,
    render_json_feed,
    render_rss,
)
from tabadol.serialize import parse_datetime
from tabadol.types import Item, MemberInfo, ParsedItem, PubStatus, Subject

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "jsonfeed" / "schema-1.1.json"
JSON_FEED_VALIDATOR = Draft202012Validator(
    json.loads(SCHEMA_PATH.read_text(encoding="utf-8")), format_checker=FormatChecker()
)
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BASE = "https://hub.example.org"
SELF_URL = "https://hub.example.org/feeds/tok_abc123/atom"
HEADLINE_FA = "نشست وزیران خارجه در تهران"
BODY_FA = "وزیران خارجه کشورهای عضو امروز در تهران دیدار کردند.\n\nنشست دو روز ادامه دارد."

IRNA = MemberInfo(
    code="irna",
    names={"en": "Islamic Republic News Agency", "fa": "خبرگزاری جمهوری اسلامی"},
    country="IR",
    languages=("fa", "en"),
    created_at=T0,
)
SANA = MemberInfo(
    code="sana", names={"en": "Syrian Arab News Agency"}, country="SY", languages=("ar",), created_at=T0
)
MEMBERS = {"irna": IRNA, "sana": SANA}
Renderer = Callable[[str, str, str, Sequence[Item], Mapping[str, MemberInfo]], bytes]


def make_item(version: int = 1, **parsed_changes: Any) -> Item:
    parsed = ParsedItem(
        guid="urn:newsml:irna.ir:20260301:1001",
        headline=HEADLINE_FA,
        body_text=BODY_FA,
        source_format="ninjs",
        body_html="<p>وزیران خارجه</p><script>alert('x')</script>",
        language="fa",
        first_created=T0,
        version_created=T0 + timedelta(minutes=5 * version),
        description="Foreign ministers meet in Tehran",
        link="https://www.irna.ir/news/1001",
        subjects=(
            Subject(name="politics", uri="http://cv.iptc.org/newscodes/mediatopic/11000000", scheme="medtop"),
            Subject(name="diplomacy", scheme="irna-cat"),
        ),
        keywords=("Tehran",),
    )
    parsed = replace(parsed, **parsed_changes)
    return Item(
        id="itm_01",
        member_code="irna",
        guid=parsed.guid or "urn:x",
        version=version,
        pub_status=parsed.pub_status,
        headline=parsed.headline,
        body_text=parsed.body_text,
        language=parsed.language,
        first_created=T0,
        version_created=parsed.version_created or T0,
        received_at=T0 + timedelta(minutes=6 * version),
        embargoed_until=None,
        original_sha256="a" * 64,
        content_sha256="b" * 64,
        parsed=parsed,
        seq=version,
    )


def parse_xml(data: bytes) -> etree._Element:
    """Well-formedness: lxml's strict parser (no recovery) must accept the document."""
    return etree.fromstring(data, parser=etree.XMLParser(recover=False, resolve_entities=False))


def read_feed(data: bytes) -> Any:
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def json_feed(items: list[Item]) -> dict[str, Any]:
    data = render_json_feed("Alliance wire", SELF_URL, BASE, items, MEMBERS)
    doc: dict[str, Any] = json.loads(data.decode("utf-8"))
    errors = sorted(JSON_FEED_VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # The format checker skips date-time without optional libraries: check the hub's own format here.
    for item in doc["items"]:
        for key in ("date_published", "date_modified"):
            assert item[key].endswith("Z") and parse_datetime(item[key]).tzinfo is not None
    return doc


def links_by_type(entry: Any) -> dict[tuple[str, str], str]:
    return {(link["rel"], link.get("type", "")): link["href"] for link in entry.links}


# -- Atom -----------------------------------------------------------------------------------------


def test_atom_reads_back_every_field() -> None:
    data = render_atom("Alliance wire", SELF_URL, BASE, [make_item()], MEMBERS)
    parse_xml(data)
    feed = read_feed(data)
    assert feed.version == "atom10"
    assert feed.feed.title == "Alliance wire"
    assert feed.feed.id == SELF_URL
    assert {(link.rel, link.href) for link in feed.feed.links} >= {("self", SELF_URL), ("alternate", BASE)}
    assert feed.feed.updated == "2026-03-01T09:35:00Z"
    (entry,) = feed.entries
    assert entry.id == "urn:newsml:irna.ir:20260301:1001#v1"
    assert entry.title == HEADLINE_FA
    assert entry.published == "2026-03-01T09:30:00Z"
    assert entry.updated == "2026-03-01T09:35:00Z"
    links = links_by_type(entry)
    assert links[("alternate", "application/ninjs+json")] == f"{BASE}/api/v1/items/itm_01/versions/1"
    assert links[("alternate", "text/html")] == "https://www.irna.ir/news/1001"
    assert not any(link["rel"] == "predecessor-version" for link in entry.links)
    assert entry.author == "خبرگزاری جمهوری اسلامی"  # the member's name in the item's language
    assert entry.title_detail.language == "fa"
    assert entry.language == "fa"
    assert [(t.term, t.label) for t in entry.tags] == [
        ("http://cv.iptc.org/newscodes/mediatopic/11000000", "politics"),
        ("diplomacy", "diplomacy"),
        ("Tehran", "Tehran"),
    ]
    assert entry.summary == "Foreign ministers meet in Tehran"
    assert entry.content[0].type == "text/plain"
    assert entry.content[0].value == BODY_FA
    assert entry.tabadol_status == "usable"
    assert entry.tabadol_version == "1"


def test_atom_never_carries_agency_html() -> None:
    data = render_atom("Wire", SELF_URL, BASE, [make_item()], MEMBERS)
    assert b"<script" not in data and b"&lt;script" not in data


def test_markup_in_plain_text_is_escaped_and_survives() -> None:
    item = make_item(headline="Talks <b>resume</b> & continue", body_text="a < b && c > d")
    for render in (render_atom, render_rss):
        data = render("Wire", SELF_URL, BASE, [item], MEMBERS)
        parse_xml(data)
        assert b"<b>" not in data
        entry = read_feed(data).entries[0]
        assert entry.title == "Talks <b>resume</b> & continue"
    atom_entry = read_feed(render_atom("Wire", SELF_URL, BASE, [item], MEMBERS)).entries[0]
    assert atom_entry.content[0].value == "a < b && c > d"


# -- RSS 2.0 --------------------------------------------------------------------------------------


def test_rss_reads_back_every_field() -> None:
    data = render_rss("Alliance wire", SELF_URL, BASE, [make_item()], MEMBERS)
    root = parse_xml(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    feed = read_feed(data)
    assert feed.version == "rss20"
    assert feed.feed.title == "Alliance wire"
    assert feed.feed.link == BASE
    assert any(link.rel == "self" and link.href == SELF_URL for link in feed.feed.links)
    (entry,) = feed.entries
    assert entry.id == "urn:newsml:irna.ir:20260301:1001#v1"
    assert entry.guidislink is False
    assert entry.title == HEADLINE_FA
    assert entry.link == "https://www.irna.ir/news/1001"
    assert (
        links_by_type(entry)[("alternate", "application/ninjs+json")]
        == f"{BASE}/api/v1/items/itm_01/versions/1"
    )
    assert parsedate_to_datetime(root.findtext("channel/item/pubDate")) == T0 + timedelta(minutes=5)
    assert entry.published_parsed[:6] == (2026, 3, 1, 9, 35, 0)
    assert entry.created == "2026-03-01T09:30:00Z"
    assert entry.updated == "2026-03-01T09:35:00Z"
    assert entry.author == "خبرگزاری جمهوری اسلامی"
    assert entry.language == "fa"
    assert [(t.term, t.scheme) for t in entry.tags] == [
        ("politics", "medtop"),
        ("diplomacy", "irna-cat"),
        ("Tehran", None),
    ]
    assert entry.summary == "Foreign ministers meet in Tehran"
    paragraphs = BODY_FA.split("\n\n")
    assert entry.content[0].value == "".join(f"<p>{p}</p>" for p in paragraphs)
    assert entry.tabadol_status == "usable"
    assert b"<script" not in data and b"&lt;script" not in data


def test_rss_lead_paragraph_is_the_summary_without_a_description() -> None:
    data = render_rss("Wire", SELF_URL, BASE, [make_item(description=None)], MEMBERS)
    assert read_feed(data).entries[0].summary == BODY_FA.split("\n")[0]


# -- JSON Feed ------------------------------------------------------------------------------------


def test_json_feed_validates_and_carries_every_field() -> None:
    doc = json_feed([make_item()])
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == "Alliance wire"
    assert doc["feed_url"] == SELF_URL and doc["home_page_url"] == BASE
    (item,) = doc["items"]
    assert item["id"] == "urn:newsml:irna.ir:20260301:1001#v1"
    assert item["url"] == f"{BASE}/api/v1/items/itm_01/versions/1"
    assert item["external_url"] == "https://www.irna.ir/news/1001"
    assert item["title"] == HEADLINE_FA
    assert item["content_text"] == BODY_FA
    assert item["summary"] == "Foreign ministers meet in Tehran"
    assert item["date_published"] == "2026-03-01T09:30:00Z"
    assert item["date_modified"] == "2026-03-01T09:35:00Z"
    assert item["authors"] == [{"name": "خبرگزاری جمهوری اسلامی"}]
    assert item["tags"] == ["politics", "diplomacy", "Tehran"]
    assert item["language"] == "fa"
    assert item["_tabadol"] == {"status": "usable", "version": 1, "item": "itm_01", "member": "irna"}
    assert "content_html" not in item


def test_json_feed_schema_rejects_what_the_spec_forbids() -> None:
    """The schema file itself must be able to fail, or the validation above proves nothing."""
    good = json_feed([make_item()])
    bad_docs = [
        {**good, "version": "https://jsonfeed.org/version/1"},
        {key: value for key, value in good.items() if key != "title"},
        {**good, "items": [{"id": "x"}]},  # neither content_html nor content_text
        {**good, "items": [{**good["items"][0], "authors": [{}]}]},
        {**good, "tabadol": {}},  # an extension without the leading underscore
    ]
    for bad in bad_docs:
        assert list(JSON_FEED_VALIDATOR.iter_errors(bad)), bad


# -- lifecycle: updates and kills -----------------------------------------------------------------


def test_update_is_a_new_entry_naming_the_version_it_replaces() -> None:
    first, second = make_item(1), make_item(2, headline="Talks extended")
    atom = read_feed(render_atom("Wire", SELF_URL, BASE, [second, first], MEMBERS))
    update, original = atom.entries
    assert update.id == "urn:newsml:irna.ir:20260301:1001#v2" != original.id
    assert update.tabadol_replaces == original.id
    predecessor = [link["href"] for link in update.links if link["rel"] == "predecessor-version"]
    assert predecessor == [f"{BASE}/api/v1/items/itm_01/versions/1"]
    assert update.updated == "2026-03-01T09:40:00Z" and update.published == original.published

    rss = read_feed(render_rss("Wire", SELF_URL, BASE, [second, first], MEMBERS))
    assert rss.entries[0].tabadol_replaces == rss.entries[1].id
    assert rss.entries[0].tabadol_version == "2"

    doc = json_feed([second, first])
    assert doc["items"][0]["_tabadol"]["replaces"] == doc["items"][1]["id"]
    assert doc["items"][0]["_tabadol"]["replaces_url"] == f"{BASE}/api/v1/items/itm_01/versions/1"


def test_kill_is_a_clear_notice_in_every_format() -> None:
    kill = make_item(3, pub_status=PubStatus.CANCELED, body_text="Secret retracted text")
    for render in (render_atom, render_rss):
        data = render("Wire", SELF_URL, BASE, [kill], MEMBERS)
        root = parse_xml(data)
        assert root.findtext(f".//{{{TABADOL_NS}}}status") == "canceled"
        entry = read_feed(data).entries[0]
        assert entry.title == KILL_PREFIX + HEADLINE_FA
        assert entry.tabadol_status == "canceled"
        assert entry.tabadol_replaces.endswith("#v2")
        assert entry.summary.startswith("KILL: \u2068خبرگزاری جمهوری اسلامی\u2069 has withdrawn")
        assert f"\u2068{HEADLINE_FA}\u2069" in entry.summary  # isolated, so RTL cannot reorder it
        assert "Secret retracted text" not in data.decode("utf-8")
    item = json_feed([kill])["items"][0]
    assert item["title"].startswith(KILL_PREFIX)
    assert item["_tabadol"]["status"] == "canceled"
    assert item["content_text"].startswith("KILL: ")
    assert "Secret retracted text" not in item["content_text"]


# -- text that must survive, text that must go -----------------------------------------------------


@pytest.mark.parametrize("render", [render_atom, render_rss])
def test_rtl_persian_and_arabic_survive_unchanged(render: Renderer) -> None:
    persian = "می\u200cخواهند \u200fگفت‌وگو کنند"  # ZWNJ and RLM are meaningful in Persian text
    arabic = "الرئيس السوري يستقبل وفداً رسمياً في دمشق"
    fa_item = make_item(headline=persian, body_text=persian)
    ar_item = replace(
        make_item(headline=arabic, body_text=arabic, language="ar", guid="urn:sana:1"),
        id="itm_02",
        member_code="sana",
        guid="urn:sana:1",
    )
    feed = read_feed(render("Wire", SELF_URL, BASE, [fa_item, ar_item], MEMBERS))
    assert [e.title for e in feed.entries] == [persian, arabic]
    assert feed.entries[0].content[0].value.replace("<p>", "").replace("</p>", "") == persian
    assert feed.entries[1].author == "Syrian Arab News Agency"  # no Arabic name: English fallback
    assert feed.entries[1].language == "ar"


def test_json_feed_keeps_rtl_text_as_utf8() -> None:
    data = render_json_feed("Wire", SELF_URL, BASE, [make_item()], MEMBERS)
    assert HEADLINE_FA.encode("utf-8") in data


def test_forbidden_control_characters_are_removed_everywhere() -> None:
    dirty = "Bre\x00aking\x07 news\x1b\ufffe\tnow\n"
    item = make_item(headline=dirty, body_text=dirty, description=dirty, keywords=("ke\x0by",))
    expected_title = "Breaking news\tnow\n"
    for render in (render_atom, render_rss):
        data = render("Wi\x01re", SELF_URL, BASE, [item], MEMBERS)
        parse_xml(data)
        feed = read_feed(data)
        assert feed.feed.title == "Wire"
        assert feed.entries[0].title.strip() == expected_title.strip()
        assert "key" in [t.term for t in feed.entries[0].tags]
    doc = json.loads(render_json_feed("Wi\x01re", SELF_URL, BASE, [item], MEMBERS))
    assert doc["title"] == "Wire"
    assert doc["items"][0]["title"] == expected_title
    assert clean_text("\ud800ok\uffff") == "ok"


def test_unicode_outside_the_bmp_is_kept() -> None:
    assert clean_text("flag 🇮🇷 \U0001d400") == "flag 🇮🇷 \U0001d400"


# -- ids and edge cases ---------------------------------------------------------------------------


def test_entry_ids_are_stable_uris_even_for_odd_guids() -> None:
    plain = replace(make_item(2), guid="IRNA 1001/a")
    assert entry_id(plain) == "urn:tabadol:irna:guid:IRNA%201001%2Fa#v2"
    with_fragment = replace(make_item(2), guid="https://www.irna.ir/news#1001")
    assert entry_id(with_fragment) == "https://www.irna.ir/news#1001.v2"
    assert entry_id(with_fragment, 1) == "https://www.irna.ir/news#1001.v1"
    assert entry_id(plain) == entry_id(plain)


def test_unknown_member_falls_back_to_its_code() -> None:
    item = replace(make_item(), member_code="kazinform")
    assert read_feed(render_atom("Wire", SELF_URL, BASE, [item], {})).entries[0].author == "kazinform"


def test_item_without_language_link_or_subjects() -> None:
    item = make_item(language=None, link=None, subjects=(), keywords=())
    feed = read_feed(render_atom("Wire", SELF_URL, BASE, [item], MEMBERS))
    entry = feed.entries[0]
    assert "language" not in entry and not entry.get("tags")
    assert ("alternate", "text/html") not in links_by_type(entry)
    assert entry.author == "Islamic Republic News Agency"
    rss_entry = read_feed(render_rss("Wire", SELF_URL, BASE, [item], MEMBERS)).entries[0]
    assert rss_entry.link == f"{BASE}/api/v1/items/itm_01/versions/1"  # no web page: the API version
    item_json = json_feed([item])["items"][0]
    assert "language" not in item_json and "tags" not in item_json and "external_url" not in item_json


def test_empty_feeds_are_valid() -> None:
    now = datetime(2026, 3, 2, 15, 30, tzinfo=timezone(timedelta(hours=3, minutes=30)))  # Tehran
    atom = render_atom("Empty", SELF_URL, BASE, [], MEMBERS, now=now, feed_id="urn:tabadol:feed:42")
    parse_xml(atom)
    feed = read_feed(atom)
    assert feed.entries == [] and feed.feed.updated == "2026-03-02T12:00:00Z"
    assert feed.feed.id == "urn:tabadol:feed:42"
    rss = render_rss("Empty", SELF_URL, BASE, [], MEMBERS, now=now)
    assert parsedate_to_datetime(parse_xml(rss).findtext("channel/lastBuildDate")) == now
    assert read_feed(rss).entries == []
    assert json_feed([])["items"] == []


def test_withheld_item_carries_its_status_without_a_kill_prefix() -> None:
    item = make_item(2, pub_status=PubStatus.WITHHELD)
    entry = read_feed(render_atom("Wire", SELF_URL, BASE, [item], MEMBERS)).entries[0]
    assert entry.title == HEADLINE_FA and entry.tabadol_status == "withheld"
    assert entry.content[0].value == BODY_FA


def test_author_name_matches_the_primary_language_subtag() -> None:
    kazinform = MemberInfo(
        code="kazinform",
        names={"en": "Kazinform", "kk": "Қазақпарат"},
        country="KZ",
        languages=("kk",),
        created_at=T0,
    )
    item = replace(make_item(language="kk-Cyrl"), member_code="kazinform")
    doc = json.loads(render_json_feed("Wire", SELF_URL, BASE, [item], {"kazinform": kazinform}))
    assert doc["items"][0]["authors"] == [{"name": "Қазақпарат"}]
    assert doc["items"][0]["language"] == "kk-Cyrl"


def test_long_lead_is_shortened_for_the_summary() -> None:
    lead = "word " * 200
    summary = json_feed([make_item(description=None, body_text=lead + "\nsecond paragraph")])["items"][0][
        "summary"
    ]
    assert summary.endswith("…") and len(summary) <= 400 and lead.startswith(summary[:-1])
