"""The story and item pages' data: every member's version, signatures, timelines, versions with
what changed, fact checks, related items and labelled machine translations."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tabadol.enrich.translate import Translator, primary_language, translate_item
from tabadol.errors import TabadolError
from tabadol.hub import Hub
from tabadol.serialize import parse_datetime
from tabadol.types import Item, ItemVersion, PubStatus, Story
from tabadol.verify.corroboration import Corroboration
from tabadol.verify.provenance import RecordedProvenance, SignerKind, VerifyStatus
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages import public_data as data
from tabadol.web.portal.pages.public_views import MemberRef, Names, direction, paragraphs, primary
from tabadol.web.portal.security import sanitise_html

KEYS_HREF = "/.well-known/tabadol-keys.json"


@dataclass(frozen=True, slots=True)
class Signature:
    """A version's signature as the hub found it on receipt."""

    status: str  # "valid" (the member's own), "hub-signed", "invalid", "unsigned"
    signer: str | None
    key_id: str | None
    result: str | None  # VerifyStatus value
    reason: str | None
    signed_href: str | None  # the signed-item document (API)


def signature_of(item_id: str, version: int, recorded: RecordedProvenance | None) -> Signature:
    if recorded is None:
        return Signature("unsigned", None, None, None, None, None)
    record = recorded.provenance
    if record.verified is not VerifyStatus.VALID:
        status = "invalid"
    elif record.signer_kind is SignerKind.HUB:
        status = "hub-signed"
    else:
        status = "valid"
    href = f"/api/v1/items/{quote(item_id, safe='')}/versions/{version}/signed"
    return Signature(status, record.signer, record.key_id, record.verified.value, recorded.reason, href)


@dataclass(frozen=True, slots=True)
class Translation:
    """A machine translation: never the agency's text, always shown with its label."""

    source_language: str
    target_language: str
    backend: str
    model_id: str
    headline: str
    paragraphs: tuple[str, ...]
    dir: str
    created_at: datetime


def translation_from_row(row: Mapping[str, Any]) -> Translation:
    return Translation(
        source_language=str(row["source_language"]),
        target_language=str(row["target_language"]),
        backend=str(row["backend"]),
        model_id=str(row["model_id"]),
        headline=str(row["headline"] or ""),
        paragraphs=tuple(paragraphs(str(row["body"] or ""))),
        dir=direction(str(row["target_language"])),
        created_at=row["created_at"],
    )


@dataclass(frozen=True, slots=True)
class Body:
    html: str | None  # sanitised agency HTML, or None for plain text
    paragraphs: tuple[str, ...]


def body_of(item: Item) -> Body:
    if item.parsed.body_html and item.parsed.body_html.strip():
        return Body(sanitise_html(item.parsed.body_html), ())
    return Body(None, tuple(paragraphs(item.body_text)))


# -- the story page ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryVersion:
    """One member's version of the story, in its own language and script."""

    item_id: str
    member: MemberRef
    language: str | None
    language_name: str
    dir: str
    headline: str
    body: Body
    at: datetime
    version: int
    first_report: bool
    independent: bool
    republishes: MemberRef | None  # the member whose item it repeats
    in_reader_language: bool
    signature: Signature
    translation: Translation | None
    translate_href: str | None


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str  # "first_report", "report", "republication", "correction", "kill"
    member: MemberRef
    item_id: str | None
    version: int | None
    language: str | None


def story_versions(
    hub: Hub,
    story: Story,
    items: Mapping[str, Item],
    corroboration: Corroboration,
    names: Names,
    translator: Translator | None,
) -> list[StoryVersion]:
    """The story's versions: the reader's language first, then in the order they were reported."""
    lang = names.lang
    heads = [(item.id, item.version) for item in items.values()]
    provenance = data.provenance_of(hub.storage, list(items))
    foreign = [
        (item_id, version) for item_id, version in heads if primary(items[item_id].language) != lang.code
    ]
    stored = data.translations_of(hub.storage, foreign, lang.code) if translator is not None else {}
    first = corroboration.first.first_item_id if corroboration.first else None
    independent = {item_id for reporter in corroboration.independent for item_id in reporter.item_ids}
    repeats = {entry.item_id: entry.source_member for entry in corroboration.republications}
    out = []
    for story_item in story.items:
        item = items.get(story_item.id)
        if item is None:
            continue
        own = primary(item.language) == lang.code
        translated = stored.get(item.id)
        out.append(
            StoryVersion(
                item_id=item.id,
                member=names.member(item.member_code),
                language=item.language,
                language_name=names.language(item.language).name,
                dir=direction(item.language),
                headline=item.headline,
                body=body_of(item),
                at=item.version_created,
                version=item.version,
                first_report=item.id == first,
                independent=item.id in independent,
                republishes=names.member(repeats[item.id]) if item.id in repeats else None,
                in_reader_language=own,
                signature=signature_of(item.id, item.version, provenance.get((item.id, item.version))),
                translation=translation_from_row(translated) if translated else None,
                translate_href=(
                    f"/{lang.code}/item/{quote(item.id, safe='')}?translation=1"
                    if translator is not None and not own and not translated
                    else None
                ),
            )
        )
    out.sort(key=lambda version: (not version.in_reader_language, version.at, version.item_id))
    return out


def story_timeline(
    hub: Hub,
    story: Story,
    items: Mapping[str, Item],
    corroboration: Corroboration,
    names: Names,
    now: datetime,
) -> list[Event]:
    """Who reported what when: first reports, republications, corrections, and kills not yet out."""
    versions = data.versions_of(hub.storage, list(items))
    first = corroboration.first.first_item_id if corroboration.first else None
    repeats = {entry.item_id for entry in corroboration.republications}
    events: list[Event] = []
    for item_id, item in items.items():
        member = names.member(item.member_code)
        shown = [row for row in versions.get(item_id, []) if not _embargoed(row.parsed, now)]
        for position, row in enumerate(shown):
            if position > 0:
                kind = "correction"
            elif item_id == first:
                kind = "first_report"
            else:
                kind = "republication" if item_id in repeats else "report"
            events.append(Event(_version_time(row), kind, member, item_id, row.version, item.language))
    for member_code, at in data.kills_in_story(hub.storage, story.id, now):
        events.append(Event(at, "kill", names.member(member_code), None, None, None))
    events.sort(key=lambda event: (event.at, event.kind != "first_report", event.item_id or ""))
    return events


def _version_time(row: data.VersionRow) -> datetime:
    raw = row.parsed.get("version_created")
    if isinstance(raw, str) and raw:
        try:
            return parse_datetime(raw)
        except ValueError:
            pass
    return row.received_at


def _embargoed(parsed: Mapping[str, Any], now: datetime) -> bool:
    raw = parsed.get("embargoed_until")
    if not isinstance(raw, str) or not raw:
        return False
    try:
        return parse_datetime(raw) > now
    except ValueError:
        return False


# -- the item page ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionEntry:
    version: int
    at: datetime  # the sender's version time
    received_at: datetime
    changes: tuple[str, ...]  # "first", "headline", "body", "byline", "status", "embargo", "link", "urgency"
    words_added: int
    words_removed: int
    signature: Signature
    current: bool


def version_entries(
    item: Item, versions: Sequence[ItemVersion], provenance: Sequence[RecordedProvenance]
) -> list[VersionEntry]:
    """Every readable version, newest first, with what changed since the one before it."""
    recorded = {entry.version: entry for entry in provenance}
    out: list[VersionEntry] = []
    previous: ItemVersion | None = None
    for version in versions:
        changes, added, removed = _changes(previous, version)
        out.append(
            VersionEntry(
                version=version.version,
                at=version.parsed.version_created or version.received_at,
                received_at=version.received_at,
                changes=changes,
                words_added=added,
                words_removed=removed,
                signature=signature_of(item.id, version.version, recorded.get(version.version)),
                current=version.version == item.version,
            )
        )
        previous = version
    out.reverse()
    return out


def _changes(before: ItemVersion | None, after: ItemVersion) -> tuple[tuple[str, ...], int, int]:
    if before is None:
        return ("first",), 0, 0
    old, new = before.parsed, after.parsed
    changes = [
        name
        for name, was, now in (
            ("headline", old.headline, new.headline),
            ("body", old.body_text, new.body_text),
            ("byline", old.byline, new.byline),
            ("status", old.pub_status, new.pub_status),
            ("embargo", old.embargoed_until, new.embargoed_until),
            ("link", old.link, new.link),
            ("urgency", old.urgency, new.urgency),
        )
        if was != now
    ]
    added = removed = 0
    if "body" in changes or "headline" in changes:
        old_words = f"{old.headline}\n{old.body_text}".split()
        new_words = f"{new.headline}\n{new.body_text}".split()
        matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in ("replace", "delete"):
                removed += i2 - i1
            if tag in ("replace", "insert"):
                added += j2 - j1
    return tuple(changes) or ("metadata",), added, removed


@dataclass(frozen=True, slots=True)
class FactCheckView:
    id: str
    claim: str
    language: str | None
    dir: str
    rating: str
    reviewer: str | None
    member: MemberRef
    url: str
    published: datetime | None
    score: float
    href: str


def fact_checks_of(hub: Hub, item_id: str, names: Names) -> list[FactCheckView]:
    matches = hub.storage.item_claim_matches(item_id)
    if not matches:
        return []
    reviews = hub.storage.claim_reviews([match.review_id for match in matches])
    out = []
    for match in matches:
        review = reviews.get(match.review_id)
        if review is None:
            continue
        author = review.record.get("author") if isinstance(review.record, Mapping) else None
        reviewer = author.get("name") if isinstance(author, Mapping) else None
        out.append(
            FactCheckView(
                id=review.id,
                claim=review.claim_text,
                language=review.language,
                dir=direction(review.language),
                rating=review.rating,
                reviewer=str(reviewer) if reviewer else None,
                member=names.member(review.member_code),
                url=review.url if review.url.startswith(("https://", "http://")) else "",
                published=review.date_published,
                score=round(match.score, 3),
                href=f"/api/v1/fact-checks/{quote(review.id, safe='')}",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class RelatedItem:
    id: str
    headline: str
    language: str | None
    dir: str
    member: MemberRef
    at: datetime
    relation: str  # "story", "copy_of" (this item repeats it), "copied_by" (it repeats this item)
    similarity: float | None


def related_items(hub: Hub, item: Item, names: Names, now: datetime) -> tuple[str | None, list[RelatedItem]]:
    """The item's story id and the readable items related to it: near-duplicates, then the story's."""
    story_id = hub.storage.story_ids_of([item.id]).get(item.id)
    outgoing, incoming = hub.storage.links_of(item.id)
    links = [
        (link.target_id, "copy_of", link.similarity) for link in outgoing if link.kind == "near_duplicate"
    ]
    links += [
        (link.item_id, "copied_by", link.similarity) for link in incoming if link.kind == "near_duplicate"
    ]
    story = hub.storage.get_story(story_id, now) if story_id else None
    rows = data.item_rows_by_id(hub.storage, [target for target, _, _ in links], now)
    out: list[RelatedItem] = []
    seen = {item.id}
    for target, relation, similarity in links:
        row = rows.get(target)
        if row is not None and target not in seen:
            seen.add(target)
            out.append(
                _related(row.id, row.headline, row.language, row.member, row.at, relation, similarity, names)
            )
    if story is not None:
        for entry in story.items:
            if entry.id not in seen:
                seen.add(entry.id)
                out.append(
                    _related(
                        entry.id,
                        entry.headline,
                        entry.language,
                        entry.member_code,
                        entry.version_created,
                        "story",
                        None,
                        names,
                    )
                )
    return (story.id if story else None), out


def _related(
    item_id: str,
    headline: str,
    language: str | None,
    member: str,
    at: datetime,
    relation: str,
    similarity: float | None,
    names: Names,
) -> RelatedItem:
    score = round(similarity, 3) if similarity is not None else None
    return RelatedItem(
        item_id, headline, language, direction(language), names.member(member), at, relation, score
    )


def machine_translation(
    hub: Hub, item: Item, lang: Language, translator: Translator | None
) -> tuple[Translation | None, str | None]:
    """The item in the reader's language by machine (made once, then stored apart from the item), or
    the error's code when it cannot be made. Nothing when no backend is configured."""
    if translator is None or primary(item.language) == lang.code or not item.language:
        return None, None
    stored = hub.storage.get_translation(item.id, item.version, lang.code)
    if stored is not None:
        return translation_from_row(stored), None
    try:
        record = translate_item(translator, item.headline, item.body_text, item.language, lang.code)
    except TabadolError as error:
        return None, error.code.slug
    row = {
        "target_language": lang.code,
        "source_language": record.source_language,
        "backend": record.backend,
        "model_id": record.model_id,
        "headline": record.headline,
        "body": record.body,
        "created_at": record.created_at,
    }
    hub.storage.save_translation(item.id, item.version, row)
    return translation_from_row(row), None


def is_public(item: Item) -> bool:
    return item.pub_status is not PubStatus.CANCELED


def wants_translation(raw: str | None, item_language: str | None, lang: Language) -> bool:
    return raw in ("1", "true", "yes") and primary_language(item_language or lang.code) != lang.code
