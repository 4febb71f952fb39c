"""Render items and versions as IPTC ninjs 3.1 documents.

ninjs 3.1 closes its root object (`unevaluatedProperties: false`), so the hub cannot add its own
top-level fields. Hub metadata therefore goes where the schema has room for it:

- `altIds` carries the hub's identifiers, each with a `tabadol:` role (item id, member code, the
  sender's raw guid, SHA-256 of the original bytes and of the parsed content, reception time);
- `renditions` carries links to this ninjs rendition and to the verbatim original (when a base
  URL is known, because ninjs requires absolute URIs there);
- `infoSources` names the member agency as the provider.

Keywords have no field of their own in ninjs 3.x; they become subjects with a `keyword:` literal,
the convention used by IPTC's published examples.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from tabadol.serialize import format_datetime
from tabadol.types import Item, ItemVersion, MemberInfo, ParsedItem, PubStatus, Subject

NINJS_MEDIA_TYPE = "application/ninjs+json"
NINJS_STANDARD = {
    "name": "ninjs",
    "version": "3.1",
    "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json",
}
# The ninjs `type` vocabulary (IPTC ninature); anything else is rendered as text.
NEWS_TYPES = frozenset(
    {"text", "audio", "video", "picture", "graphic", "composite", "component", "event", "planning"}
)
# RFC 3986 absolute URI: a scheme, a colon and no whitespace (what ninjs' "format": "uri" requires).
ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
ALT_ID_ROLE_PREFIX = "tabadol:"


@dataclass(frozen=True, slots=True)
class _View:
    """Everything a ninjs document is made of, whether it comes from an Item or an ItemVersion."""

    item_id: str
    member_code: str
    guid: str
    version: int
    pub_status: PubStatus
    first_created: datetime | None
    version_created: datetime | None
    embargoed_until: datetime | None
    received_at: datetime
    original_sha256: str
    content_sha256: str
    parsed: ParsedItem


def item_to_ninjs(item: Item, member: MemberInfo | None, base_url: str = "") -> dict[str, Any]:
    """The current state of an item as a ninjs 3.1 document."""
    view = _View(
        item_id=item.id,
        member_code=item.member_code,
        guid=item.guid,
        version=item.version,
        pub_status=item.pub_status,
        first_created=item.first_created,
        version_created=item.version_created,
        embargoed_until=item.embargoed_until,
        received_at=item.received_at,
        original_sha256=item.original_sha256,
        content_sha256=item.content_sha256,
        parsed=item.parsed,
    )
    return _render(view, member, base_url)


class ItemIdentity(Protocol):
    """What a version's document needs of its item besides the version (an Item has it all)."""

    @property
    def id(self) -> str: ...
    @property
    def member_code(self) -> str: ...
    @property
    def guid(self) -> str: ...
    @property
    def first_created(self) -> datetime: ...


def version_to_ninjs(
    version: ItemVersion, item: ItemIdentity, member: MemberInfo | None, base_url: str = ""
) -> dict[str, Any]:
    """One stored version of `item` as a ninjs 3.1 document (its own content, the item's identity)."""
    parsed = version.parsed
    view = _View(
        item_id=item.id,
        member_code=item.member_code,
        guid=item.guid,
        version=version.version,
        pub_status=parsed.pub_status,
        first_created=parsed.first_created or item.first_created,
        version_created=parsed.version_created or version.received_at,
        embargoed_until=parsed.embargoed_until,
        received_at=version.received_at,
        original_sha256=version.original_sha256,
        content_sha256=version.content_sha256,
        parsed=parsed,
    )
    return _render(view, member, base_url)


def item_href(base_url: str, item_id: str, version: int | None = None) -> str:
    path = f"{base_url.rstrip('/')}/api/v1/items/{quote(item_id, safe='')}"
    return path if version is None else f"{path}/versions/{version}"


def ninjs_uri(guid: str, member_code: str) -> str:
    """The guid itself when it is a URI (the usual case); otherwise a URN that wraps it losslessly."""
    if ABSOLUTE_URI.match(guid):
        return guid
    return f"urn:tabadol:{quote(member_code, safe='')}:guid:{quote(guid, safe='')}"


def _render(view: _View, member: MemberInfo | None, base_url: str) -> dict[str, Any]:
    parsed = view.parsed
    doc: dict[str, Any] = {
        "uri": ninjs_uri(view.guid, view.member_code),
        "standard": dict(NINJS_STANDARD),
        "type": parsed.item_type if parsed.item_type in NEWS_TYPES else "text",
        "representationType": "full",
        "version": str(view.version),
        "pubStatus": view.pub_status.value,
    }
    _put(doc, "firstCreated", _when(view.first_created))
    _put(doc, "versionCreated", _when(view.version_created))
    _put(doc, "embargoedUntil", _when(view.embargoed_until))
    _put(doc, "language", parsed.language)
    _put(doc, "urgency", parsed.urgency if parsed.urgency is not None and 1 <= parsed.urgency <= 9 else None)
    _put(doc, "copyrightNotice", parsed.copyright_notice)
    _put(doc, "usageTerms", parsed.usage_terms)
    _put(doc, "edNote", _editorial_note(parsed.extra))
    _put(doc, "by", parsed.byline)
    _put(doc, "located", parsed.located)
    _put(doc, "slugline", parsed.slugline)
    _put(doc, "headlines", [{"role": "main", "value": parsed.headline}] if parsed.headline else None)
    _put(doc, "descriptions", _descriptions(parsed))
    _put(doc, "bodies", _bodies(parsed))
    _put(doc, "subjects", _subjects(parsed.subjects, parsed.keywords))
    doc["infoSources"] = [_provider(view.member_code, member)]
    doc["altIds"] = _alt_ids(view)
    _put(doc, "renditions", _renditions(view, base_url))
    return doc


def _put(doc: dict[str, Any], key: str, value: Any) -> None:
    """Absent rather than null or empty: ninjs types do not admit null."""
    if value is not None and value != "" and value != []:
        doc[key] = value


def _when(value: datetime | None) -> str | None:
    return format_datetime(value) if value is not None else None


def _editorial_note(extra: Mapping[str, Any]) -> str | None:
    for key in ("edNote", "ednote"):
        value = extra.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _descriptions(parsed: ParsedItem) -> list[dict[str, str]] | None:
    if not parsed.description:
        return None
    return [{"role": "summary", "contentType": "text/plain", "value": parsed.description}]


def _bodies(parsed: ParsedItem) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    if parsed.body_text:
        bodies.append(
            {
                "role": "main",
                "contentType": "text/plain",
                "charCount": len(parsed.body_text),
                "wordCount": len(parsed.body_text.split()),
                "value": parsed.body_text,
            }
        )
    if parsed.body_html:
        bodies.append({"role": "main", "contentType": "text/html", "value": parsed.body_html})
    return bodies


def _subjects(subjects: tuple[Subject, ...], keywords: tuple[str, ...]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for subject in subjects:
        entry = {"name": subject.name}
        if subject.uri and ABSOLUTE_URI.match(subject.uri):
            entry["uri"] = subject.uri
        elif subject.scheme:
            entry["literal"] = f"{subject.scheme}:{subject.name}"
        out.append(entry)
    out.extend({"name": keyword, "literal": f"keyword:{keyword}"} for keyword in keywords)
    return out


def _provider(member_code: str, member: MemberInfo | None) -> dict[str, str]:
    name = member.name("en") if member is not None else member_code
    return {"name": name, "role": "provider", "literal": member_code}


def _alt_ids(view: _View) -> list[dict[str, str]]:
    pairs = [
        ("item-id", view.item_id),
        ("member", view.member_code),
        ("guid", view.guid),
        ("original-sha256", view.original_sha256),
        ("content-sha256", view.content_sha256),
        ("received-at", format_datetime(view.received_at)),
    ]
    if view.parsed.sender_version:
        pairs.append(("sender-version", view.parsed.sender_version))
    return [{"role": ALT_ID_ROLE_PREFIX + role, "value": value} for role, value in pairs]


def _renditions(view: _View, base_url: str) -> list[dict[str, str]]:
    renditions: list[dict[str, str]] = []
    if base_url and ABSOLUTE_URI.match(base_url):
        version_href = item_href(base_url, view.item_id, view.version)
        renditions.append({"name": "ninjs", "href": version_href, "contentType": NINJS_MEDIA_TYPE})
        renditions.append({"name": "original", "href": f"{version_href}/original"})
    link = view.parsed.link
    if link and ABSOLUTE_URI.match(link):
        renditions.append({"name": "web", "href": link, "contentType": "text/html"})
    return renditions
