"""NewsML-G2 out: what the hub writes, the hub's own G2 reader reads back the same."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree
from test_nitf_render import IRNA, NOW, item

from tabadol.deliver.render.newsml_g2 import G2, item_to_newsml_g2
from tabadol.ingest.formats import newsml_g2 as g2_reader
from tabadol.types import PubStatus


def test_round_trip_through_the_hubs_own_reader() -> None:
    original = item()
    data = item_to_newsml_g2(original, IRNA)
    [back] = g2_reader.parse(data, "application/vnd.iptc.g2.newsitem+xml")
    assert back.guid == "urn:irna:2026:1"
    assert back.sender_version == "2"
    assert back.headline == original.headline
    assert back.body_text == original.body_text
    assert back.language == "fa"
    assert back.urgency == 3
    assert back.version_created == NOW and back.first_created == NOW
    assert back.byline == "خبرنگار ایرنا" and back.located == "تهران" and back.description == "خلاصه خبر"
    assert back.keywords == ("کشتیرانی", "خزر")
    assert [s.uri for s in back.subjects] == ["http://cv.iptc.org/newscodes/subjectcode/16000000"]
    assert back.copyright_notice == "Copyright 2026 IRNA"
    assert back.pub_status is PubStatus.USABLE
    alt_ids = {node.get("type"): node.text for node in etree.fromstring(data).iter(f"{{{G2}}}altId")}
    assert alt_ids == {"tabadol:item-id": "it1", "tabadol:member": "irna"}


def test_kill_and_embargo() -> None:
    [killed] = g2_reader.parse(item_to_newsml_g2(item(pub_status=PubStatus.CANCELED), IRNA), None)
    assert killed.pub_status is PubStatus.CANCELED
    later = NOW + timedelta(hours=2)
    [embargoed] = g2_reader.parse(item_to_newsml_g2(item(embargoed_until=later), None), None)
    assert embargoed.embargoed_until == later
