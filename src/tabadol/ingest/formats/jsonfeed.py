"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1).

`items[].id` is the guid. `content_html` is kept verbatim as body_html and plain text is derived from
it when `content_text` is absent. Item `language` (1.1) wins over the feed's.
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
    refuse_duplicate_guids,
    require_headline,
    resolve_body,
)
from tabadol.ingest.formats._html import html_to_text
from tabadol.types import ParsedItem

NAME = "jsonfeed"
_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_MAPPED_KEYS = frozenset(
    {"id", "title", "content_text", "content_html", "summary", "date_published", "date_modified",
     "language", "tags", "url", "authors", "author"}
)  # fmt: skip


def is_json_feed(document: object) -> bool:
    if not isinstance(document, Mapping):
        return False
    version = document.get("version")
    return isinstance(version, str) and version.startswith(_VERSION_PREFIXES)


def may_be_json_feed(data: bytes) -> bool:
    """A cheap pre-check before a full parse: a JSON Feed names its spec's host in its version (even
    with escaped slashes), unless it is UTF-16/32, whose NUL bytes hide the ASCII marker."""
    return b"jsonfeed.org" in data or b"\x00" in data[:8]


def sniff(data: bytes) -> bool:
    if first_non_space_byte(data) != ord("{") or not may_be_json_feed(data):
        return False
    try:
        return is_json_feed(parse_json(data))
    except ParseError:
        return False


def parse(data: bytes, content_type: str | None) -> list[ParsedItem]:
    document = parse_json(data, charset_from_content_type(content_type))
    if not is_json_feed(document):
        raise ParseError(
            ErrorCode.INVALID_FIELD,
            position=0,
            field="version",
            reason="a JSON Feed declares version https://jsonfeed.org/version/1 or /1.1",
        )
    entries = document.get("items")
    if not isinstance(entries, list):
        raise ParseError(ErrorCode.MISSING_FIELD, position=0, field="items")
    feed_language = language_tag(document.get("language"))
    feed_author = _author_names(document)
    items = [
        _parse_entry(entry, position, feed_language, feed_author)
        for position, entry in enumerate(entries, start=1)
    ]
    refuse_duplicate_guids(items)
    return items


def _parse_entry(
    entry: object, position: int, feed_language: str | None, feed_author: str | None
) -> ParsedItem:
    if not isinstance(entry, Mapping):
        raise ParseError(ErrorCode.INVALID_FIELD, position=position, field="item", reason="not a JSON object")
    guid = entry.get("id")
    if isinstance(guid, int | float) and not isinstance(guid, bool):
        guid = str(guid)  # JSON Feed 1.0 readers are told to coerce numeric ids to strings
    guid = clean_text(guid)
    if guid is None:
        raise ParseError(ErrorCode.MISSING_FIELD, position=position, field="id")
    body_html = entry.get("content_html") if isinstance(entry.get("content_html"), str) else None
    body_text = clean_text(entry.get("content_text")) or (html_to_text(body_html) if body_html else None)
    summary = clean_text(entry.get("summary"))
    return ParsedItem(
        guid=guid,
        headline=require_headline(clean_text(entry.get("title")), position),
        body_text=resolve_body(body_text or None, summary, "text", position),
        body_html=body_html,
        source_format=NAME,
        language=language_tag(entry.get("language")) or feed_language,
        first_created=optional_datetime(
            entry.get("date_published"), field="date_published", position=position
        ),
        version_created=optional_datetime(
            entry.get("date_modified"), field="date_modified", position=position
        )
        or optional_datetime(entry.get("date_published"), field="date_published", position=position),
        byline=_author_names(entry) or feed_author,
        description=summary,
        link=clean_text(entry.get("url")),
        keywords=tuple(_tags(entry)),
        extra={key: value for key, value in entry.items() if key not in _MAPPED_KEYS},
    )


def _tags(entry: Mapping[str, Any]) -> list[str]:
    tags = entry.get("tags")
    if not isinstance(tags, list):
        return []
    return [tag for tag in (clean_text(t) for t in tags) if tag]


def _author_names(container: Mapping[str, Any]) -> str | None:
    """1.1 `authors` list, or the 1.0 single `author` object."""
    authors = container.get("authors")
    if not isinstance(authors, list):
        authors = [container.get("author")]
    names = [clean_text(a.get("name")) for a in authors if isinstance(a, Mapping)]
    joined = ", ".join(n for n in names if n)
    return joined or None


FORMAT = WireFormat(name=NAME, media_types=("application/feed+json",), sniff=sniff, parse=parse)
