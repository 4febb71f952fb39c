"""The record the enrichment pipeline passes from component to component.

A `Doc` is frozen: each component returns a copy with the fields it assigns filled in
(`dataclasses.replace`), so a component can never change what an earlier one produced behind its back,
and a failed component leaves the fields it would have assigned at their defaults.

Field names are the vocabulary components use to declare what they require and assign
(see `pipeline.Component`): "language", "normalized", "dates", "entities", "topics", "vector", ...
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from tabadol.enrich.dates import MentionedDate

Vector = npt.NDArray[np.float32]


class EntityKind(enum.StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity found in a text, linked to a stable identifier.

    `id` is the same whatever the language or script of the mention: a gazetteer id such as
    "place/tehran" or "org/irna", or, for a name the gazetteer does not know, a kind-prefixed matching
    key of the name ("person/~vladimir-putin") so that spellings of one name in Cyrillic and Latin meet.
    `name` is the canonical (English) name when known, else the mention as written. `start`/`end` are
    offsets into the text the recognizer read; `source` says which recognizer found it.
    """

    id: str
    kind: EntityKind
    name: str
    surface: str
    start: int
    end: int
    source: str


@dataclass(frozen=True, slots=True)
class TopicScore:
    """One topic of a scheme with its score in 0..1. `scheme` is "iptc" for IPTC Media Topics
    (codes like "medtop:04000000") or the name of a member's own scheme."""

    scheme: str
    code: str
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class ComponentError:
    """A component that failed on one document: the pipeline records it and goes on."""

    component: str
    version: str
    error: str


@dataclass(frozen=True, slots=True)
class Doc:
    """One text going through the pipeline.

    Inputs (set by whoever builds the Doc): `id`, `headline`, `body`, `declared_language` (what the
    sender said, may be None or wrong), `reference_time` (resolves relative dates; the item's
    version time), `member`.
    """

    id: str
    headline: str
    body: str
    reference_time: datetime
    declared_language: str | None = None
    member: str | None = None
    # -- assigned by components ------------------------------------------------------------------
    language: str | None = None  # BCP-47, e.g. "fa", "kk-Latn", "und"
    script: str | None = None  # ISO 15924, e.g. "Arab", "Cyrl", "Latn"
    headline_language: str | None = None
    normalized: str | None = None  # search/matching form of headline + body (enrich/normalize.py)
    lead: str | None = None  # headline and first sentences, the text that is embedded
    dates: tuple[MentionedDate, ...] = ()
    numbers: tuple[str, ...] = ()  # numbers in the text, in a script-independent canonical form
    entities: tuple[Entity, ...] = ()
    topics: tuple[TopicScore, ...] = ()
    vector: Vector | None = field(default=None, compare=False, repr=False)
    errors: tuple[ComponentError, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """Headline and body as one text (what recognizers read); offsets refer to this string."""
        if not self.headline:
            return self.body
        if not self.body:
            return self.headline
        return f"{self.headline}\n\n{self.body}"


DOC_FIELDS = frozenset(f.name for f in fields(Doc))
