"""Render items as syndication feeds: Atom 1.0, RSS 2.0 and JSON Feed 1.1.

Every entry is one *version* of an item, so a feed reader that already showed version 1 sees
version 2 as a new entry instead of silently rewriting the old one. The entry id is the item's
ninjs uri plus the version; an update names the entry (and the API version) it replaces, and a
kill is its own entry whose title starts with "KILL: " and whose hub status is `canceled`.

Hub metadata that the feed formats have no field for lives in the tabadol namespace
(`tabadol:status`, `tabadol:version`, `tabadol:replaces`, ...) in XML and in the `_tabadol`
extension object in JSON Feed (the spec reserves leading-underscore keys for extensions).

Content is plain text. Agency HTML is not sanitised by the hub, so it is never forwarded: RSS
`content:encoded` is HTML that the renderer builds itself from the plain-text paragraphs, escaped.
Text that XML 1.0 cannot carry (C0 controls other than tab/newline/return, lone surrogates,
U+FFFE/U+FFFF) is removed from every string, in the JSON Feed too, so the three feeds agree.
Which items belong in a feed (embargo, subscription filters) is the caller's decision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime as format_rfc822
from html import escape as escape_html
from typing import Any

from lxml import etree

from tabadol.deliver.render.ninjs import ABSOLUTE_URI, NINJS_MEDIA_TYPE, item_href, ninjs_uri
from tabadol.serialize import format_datetime
from tabadol.types import Item, MemberInfo, PubStatus, utc_now

ATOM_MEDIA_TYPE = "application/atom+xml"
RSS_MEDIA_TYPE = "application/rss+xml"
JSON_FEED_MEDIA_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
TABADOL_NS = "https://tabadol.org/ns/feed/1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

KILL_PREFIX = "KILL: "
# RFC 5829 link relation: the version this entry supersedes.
PREDECESSOR_REL = "predecessor-version"
GENERATOR = "tabadol"
SUMMARY_MAX_CHARS = 400

# Everything outside XML 1.0's Char production (tab, LF and CR are allowed).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

MemberLookup = Mapping[str, MemberInfo]


@dataclass(frozen=True, slots=True)
class _Entry:
    """What every feed format says about one item version, computed once and cleaned for XML."""

    id: str
    replaces: str | None
    item_id: str
    member_code: str
    version: int
    status: PubStatus
    title: str
    api_link: str
    predecessor_link: str | None
    web_link: str | None
    published: datetime
    updated: datetime
    author: str
    language: str | None
    summary: str
    content: str
    categories: tuple[_Category, ...]


@dataclass(frozen=True, slots=True)
class _Category:
    term: str
    label: str
    scheme: str | None


def clean_text(text: str) -> str:
    """Drop the characters XML 1.0 forbids; everything else (RTL marks, ZWNJ, emoji) is kept."""
    return _XML_FORBIDDEN.sub("", text)


def entry_id(item: Item, version: int | None = None) -> str:
    """The stable id of one version's entry: the item's ninjs uri with the version as a fragment."""
    uri = ninjs_uri(item.guid, item.member_code)
    number = item.version if version is None else version
    # A guid may already carry a fragment; a URI can only have one, so the version extends it.
    separator = ".v" if "#" in uri else "#v"
    return f"{uri}{separator}{number}"


def render_atom(
    title: str,
    self_url: str,
    base_url: str,
    items: Sequence[Item],
    members: MemberLookup,
    *,
    now: datetime | None = None,
    feed_id: str | None = None,
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) of the given item versions, in the order given.

    The feed id defaults to the self URL; a caller whose URLs carry a revocable token should pass
    a token-free `feed_id` so that rotating the token does not look like a new feed to readers.
    """
    entries = _entries(items, members, base_url)
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS, "dc": DC_NS, "tabadol": TABADOL_NS})
    _sub(feed, ATOM_NS, "title", title, type="text")
    _sub(feed, ATOM_NS, "id", feed_id or self_url)
    _sub(feed, ATOM_NS, "updated", format_datetime(_feed_updated(entries, now)))
    _sub(feed, ATOM_NS, "link", None, rel="self", href=self_url, type=ATOM_MEDIA_TYPE)
    if _is_absolute(base_url):
        _sub(feed, ATOM_NS, "link", None, rel="alternate", href=base_url)
    _sub(feed, ATOM_NS, "generator", GENERATOR)
    for entry in entries:
        _atom_entry(feed, entry)
    return _xml_bytes(feed)


def render_rss(
    title: str,
    self_url: str,
    base_url: str,
    items: Sequence[Item],
    members: MemberLookup,
    *,
    now: datetime | None = None,
) -> bytes:
    """An RSS 2.0 feed of the given item versions, with Atom links and Dublin Core for what RSS lacks."""
    entries = _entries(items, members, base_url)
    nsmap = {
        "atom": ATOM_NS,
        "dc": DC_NS,
        "dcterms": DCTERMS_NS,
        "content": CONTENT_NS,
        "tabadol": TABADOL_NS,
    }
    rss = etree.Element("rss", nsmap=nsmap, version="2.0")
    channel = _sub(rss, None, "channel")
    _sub(channel, None, "title", title)
    # RSS requires a channel link; the hub's home when known, otherwise the feed itself.
    _sub(channel, None, "link", base_url if _is_absolute(base_url) else self_url)
    _sub(channel, None, "description", title)
    _sub(channel, ATOM_NS, "link", None, rel="self", href=self_url, type=RSS_MEDIA_TYPE)
    _sub(channel, None, "lastBuildDate", _rfc822(_feed_updated(entries, now)))
    _sub(channel, None, "generator", GENERATOR)
    for entry in entries:
        _rss_item(channel, entry)
    return _xml_bytes(rss)


def render_json_feed(
    title: str,
    self_url: str,
    base_url: str,
    items: Sequence[Item],
    members: MemberLookup,
) -> bytes:
    """A JSON Feed 1.1 document of the given item versions (UTF-8, non-ASCII kept as is)."""
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": clean_text(title)}
    if _is_absolute(base_url):
        feed["home_page_url"] = base_url
    feed["feed_url"] = self_url
    feed["items"] = [_json_item(entry) for entry in _entries(items, members, base_url)]
    return json.dumps(feed, ensure_ascii=False, indent=2).encode("utf-8")


# -- the format-neutral entry ---------------------------------------------------------------------


def _entries(items: Sequence[Item], members: MemberLookup, base_url: str) -> list[_Entry]:
    return [_entry(item, members.get(item.member_code), base_url) for item in items]


def _entry(item: Item, member: MemberInfo | None, base_url: str) -> _Entry:
    parsed = item.parsed
    is_update = item.version > 1
    killed = item.pub_status is PubStatus.CANCELED
    author = _author_name(item, member)
    headline = clean_text(item.headline)
    web_link = clean_text(parsed.link) if parsed.link and _is_absolute(parsed.link) else None
    return _Entry(
        id=clean_text(entry_id(item)),
        replaces=clean_text(entry_id(item, item.version - 1)) if is_update else None,
        item_id=item.id,
        member_code=item.member_code,
        version=item.version,
        status=item.pub_status,
        title=KILL_PREFIX + headline if killed else headline,
        api_link=item_href(base_url, item.id, item.version),
        predecessor_link=item_href(base_url, item.id, item.version - 1) if is_update else None,
        web_link=web_link,
        published=item.first_created,
        updated=item.version_created,
        author=author,
        language=item.language,
        summary=_kill_notice(author, headline) if killed else _summary(item),
        content=_kill_notice(author, headline) if killed else clean_text(item.body_text),
        categories=_categories(item),
    )


def _author_name(item: Item, member: MemberInfo | None) -> str:
    """The member's name in the item's language when it has one (readers see their own script)."""
    if member is None:
        return item.member_code
    language = item.language or "en"
    primary = language.split("-")[0]
    name = member.names.get(language) or member.names.get(primary) or member.name("en")
    return clean_text(name)


def _summary(item: Item) -> str:
    """The sender's description, else the lead paragraph of the body (what readers preview)."""
    if item.parsed.description and item.parsed.description.strip():
        return clean_text(item.parsed.description.strip())
    lead = next((p.strip() for p in item.body_text.split("\n") if p.strip()), "")
    if len(lead) > SUMMARY_MAX_CHARS:
        lead = lead[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
    return clean_text(lead)


def _kill_notice(author: str, headline: str) -> str:
    # The killed text itself is deliberately not repeated: a kill must not redistribute it.
    # Names and headlines are bidi-isolated so RTL text does not reorder the English around it.
    return (
        f"KILL: {_isolate(author)} has withdrawn the item “{_isolate(headline)}”. "
        "Do not use it; remove it if published."
    )


def _isolate(text: str) -> str:
    """Unicode first-strong isolate: the text keeps its own direction inside a sentence."""
    return f"\u2068{text}\u2069"


def _categories(item: Item) -> tuple[_Category, ...]:
    out: list[_Category] = []
    for subject in item.parsed.subjects:
        name = clean_text(subject.name)
        term = subject.uri if subject.uri and _is_absolute(subject.uri) else name
        out.append(_Category(term=term, label=name, scheme=clean_text(subject.scheme or "") or None))
    out.extend(_Category(term=clean_text(k), label=clean_text(k), scheme=None) for k in item.parsed.keywords)
    return tuple(category for category in out if category.term)


def _feed_updated(entries: Sequence[_Entry], now: datetime | None) -> datetime:
    """The newest entry's time; an empty feed says when it was generated."""
    if entries:
        return max(entry.updated for entry in entries)
    return now if now is not None else utc_now()


def _is_absolute(url: str) -> bool:
    return bool(url) and ABSOLUTE_URI.match(url) is not None


# -- Atom -----------------------------------------------------------------------------------------


def _atom_entry(feed: etree._Element, entry: _Entry) -> None:
    node = _sub(feed, ATOM_NS, "entry")
    if entry.language:
        node.set(XML_LANG, entry.language)
    _sub(node, ATOM_NS, "id", entry.id)
    _sub(node, ATOM_NS, "title", entry.title, type="text")
    _sub(node, ATOM_NS, "published", format_datetime(entry.published))
    _sub(node, ATOM_NS, "updated", format_datetime(entry.updated))
    _add_links(node, entry)
    author = _sub(node, ATOM_NS, "author")
    _sub(author, ATOM_NS, "name", entry.author)
    for category in entry.categories:
        # Atom's scheme must be an IRI; a bare scheme alias ("medtop") cannot go there.
        scheme = category.scheme if category.scheme and _is_absolute(category.scheme) else None
        _sub(node, ATOM_NS, "category", None, term=category.term, label=category.label, scheme=scheme)
    _sub(node, ATOM_NS, "summary", entry.summary, type="text")
    _sub(node, ATOM_NS, "content", entry.content, type="text")
    _add_common_extensions(node, entry)


# -- RSS 2.0 --------------------------------------------------------------------------------------


def _rss_item(channel: etree._Element, entry: _Entry) -> None:
    node = _sub(channel, None, "item")
    _sub(node, None, "title", entry.title)
    # Readers open <link> in a browser: the agency's page when there is one, else the API version.
    _sub(node, None, "link", entry.web_link or entry.api_link)
    _sub(node, None, "guid", entry.id, isPermaLink="false")
    # pubDate is this version's time so readers that sort by it place updates and kills on top.
    _sub(node, None, "pubDate", _rfc822(entry.updated))
    _sub(node, DCTERMS_NS, "created", format_datetime(entry.published))
    _sub(node, DCTERMS_NS, "modified", format_datetime(entry.updated))
    _add_links(node, entry)
    _sub(node, DC_NS, "creator", entry.author)
    for category in entry.categories:
        # RSS readers show the category text, so it is the name; Atom keeps the concept URI.
        _sub(node, None, "category", category.label, domain=category.scheme)
    _sub(node, None, "description", entry.summary)
    _sub(node, CONTENT_NS, "encoded", _paragraphs_html(entry.content))
    _add_common_extensions(node, entry)


def _rfc822(value: datetime) -> str:
    # `usegmt` insists on a UTC tzinfo object, whatever offset an aware datetime has.
    return format_rfc822(value.astimezone(UTC), usegmt=True)


def _paragraphs_html(text: str) -> str:
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    return "".join(f"<p>{escape_html(p)}</p>" for p in paragraphs)


# -- shared XML -----------------------------------------------------------------------------------


def _add_links(node: etree._Element, entry: _Entry) -> None:
    """The API version (ninjs), the agency's web page and, for an update, the version replaced."""
    _sub(node, ATOM_NS, "link", None, rel="alternate", href=entry.api_link, type=NINJS_MEDIA_TYPE)
    if entry.web_link:
        _sub(node, ATOM_NS, "link", None, rel="alternate", href=entry.web_link, type="text/html")
    if entry.predecessor_link:
        _sub(node, ATOM_NS, "link", None, rel=PREDECESSOR_REL, href=entry.predecessor_link)


def _add_common_extensions(node: etree._Element, entry: _Entry) -> None:
    if entry.language:
        _sub(node, DC_NS, "language", entry.language)
    for name, value in _extension_fields(entry).items():
        _sub(node, TABADOL_NS, name, str(value))


def _extension_fields(entry: _Entry) -> dict[str, str | int]:
    fields: dict[str, str | int] = {
        "status": entry.status.value,
        "version": entry.version,
        "item": entry.item_id,
        "member": entry.member_code,
    }
    if entry.replaces:
        fields["replaces"] = entry.replaces
    return fields


def _sub(
    parent: etree._Element, namespace: str | None, tag: str, text: str | None = None, **attributes: str | None
) -> etree._Element:
    """A child element; text and attribute values are cleaned, absent attributes are left out."""
    name = f"{{{namespace}}}{tag}" if namespace else tag
    node = etree.SubElement(parent, name)
    for key, value in attributes.items():
        if value is not None:
            node.set(key, clean_text(value))
    if text is not None:
        node.text = clean_text(text)
    return node


def _xml_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# -- JSON Feed ------------------------------------------------------------------------------------


def _json_item(entry: _Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id, "url": entry.api_link}
    if entry.web_link:
        item["external_url"] = entry.web_link
    item["title"] = entry.title
    item["content_text"] = entry.content
    item["summary"] = entry.summary
    item["date_published"] = format_datetime(entry.published)
    item["date_modified"] = format_datetime(entry.updated)
    item["authors"] = [{"name": entry.author}]
    if entry.categories:
        item["tags"] = _unique(category.label for category in entry.categories)
    if entry.language:
        item["language"] = entry.language
    extension: dict[str, Any] = dict(_extension_fields(entry))
    if entry.predecessor_link:
        extension["replaces_url"] = entry.predecessor_link
    item["_tabadol"] = extension
    return item


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
