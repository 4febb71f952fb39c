"""The index stage over the store: after the pipeline, put an item's vector in the index, link it to the
earlier item it copies (near-duplicates) and place it in a story.

The decisions are the pure functions of `neardup.py` and `stories.py`; this module feeds them
candidates from the store and writes what they decide. Decisions run one at a time hub-wide (the store's
writer lock, `Storage.index_transaction`): two workers placing two versions of one event at once would
otherwise both start a new story for it.

The language-pair background the story scores are read against (stories.Background) is estimated from a
sample of recent vectors in the store, and re-estimated every `BACKGROUND_REFRESH` items a process
indexes, so every worker process reads cosines against the same, current yardstick.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np

from tabadol.enrich.doc import Doc
from tabadol.enrich.embed import E5Embedder
from tabadol.index import neardup
from tabadol.index.stories import Background, Candidate, StoryFeatures, StoryParams, decide, name_keys
from tabadol.storage import index as index_rows
from tabadol.types import IndexEntry, Item, ItemLink, utc_now

BACKGROUND_REFRESH = 200  # items indexed between two estimates of the background
BACKGROUND_SAMPLE = 300  # recent vectors per language the background is estimated from
NEAR_DUPLICATE_CANDIDATES = 10
NEAR_DUPLICATE_KIND = "near_duplicate"
# Fingerprints cover the start of a text: a republication shows in its first pages.
FINGERPRINT_CHARS = 50_000


def features_json(doc: Doc) -> dict[str, Any]:
    text = doc.text[:FINGERPRINT_CHARS]
    return {
        "numbers": list(doc.numbers),
        "entities": sorted({entity.id for entity in doc.entities}),
        "dates": sorted({mention.date.isoformat() for mention in doc.dates}),
        "names": list(name_keys(text, doc.language)),
    }


def story_features(entry: IndexEntry) -> StoryFeatures:
    features = entry.features
    return StoryFeatures(
        item_id=entry.item_id,
        member=entry.member_code,
        language=entry.language or "und",
        time=entry.at,
        vector=np.asarray(entry.vector, dtype=np.float32),
        numbers=tuple(features.get("numbers", ())),
        entity_ids=tuple(features.get("entities", ())),
        dates=tuple(_dates(features.get("dates", ()))),
        names=tuple(features.get("names", ())),
    )


def _dates(values: Sequence[str]) -> list[date]:
    out = []
    for value in values:
        try:
            out.append(date.fromisoformat(value))
        except ValueError:
            continue
    return out


class StorageIndexStage:
    def __init__(
        self, storage: Any, params: StoryParams | None = None, model: str = E5Embedder.model_id
    ) -> None:
        self.storage = storage
        self.params = params or StoryParams()
        self.model = model
        self._lock = threading.Lock()
        self._background: Background | None = None
        self._since_refresh = 0

    def index(self, item: Item, doc: Doc) -> tuple[str | None, str | None]:
        """Index the item; returns (its story id, the id of the item it copies or None)."""
        entry = IndexEntry(
            item_id=item.id,
            item_version=item.version,
            model=self.model,
            member_code=item.member_code,
            language=doc.language,
            at=item.version_created,
            vector=np.asarray(doc.vector, dtype=np.float32),
            features=features_json(doc),
            fingerprint=neardup.fingerprint(doc.text[:FINGERPRINT_CHARS]),
        )
        features = story_features(entry)
        with self._lock:
            background = self._current_background()
        now = utc_now()
        with self.storage.index_transaction() as connection:
            found = self._candidates(entry)
            story_ids = self.storage.story_ids_of([e.item_id for e, _ in found])
            # Only the per-language best are story candidates (as the clustering was designed);
            # the extra same-language neighbours serve the near-duplicate check.
            candidates = [
                Candidate(story_features(e), story_ids[e.item_id], cosine)
                for e, cosine in _per_language_best(found, self.params.per_language)
                if e.item_id in story_ids
            ]
            decision = decide(features, candidates, background, self.params)
            index_rows.save_entry(connection, entry)
            story_id = index_rows.put_in_story(
                connection,
                item.id,
                decision.story_id,
                decision.merge_story_ids,
                decision.score,
                entry.at,
                now,
            )
            source = self._near_duplicate_source(entry, found)
            index_rows.remove_links(connection, item.id, NEAR_DUPLICATE_KIND)
            if source is not None:
                index_rows.save_link(
                    connection, ItemLink(item.id, NEAR_DUPLICATE_KIND, source[0], source[1], now)
                )
        return story_id, source[0] if source else None

    def _candidates(self, entry: IndexEntry) -> list[tuple[IndexEntry, float]]:
        """The nearest items of each language within the story window. Per language, because a
        Turkmen item's nearest items overall are other Turkmen items, not its English original."""
        since, until = entry.at - self.params.window, entry.at + self.params.window
        per_language = max(self.params.per_language, NEAR_DUPLICATE_CANDIDATES)
        found = self.storage.nearest_per_language(
            entry.vector, per_language, since, until, exclude=[entry.item_id]
        )
        # Story candidates: the per_language best of each language; near-duplicates look further in
        # the item's own language.
        ranked: dict[str | None, list[tuple[IndexEntry, float]]] = {}
        for other, cosine in sorted(found, key=lambda pair: -pair[1]):
            ranked.setdefault(other.language, []).append((other, cosine))
        out: list[tuple[IndexEntry, float]] = []
        for language, pairs in ranked.items():
            keep = NEAR_DUPLICATE_CANDIDATES if language == entry.language else self.params.per_language
            out.extend(pairs[: max(keep, self.params.per_language)])
        return out

    @staticmethod
    def _near_duplicate_source(
        entry: IndexEntry, found: Sequence[tuple[IndexEntry, float]]
    ) -> tuple[str, float] | None:
        if entry.fingerprint is None:
            return None
        earlier = sorted(
            (other for other, _ in found if other.language == entry.language and _earlier(other, entry)),
            key=lambda other: (other.at, other.item_id),
        )
        return neardup.find_source(
            entry.fingerprint, [(other.item_id, other.fingerprint) for other in earlier if other.fingerprint]
        )

    def _current_background(self) -> Background:
        if self._background is None or self._since_refresh >= BACKGROUND_REFRESH:
            sample = self.storage.sample_vectors(BACKGROUND_SAMPLE)
            self._background = Background.estimate(sample) if sample else Background()
            self._since_refresh = 0
        self._since_refresh += 1
        return self._background


def _per_language_best(
    found: Sequence[tuple[IndexEntry, float]], per_language: int
) -> list[tuple[IndexEntry, float]]:
    counts: dict[str | None, int] = {}
    out = []
    for other, cosine in sorted(found, key=lambda pair: -pair[1]):
        if counts.get(other.language, 0) < per_language:
            counts[other.language] = counts.get(other.language, 0) + 1
            out.append((other, cosine))
    return out


def _earlier(other: IndexEntry, entry: IndexEntry) -> bool:
    return (other.at, other.item_id) < (entry.at, entry.item_id)


def group_by_language(entries: Sequence[IndexEntry]) -> Mapping[str, np.ndarray]:
    groups: dict[str, list[np.ndarray]] = {}
    for entry in entries:
        groups.setdefault(entry.language or "und", []).append(np.asarray(entry.vector, dtype=np.float32))
    return {language: np.stack(vectors) for language, vectors in groups.items()}
