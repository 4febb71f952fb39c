"""IPTC ninjs 3.x, and the older 2.x (lower-case keys) and 1.x (`headline`, `body_text`...) shapes.

Keys are matched case-insensitively, which reads 3.x camelCase (`versionCreated`) and 2.x lower case
(`versioncreated`) with one code path. A payload is one ninjs object or a JSON array of them.
Everything not mapped to a ParsedItem field (associations, renditions, places, people, eventDetails,
altIds, rightsInfo...) is kept under `extra` with the sender's key names, for round-tripping.
Content rules (headline required; text items need a body or description) are in `_common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tabadol.errors import ErrorCode, ParseError
from tabadol.ingest.decode import charset_from_content_type, language_tag, optional_datetime, parse_json
from tabadol.ingest.formats import WireFormat
from tabadol.ingest.formats._common import (
    clean_text,
    first_non_space_byte,
    parse_pub_status,
    parse_urgency,
    refuse_duplicate_guids,
    require_headline,
    resolve_body,
)
from tabadol.ingest.formats._html import html_to_text, looks_like_html
from tabadol.ingest.formats.jsonfeed import is_json_feed, may_be_json_feed
from tabadol.types import ParsedItem, Subject

NAME = "ninjs"
_MAPPED_KEYS = frozenset(
    {"uri", "guid", "type", "version", "firstcreated", "versioncreated", "embargoed", "embargoeduntil",
     "pubstatus", "urgency", "copyrightnotice", "usageterms", "language", "descriptions", "bodies",
     "headlines", "headline", "body_text", "body_html", "body_xhtml", "description_text",
     "description_html", "subjects", "subject", "by", "byline", "slugline", "located"}
)  # fmt: skip
_DESCRIPTION_ROLES = ("caption", "text", "summary", "lead", "abstract", "main", None)
_MARKUP_HINTS = ("html", "xml", "nitf")


def sniff(data: bytes) -> bool:
    """Any JSON object (or array of objects) that is not a JSON Feed: ninjs is the JSON catch-all."""
    first = first_non_space_byte(data)
    if first == ord("["):
        second = first_non_space_byte(data.lstrip(b"\xef\xbb\xbf").lstrip()[1:])
        if second not in (ord("{"), ord("]")):
            return False
    elif first != ord("{"):
        return False
    if not may_be_json_feed(data):
        return True  # cheap: only a document that may be a JSON Feed needs a full parse to tell
    try:
        return not is_json_feed(parse_json(data))
    except ParseError:
        return True  # malformed JSON: let parse() report exactly what is wrong


def parse(data: bytes, content_type: str | None) -> list[ParsedItem]:
    document = parse_json(data, charset_from_content_type(content_type))
    objects = document if isinstance(document, list) else [document]
    items = [_parse_object(obj, position) for position, obj in enumerate(objects, start=1)]
    refuse_duplicate_guids(items)
    return items


def _parse_object(obj: object, position: int) -> ParsedItem:
    if not isinstance(obj, Mapping):
        raise ParseError(
            ErrorCode.INVALID_FIELD, position=position, field="item", reason="a ninjs item is a JSON object"
        )
    fields = {str(key).lower(): value for key, value in obj.items()}
    item_type = _item_type(fields)
    description = _description(fields)
    pub_status = parse_pub_status(fields.get("pubstatus"), position)
    return ParsedItem(
        guid=_guid(fields, position),
        headline=require_headline(_headline(fields), position),
        body_text=resolve_body(_body_text(fields), description, item_type, position, pub_status),
        body_html=_body_html(fields),
        source_format=NAME,
        language=language_tag(fields.get("language")),
        pub_status=pub_status,
        sender_version=_version(fields.get("version")),
        item_type=item_type,
        urgency=parse_urgency(fields.get("urgency"), position),
        first_created=optional_datetime(fields.get("firstcreated"), field="firstCreated", position=position),
        version_created=optional_datetime(
            fields.get("versioncreated"), field="versionCreated", position=position
        ),
        embargoed_until=optional_datetime(
            fields.get("embargoeduntil", fields.get("embargoed")), field="embargoed", position=position
        ),
        byline=clean_text(fields.get("by")) or clean_text(fields.get("byline")),
        located=clean_text(fields.get("located")),
        slugline=clean_text(fields.get("slugline")),
        description=description,
        copyright_notice=clean_text(fields.get("copyrightnotice")),
        usage_terms=clean_text(fields.get("usageterms")),
        subjects=_subjects(fields.get("subjects", fields.get("subject"))),
        extra={key: value for key, value in obj.items() if str(key).lower() not in _MAPPED_KEYS},
    )


def _guid(fields: Mapping[str, Any], position: int) -> str:
    guid = clean_text(fields.get("uri")) or clean_text(fields.get("guid"))
    if guid is None:
        raise ParseError(ErrorCode.MISSING_FIELD, position=position, field="uri")
    return guid


def _item_type(fields: Mapping[str, Any]) -> str:
    declared = clean_text(fields.get("type"))
    if declared:
        return declared.lower()
    # ninjs 3.x event listings often omit `type` but always carry eventDetails.
    return "event" if "eventdetails" in fields else "text"


def _version(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return clean_text(value)


def _entries(value: object) -> list[Mapping[str, Any]]:
    """A ninjs headlines/bodies/descriptions array, keys lower-cased, entries without a value dropped."""
    if not isinstance(value, list):
        return []
    entries = [{str(k).lower(): v for k, v in e.items()} for e in value if isinstance(e, Mapping)]
    return [e for e in entries if clean_text(e.get("value"))]


def _is_markup(entry: Mapping[str, Any]) -> bool:
    hint = f"{entry.get('contenttype') or ''} {entry.get('role') or ''}".lower()
    if any(word in hint for word in _MARKUP_HINTS):
        return True
    return not entry.get("contenttype") and looks_like_html(str(entry.get("value")))


def _headline(fields: Mapping[str, Any]) -> str | None:
    entries = _entries(fields.get("headlines"))
    main = [e for e in entries if e.get("role") == "main"] or entries
    for entry in main:
        value = str(entry["value"])
        return html_to_text(value) if _is_markup(entry) else clean_text(value)
    return clean_text(fields.get("headline")) or clean_text(fields.get("title"))


def _body_text(fields: Mapping[str, Any]) -> str | None:
    entries = _entries(fields.get("bodies"))
    for entry in entries:
        if not _is_markup(entry):
            return clean_text(entry["value"])
    for entry in entries:
        return html_to_text(str(entry["value"])) or None
    legacy_html = clean_text(fields.get("body_html")) or clean_text(fields.get("body_xhtml"))
    return clean_text(fields.get("body_text")) or (html_to_text(legacy_html) if legacy_html else None)


def _body_html(fields: Mapping[str, Any]) -> str | None:
    """The sender's HTML body exactly as received (NITF bodies are XML, not HTML: left in `extra`)."""
    for entry in _entries(fields.get("bodies")):
        hint = f"{entry.get('contenttype') or ''} {entry.get('role') or ''}".lower()
        if "html" in hint:
            return str(entry["value"])
    legacy = fields.get("body_html") or fields.get("body_xhtml")
    return legacy if isinstance(legacy, str) and legacy.strip() else None


def _description(fields: Mapping[str, Any]) -> str | None:
    entries = _entries(fields.get("descriptions"))
    for role in _DESCRIPTION_ROLES:
        for entry in entries:
            if entry.get("role") == role and not _is_markup(entry):
                return clean_text(entry["value"])
    for entry in entries:
        if _is_markup(entry):
            return html_to_text(str(entry["value"])) or None
    legacy_html = clean_text(fields.get("description_html"))
    return clean_text(fields.get("description_text")) or (html_to_text(legacy_html) if legacy_html else None)


def _subjects(value: object) -> tuple[Subject, ...]:
    if not isinstance(value, list):
        return ()
    subjects: list[Subject] = []
    for entry in value:
        if not isinstance(entry, Mapping):
            continue
        name = (
            clean_text(entry.get("name")) or clean_text(entry.get("literal")) or clean_text(entry.get("code"))
        )
        uri = clean_text(entry.get("uri"))
        if name or uri:
            subjects.append(Subject(name=name or uri or "", uri=uri, scheme=clean_text(entry.get("scheme"))))
    return tuple(subjects)


FORMAT = WireFormat(
    name=NAME,
    # Plain application/json is deliberately absent: it is chosen by sniffing, so that a JSON Feed
    # sent as application/json reaches the JSON Feed parser rather than this one.
    media_types=("application/ninjs+json", "application/vnd.iptc.ninjs+json"),
    sniff=sniff,
    parse=parse,
)
