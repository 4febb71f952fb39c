"""The ninjs 3.1 renderer: every document validates against IPTC's published schema."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tabadol.deliver.render.ninjs import ABSOLUTE_URI, item_to_ninjs, ninjs_uri, version_to_ninjs
from tabadol.serialize import parse_datetime
from tabadol.types import Item, ItemVersion, MemberInfo, ParsedItem, PubStatus, Subject

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "ninjs" / "schema-ninjs-schema_3.1.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BASE = "http://hub.example.org"

IRNA = MemberInfo(
    code="irna",
    names={"en": "Islamic Republic News Agency", "fa": "خبرگزاری جمهوری اسلامی"},
    country="IR",
    languages=("fa", "en"),
    created_at=T0,
)


def make_parsed(**changes: Any) -> ParsedItem:
    base = ParsedItem(
        guid="urn:newsml:irna.ir:20260301:1001",
        headline="نشست وزیران خارجه در تهران",
        body_text="وزیران خارجه کشورهای عضو امروز در تهران دیدار کردند.",
        source_format="ninjs",
        body_html="<p>وزیران خارجه کشورهای عضو امروز در تهران دیدار کردند.</p>",
        language="fa",
        urgency=3,
        first_created=T0,
        version_created=T0 + timedelta(minutes=5),
        byline="IRNA desk",
        located="Tehran",
        slugline="diplomacy-tehran",
        description="Foreign ministers meet",
        copyright_notice="(c) IRNA 2026",
        usage_terms="Alliance members only",
        link="https://www.irna.ir/news/1001",
        subjects=(
            Subject(name="politics", uri="http://cv.iptc.org/newscodes/mediatopic/11000000", scheme="medtop"),
            Subject(name="diplomacy", scheme="irna-cat"),
        ),
        keywords=("Tehran", "foreign ministers"),
    )
    return replace(base, **changes)


def make_item(parsed: ParsedItem | None = None, **changes: Any) -> Item:
    parsed = parsed or make_parsed()
    item = Item(
        id="itm_01",
        member_code="irna",
        guid=parsed.guid or "urn:x",
        version=2,
        pub_status=parsed.pub_status,
        headline=parsed.headline,
        body_text=parsed.body_text,
        language=parsed.language,
        first_created=T0,
        version_created=T0 + timedelta(minutes=5),
        received_at=T0 + timedelta(minutes=6),
        embargoed_until=parsed.embargoed_until,
        original_sha256="a" * 64,
        content_sha256="b" * 64,
        parsed=parsed,
        seq=7,
    )
    return replace(item, **changes)


def assert_valid_ninjs(doc: dict[str, Any]) -> None:
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # jsonschema only checks formats with optional libraries: check the ones the hub writes here.
    for key in ("firstCreated", "versionCreated", "embargoedUntil"):
        if key in doc:
            assert parse_datetime(doc[key]).tzinfo is not None
            assert doc[key].endswith("Z")
    assert ABSOLUTE_URI.match(doc["uri"])
    for rendition in doc.get("renditions", []):
        assert ABSOLUTE_URI.match(rendition["href"])


def alt_ids(doc: dict[str, Any]) -> dict[str, str]:
    return {entry["role"]: entry["value"] for entry in doc["altIds"]}


def test_full_item_validates_and_maps_every_field() -> None:
    doc = item_to_ninjs(make_item(), IRNA, BASE)
    assert_valid_ninjs(doc)
    assert doc["uri"] == "urn:newsml:irna.ir:20260301:1001"
    assert doc["version"] == "2"
    assert doc["type"] == "text"
    assert doc["pubStatus"] == "usable"
    assert doc["firstCreated"] == "2026-03-01T09:30:00Z"
    assert doc["versionCreated"] == "2026-03-01T09:35:00Z"
    assert "embargoedUntil" not in doc
    assert doc["language"] == "fa"
    assert doc["headlines"] == [{"role": "main", "value": "نشست وزیران خارجه در تهران"}]
    plain, html = doc["bodies"]
    assert plain["contentType"] == "text/plain" and plain["value"].startswith("وزیران")
    assert plain["wordCount"] == len(plain["value"].split())
    assert html["contentType"] == "text/html"
    assert doc["by"] == "IRNA desk"
    assert doc["located"] == "Tehran"
    assert doc["slugline"] == "diplomacy-tehran"
    assert doc["descriptions"][0]["value"] == "Foreign ministers meet"
    assert doc["urgency"] == 3
    assert doc["copyrightNotice"] == "(c) IRNA 2026"
    assert doc["usageTerms"] == "Alliance members only"
    assert doc["infoSources"] == [
        {"name": "Islamic Republic News Agency", "role": "provider", "literal": "irna"}
    ]
    subjects = doc["subjects"]
    assert subjects[0] == {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
    assert subjects[1] == {"name": "diplomacy", "literal": "irna-cat:diplomacy"}
    assert {"name": "Tehran", "literal": "keyword:Tehran"} in subjects


def test_hub_metadata_is_carried_in_alt_ids_and_renditions() -> None:
    doc = item_to_ninjs(make_item(), IRNA, BASE)
    ids = alt_ids(doc)
    assert ids["tabadol:item-id"] == "itm_01"
    assert ids["tabadol:member"] == "irna"
    assert ids["tabadol:original-sha256"] == "a" * 64
    assert ids["tabadol:content-sha256"] == "b" * 64
    assert ids["tabadol:received-at"] == "2026-03-01T09:36:00Z"
    renditions = {r["name"]: r["href"] for r in doc["renditions"]}
    assert renditions["ninjs"] == f"{BASE}/api/v1/items/itm_01/versions/2"
    assert renditions["original"] == f"{BASE}/api/v1/items/itm_01/versions/2/original"
    assert renditions["web"] == "https://www.irna.ir/news/1001"


def test_minimal_item_without_base_url_or_member_still_validates() -> None:
    parsed = ParsedItem(guid="urn:x:1", headline="Only a headline", body_text="", source_format="plaintext")
    doc = item_to_ninjs(make_item(parsed), None)
    assert_valid_ninjs(doc)
    assert "bodies" not in doc
    assert "renditions" not in doc
    assert doc["infoSources"][0]["name"] == "irna"


def test_killed_and_embargoed_states_are_rendered() -> None:
    embargo = T0 + timedelta(hours=2)
    parsed = make_parsed(
        pub_status=PubStatus.CANCELED, embargoed_until=embargo, extra={"ednote": "Kill: wrong"}
    )
    doc = item_to_ninjs(make_item(parsed), IRNA, BASE)
    assert_valid_ninjs(doc)
    assert doc["pubStatus"] == "canceled"
    assert doc["embargoedUntil"] == "2026-03-01T11:30:00Z"
    assert doc["edNote"] == "Kill: wrong"


@pytest.mark.parametrize("guid", ["12345", "item 7 / tass", "tag without scheme"])
def test_guid_that_is_not_a_uri_is_wrapped_losslessly(guid: str) -> None:
    parsed = make_parsed(guid=guid)
    doc = item_to_ninjs(make_item(parsed), IRNA, BASE)
    assert_valid_ninjs(doc)
    assert doc["uri"].startswith("urn:tabadol:irna:guid:")
    assert alt_ids(doc)["tabadol:guid"] == guid
    assert ninjs_uri("https://tass.ru/x/1", "tass") == "https://tass.ru/x/1"


def test_out_of_range_urgency_unknown_type_and_bad_links_are_dropped() -> None:
    parsed = make_parsed(
        urgency=12, item_type="wirephoto", link="not a url", subjects=(Subject(name="x", uri="bad uri"),)
    )
    doc = item_to_ninjs(make_item(parsed), IRNA, BASE)
    assert_valid_ninjs(doc)
    assert "urgency" not in doc
    assert doc["type"] == "text"
    assert all(r["name"] != "web" for r in doc["renditions"])
    assert doc["subjects"][0] == {"name": "x"}


def test_version_document_uses_the_versions_own_content() -> None:
    first = make_parsed(headline="First headline", version_created=T0, sender_version="1")
    version = ItemVersion(
        item_id="itm_01",
        version=1,
        content_sha256="c" * 64,
        original_sha256="d" * 64,
        parsed=first,
        received_at=T0 + timedelta(seconds=30),
        received_via="http",
    )
    doc = version_to_ninjs(version, make_item(), IRNA, BASE)
    assert_valid_ninjs(doc)
    assert doc["version"] == "1"
    assert doc["headlines"][0]["value"] == "First headline"
    ids = alt_ids(doc)
    assert ids["tabadol:original-sha256"] == "d" * 64
    assert ids["tabadol:sender-version"] == "1"
    assert doc["renditions"][1]["href"].endswith("/items/itm_01/versions/1/original")


def test_schema_rejects_unknown_top_level_fields() -> None:
    # Guards the reason hub metadata lives in altIds: the root object is closed.
    doc = item_to_ninjs(make_item(), IRNA, BASE)
    doc["tabadolItemId"] = "itm_01"
    assert list(VALIDATOR.iter_errors(doc))
