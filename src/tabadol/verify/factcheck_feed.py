"""The alliance's fact checks as an Atom 1.0 feed (RFC 4287): `GET /api/v1/fact-checks/feed`.

Entries come from `claims.feed_entries` (newest first, the verdict leading the title); the entry id is
the review's URL, which is stable across re-imports of the same review. Atom requires an `updated` time
on every entry: the review's publication date, else when the hub last stored it. The review itself
rides along as ClaimReview JSON-LD in `tabadol:claimReview`, so a reader of the feed can store exactly
what the API serves. Text XML 1.0 cannot carry is removed as in the item feeds (deliver/render/feeds.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from tabadol.deliver.render.feeds import ATOM_MEDIA_TYPE, ATOM_NS, GENERATOR, TABADOL_NS, XML_LANG, clean_text
from tabadol.serialize import format_datetime
from tabadol.types import utc_now
from tabadol.verify.claims import FeedEntry, feed_entries
from tabadol.verify.factchecks import FactCheck

FEED_TITLE = "Fact checks of the alliance"


def render_fact_check_atom(
    fact_checks: Sequence[FactCheck], self_url: str, base_url: str, now: datetime | None = None
) -> bytes:
    """The reviews as an Atom feed, newest first."""
    by_url = {fact_check.review.url: fact_check for fact_check in fact_checks}
    entries = feed_entries([fact_check.review for fact_check in fact_checks])
    updated = {entry.id: _entry_updated(entry, by_url[entry.url]) for entry in entries}
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS, "tabadol": TABADOL_NS})
    _sub(feed, "title", FEED_TITLE, type="text")
    _sub(feed, "id", self_url)
    newest = max(updated.values(), default=now or utc_now())
    _sub(feed, "updated", format_datetime(newest))
    _sub(feed, "link", None, rel="self", href=self_url, type=ATOM_MEDIA_TYPE)
    # Atom requires an author on the feed when an entry may have none.
    author = _sub(feed, "author")
    _sub(author, "name", GENERATOR)
    _sub(feed, "generator", GENERATOR)
    for entry in entries:
        _entry(feed, entry, by_url[entry.url], updated[entry.id], base_url)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _entry_updated(entry: FeedEntry, fact_check: FactCheck) -> datetime:
    return entry.date_published or fact_check.updated_at


def _entry(
    feed: etree._Element, entry: FeedEntry, fact_check: FactCheck, updated: datetime, base: str
) -> None:
    node = _sub(feed, "entry")
    if entry.language:
        node.set(XML_LANG, entry.language)
    _sub(node, "id", entry.id)
    _sub(node, "title", entry.title, type="text")
    _sub(node, "updated", format_datetime(updated))
    if entry.date_published:
        _sub(node, "published", format_datetime(entry.date_published))
    _sub(node, "link", None, rel="alternate", href=entry.url, type="text/html")
    _sub(
        node,
        "link",
        None,
        rel="related",
        href=f"{base}/api/v1/fact-checks/{fact_check.id}",
        type="application/json",
    )
    if entry.author_name:
        author = _sub(node, "author")
        _sub(author, "name", entry.author_name)
        if entry.author_url:
            _sub(author, "uri", entry.author_url)
    for tag in entry.tags:
        _sub(node, "category", None, term=tag)
    _sub(node, "content", entry.content_text, type="text")
    _sub(node, "member", fact_check.member_code, namespace=TABADOL_NS)
    review_json = json.dumps(dict(entry.claim_review), ensure_ascii=False, sort_keys=True)
    _sub(node, "claimReview", review_json, namespace=TABADOL_NS, type="application/ld+json")


def _sub(
    parent: etree._Element,
    tag: str,
    text: str | None = None,
    namespace: str = ATOM_NS,
    **attributes: str | None,
) -> etree._Element:
    node = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    for key, value in attributes.items():
        if value is not None:
            node.set(key, clean_text(value))
    if text is not None:
        node.text = clean_text(text)
    return node
