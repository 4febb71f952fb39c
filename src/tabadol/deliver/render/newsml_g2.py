"""Render an item as an IPTC NewsML-G2 newsItem (2.x, `http://iptc.org/std/nar/2006-10-01/`).

The mapping mirrors the hub's G2 reader (ingest/formats/newsml_g2.py), so what is written here reads
back the same: `tests/deliver/test_newsml_g2_render.py` checks the round trip.

- `@guid` is the item's ninjs uri; `@version` the hub's version number (an update is the same guid at
  a higher version, G2's own rule); the hub's item id and member travel in `itemMeta/link`-free
  `altId`s with `tabadol:` types, like the ninjs altIds.
- `itemMeta`: itemClass (ninat), provider (the member), versionCreated, firstCreated, embargoed,
  pubStatus (stat:usable / stat:withheld / stat:canceled — a kill notice is a canceled version).
- `contentMeta`: urgency, located, headline, by, slugline, description (drol:summary), language,
  subjects with their URIs, keywords.
- `contentSet/inlineXML` holds the text as NITF body paragraphs; agency HTML is never copied.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from tabadol.deliver.render.feeds import XML_LANG
from tabadol.deliver.render.feeds import clean_text as xml_text
from tabadol.deliver.render.ninjs import NEWS_TYPES, ninjs_uri
from tabadol.deliver.render.nitf import paragraphs
from tabadol.serialize import format_datetime
from tabadol.types import Item, MemberInfo, PubStatus

G2_MEDIA_TYPE = "application/vnd.iptc.g2.newsitem+xml"
G2 = "http://iptc.org/std/nar/2006-10-01/"
NITF_NAMESPACE = "http://iptc.org/std/NITF/2006-10-18/"
_STATUS = {
    PubStatus.USABLE: "stat:usable",
    PubStatus.WITHHELD: "stat:withheld",
    PubStatus.CANCELED: "stat:canceled",
}


def _g2(parent: etree._Element, name: str, attributes: dict[str, str] | None = None) -> etree._Element:
    return etree.SubElement(parent, f"{{{G2}}}{name}", attributes or {})


def _when(value: datetime) -> str:
    return format_datetime(value)


def item_to_newsml_g2(item: Item, member: MemberInfo | None) -> bytes:
    parsed = item.parsed
    root = etree.Element(
        f"{{{G2}}}newsItem",
        {
            "guid": ninjs_uri(item.guid, item.member_code),
            "version": str(item.version),
            "standard": "NewsML-G2",
            "standardversion": "2.33",
            "conformance": "power",
        },
        nsmap={None: G2},
    )
    if item.language:
        root.set(XML_LANG, item.language)
    _g2(root, "catalogRef", {"href": "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"})
    if parsed.copyright_notice or parsed.usage_terms:
        rights = _g2(root, "rightsInfo")
        if parsed.copyright_notice:
            _g2(rights, "copyrightNotice").text = xml_text(parsed.copyright_notice)
        if parsed.usage_terms:
            _g2(rights, "usageTerms").text = xml_text(parsed.usage_terms)
    item_meta = _g2(root, "itemMeta")
    item_type = parsed.item_type if parsed.item_type in NEWS_TYPES else "text"
    _g2(item_meta, "itemClass", {"qcode": f"ninat:{item_type}"})
    provider = _g2(item_meta, "provider", {"literal": item.member_code})
    if member is not None:
        _g2(provider, "name").text = xml_text(member.names.get("en") or member.code)
    _g2(item_meta, "versionCreated").text = _when(item.version_created)
    _g2(item_meta, "firstCreated").text = _when(item.first_created)
    if item.embargoed_until is not None:
        _g2(item_meta, "embargoed").text = _when(item.embargoed_until)
    _g2(item_meta, "pubStatus", {"qcode": _STATUS[item.pub_status]})
    for kind, value in (("item-id", item.id), ("member", item.member_code)):
        _g2(item_meta, "altId", {"type": f"tabadol:{kind}"}).text = value
    content_meta = _g2(root, "contentMeta")
    if parsed.urgency is not None and 1 <= parsed.urgency <= 9:
        _g2(content_meta, "urgency").text = str(parsed.urgency)
    if parsed.located:
        located = _g2(content_meta, "located")
        _g2(located, "name").text = xml_text(parsed.located)
    if parsed.byline:
        _g2(content_meta, "by").text = xml_text(parsed.byline)
    if parsed.slugline:
        _g2(content_meta, "slugline").text = xml_text(parsed.slugline)
    _g2(content_meta, "headline").text = xml_text(item.headline)
    if parsed.description:
        _g2(content_meta, "description", {"role": "drol:summary"}).text = xml_text(parsed.description)
    if item.language:
        _g2(content_meta, "language", {"tag": item.language})
    for subject in parsed.subjects:
        attributes = {"uri": subject.uri} if subject.uri else {}
        node = _g2(content_meta, "subject", attributes)
        _g2(node, "name").text = xml_text(subject.name)
    for keyword in parsed.keywords:
        _g2(content_meta, "keyword").text = xml_text(keyword)
    content_set = _g2(root, "contentSet")
    inline = _g2(content_set, "inlineXML", {"contenttype": "application/nitf+xml"})
    nitf = etree.SubElement(inline, f"{{{NITF_NAMESPACE}}}nitf", nsmap={None: NITF_NAMESPACE})
    body = etree.SubElement(nitf, f"{{{NITF_NAMESPACE}}}body")
    content = etree.SubElement(body, f"{{{NITF_NAMESPACE}}}body.content")
    for paragraph in paragraphs(item.body_text):
        etree.SubElement(content, f"{{{NITF_NAMESPACE}}}p").text = paragraph
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
