"""Named entities: people, organisations and places, each linked to a stable identifier.

The default recognizer combines
- the curated multilingual gazetteer (entities_gazetteer) for every language, with inflected forms
  (Arabic clitics, Turkic case suffixes, Russian declension) and cross-script linking, so
  "Тегеран", "Tehran", "Tahran", "تهران" and "طهران" all give place/tehran;
- natasha for Russian (entities_natasha), linked to a gazetteer id when the name is known;
- rules for persons and organisations the gazetteer does not know, for the other languages
  (entities_rules).

A name the gazetteer does not know gets a kind-prefixed matching key of its base form as id
("person/~vladimir-putin"), so that the Cyrillic and Latin spellings of one name meet where the
transliteration allows it (Тоқаев / Токаев / Tokayev -> "tokaev").

Where two recognizers claim overlapping text, the longer span wins, and between spans of one
length the gazetteer (which knows the id) wins over natasha, and natasha over the rules.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from tabadol.enrich.doc import Doc, Entity, EntityKind
from tabadol.enrich.entities_gazetteer import (
    Gazetteer,
    GazetteerMatch,
    data_digest,
    default_gazetteer,
    with_glued_suffix,
)
from tabadol.enrich.entities_natasha import NatashaRecognizer, NatashaSpan
from tabadol.enrich.entities_rules import RuleSpan, find_rule_spans
from tabadol.enrich.entities_text import Token, language_rules, primary_language, tokenize
from tabadol.enrich.translit import matching_key

# Recognizers read at most this much of a text: a news item is rarely over 20,000 characters and a
# body of megabytes is an attachment or a mistake; reading it all would hold a worker for seconds
# (the dates and numbers components read the same span).
MAX_TEXT_CHARS = 20_000
COMPONENT_VERSION = "1"

_ID_PREFIX = {EntityKind.PERSON: "person", EntityKind.ORGANISATION: "org", EntityKind.PLACE: "place"}
_SOURCE_RANK = {"gazetteer": 0, "natasha": 1, "rules": 2}
_NOT_ID_CHARS = re.compile(r"[\W_]+")
# A y/i glide between vowels is written in some romanisations only (Tokayev / Токаев, Aliyev).
_GLIDE = re.compile(r"(?<=[aeou])i(?=[aeiou])")


class EntityRecognizer(Protocol):
    def recognize(self, text: str, language: str | None) -> list[Entity]: ...


def unknown_entity_id(kind: EntityKind, name: str, language: str | None) -> str:
    """The id of an entity the gazetteer does not know: its kind and the matching key of its name."""
    key = _GLIDE.sub("", matching_key(name, language))
    slug = _NOT_ID_CHARS.sub("-", key).strip("-")
    if not slug:  # a name of symbols only: still one stable id per name
        slug = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{_ID_PREFIX[kind]}/~{slug}"


@dataclass
class DefaultRecognizer:
    """Gazetteer for every language, natasha for Russian, rules for the others."""

    gazetteer: Gazetteer | None = None
    use_natasha: bool = True

    def recognize(self, text: str, language: str | None) -> list[Entity]:
        text = text[:MAX_TEXT_CHARS]
        primary = primary_language(language)
        gazetteer = self.gazetteer or default_gazetteer()
        tokens = tokenize(text)
        if not tokens:
            return []
        candidates = [self._from_match(match) for match in gazetteer.find(tokens, primary)]
        if primary == "ru":
            if self.use_natasha:
                candidates += self._natasha_entities(text, gazetteer)
        else:
            rules = language_rules(primary)
            candidates += [_from_rule(span, tokens, text, primary) for span in find_rule_spans(tokens, rules)]
        return _with_surfaces(_resolve_overlaps(candidates), text)

    @staticmethod
    def _from_match(match: GazetteerMatch) -> Entity:
        entry = match.entry
        return Entity(entry.id, entry.kind, entry.name, "", match.start, match.end, "gazetteer")

    def _natasha_entities(self, text: str, gazetteer: Gazetteer) -> list[Entity]:
        return [_from_natasha(span, gazetteer) for span in NatashaRecognizer().spans(text)]


def _from_natasha(span: NatashaSpan, gazetteer: Gazetteer) -> Entity:
    """A natasha span, linked to the gazetteer when its text or normal form is a known name."""
    for candidate in (span.text, span.normal):
        matches = gazetteer.find(tokenize(candidate), "ru")
        if len(matches) == 1 and matches[0].start == 0 and matches[0].end == len(candidate.rstrip()):
            entry = matches[0].entry
            return Entity(entry.id, entry.kind, entry.name, span.text, span.start, span.end, "natasha")
    entity_id = unknown_entity_id(span.kind, span.normal, "ru")
    return Entity(entity_id, span.kind, span.normal, span.text, span.start, span.end, "natasha")


def _from_rule(span: RuleSpan, tokens: list[Token], text: str, language: str | None) -> Entity:
    last = with_glued_suffix(tokens, span.last, language)
    start, end = tokens[span.first].start, tokens[last].end
    entity_id = unknown_entity_id(span.kind, span.name, language)
    return Entity(entity_id, span.kind, span.name, text[start:end], start, end, "rules")


def _resolve_overlaps(candidates: list[Entity]) -> list[Entity]:
    """Non-overlapping entities in text order.

    Sources are taken in order of trust (gazetteer, natasha, rules), the longest spans of each first;
    a later span that overlaps earlier ones is dropped, unless it contains them and says more:
    an organisation around places and persons (Қазақстан темір жолы, Bank of Russia), a place
    around places (Омбы облысы around the city of Омбы), or a natasha span around one gazetteer
    name of its kind (Владимир Владимирович Путин), which keeps the id.
    """
    ranked = sorted(candidates, key=lambda e: (_SOURCE_RANK.get(e.source, 9), -(e.end - e.start), e.start))
    taken = _SpanSet()
    for entity in ranked:
        if entity.end <= entity.start:
            continue
        first, last = taken.overlapping(entity.start, entity.end)
        if first == last:
            taken.insert(first, entity)
            continue
        replacement = _containing_replacement(entity, taken.entities[first:last])
        if replacement is not None:
            taken.replace(first, last, replacement)
    return taken.entities


class _SpanSet:
    """Non-overlapping entities sorted by start: the overlaps of a span are one slice of them."""

    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self._starts: list[int] = []

    def overlapping(self, start: int, end: int) -> tuple[int, int]:
        """The slice [first, last) of entities overlapping start..end (empty: where to insert)."""
        first = bisect.bisect_right(self._starts, start)
        if first > 0 and self.entities[first - 1].end > start:
            first -= 1
        last = bisect.bisect_left(self._starts, end, lo=first)
        return first, last

    def insert(self, index: int, entity: Entity) -> None:
        self.entities.insert(index, entity)
        self._starts.insert(index, entity.start)

    def replace(self, first: int, last: int, entity: Entity) -> None:
        self.entities[first:last] = [entity]
        self._starts[first:last] = [entity.start]


def _containing_replacement(entity: Entity, overlapping: list[Entity]) -> Entity | None:
    if not all(entity.start <= o.start and o.end <= entity.end for o in overlapping):
        return None
    longer = all(entity.end - entity.start > o.end - o.start for o in overlapping)
    if (
        longer
        and entity.kind is EntityKind.ORGANISATION
        and all(o.kind is not EntityKind.ORGANISATION for o in overlapping)
    ):
        return entity
    beyond = entity.end > max(o.end for o in overlapping)  # a head word after the known name
    if (
        longer
        and beyond
        and entity.kind is EntityKind.PLACE
        and all(o.kind is EntityKind.PLACE for o in overlapping)
    ):
        return entity  # a region named after its city: Омбы облысы, Almaty Region
    if entity.source == "natasha" and len(overlapping) == 1 and overlapping[0].kind is entity.kind:
        known = overlapping[0]
        return replace(entity, id=known.id, name=known.name) if known.source == "gazetteer" else entity
    return None


def _with_surfaces(entities: list[Entity], text: str) -> list[Entity]:
    return [e if e.surface else replace(e, surface=text[e.start : e.end]) for e in entities]


class EntityComponent:
    """The pipeline component: reads `doc.text` and `doc.language`, assigns `entities`."""

    name = "entities"
    requires = ("language",)
    assigns = ("entities",)

    def __init__(self, recognizer: EntityRecognizer | None = None) -> None:
        self.recognizer: EntityRecognizer = recognizer or DefaultRecognizer()

    @property
    def version(self) -> str:
        """The code version plus a hash of the gazetteer and rule files: a change to either makes
        earlier results stale."""
        return f"{COMPONENT_VERSION}+{data_digest()[:12]}"

    def process(self, docs: Sequence[Doc]) -> list[Doc]:
        out = []
        for doc in docs:
            entities = self.recognizer.recognize(doc.text, doc.language)
            out.append(replace(doc, entities=tuple(entities)))
        return out
