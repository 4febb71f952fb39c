"""RSS 2.0 (and RSS 1.0/RDF) and Atom 1.0, read with feedparser after the safe-XML gate.

feedparser is never handed the received bytes: the document is first parsed by the hardened parser
(`decode.parse_xml`, which refuses DTD subsets and entities), and feedparser reads the re-serialised,
DOCTYPE-free tree. Received HTML is kept as sent (feedparser's sanitiser is off: sanitising is the
presentation layer's business and altering bodies would break verbatim round-trips).

guid: RSS `guid` / Atom `id`, falling back to the entry link. Language: the entry's own declaration
(dc:language, xml:lang), else the channel/feed language.
"""

from __future__ import annotations

import calendar
import io
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree

from tabadol.errors import ErrorCode, ParseError
from tabadol.ingest.decode import (
    charset_from_content_type,
    language_tag,
    parse_wire_datetime,
    parse_xml,
)
from tabadol.ingest.formats import WireFormat
from tabadol.ingest.formats._common import clean_text, refuse_duplicate_guids, require_headline, resolve_body
from tabadol.ingest.formats._html import html_to_text, looks_like_html
from tabadol.ingest.formats._xml import local_name, sniff_root
from tabadol.types import ParsedItem, Subject

RSS_NAME = "rss"
ATOM_NAME = "atom"
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
_RSS_ROOTS = frozenset({"rss", "RDF"})


def sniff_rss(data: bytes) -> bool:
    root = sniff_root(data)
    return root is not None and root.local_name in _RSS_ROOTS


def sniff_atom(data: bytes) -> bool:
    root = sniff_root(data)
    return root is not None and root.local_name == "feed" and root.namespace in (ATOM_NAMESPACE, None)


def parse_rss(data: bytes, content_type: str | None) -> list[ParsedItem]:
    return _parse_feed(data, content_type, expected_roots=_RSS_ROOTS, format_name=RSS_NAME)


def parse_atom(data: bytes, content_type: str | None) -> list[ParsedItem]:
    return _parse_feed(data, content_type, expected_roots=frozenset({"feed"}), format_name=ATOM_NAME)


def _parse_feed(
    data: bytes, content_type: str | None, *, expected_roots: frozenset[str], format_name: str
) -> list[ParsedItem]:
    root = parse_xml(data, charset_from_content_type(content_type))
    if local_name(root) not in expected_roots:
        raise ParseError(
            ErrorCode.WRONG_DOCUMENT_TYPE, format=format_name.upper(), kind=f"<{local_name(root)}> document"
        )
    safe_bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    parsed = feedparser.parse(io.BytesIO(safe_bytes), sanitize_html=False, resolve_relative_uris=False)
    feed_language = language_tag(parsed.feed.get("language"))
    items = [
        _parse_entry(entry, position, feed_language, format_name)
        for position, entry in enumerate(parsed.entries, start=1)
    ]
    refuse_duplicate_guids(items)
    return items


def _parse_entry(entry: Mapping[str, Any], position: int, feed_language: str | None, fmt: str) -> ParsedItem:
    link = clean_text(entry.get("link"))
    guid = clean_text(entry.get("id")) or link
    if guid is None:
        raise ParseError(ErrorCode.MISSING_FIELD, position=position, field="guid")
    body_html, body_text = _body(entry)
    summary = _summary_text(entry)
    published = _date(entry, "published", position)
    updated = _date(entry, "updated", position)
    return ParsedItem(
        guid=guid,
        headline=require_headline(_detail_text(entry, "title"), position),
        body_text=resolve_body(body_text, summary, "text", position),
        body_html=body_html,
        source_format=fmt,
        language=_entry_language(entry) or feed_language,
        first_created=published,
        version_created=updated or published,
        byline=clean_text(entry.get("author")),
        description=summary if summary != body_text else None,
        copyright_notice=clean_text(entry.get("rights")),
        link=link,
        subjects=_subjects(entry),
        extra=_extra(entry),
    )


def _is_html(detail: Mapping[str, Any] | None) -> bool:
    return bool(detail) and "html" in str(detail.get("type", "")) if detail else False


def _detail_text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if not isinstance(value, str):
        return None
    return clean_text(html_to_text(value)) if _is_html(entry.get(f"{key}_detail")) else clean_text(value)


def _body(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(HTML as sent or None, plain text): full content first (content:encoded, atom:content)."""
    for content in entry.get("content") or []:
        value = content.get("value")
        if isinstance(value, str) and value.strip():
            if _is_html(content):
                return value, html_to_text(value) or None
            return None, clean_text(value)
    summary = _summary_raw(entry)
    if summary is not None:
        if _is_html(entry.get("summary_detail")) and looks_like_html(summary):
            return summary, html_to_text(summary) or None
        return None, clean_text(summary)
    return None, None


def _summary_raw(entry: Mapping[str, Any]) -> str | None:
    """The sender's summary/description. feedparser copies Atom content into `summary` without a
    `summary_detail` when there is no summary element: that copy is not a summary."""
    summary = entry.get("summary")
    if entry.get("summary_detail") is None or not isinstance(summary, str) or not summary.strip():
        return None
    return summary


def _summary_text(entry: Mapping[str, Any]) -> str | None:
    return _detail_text(entry, "summary") if _summary_raw(entry) is not None else None


def _date(entry: Mapping[str, Any], key: str, position: int) -> datetime | None:
    """Our strict ISO 8601 / RFC 822 reading first; feedparser's broader date reading second."""
    # dict.get, not entry.get: FeedParserDict silently maps a missing `updated` to `published`.
    fields: dict[str, Any] = entry if isinstance(entry, dict) else dict(entry)
    raw = dict.get(fields, key)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return parse_wire_datetime(raw, field=key, position=position)
    except ParseError:
        parsed = dict.get(fields, f"{key}_parsed")
        if isinstance(parsed, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        raise


def _entry_language(entry: Mapping[str, Any]) -> str | None:
    explicit = entry.get("language")
    if explicit:
        return language_tag(explicit)
    for detail in [entry.get("title_detail"), *(entry.get("content") or [])]:
        if isinstance(detail, Mapping) and detail.get("language"):
            return language_tag(detail["language"])
    return None


def _subjects(entry: Mapping[str, Any]) -> tuple[Subject, ...]:
    subjects = []
    for tag in entry.get("tags") or []:
        name = clean_text(tag.get("label")) or clean_text(tag.get("term"))
        if name:
            subjects.append(Subject(name=name, scheme=clean_text(tag.get("scheme"))))
    return tuple(subjects)


def _extra(entry: Mapping[str, Any]) -> dict[str, Any]:
    enclosures = [
        {key: str(value) for key, value in enclosure.items() if key in ("href", "type", "length")}
        for enclosure in entry.get("enclosures") or []
    ]
    return {"enclosures": enclosures} if enclosures else {}


RSS_FORMAT = WireFormat(
    name=RSS_NAME,
    media_types=("application/rss+xml", "application/rdf+xml"),
    sniff=sniff_rss,
    parse=parse_rss,
)
ATOM_FORMAT = WireFormat(
    name=ATOM_NAME, media_types=("application/atom+xml",), sniff=sniff_atom, parse=parse_atom
)
