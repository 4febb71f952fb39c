"""The index stage over the store: after the pipeline, put an item's vector in the index, link it to the
earlier item it copies (near-duplicates) and place it in a story.

The decisions are the pure functions of `neardup.py` and `stories.py`; this module feeds them
candidates from the store and writes what they decide. Decisions run one at a time hub-wide (the store's
writer lock, `Storage.index_transaction`): two workers placing two versions of one event at once would
otherwise both start a new story for it.

The language background the story scores are read against (stories.Background: each language's centroid
and the spread of cosines between unrelated items of each language pair) is learned by each process as it
places items, starting from the store: centroids of every stored vector, and the spread estimated from a
sample of recent items of each language.
"""

from __future__ import annotations

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
    """The story and near-duplicate decisions over the store.

    Candidates are chosen as the clustering was designed (`stories.StoryIndex`): every vector in the
    time window is compared with the item after both are centred on their language's centroid; for each
    language the `per_language` nearest are candidates, plus the other in-window items of their
    stories. The vectors of the window come from this process's in-memory copy of the index (caught up
    with every process's writes before each decision, under the writer lock). The language background
    (centroids, and the spread of cosines between unrelated items of each language pair) is learned as
    items are placed; a process starting afresh estimates it from the store.
    """

    def __init__(
        self, storage: Any, params: StoryParams | None = None, model: str = E5Embedder.model_id
    ) -> None:
        self.storage = storage
        self.params = params or StoryParams()
        self.model = model
        self._background: Background | None = None

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
        now = utc_now()
        with self.storage.index_transaction() as connection:
            memory = self.storage.memory_index()
            background = self._current_background(memory)
            ranked = self._ranked_window(memory, features, background)
            candidates, neighbours = self._candidates(ranked, features)
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
            if self.params.centre_languages:
                background.observe_vector(features.language, features.vector)
            source = self._near_duplicate_source(entry, neighbours)
            index_rows.remove_links(connection, item.id, NEAR_DUPLICATE_KIND)
            if source is not None:
                index_rows.save_link(
                    connection, ItemLink(item.id, NEAR_DUPLICATE_KIND, source[0], source[1], now)
                )
        self._match_fact_checks(item, doc)  # after the writer lock is released: it writes on its own
        return story_id, source[0] if source else None

    def _match_fact_checks(self, item: Item, doc: Doc) -> None:
        """Record which reviewed claims (members' fact checks) the item states, by the vector just
        stored (verify/factchecks.py; never raises)."""
        from tabadol.verify.factchecks import match_enriched_item

        match_enriched_item(self.storage, item, doc.lead, doc.language, doc.vector, self.model)

    def _ranked_window(
        self, memory: Any, item: StoryFeatures, background: Background
    ) -> dict[str, list[tuple[str, float]]]:
        """Per language, the in-window items by centred cosine with the item, best first; the
        cosines also teach the background what unrelated pairs look like (most pairs are)."""
        window = self.params.window
        ids, languages, vectors = memory.window(
            item.time - window, item.time + window, exclude=[item.item_id]
        )
        if not ids:
            return {}
        query = np.asarray(item.vector, dtype=np.float32)
        by_language: dict[str, list[int]] = {}
        for position, language in enumerate(languages):
            by_language.setdefault(language or "und", []).append(position)
        if self.params.centre_languages:
            query = background.centre(query[None, :], item.language)[0]
            for language, positions in by_language.items():
                vectors[positions] = background.centre(vectors[positions], language)
        cosines = vectors @ query
        ranked: dict[str, list[tuple[str, float]]] = {}
        for language, positions in by_language.items():
            sims = cosines[positions]
            background.observe(item.language, language, sims.astype(np.float64))
            order = np.argsort(-sims, kind="stable")
            ranked[language] = [(ids[positions[i]], float(sims[i])) for i in order]
        return ranked

    def _candidates(
        self, ranked: Mapping[str, list[tuple[str, float]]], item: StoryFeatures
    ) -> tuple[list[Candidate], list[IndexEntry]]:
        """Story candidates (the nearest of each language and their stories' other in-window items)
        and the item's nearest same-language neighbours (for the near-duplicate check)."""
        cosine_of = {item_id: cosine for pairs in ranked.values() for item_id, cosine in pairs}
        chosen = {item_id for pairs in ranked.values() for item_id, _ in pairs[: self.params.per_language]}
        neighbours = [item_id for item_id, _ in ranked.get(item.language, [])[:NEAR_DUPLICATE_CANDIDATES]]
        stories = self.storage.story_ids_of(sorted(chosen))
        mates = self.storage.items_of_stories(sorted(set(stories.values())))
        chosen.update(item_id for item_id in mates if item_id in cosine_of)
        stories.update({item_id: story for item_id, story in mates.items() if item_id in chosen})
        entries = self.storage.index_entries(sorted(chosen | set(neighbours)))
        candidates = [
            Candidate(story_features(entries[item_id]), stories[item_id], cosine_of[item_id])
            for item_id in sorted(chosen)
            if item_id in entries and item_id in stories
        ]
        return candidates, [entries[item_id] for item_id in neighbours if item_id in entries]

    @staticmethod
    def _near_duplicate_source(
        entry: IndexEntry, neighbours: Sequence[IndexEntry]
    ) -> tuple[str, float] | None:
        if entry.fingerprint is None:
            return None
        earlier = sorted(
            (other for other in neighbours if other.language == entry.language and _earlier(other, entry)),
            key=lambda other: (other.at, other.item_id),
        )
        return neardup.find_source(
            entry.fingerprint, [(other.item_id, other.fingerprint) for other in earlier if other.fingerprint]
        )

    def _current_background(self, memory: Any) -> Background:
        """This process's background; the first time, centroids from the shipped prior and every stored
        vector, and the spread of cosines estimated from a sample of recent items of each language."""
        if self._background is None:
            sample = self.storage.sample_vectors(BACKGROUND_SAMPLE)
            estimated = Background.estimate(sample) if sample else Background()
            background = Background.with_prior_centroids()
            background.moments = estimated.moments
            for language, (total, count) in memory.language_sums().items():
                key = language or "und"
                background.centroid_sums[key] = background.centroid_sums.get(key, 0.0) + total
                background.centroid_counts[key] = background.centroid_counts.get(key, 0.0) + float(count)
            self._background = background
        return self._background


def _earlier(other: IndexEntry, entry: IndexEntry) -> bool:
    return (other.at, other.item_id) < (entry.at, entry.item_id)
