"""NITF 3.x (News Industry Text Format).

Mapping: docdata/doc-id@id-string -> guid; body.head/hedline/hl1 (else head/title) -> headline;
body.content -> body_text (paragraphs); docdata/urgency@ed-urg -> urgency; date.issue -> version
created; date.release -> embargo; docdata@management-status -> pub status; byline, dateline,
abstract, doc.copyright, key-list keywords and tobject subjects. Language from `xml:lang` on the
root or body, else a head `<meta name="language">`. The body functions are reused by NewsML-G2 for
NITF carried in inlineXML.
"""

from __future__ import annotations

from lxml import etree

from tabadol.errors import ErrorCode, ParseError
from tabadol.ingest.decode import charset_from_content_type, language_tag, optional_datetime, parse_xml
from tabadol.ingest.formats import WireFormat
from tabadol.ingest.formats._common import (
    parse_pub_status,
    parse_urgency,
    require_headline,
    resolve_body,
)
from tabadol.ingest.formats._html import element_to_text
from tabadol.ingest.formats._xml import (
    XML_LANG,
    attribute,
    child,
    children,
    descendants,
    local_name,
    sniff_root,
    text_of,
)
from tabadol.types import ParsedItem, PubStatus, Subject

NAME = "nitf"
_SUBJECT_CODE_URI = "http://cv.iptc.org/newscodes/subjectcode/"


def sniff(data: bytes) -> bool:
    root = sniff_root(data)
    return root is not None and root.local_name == "nitf"


def parse(data: bytes, content_type: str | None) -> list[ParsedItem]:
    root = parse_xml(data, charset_from_content_type(content_type))
    if local_name(root) != "nitf":
        raise ParseError(ErrorCode.WRONG_DOCUMENT_TYPE, format="NITF", kind=f"<{local_name(root)}> document")
    return [_parse_document(root, position=1)]


def _parse_document(root: etree._Element, position: int) -> ParsedItem:
    head = child(root, "head")
    docdata = child(head, "docdata")
    status = attribute(docdata, "management-status")
    # "embargoed" is a state, not a kill: the item is usable once date.release has passed.
    pub_status = PubStatus.USABLE if status == "embargoed" else parse_pub_status(status, position)
    return ParsedItem(
        guid=attribute(child(docdata, "doc-id"), "id-string"),
        headline=require_headline(headline(root) or text_of(child(head, "title")), position),
        body_text=resolve_body(body_text(root), abstract(root), "text", position, pub_status),
        source_format=NAME,
        language=_language(root),
        pub_status=pub_status,
        urgency=parse_urgency(attribute(child(docdata, "urgency"), "ed-urg"), position),
        version_created=optional_datetime(
            attribute(child(docdata, "date.issue"), "norm"), field="date.issue", position=position
        ),
        embargoed_until=optional_datetime(
            attribute(child(docdata, "date.release"), "norm"), field="date.release", position=position
        ),
        byline=byline(root),
        located=dateline(root),
        description=abstract(root),
        copyright_notice=_copyright(docdata),
        subjects=_subjects(head),
        keywords=tuple(k for k in (attribute(e, "key") for e in descendants(head, "keyword")) if k)
        if head is not None
        else (),
        extra=_extra(docdata),
    )


def headline(nitf: etree._Element) -> str | None:
    return text_of(child(nitf, "body", "body.head", "hedline", "hl1"))


def byline(nitf: etree._Element) -> str | None:
    return text_of(child(nitf, "body", "body.head", "byline"))


def dateline(nitf: etree._Element) -> str | None:
    return text_of(child(nitf, "body", "body.head", "dateline"))


def abstract(nitf: etree._Element) -> str | None:
    node = child(nitf, "body", "body.head", "abstract")
    return (element_to_text(node) or None) if node is not None else None


def body_text(nitf: etree._Element) -> str | None:
    content = child(nitf, "body", "body.content")
    return (element_to_text(content) or None) if content is not None else None


def _language(root: etree._Element) -> str | None:
    body, head = child(root, "body"), child(root, "head")
    declared = root.get(XML_LANG) or (body.get(XML_LANG) if body is not None else None)
    if declared:
        return language_tag(declared)
    for meta in children(head, "meta") if head is not None else []:
        if (meta.get("name") or "").lower() in ("language", "lang", "dc.language"):
            return language_tag(meta.get("content"))
    return None


def _copyright(docdata: etree._Element | None) -> str | None:
    node = child(docdata, "doc.copyright")
    holder, year = attribute(node, "holder"), attribute(node, "year")
    if not holder:
        return None
    return f"Copyright {year} {holder}" if year else f"Copyright {holder}"


def _subjects(head: etree._Element | None) -> tuple[Subject, ...]:
    if head is None:
        return ()
    subjects = []
    for node in descendants(head, "tobject.subject"):
        refnum = attribute(node, "tobject.subject.refnum")
        name = (
            attribute(node, "tobject.subject.detail")
            or attribute(node, "tobject.subject.matter")
            or attribute(node, "tobject.subject.type")
            or refnum
        )
        if name:
            uri = _SUBJECT_CODE_URI + refnum if refnum and refnum.isdigit() else None
            subjects.append(Subject(name=name, uri=uri, scheme="subj" if uri else None))
    return tuple(subjects)


def _extra(docdata: etree._Element | None) -> dict[str, str]:
    extra: dict[str, str] = {}
    ed_msg = attribute(child(docdata, "ed-msg"), "info")
    if ed_msg:
        extra["ed_msg"] = ed_msg
    expire = attribute(child(docdata, "date.expire"), "norm")
    if expire:
        extra["date_expire"] = expire
    return extra


FORMAT = WireFormat(name=NAME, media_types=("application/nitf+xml",), sniff=sniff, parse=parse)
