"""NITF out: what the hub writes, the hub's own NITF reader reads back the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from tabadol.deliver.render.nitf import item_to_nitf
from tabadol.ingest.formats import nitf as nitf_reader
from tabadol.types import Item, MemberInfo, ParsedItem, PubStatus, Subject

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
IRNA = MemberInfo("irna", {"en": "IRNA", "fa": "ایرنا"}, "IR", ("fa", "en"), NOW)


def item(**changes: object) -> Item:
    parsed = ParsedItem(
        guid="urn:irna:2026:1",
        headline="افتتاح خط کشتیرانی آکتائو – باکو",
        body_text="خط جدید سه بار در هفته حرکت می‌کند.\n\nبلیت‌ها از فردا فروخته می‌شود.",
        source_format="ninjs",
        language="fa",
        urgency=3,
        byline="خبرنگار ایرنا",
        located="تهران",
        description="خلاصه خبر",
        copyright_notice="Copyright 2026 IRNA",
        subjects=(Subject(name="transport", uri="http://cv.iptc.org/newscodes/subjectcode/16000000"),),
        keywords=("کشتیرانی", "خزر"),
    )
    values: dict[str, object] = {
        "id": "it1",
        "member_code": "irna",
        "guid": "urn:irna:2026:1",
        "version": 2,
        "pub_status": PubStatus.USABLE,
        "headline": parsed.headline,
        "body_text": parsed.body_text,
        "language": "fa",
        "first_created": NOW,
        "version_created": NOW,
        "received_at": NOW,
        "embargoed_until": None,
        "original_sha256": "0" * 64,
        "content_sha256": "1" * 64,
        "parsed": parsed,
        "seq": 1,
    }
    values.update(changes)
    return Item(**values)  # type: ignore[arg-type]


def test_round_trip_through_the_hubs_own_reader() -> None:
    data = item_to_nitf(item(), IRNA)
    [back] = nitf_reader.parse(data, "application/nitf+xml")
    original = item()
    assert back.guid == "urn:irna:2026:1"
    assert back.headline == original.headline
    assert back.body_text == original.body_text
    assert back.language == "fa"
    assert back.urgency == 3
    assert back.version_created == NOW
    assert back.byline == "خبرنگار ایرنا" and back.located == "تهران" and back.description == "خلاصه خبر"
    assert back.keywords == ("کشتیرانی", "خزر")
    assert [s.uri for s in back.subjects] == ["http://cv.iptc.org/newscodes/subjectcode/16000000"]
    assert back.copyright_notice == "Copyright IRNA"
    assert back.pub_status is PubStatus.USABLE
    root = etree.fromstring(data)
    assert root.find("head/docdata/du-key").get("version") == "2"  # which version this update is


def test_kill_embargo_and_forbidden_characters() -> None:
    killed = item(pub_status=PubStatus.CANCELED)
    [back] = nitf_reader.parse(item_to_nitf(killed, IRNA), None)
    assert back.pub_status is PubStatus.CANCELED
    later = NOW + timedelta(hours=2)
    [embargoed] = nitf_reader.parse(item_to_nitf(item(embargoed_until=later), IRNA), None)
    assert embargoed.embargoed_until == later and embargoed.pub_status is PubStatus.USABLE
    dirty = item(headline="bell\x07 here", body_text="nul\x00 gone")
    [clean] = nitf_reader.parse(item_to_nitf(dirty, None), None)
    assert clean.headline == "bell here" and clean.body_text == "nul gone"


@pytest.mark.parametrize("member", [IRNA, None])
def test_the_distributor_is_the_member(member: MemberInfo | None) -> None:
    root = etree.fromstring(item_to_nitf(item(), member))
    assert root.find("body/body.head/distributor").text == ("ایرنا" if member else "irna")
