"""Fact-check records: schema.org ClaimReview in, ClaimReview JSON-LD and feed entries out.

Members' fact-checking desks already publish their reviews as schema.org ClaimReview (the markup
search engines read), so the hub takes that as its import format and speaks it back on export. The
vocabulary (https://schema.org/ClaimReview, https://schema.org/Claim):

- `claimReviewed`: a short summary of the claim; `reviewRating` (a Rating): `ratingValue` between
  `worstRating` and `bestRating`, and `alternateName`, the verdict as the desk words it ("False");
- `author`: the fact-checking organisation; `url`: the review's page; `datePublished`;
- `itemReviewed`: the Claim, with its `author` (who made the claim), `datePublished` (when it was
  made), `appearance` (works in which it appears) and `firstAppearance`.

Real documents come in many shapes: one object, a list, an `@graph`, a ClaimReview nested inside a
WebPage or NewsArticle (`review`, `mainEntity`, `hasPart`), `http://` or `https://` schema.org
contexts, properties written as `schema:claimReviewed` or as full IRIs, values wrapped in
`{"@value": ...}` or in one-element lists. `parse_claim_reviews` accepts all of these and refuses,
naming the field, what a review cannot do without: the claim, the rating and the review's address.
Input is hostile until proven otherwise: its size, nesting depth (through the hub's bounded JSON
reader), the number of objects walked and of reviews found, and the length of every text are capped.

The record is the same whether a review was imported or authored in the hub, and its checks run
when it is built, so both paths give the same guarantees. The member code of the reviewing
organisation travels in JSON-LD as an `identifier` PropertyValue (`propertyID` "tabadol-member"),
so an export read back gives the same record.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.decode import language_tag, parse_json, parse_wire_datetime
from tabadol.types import ensure_utc

MAX_PAYLOAD_BYTES = 5_000_000
MAX_REVIEWS = 1_000
MAX_NODES = 100_000  # JSON objects and arrays walked while looking for ClaimReviews
MAX_CLAIM_CHARS = 5_000
MAX_NAME_CHARS = 500
MAX_URL_CHARS = 2_000
MAX_APPEARANCES = 50
MEMBER_PROPERTY_ID = "tabadol-member"
SCHEMA_CONTEXT = "https://schema.org"

_SCHEMA_PREFIXES = ("https://schema.org/", "http://schema.org/", "schema:")
# Properties under which publishers nest the reviews of a page.
_CONTAINER_KEYS = ("@graph", "review", "reviews", "mainEntity", "hasPart", "itemListElement", "item")


def _invalid(param: str, reason: str) -> TabadolError:
    return TabadolError(ErrorCode.INVALID_QUERY, param=param, reason=reason)


# -- the records --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewRating:
    """The verdict: `alternate_name` as the desk words it, and/or a value on the desk's scale."""

    alternate_name: str | None = None
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None

    def __post_init__(self) -> None:
        if not self.alternate_name and self.rating_value is None:
            raise _invalid("reviewRating", "needs a verdict: alternateName or ratingValue")
        _check_text("reviewRating.alternateName", self.alternate_name, MAX_NAME_CHARS)
        low = self.worst_rating if self.worst_rating is not None else float("-inf")
        high = self.best_rating if self.best_rating is not None else float("inf")
        if low > high:
            raise _invalid("reviewRating.worstRating", "is above bestRating")
        if self.rating_value is not None and not low <= self.rating_value <= high:
            raise _invalid("reviewRating.ratingValue", "is outside worstRating..bestRating")


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation or person: the reviewing desk, or whoever made the claim. `member_code` is
    the alliance member behind it when known."""

    name: str
    url: str | None = None
    kind: str = "Organization"  # schema.org type: "Organization" or "Person"
    member_code: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise _invalid("author.name", "is empty")
        _check_text("author.name", self.name, MAX_NAME_CHARS)
        _check_url("author.url", self.url)
        if self.kind not in {"Organization", "Person"}:
            raise _invalid("author.@type", f"{self.kind[:40]!r} is neither Organization nor Person")


@dataclass(frozen=True, slots=True)
class Claim:
    """What was claimed, by whom, when and where it appeared."""

    author: Party | None = None
    date_published: datetime | None = None
    appearances: tuple[str, ...] = ()
    first_appearance: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date_published", ensure_utc(self.date_published))
        if len(self.appearances) > MAX_APPEARANCES:
            raise _invalid("itemReviewed.appearance", f"more than {MAX_APPEARANCES} appearances")
        for url in self.appearances:
            _check_url("itemReviewed.appearance", url)
        _check_url("itemReviewed.firstAppearance", self.first_appearance)


@dataclass(frozen=True, slots=True)
class ClaimReview:
    """One fact check. `language` is the BCP-47 tag of `claim_reviewed` (None when unknown)."""

    claim_reviewed: str
    rating: ReviewRating
    url: str
    language: str | None = None
    author: Party | None = None
    date_published: datetime | None = None
    item_reviewed: Claim = field(default_factory=Claim)

    def __post_init__(self) -> None:
        if not self.claim_reviewed.strip():
            raise _invalid("claimReviewed", "is empty")
        _check_text("claimReviewed", self.claim_reviewed, MAX_CLAIM_CHARS)
        if not self.url:
            raise _invalid("url", "is empty")
        _check_url("url", self.url)
        if self.language is not None:
            tag = language_tag(self.language)
            if tag is None:
                raise _invalid("inLanguage", f"{self.language[:40]!r} is not a BCP-47 tag")
            object.__setattr__(self, "language", tag)
        object.__setattr__(self, "date_published", ensure_utc(self.date_published))

    @property
    def verdict(self) -> str:
        """The verdict as a reader sees it: the desk's words, else the value on its scale."""
        if self.rating.alternate_name:
            return self.rating.alternate_name
        scale = f"/{_number_text(self.rating.best_rating)}" if self.rating.best_rating is not None else ""
        return f"{_number_text(self.rating.rating_value)}{scale}"


def _check_text(param: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise _invalid(param, f"is {len(value)} characters long; the limit is {limit}")


def _check_url(param: str, url: str | None) -> None:
    """Absolute http(s) only: these links are shown to readers, and a `javascript:` or `file:`
    address in a fact check is an attack, not a source."""
    if url is None:
        return
    if len(url) > MAX_URL_CHARS:
        raise _invalid(param, f"the URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _invalid(param, "is not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(ch.isspace() for ch in url):
        raise _invalid(param, f"{url[:80]!r} is not an absolute http(s) URL")


# -- import -------------------------------------------------------------------------------------

LanguageDetector = Callable[[str], str | None]


def parse_claim_reviews(
    data: bytes,
    *,
    members_by_host: Mapping[str, str] | None = None,
    detect_language: LanguageDetector | None = None,
) -> list[ClaimReview]:
    """Every schema.org ClaimReview in a JSON-LD document (see the module doc for the shapes).

    `members_by_host` maps a website host ("irna.ir") to a member code, so that a review whose
    author's URL is on that host is credited to the member. `detect_language` is asked for the
    language of a claim that declares none (e.g. the language identifier of the enrichment pipeline).
    Raises TabadolError: EMPTY_BODY, PAYLOAD_TOO_LARGE, UNDECODABLE_TEXT, MALFORMED_JSON, TOO_MANY_ITEMS, or
    INVALID_QUERY naming the field (prefixed with the review's position when there are several).
    """
    if len(data) > MAX_PAYLOAD_BYTES:
        raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=len(data), limit=MAX_PAYLOAD_BYTES)
    document = parse_json(data)
    found = list(_find_claim_reviews(document))
    if not found:
        raise _invalid("@type", "the document holds no schema.org ClaimReview")
    if len(found) > MAX_REVIEWS:
        raise TabadolError(ErrorCode.TOO_MANY_ITEMS, count=len(found), limit=MAX_REVIEWS)
    reviews = []
    for position, node in enumerate(found):
        try:
            review = _review_from_node(node, members_by_host or {}, detect_language)
        except TabadolError as exc:
            if len(found) == 1 or exc.code is not ErrorCode.INVALID_QUERY:
                raise
            param = f"reviews[{position}].{exc.fields.get('param')}"
            raise _invalid(param, str(exc.fields.get("reason"))) from None
        reviews.append(review)
    return reviews


def _find_claim_reviews(document: Any) -> Iterator[dict[str, Any]]:
    """Breadth-first walk over objects in a schema.org (or absent) context, with a node budget.
    Nested ClaimReviews inside a ClaimReview are not looked for: a review does not contain reviews."""
    queue: deque[tuple[Any, bool]] = deque([(document, True)])
    walked = 0
    while queue:
        node, in_schema = queue.popleft()
        walked += 1
        if walked > MAX_NODES:
            raise _invalid("@graph", f"the document has more than {MAX_NODES} objects")
        if isinstance(node, list):
            queue.extend((child, in_schema) for child in node)
            continue
        if not isinstance(node, dict):
            continue
        schema = _context_is_schema(node.get("@context"), in_schema)
        if schema and "ClaimReview" in _types(node):
            yield node
            continue
        queue.extend(
            (value, schema)
            for key, value in node.items()
            if isinstance(value, dict | list) and key != "@context"
        )


def _context_is_schema(context: Any, inherited: bool) -> bool:
    if context is None:
        return inherited
    if isinstance(context, str):
        return context.rstrip("/").split("://")[-1] == "schema.org"
    if isinstance(context, list):
        return any(_context_is_schema(entry, False) for entry in context) or (
            inherited and all(isinstance(e, dict) for e in context)
        )
    if isinstance(context, dict):
        vocab = context.get("@vocab") or context.get("schema")
        return _context_is_schema(vocab, False) if vocab is not None else inherited
    return False


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type", [])
    values = raw if isinstance(raw, list) else [raw]
    return {_local_name(v) for v in values if isinstance(v, str)}


def _local_name(name: str) -> str:
    for prefix in _SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _prop(node: Mapping[str, Any], name: str) -> Any:
    """A property written plainly, as `schema:name` or as a full schema.org IRI; a list gives its
    first element (publishers wrap single values in lists)."""
    for key in (name, *(prefix + name for prefix in _SCHEMA_PREFIXES)):
        if key in node:
            value = node[key]
            return value[0] if isinstance(value, list) and value else (None if value == [] else value)
    return None


def _all(node: Mapping[str, Any], name: str) -> list[Any]:
    for key in (name, *(prefix + name for prefix in _SCHEMA_PREFIXES)):
        if key in node:
            value = node[key]
            return value if isinstance(value, list) else [value]
    return []


def _text(value: Any, param: str) -> str | None:
    """A text value: a string, a number, or a JSON-LD value object `{"@value": ...}`."""
    if isinstance(value, dict):
        value = value.get("@value")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(param, "is not a text")
    text = str(value).strip()
    return text or None


def _value_language(value: Any) -> str | None:
    return value.get("@language") if isinstance(value, dict) else None


def _number(value: Any, param: str) -> float | None:
    text = _text(value, param)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise _invalid(param, f"{text[:40]!r} is not a number") from None
    if number != number or number in {float("inf"), float("-inf")}:
        raise _invalid(param, "is not a finite number")
    return number


def _date(value: Any, param: str) -> datetime | None:
    text = _text(value, param)
    if text is None:
        return None
    try:
        return parse_wire_datetime(text, field=param, position=0)
    except TabadolError:
        raise _invalid(param, f"{text[:40]!r} is neither an ISO 8601 nor an RFC 822 date") from None


def _url(value: Any, param: str) -> str | None:
    if isinstance(value, dict) and "@value" not in value:
        value = _prop(value, "url") or value.get("@id")
    return _text(value, param)


def _review_from_node(
    node: Mapping[str, Any], members_by_host: Mapping[str, str], detect_language: LanguageDetector | None
) -> ClaimReview:
    claim_value = _prop(node, "claimReviewed")
    claim_text = _text(claim_value, "claimReviewed")
    if claim_text is None:
        raise _invalid("claimReviewed", "is missing")
    url = _url(_prop(node, "url") or node.get("@id"), "url")
    if url is None:
        raise _invalid("url", "is missing")
    rating_node = _prop(node, "reviewRating")
    if not isinstance(rating_node, dict):
        raise _invalid("reviewRating", "is missing")
    item = _prop(node, "itemReviewed")
    item = item if isinstance(item, dict) else {}
    declared = _value_language(claim_value) or _language_of(_prop(node, "inLanguage"))
    declared = declared or _language_of(_prop(item, "inLanguage"))
    author = _party(_prop(node, "author"), "author", members_by_host)
    if author is None:  # some desks only name a publisher
        author = _party(_prop(node, "publisher"), "publisher", members_by_host)
    return ClaimReview(
        claim_reviewed=claim_text,
        rating=_rating(rating_node),
        url=url,
        language=declared or (detect_language(claim_text) if detect_language else None),
        author=author,
        date_published=_date(_prop(node, "datePublished"), "datePublished"),
        item_reviewed=_claim(item, members_by_host),
    )


def _language_of(value: Any) -> str | None:
    """`inLanguage` is a tag, or a Language object whose `alternateName` is the tag."""
    if isinstance(value, dict) and "@value" not in value:
        value = _prop(value, "alternateName") or _prop(value, "identifier")
    text = _text(value, "inLanguage")
    return language_tag(text) if text else None


def _rating(node: Mapping[str, Any]) -> ReviewRating:
    return ReviewRating(
        alternate_name=_text(_prop(node, "alternateName"), "reviewRating.alternateName")
        or _text(_prop(node, "name"), "reviewRating.name"),
        rating_value=_number(_prop(node, "ratingValue"), "reviewRating.ratingValue"),
        best_rating=_number(_prop(node, "bestRating"), "reviewRating.bestRating"),
        worst_rating=_number(_prop(node, "worstRating"), "reviewRating.worstRating"),
    )


def _party(value: Any, param: str, members_by_host: Mapping[str, str]) -> Party | None:
    if isinstance(value, str):
        return Party(name=value) if value.strip() else None
    if not isinstance(value, dict):
        return None
    name = _text(_prop(value, "name"), f"{param}.name")
    if name is None:
        return None
    url = _url(_prop(value, "url") or _prop(value, "sameAs"), f"{param}.url")
    types = _types(value)
    kind = "Person" if "Person" in types else "Organization"
    member = _member_identifier(value) or _member_by_host(url, members_by_host)
    try:
        return Party(name=name, url=url, kind=kind, member_code=member)
    except TabadolError as exc:
        raise _invalid(
            str(exc.fields.get("param")).replace("author", param, 1), exc.fields["reason"]
        ) from None


def _member_identifier(node: Mapping[str, Any]) -> str | None:
    for identifier in _all(node, "identifier"):
        if isinstance(identifier, dict) and _prop(identifier, "propertyID") == MEMBER_PROPERTY_ID:
            return _text(_prop(identifier, "value"), "author.identifier")
    return None


def _member_by_host(url: str | None, members_by_host: Mapping[str, str]) -> str | None:
    if not url or not members_by_host:
        return None
    host = (urlsplit(url).hostname or "").lower()
    while host:
        if host in members_by_host:
            return members_by_host[host]
        host = host.partition(".")[2]  # www.irna.ir -> irna.ir
    return None


def _claim(node: Mapping[str, Any], members_by_host: Mapping[str, str]) -> Claim:
    appearances = [
        url
        for n, value in enumerate(_all(node, "appearance"))
        if (url := _url(value, f"itemReviewed.appearance[{n}]")) is not None
    ]
    return Claim(
        author=_party(_prop(node, "author"), "itemReviewed.author", members_by_host),
        date_published=_date(_prop(node, "datePublished"), "itemReviewed.datePublished"),
        appearances=tuple(appearances[: MAX_APPEARANCES + 1]),
        first_appearance=_url(_prop(node, "firstAppearance"), "itemReviewed.firstAppearance"),
    )


# -- export -------------------------------------------------------------------------------------


def claim_review_to_jsonld(review: ClaimReview, *, with_context: bool = True) -> dict[str, Any]:
    """One review as schema.org ClaimReview JSON-LD; `parse_claim_reviews` reads it back unchanged."""
    out: dict[str, Any] = {"@context": SCHEMA_CONTEXT} if with_context else {}
    out |= {"@type": "ClaimReview", "url": review.url, "claimReviewed": review.claim_reviewed}
    if review.language:
        out["inLanguage"] = review.language
    if review.date_published:
        out["datePublished"] = _iso(review.date_published)
    if review.author:
        out["author"] = _party_jsonld(review.author)
    out["reviewRating"] = _rating_jsonld(review.rating)
    out["itemReviewed"] = _claim_jsonld(review.item_reviewed)
    return out


def claim_reviews_to_jsonld(reviews: Sequence[ClaimReview]) -> dict[str, Any]:
    """Many reviews as one JSON-LD document with an `@graph` (one shared context)."""
    return {
        "@context": SCHEMA_CONTEXT,
        "@graph": [claim_review_to_jsonld(r, with_context=False) for r in reviews],
    }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


def _json_number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _party_jsonld(party: Party) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": party.kind, "name": party.name}
    if party.url:
        out["url"] = party.url
    if party.member_code:
        out["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": MEMBER_PROPERTY_ID,
            "value": party.member_code,
        }
    return out


def _rating_jsonld(rating: ReviewRating) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Rating"}
    for key, value in (
        ("ratingValue", rating.rating_value),
        ("bestRating", rating.best_rating),
        ("worstRating", rating.worst_rating),
    ):
        if value is not None:
            out[key] = _json_number(value)
    if rating.alternate_name:
        out["alternateName"] = rating.alternate_name
    return out


def _claim_jsonld(claim: Claim) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Claim"}
    if claim.author:
        out["author"] = _party_jsonld(claim.author)
    if claim.date_published:
        out["datePublished"] = _iso(claim.date_published)
    if claim.appearances:
        out["appearance"] = [{"@type": "CreativeWork", "url": url} for url in claim.appearances]
    if claim.first_appearance:
        out["firstAppearance"] = {"@type": "CreativeWork", "url": claim.first_appearance}
    return out


# -- feed ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One review as a feed entry, the fields JSON Feed 1.1 and Atom both need; the renderer chooses
    the syntax. `title` leads with the verdict, which is what a reader of a fact-check feed scans for."""

    id: str
    url: str
    title: str
    content_text: str
    language: str | None
    date_published: datetime | None
    author_name: str | None
    author_url: str | None
    tags: tuple[str, ...]
    claim_review: Mapping[str, Any]

    def to_json_feed_item(self) -> dict[str, Any]:
        """A JSON Feed 1.1 item; the ClaimReview JSON-LD rides along in the `_claim_review` extension."""
        item: dict[str, Any] = {"id": self.id, "url": self.url, "title": self.title}
        item["content_text"] = self.content_text
        if self.date_published:
            item["date_published"] = _iso(self.date_published)
        if self.language:
            item["language"] = self.language
        if self.author_name:
            author = {"name": self.author_name} | ({"url": self.author_url} if self.author_url else {})
            item["authors"] = [author]
        item["tags"] = list(self.tags)
        item["_claim_review"] = dict(self.claim_review)
        return item


def feed_entries(reviews: Sequence[ClaimReview]) -> list[FeedEntry]:
    """The reviews as feed entries, newest first (undated reviews last, in their given order)."""
    dated = sorted(
        enumerate(reviews),
        key=lambda pair: (pair[1].date_published is None, -(_timestamp(pair[1].date_published)), pair[0]),
    )
    return [_feed_entry(review) for _, review in dated]


def _timestamp(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


_WHITESPACE = re.compile(r"\s+")


def _feed_entry(review: ClaimReview) -> FeedEntry:
    claim = _WHITESPACE.sub(" ", review.claim_reviewed).strip()
    lines = [f"Claim: {claim}", f"Verdict: {review.verdict}"]
    claimant = review.item_reviewed.author
    if claimant:
        lines.append(f"Claimed by: {claimant.name}")
    if review.author:
        lines.append(f"Reviewed by: {review.author.name}")
    return FeedEntry(
        id=review.url,
        url=review.url,
        title=f"{review.verdict}: {claim[:200]}",
        content_text="\n".join(lines),
        language=review.language,
        date_published=review.date_published,
        author_name=review.author.name if review.author else None,
        author_url=review.author.url if review.author else None,
        tags=("fact-check", review.verdict),
        claim_review=claim_review_to_jsonld(review),
    )


def with_member(review: ClaimReview, member_code: str) -> ClaimReview:
    """The review credited to a member (when a member's desk authors or uploads it in the hub)."""
    author = review.author or Party(name=member_code)
    return replace(review, author=replace(author, member_code=member_code))
