"""The IPTC Media Topics the hub classifies into, read from `topics_data/iptc_media_topics.json`.

The file holds real `medtop:` codes: the 17 top-level topics and the lower-level topics that the
alliance's wires are mostly about (energy, transport, construction, trade, travel and tourism,
elections, diplomacy, ...), each with a label and a short description in the eight languages.
`parent` is the nearest broader topic *in this file* (for "international trade" that is "economy",
whose own child "macro economics" is not shipped), so scores can be summed up a tree that has no
gaps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from tabadol.errors import ErrorCode, TabadolError

IPTC_SCHEME = "iptc"
TAXONOMY_RESOURCE = "iptc_media_topics.json"
DATA_PACKAGE = "tabadol.enrich.topics_data"
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class TaxonomyTopic:
    code: str
    parent: str | None
    labels: Mapping[str, str]
    descriptions: Mapping[str, str]

    @property
    def label(self) -> str:
        """The English label (what `TopicScore.label` carries)."""
        return self.labels[FALLBACK_LANGUAGE]

    def label_in(self, language: str | None) -> str:
        """The label in `language` (a BCP-47 tag; its primary subtag is used), else in English."""
        primary = (language or FALLBACK_LANGUAGE).split("-")[0].lower()
        return self.labels.get(primary, self.label)


@dataclass(frozen=True, slots=True)
class Taxonomy:
    scheme: str
    languages: tuple[str, ...]
    topics: tuple[TaxonomyTopic, ...]
    sha256: str  # of the file's bytes: the shipped head records which taxonomy it was trained for

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(topic.code for topic in self.topics)

    def topic(self, code: str) -> TaxonomyTopic:
        for topic in self.topics:
            if topic.code == code:
                return topic
        raise KeyError(code)

    def description_texts(self) -> list[tuple[str, str]]:
        """(code, "label: description") for every topic and language: the texts the zero-shot
        prototypes are embedded from and the head's few-shot examples."""
        return [
            (topic.code, f"{topic.labels[lang]}: {topic.descriptions[lang]}")
            for topic in self.topics
            for lang in self.languages
        ]


def parse_taxonomy(data: bytes, source: str) -> Taxonomy:
    """Read and check a taxonomy file; MODEL_INVALID says what is wrong with it."""
    try:
        document = json.loads(data.decode("utf-8"))
        languages = tuple(document["languages"])
        topics = tuple(_parse_topic(entry, languages) for entry in document["topics"])
        scheme = str(document["scheme"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=f"malformed taxonomy: {exc}") from exc
    _check_tree(topics, source)
    return Taxonomy(scheme, languages, topics, hashlib.sha256(data).hexdigest())


def _parse_topic(entry: Mapping[str, Any], languages: tuple[str, ...]) -> TaxonomyTopic:
    labels = {lang: str(entry["labels"][lang]) for lang in languages}
    descriptions = {lang: str(entry["descriptions"][lang]) for lang in languages}
    parent = entry.get("parent")
    return TaxonomyTopic(str(entry["code"]), None if parent is None else str(parent), labels, descriptions)


def _check_tree(topics: tuple[TaxonomyTopic, ...], source: str) -> None:
    codes = [topic.code for topic in topics]
    if len(set(codes)) != len(codes):
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason="a topic code appears twice")
    for topic in topics:
        if topic.parent is not None and topic.parent not in codes:
            reason = f"{topic.code} names an unknown parent {topic.parent}"
            raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=reason)


def read_data_file(name: str) -> bytes:
    return resources.files(DATA_PACKAGE).joinpath(name).read_bytes()


@lru_cache(maxsize=1)
def iptc_taxonomy() -> Taxonomy:
    """The shipped IPTC Media Topics (read once per process)."""
    return parse_taxonomy(read_data_file(TAXONOMY_RESOURCE), f"{DATA_PACKAGE}/{TAXONOMY_RESOURCE}")
