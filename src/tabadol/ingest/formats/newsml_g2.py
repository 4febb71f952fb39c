"""IPTC NewsML-G2: a `newsItem`, or a `newsMessage` whose itemSet carries newsItems.

Other G2 documents (conceptItem, knowledgeItem, planningItem, packageItem, catalogItem) and bare
fragments (a contentSet, a groupSet) are refused with WRONG_DOCUMENT_TYPE: they describe concepts,
plans or packaging, not news, and storing them as items would mislead subscribers. Inside a
newsMessage, package items travel alongside the news items they package and are skipped.

Text comes from contentSet: NITF or XHTML in `inlineXML`, or `inlineData`. For pictures, video and
audio (`remoteContent`) the description (caption, shot list) becomes the searchable body text.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from tabadol.errors import ErrorCode, ParseError
from tabadol.ingest.decode import charset_from_content_type, language_tag, optional_datetime, parse_xml
from tabadol.ingest.formats import WireFormat, nitf
from tabadol.ingest.formats._common import (
    clean_text,
    parse_pub_status,
    parse_urgency,
    refuse_duplicate_guids,
    require_headline,
    resolve_body,
)
from tabadol.ingest.formats._html import element_to_text, html_to_text
from tabadol.ingest.formats._xml import XML_LANG, attribute, child, children, local_name, sniff_root, text_of
from tabadol.types import ParsedItem, Subject

NAME = "newsml-g2"
G2_NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
_ITEM_ROOTS = frozenset(
    {"newsItem", "newsMessage", "conceptItem", "knowledgeItem", "packageItem", "planningItem", "catalogItem"}
)
_XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
_DESCRIPTION_ROLES = ("drol:caption", "drol:summary", "drol:abstract", None)


def sniff(data: bytes) -> bool:
    root = sniff_root(data)
    return root is not None and (root.local_name in _ITEM_ROOTS or root.namespace == G2_NAMESPACE)


def parse(data: bytes, content_type: str | None) -> list[ParsedItem]:
    root = parse_xml(data, charset_from_content_type(content_type))
    kind = local_name(root)
    if kind == "newsItem":
        return [_parse_news_item(root, position=1)]
    if kind == "newsMessage":
        return _parse_news_message(root)
    described = kind if kind in _ITEM_ROOTS else f"<{kind}> fragment"
    raise ParseError(ErrorCode.WRONG_DOCUMENT_TYPE, format="NewsML-G2", kind=described)


def _parse_news_message(root: etree._Element) -> list[ParsedItem]:
    item_set = child(root, "itemSet")
    carried = [node for node in item_set if isinstance(node.tag, str)] if item_set is not None else []
    news_items = [node for node in carried if local_name(node) == "newsItem"]
    if not news_items:
        kinds = ", ".join(sorted({local_name(node) for node in carried})) or "nothing"
        raise ParseError(
            ErrorCode.WRONG_DOCUMENT_TYPE, format="NewsML-G2", kind=f"newsMessage carrying {kinds}"
        )
    items = [_parse_news_item(node, position) for position, node in enumerate(news_items, start=1)]
    refuse_duplicate_guids(items)
    return items


def _parse_news_item(item: etree._Element, position: int) -> ParsedItem:
    guid = attribute(item, "guid")
    if guid is None:
        raise ParseError(ErrorCode.MISSING_FIELD, position=position, field="guid")
    item_meta, content_meta = child(item, "itemMeta"), child(item, "contentMeta")
    item_type = _item_type(item_meta)
    content = _inline_content(item)
    description = _description(content_meta)
    pub_status = parse_pub_status(attribute(child(item_meta, "pubStatus"), "qcode"), position)
    return ParsedItem(
        guid=guid,
        headline=require_headline(text_of(child(content_meta, "headline")) or content.headline, position),
        body_text=resolve_body(content.text, description, item_type, position, pub_status),
        body_html=content.html,
        source_format=NAME,
        language=_language(item, content_meta),
        pub_status=pub_status,
        sender_version=attribute(item, "version"),
        item_type=item_type,
        urgency=parse_urgency(text_of(child(content_meta, "urgency")), position),
        first_created=_date(item_meta, "firstCreated", position),
        version_created=_date(item_meta, "versionCreated", position),
        embargoed_until=_date(item_meta, "embargoed", position),
        byline=text_of(child(content_meta, "by")) or _creator(content_meta) or content.byline,
        located=text_of(child(content_meta, "located", "name")) or text_of(child(content_meta, "dateline")),
        slugline=text_of(child(content_meta, "slugline")),
        description=description,
        copyright_notice=text_of(child(item, "rightsInfo", "copyrightNotice")),
        usage_terms=text_of(child(item, "rightsInfo", "usageTerms")),
        subjects=_subjects(content_meta),
        keywords=tuple(k for k in (text_of(n) for n in _all(content_meta, "keyword")) if k),
        extra=_extra(item, item_meta, content_meta),
    )


class _Content:
    """What the contentSet yields: body text, HTML (XHTML bodies only) and NITF head fields."""

    def __init__(
        self, text: str | None = None, html: str | None = None, headline: str | None = None,
        byline: str | None = None,
    ) -> None:  # fmt: skip
        self.text, self.html, self.headline, self.byline = text, html, headline, byline


def _inline_content(item: etree._Element) -> _Content:
    content_set = child(item, "contentSet")
    if content_set is None:
        return _Content()
    for node in content_set:
        if not isinstance(node.tag, str):
            continue
        name = local_name(node)
        if name == "inlineXML":
            content = _from_inline_xml(node)
        elif name == "inlineData":
            data = (node.text or "").strip()
            is_html = "html" in (node.get("contenttype") or "")
            content = _Content(
                text=html_to_text(data) if is_html else clean_text(data), html=data if is_html else None
            )
        else:
            continue
        if content.text:
            return content
    return _Content()


def _from_inline_xml(node: etree._Element) -> _Content:
    payload = next((c for c in node if isinstance(c.tag, str)), None)
    if payload is None:
        return _Content(text=clean_text(node.text))
    if local_name(payload) == "nitf":
        return _Content(
            text=nitf.body_text(payload), headline=nitf.headline(payload), byline=nitf.byline(payload)
        )
    if local_name(payload) == "html":
        body = child(payload, "body")
        payload = body if body is not None else payload
        return _Content(text=element_to_text(payload) or None, html=_inner_markup(payload))
    return _Content(text=element_to_text(payload) or None)


def _inner_markup(element: etree._Element) -> str:
    parts = [element.text or ""]
    parts += [etree.tostring(c, encoding="unicode") for c in element]
    # Each serialised child repeats the XHTML namespace declaration; as HTML it is noise.
    return "".join(parts).replace(f' xmlns="{_XHTML_NAMESPACE}"', "").strip()


def _item_type(item_meta: etree._Element | None) -> str:
    qcode = attribute(child(item_meta, "itemClass"), "qcode") or "ninat:text"
    return qcode.rsplit(":", 1)[-1].rsplit("/", 1)[-1].lower() or "text"


def _date(item_meta: etree._Element | None, name: str, position: int) -> datetime | None:
    return optional_datetime(text_of(child(item_meta, name)), field=name, position=position)


def _language(item: etree._Element, content_meta: etree._Element | None) -> str | None:
    declared = attribute(child(content_meta, "language"), "tag") or item.get(XML_LANG)
    return language_tag(declared)


def _description(content_meta: etree._Element | None) -> str | None:
    nodes = children(content_meta, "description") if content_meta is not None else []
    for role in _DESCRIPTION_ROLES:
        for node in nodes:
            if node.get("role") == role:
                return element_to_text(node) or None
    return (element_to_text(nodes[0]) or None) if nodes else None


def _creator(content_meta: etree._Element | None) -> str | None:
    names = [text_of(child(node, "name")) for node in _all(content_meta, "creator")]
    joined = ", ".join(name for name in names if name)
    return joined or None


def _all(parent: etree._Element | None, name: str) -> list[etree._Element]:
    return children(parent, name) if parent is not None else []


def _subjects(content_meta: etree._Element | None) -> tuple[Subject, ...]:
    subjects = []
    for node in _all(content_meta, "subject"):
        qcode, uri = attribute(node, "qcode"), attribute(node, "uri")
        name = text_of(child(node, "name")) or qcode or uri
        if name:
            scheme = qcode.split(":", 1)[0] if qcode and ":" in qcode else None
            subjects.append(Subject(name=name, uri=uri or qcode, scheme=scheme))
    return tuple(subjects)


def _extra(
    item: etree._Element, item_meta: etree._Element | None, content_meta: etree._Element | None
) -> dict[str, object]:
    extra: dict[str, object] = {}
    ed_note = text_of(child(item_meta, "edNote"))
    if ed_note:
        extra["edNote"] = ed_note
    genres = [text_of(child(g, "name")) or attribute(g, "qcode") for g in _all(content_meta, "genre")]
    if any(genres):
        extra["genres"] = [g for g in genres if g]
    renditions = [
        {key: value for key, value in node.attrib.items() if isinstance(key, str) and "}" not in key}
        for node in _all(child(item, "contentSet"), "remoteContent")
    ]
    if renditions:
        extra["remoteContent"] = renditions
    return extra


FORMAT = WireFormat(
    name=NAME,
    media_types=("application/vnd.iptc.g2.newsitem+xml", "application/vnd.iptc.g2.newsmessage+xml"),
    sniff=sniff,
    parse=parse,
)
