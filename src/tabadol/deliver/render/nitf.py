"""Render an item as NITF 3.6 (News Industry Text Format), for members whose systems read NITF.

The mapping mirrors the hub's NITF reader (ingest/formats/nitf.py), so an item rendered here and read
back gives the same headline, body paragraphs, language, identifier, urgency, times, byline, dateline,
abstract, keywords and pub status: `tests/deliver/test_nitf_render.py` checks exactly that round trip.

- identifier: `docdata/doc-id@id-string` is the item's ninjs uri (the sender's guid, namespaced by
  member), `@regsrc` the member code; the hub's item id and version go in `docdata/du-key`
  (`@key`, `@version`), NITF's own place for "this is an update of that document".
- a killed item is `management-status="canceled"` with the hub's kill notice as its body, as the
  kill was stored; an embargoed item carries `date.release` and `management-status="embargoed"`.
- text goes in `<p>` paragraphs (blank lines in the stored body text); agency HTML is never copied.
  Characters XML 1.0 forbids (control characters) are dropped: they cannot be written at all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lxml import etree

from tabadol.deliver.render.feeds import XML_LANG
from tabadol.deliver.render.feeds import clean_text as xml_text
from tabadol.deliver.render.ninjs import ninjs_uri
from tabadol.types import Item, MemberInfo, PubStatus

NITF_MEDIA_TYPE = "application/nitf+xml"
NITF_VERSION = "-//IPTC//DTD NITF 3.6//EN"
_PARAGRAPHS = re.compile(r"\n\s*\n")


def paragraphs(body_text: str) -> list[str]:
    """The stored body text's paragraphs (separated by blank lines), XML-safe, empty ones dropped."""
    return [xml_text(part.strip()) for part in _PARAGRAPHS.split(body_text.strip()) if part.strip()]


def _norm(value: datetime) -> str:
    """NITF's ISO 8601 basic form in UTC, e.g. 20261123T120000Z."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def item_to_nitf(item: Item, member: MemberInfo | None) -> bytes:
    parsed = item.parsed
    root = etree.Element("nitf", version=NITF_VERSION, nsmap=None)
    if item.language:
        root.set(XML_LANG, item.language)
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = xml_text(item.headline)
    if parsed.subjects:
        tobject = etree.SubElement(head, "tobject", {"tobject.type": "news"})
        for subject in parsed.subjects:
            attributes = {"tobject.subject.type": xml_text(subject.name)}
            if subject.uri and subject.uri.rstrip("/").rsplit("/", 1)[-1].isdigit():
                attributes["tobject.subject.refnum"] = subject.uri.rstrip("/").rsplit("/", 1)[-1]
            etree.SubElement(tobject, "tobject.subject", attributes)
    docdata = etree.SubElement(head, "docdata", {"management-status": _status(item)})
    etree.SubElement(
        docdata, "doc-id", {"id-string": ninjs_uri(item.guid, item.member_code), "regsrc": item.member_code}
    )
    etree.SubElement(docdata, "du-key", {"key": item.id, "version": str(item.version)})
    if parsed.urgency is not None and 1 <= parsed.urgency <= 9:
        etree.SubElement(docdata, "urgency", {"ed-urg": str(parsed.urgency)})
    etree.SubElement(docdata, "date.issue", {"norm": _norm(item.version_created)})
    if item.embargoed_until is not None:
        etree.SubElement(docdata, "date.release", {"norm": _norm(item.embargoed_until)})
    if parsed.copyright_notice:
        etree.SubElement(docdata, "doc.copyright", {"holder": xml_text(_holder(parsed.copyright_notice))})
    if parsed.keywords:
        key_list = etree.SubElement(docdata, "key-list")
        for keyword in parsed.keywords:
            etree.SubElement(key_list, "keyword", {"key": xml_text(keyword)})
    body = etree.SubElement(root, "body")
    body_head = etree.SubElement(body, "body.head")
    hedline = etree.SubElement(body_head, "hedline")
    etree.SubElement(hedline, "hl1").text = xml_text(item.headline)
    if parsed.byline:
        etree.SubElement(body_head, "byline").text = xml_text(parsed.byline)
    if parsed.located:
        etree.SubElement(body_head, "dateline").text = xml_text(parsed.located)
    if parsed.description:
        abstract = etree.SubElement(body_head, "abstract")
        etree.SubElement(abstract, "p").text = xml_text(parsed.description)
    distributor = etree.SubElement(body_head, "distributor")
    distributor.text = xml_text(_member_name(member, item))
    content = etree.SubElement(body, "body.content")
    for paragraph in paragraphs(item.body_text):
        etree.SubElement(content, "p").text = paragraph
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _status(item: Item) -> str:
    if item.pub_status is PubStatus.CANCELED:
        return "canceled"
    if item.pub_status is PubStatus.WITHHELD:
        return "withheld"
    return "embargoed" if item.embargoed_until is not None else "usable"


def _holder(notice: str) -> str:
    return re.sub(r"^(copyright|©)\s*(\d{4}\s+)?", "", notice.strip(), flags=re.IGNORECASE) or notice


def _member_name(member: MemberInfo | None, item: Item) -> str:
    if member is None:
        return item.member_code
    if item.language and item.language.split("-")[0] in member.names:
        return member.names[item.language.split("-")[0]]
    return member.names.get("en") or member.code
