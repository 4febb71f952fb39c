"""Stories: an online clustering of items, across languages and members, into the stories they tell.

Each new item is compared with earlier items within a time window (`StoryParams.window`); it joins the
story it matches best if the match is strong enough, starts a new story otherwise, and when it matches
several stories strongly it merges them (the oldest survives; the others are recorded as merged into it).
`decide` makes that decision from the item and its candidates and touches no storage; `StoryIndex` runs
the whole loop in memory (the benchmark and the tests use it; the storage layer runs the same `decide`).

How a match is scored:

1. The background. Multilingual embeddings carry most of the signal, but a raw cosine means different
   things for different language pairs: unrelated Turkmen texts are about as similar to each other
   (cosine ~0.85) as a Turkmen text is to its own English original, while unrelated English and Persian
   texts sit near 0.72. So each vector is first moved away from its language's centroid (the part all
   texts of a language share), and the cosine of the centred vectors is read against the mean and
   spread of such cosines between (mostly unrelated) items of the same two languages (`Background`,
   learned from the stream), as a z-score: how far above an ordinary pair of those languages it is.
2. The story, not just the nearest item. An item is compared with every candidate item of a story, and
   the story's z is a blend of the best pair's z and the mean over the story's items (`story_mean`):
   one translation may happen to look like an unrelated text, all of a story's versions rarely do.
3. Evidence the model cannot see: numbers both items mention (canonical, see enrich/numbers.py, weighted
   by how telling they are: a "4" is common, "330000" is not), names (`name_keys`), entity ids and
   dates, added in z units.
4. Rivals. A story must also stand out from the next best stories in the candidate's language (the
   `margin`): when several Turkmen stories all look alike to the model, none of them is chosen on the
   embedding alone.
5. Coherence. A story that already has an item in the new item's language, which the new item does not
   resemble at all, is not joined (see `_incoherent_stories`).

Thresholds are in z units (standard deviations above the language pair's typical cosine), which is what
makes one threshold work for every language pair.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from tabadol.enrich.doc import Vector
from tabadol.enrich.translit import matching_key
from tabadol.errors import ErrorCode, TabadolError

SCAN_LIMIT = 5_000  # names are read from the first characters: the headline and lead carry the story

# -- inputs and outputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What the clustering knows of an item: who sent it, when, in which language, its embedding (L2-
    normalised headline and lead), and its numbers, entity ids and mentioned dates."""

    item_id: str
    member: str
    language: str
    time: datetime
    vector: Vector = field(compare=False, repr=False)
    numbers: tuple[str, ...] = ()
    entity_ids: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    names: tuple[str, ...] = ()  # `name_keys` of the text


@dataclass(frozen=True, slots=True)
class Candidate:
    """An earlier item the new one may belong with: its features, its (current) story and the cosine
    of the two vectors, each centred on its language (`Background.centre`; the raw cosine if the
    clustering runs with `centre_languages` off)."""

    features: StoryFeatures
    story_id: str
    cosine: float


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """Why an item matches a candidate: the parts of the score, kept with the decision."""

    candidate_id: str
    story_id: str
    cosine: float
    z: float
    shared_numbers: tuple[str, ...]
    shared_entities: tuple[str, ...]
    shared_dates: tuple[date, ...]
    shared_names: tuple[str, ...]
    score: float  # z plus evidence: how far the pair stands out from its language pair's background
    margin: float  # score less the rivals' level: how far this story stands out from the others
    same_language: bool


@dataclass(frozen=True, slots=True)
class StoryDecision:
    """`story_id` None: the item starts a new story. Otherwise it joins `story_id`, and the stories in
    `merge_story_ids` (never including `story_id`) are the same story and are merged with it; the storage
    layer keeps the oldest of them all and records the others as merged into it. `score` is the best
    match's score; `evidence` the best match for each story named (joined first), or for a new story the
    best match that was not good enough (empty when there was no candidate at all)."""

    story_id: str | None
    merge_story_ids: tuple[str, ...]
    score: float
    evidence: tuple[PairEvidence, ...]


@dataclass(frozen=True, slots=True)
class StoryParams:
    """The knobs, with the reasons for their defaults. Scores are in z units: standard deviations of
    cosine above the typical cosine of the language pair (see `Background`).

    - `window`: how far apart in time two items of one story may be. Three days: a story's wires in
      several languages come within hours, follow-ups within days; beyond that a new story is better.
    - `join_score`: z plus evidence from which an item may join a story. Unrelated pairs of different
      languages reach z = 3 about once in a thousand; translations of one text mostly score well above
      4 (Turkmen less, hence the evidence).
    - `join_margin`: and the story must stand out by this much from its rivals, the next best stories
      in the same language (see `decide`).
    - `merge_extra`: a second story of several items is merged only on this much more than joining
      needs: a wrong merge joins two whole stories and no later item undoes it (a one-item story merges
      on what joining needs: that is the same decision as its item joining).
    - `same_language_extra`: a pair in one language needs this much more. The model compares texts of
      one language on wording as well as subject, so unrelated texts of one language (one agency's
      style and boilerplate) reach high z more often, while two reports of one story in one language
      share names and figures and score far higher still.
    - `same_language_z`: a story that already has items in the new item's language is only joined if
      one of them is at least this similar to it (see `_incoherent_stories`).
    - evidence: one telling shared number is worth 1.5 standard deviations of cosine, a shared name
      key 1, an entity id or a date 0.5 (a country or a date is shared by many stories of one day); at
      most `max_evidence` in all, and none below z = `evidence_from_z`. Evidence does not make an
      unrelated pair related (unrelated texts share years, counts and countries); it tells which of
      the stories the embedding already finds related is the right one, lifting it above its rivals.
    - `rivals`, `rival_weight`: how many rival stories are averaged, and how much they count.
    - `per_language`: how many nearest earlier items of each language are candidates (see `StoryIndex`).
    - `story_mean`: the weight of the mean over a story's items against its best item (see the module
      doc, point 2).
    - `centre_languages`: centre vectors on their language's centroid before comparing them (see
      `Background`); the prior of `Background` describes centred cosines.

    Measured on FLORES (bench/quality_stories.py): small changes of any one knob move B-cubed F1 by
    about 0.01; the defaults are round values in the flat middle of that range, not a tuned optimum.
    """

    window: timedelta = timedelta(days=3)
    join_score: float = 3.5
    join_margin: float = 1.0
    merge_extra: float = 5.0
    same_language_extra: float = 1.5
    same_language_z: float = 2.0
    number_weight: float = 1.5
    entity_weight: float = 0.5
    name_weight: float = 1.0
    date_weight: float = 0.5
    max_evidence: float = 3.0
    evidence_from_z: float = 3.0
    rivals: int = 3
    rival_weight: float = 1.0
    per_language: int = 8
    story_mean: float = 0.5
    centre_languages: bool = True


# -- the background of a language pair ------------------------------------------------------------

# Cosines are of language-centred vectors (see `Background.centre`): between unrelated texts they sit
# near 0.05 with a spread of about 0.08 (measured with multilingual-e5-small on headline and lead).
PRIOR_MEAN = 0.05
PRIOR_SD = 0.08
PRIOR_WEIGHT = 50.0  # the prior counts as this many observed pairs
MIN_SD = 0.01


@dataclass
class _Moments:
    count: float = 0.0
    total: float = 0.0
    squares: float = 0.0

    def add(self, values: np.ndarray) -> None:
        self.count += float(values.size)
        self.total += float(values.sum())
        self.squares += float(np.square(values, dtype=np.float64).sum())


@dataclass
class Background:
    """What an ordinary, unrelated pair looks like, learned from the stream.

    Two things, both unsupervised. (1) Each language's centroid: the mean vector of its items. The
    model places every text of a language near a common point (a Turkmen direction, a Persian one), and
    that shared part says nothing about the story; `centre` removes it, and stories separate far better
    (on FLORES, the nearest Turkmen-to-other-language match is the right article 94% of the time instead
    of 86%). (2) The mean and spread of the centred cosines between items of each pair of languages,
    most of which are of different stories: the yardstick a cosine is measured against (`z`). Starts
    from a prior (`prior_mean`, `prior_sd`) that observations outweigh as they accumulate.
    Serialisable with `to_json`/`from_json`, so a storage layer can keep it; `estimate` builds one from
    a sample of vectors per language.
    """

    moments: dict[tuple[str, str], _Moments] = field(default_factory=dict)
    centroid_sums: dict[str, np.ndarray] = field(default_factory=dict)
    centroid_counts: dict[str, float] = field(default_factory=dict)
    prior_mean: float = PRIOR_MEAN
    prior_sd: float = PRIOR_SD

    @staticmethod
    def _key(a: str, b: str) -> tuple[str, str]:
        return (a, b) if a <= b else (b, a)

    @classmethod
    def with_prior_centroids(cls) -> Background:
        """A background whose centroids start from the shipped prior (index/centroids.py), so the first
        items of a language are centred on their language, not on themselves."""
        from tabadol.index.centroids import PRIOR_WEIGHT, prior_centroids

        background = cls()
        for language, centroid in prior_centroids().items():
            background.centroid_sums[language] = centroid * PRIOR_WEIGHT
            background.centroid_counts[language] = PRIOR_WEIGHT
        return background

    def observe_vector(self, language: str, vector: np.ndarray) -> None:
        """Add an item's (raw) vector to its language's centroid."""
        value = np.asarray(vector, dtype=np.float64)
        total = self.centroid_sums.get(language)
        if total is not None and total.shape != value.shape:
            # A prior made for another model's vectors: start this language afresh.
            total = None
            self.centroid_counts[language] = 0.0
        self.centroid_sums[language] = value.copy() if total is None else total + value
        self.centroid_counts[language] = self.centroid_counts.get(language, 0.0) + 1.0

    def centre(self, vectors: np.ndarray, language: str) -> np.ndarray:
        """Vectors (one per row) less their language's centroid, L2-normalised again; unchanged while
        the language has no centroid."""
        total = self.centroid_sums.get(language)
        if total is None or total.shape[-1] != vectors.shape[-1]:
            return vectors
        centred = vectors - (total / self.centroid_counts[language]).astype(np.float32)
        norms = np.linalg.norm(centred, axis=-1, keepdims=True)
        return (centred / np.where(norms == 0, 1.0, norms)).astype(np.float32)

    def observe(self, language_a: str, language_b: str, cosines: np.ndarray) -> None:
        if cosines.size:
            self.moments.setdefault(self._key(language_a, language_b), _Moments()).add(cosines)

    def mean_sd(self, language_a: str, language_b: str) -> tuple[float, float]:
        m = self.moments.get(self._key(language_a, language_b), _Moments())
        count = m.count + PRIOR_WEIGHT
        mean = (m.total + PRIOR_WEIGHT * self.prior_mean) / count
        second = (m.squares + PRIOR_WEIGHT * (self.prior_sd**2 + self.prior_mean**2)) / count
        return mean, max(MIN_SD, math.sqrt(max(0.0, second - mean * mean)))

    def z(self, language_a: str, language_b: str, cosine: float) -> float:
        mean, sd = self.mean_sd(language_a, language_b)
        return (cosine - mean) / sd

    @classmethod
    def estimate(cls, vectors_by_language: Mapping[str, np.ndarray]) -> Background:
        """From a sample of (L2-normalised) vectors per language, e.g. a few hundred recent items each:
        the centroids first, then the moments of the centred cosines."""
        background = cls()
        for language, vectors in vectors_by_language.items():
            for vector in vectors:
                background.observe_vector(language, vector)
        centred = {lang: background.centre(np.asarray(v), lang) for lang, v in vectors_by_language.items()}
        languages = sorted(centred)
        for i, a in enumerate(languages):
            for b in languages[i:]:
                sims = centred[a] @ centred[b].T
                if a == b:
                    sims = sims[~np.eye(len(sims), dtype=bool)]
                background.observe(a, b, np.asarray(sims, dtype=np.float64).ravel())
        return background

    def to_json(self) -> dict[str, Any]:
        return {
            "prior": [self.prior_mean, self.prior_sd],
            "pairs": [
                {"languages": list(key), "count": m.count, "sum": m.total, "sum_squares": m.squares}
                for key, m in sorted(self.moments.items())
            ],
            "centroids": {
                lang: {"count": self.centroid_counts[lang], "sum": total.tolist()}
                for lang, total in sorted(self.centroid_sums.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Background:
        """The inverse of `to_json`; MODEL_INVALID if `data` is not what `to_json` writes."""
        try:
            return cls._from_json(data)
        except (KeyError, TypeError, ValueError) as error:
            raise TabadolError(
                ErrorCode.MODEL_INVALID, path="the stored story background", reason=repr(error)
            ) from error

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Background:
        prior_mean, prior_sd = data["prior"]
        background = cls(prior_mean=float(prior_mean), prior_sd=float(prior_sd))
        for row in data["pairs"]:
            a, b = (str(x) for x in row["languages"])
            background.moments[cls._key(a, b)] = _Moments(
                float(row["count"]), float(row["sum"]), float(row["sum_squares"])
            )
        for lang, centroid in data["centroids"].items():
            background.centroid_sums[lang] = np.asarray(centroid["sum"], dtype=np.float64)
            background.centroid_counts[lang] = float(centroid["count"])
        return background


# -- names ----------------------------------------------------------------------------------------

NAME_KEY_LENGTH = 4
_WORD = re.compile(r"[^\W\d_][^\W\d_'’\-]*")
_SENTENCE_START = ".!?:…\n"
_OPENERS = " \t\"«“„‘'(["


def name_keys(text: str, language: str | None) -> tuple[str, ...]:
    """Keys of the capitalised words inside sentences (names, mostly), comparable across scripts.

    A name is spelt differently in every language ("Siminoff", "Симинофф", "Siminof", "Симинофтың"),
    but its `matching_key` (Cyrillic to Latin, Latin diacritics and spelling variants folded) usually
    begins the same way, and inflection only changes the end: the key is its first `NAME_KEY_LENGTH`
    letters. Words at the start of a sentence are skipped (every sentence starts with a capital), and
    Arabic-script text has no capitals, so Persian and Arabic items get no name keys (only the Latin
    names they quote). A cheap, recognizer-free signal; entity ids, when the recognizer is run, are better.
    """
    keys: dict[str, None] = {}
    for match in _WORD.finditer(text[:SCAN_LIMIT]):
        word = match.group(0)
        if len(word) < 3 or not word[0].isupper() or _starts_sentence(text, match.start()):
            continue
        key = matching_key(word, language)
        if len(key) >= 3 and key.isalpha():
            keys.setdefault(key[:NAME_KEY_LENGTH], None)
    return tuple(keys)


def _starts_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 8) : start].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_START


# -- scoring --------------------------------------------------------------------------------------


def number_weight(number: str) -> float:
    """How telling a shared number is: small counts and years are shared by many unrelated stories."""
    plain = number.rstrip("%")
    if number.endswith("%") or not plain.isdigit():
        return 1.0  # percentages and decimals are specific
    value = int(plain)
    if value <= 10:
        return 0.25
    if 1900 <= value <= 2100:
        return 0.5
    return 1.0


def pair_evidence(
    item: StoryFeatures,
    candidate: Candidate,
    background: Background,
    params: StoryParams,
    rivals: float = 0.0,
    story_z: float | None = None,
) -> PairEvidence:
    """Score one candidate: its z-score (blended with `story_z`, the mean z of its story's candidate
    items, when given) plus the shared evidence; the margin is that less `rivals`, the level of the
    best other stories in the candidate's language (see `decide`)."""
    other = candidate.features
    z = background.z(item.language, other.language, candidate.cosine)
    numbers = tuple(n for n in item.numbers if n in set(other.numbers))
    entities = tuple(e for e in item.entity_ids if e in set(other.entity_ids))
    dates = tuple(d for d in item.dates if d in set(other.dates))
    names = tuple(n for n in item.names if n in set(other.names))
    bonus = (
        params.number_weight * sum(number_weight(n) for n in numbers)
        + params.entity_weight * len(entities)
        + params.name_weight * len(names)
        + params.date_weight * len(dates)
    )
    # Shared numbers and names only count between texts the embedding already finds related (z at
    # least `evidence_from_z`): two unrelated items may both mention 150 and 200.
    evidence = min(bonus, params.max_evidence) if z >= params.evidence_from_z else 0.0
    return PairEvidence(
        candidate_id=other.item_id,
        story_id=candidate.story_id,
        cosine=candidate.cosine,
        z=z,
        shared_numbers=numbers,
        shared_entities=entities,
        shared_dates=dates,
        shared_names=names,
        score=_blend(z, story_z, params) + evidence,
        margin=_blend(z, story_z, params) + evidence - params.rival_weight * rivals,
        same_language=item.language == other.language,
    )


def _blend(z: float, story_z: float | None, params: StoryParams) -> float:
    """A pair's z blended with the mean z of all the candidate items of its story."""
    return z if story_z is None else (1 - params.story_mean) * z + params.story_mean * story_z


def _rival_level(zs_by_story: Mapping[str, float], story_id: str, k: int) -> float:
    """Mean of the `k` best z-scores of other stories (missing ones count as 0, an ordinary pair)."""
    best = sorted((z for s, z in zs_by_story.items() if s != story_id), reverse=True)[:k]
    return sum(max(0.0, z) for z in best) / k if k else 0.0


def _incoherent_stories(
    item: StoryFeatures,
    usable: Sequence[Candidate],
    best_per_story: Mapping[str, PairEvidence],
    background: Background,
    params: StoryParams,
) -> set[str]:
    """Stories that hold an item in the new item's language which the new item does not resemble.

    Two texts of one story in one language are very alike (even by different writers: the same names,
    figures and words), so when a story already has items in this language and none of them is at
    least `same_language_z` above the background, the item belongs elsewhere however well it matches
    the story's items in other languages. This stops chains: an item drawn into a story by one
    translation that happens to look like it.
    """
    best_same: dict[str, float] = {}
    for c in usable:
        if c.features.language == item.language:
            z = background.z(item.language, item.language, c.cosine)
            best_same[c.story_id] = max(z, best_same.get(c.story_id, float("-inf")))
    return {s for s, z in best_same.items() if s in best_per_story and z < params.same_language_z}


def _merge_extra(size: int, params: StoryParams) -> float:
    """Merging a story of one item is the same decision as that item joining, so it needs no more
    evidence than joining; merging larger stories does (a wrong merge joins whole stories)."""
    return 0.0 if size <= 1 else params.merge_extra


def _joins(evidence: PairEvidence, params: StoryParams, extra: float) -> bool:
    if evidence.same_language:
        extra += params.same_language_extra
    return evidence.score >= params.join_score + extra and evidence.margin >= params.join_margin + extra


def decide(
    item: StoryFeatures,
    candidates: Sequence[Candidate],
    background: Background,
    params: StoryParams = StoryParams(),  # noqa: B008 - frozen, so one shared default is safe
) -> StoryDecision:
    """Join the best-matching story, merge in others that match strongly too, or start a new story.

    `candidates`: for each language, the `params.per_language` nearest earlier items (by cosine) within
    the window, plus the other items in the window of the stories those belong to (a story's mean and
    its coherence are computed over them), each with its current story id. Candidates outside the
    window, and the item itself, are ignored.

    A story is judged against its rivals: the other stories' best matches in the same language. A
    cosine that stands out from the background of its language pair is not enough when several stories
    in that language stand out as much (Turkmen texts all look alike to the model); what counts is how
    much better this story matches than the next ones.
    """
    usable = [
        c
        for c in candidates
        if abs(c.features.time - item.time) <= params.window and c.features.item_id != item.item_id
    ]
    z_of = [background.z(item.language, c.features.language, c.cosine) for c in usable]
    story_z = _story_means(usable, z_of)
    level = _levels_by_language(usable, z_of, story_z, params)
    best_per_story: dict[str, PairEvidence] = {}
    for c in usable:
        rivals = _rival_level(level[c.features.language], c.story_id, params.rivals)
        evidence = pair_evidence(item, c, background, params, rivals, story_z[c.story_id])
        known = best_per_story.get(c.story_id)
        if known is None or evidence.margin > known.margin:
            best_per_story[c.story_id] = evidence
    incoherent = _incoherent_stories(item, usable, best_per_story, background, params)
    ranked = sorted(
        (e for s, e in best_per_story.items() if s not in incoherent), key=lambda e: e.margin, reverse=True
    )
    if not ranked or not _joins(ranked[0], params, 0.0):
        return StoryDecision(None, (), ranked[0].score if ranked else float("-inf"), tuple(ranked[:1]))
    sizes = Counter(c.story_id for c in usable)
    merged = tuple(e for e in ranked[1:] if _joins(e, params, _merge_extra(sizes[e.story_id], params)))
    return StoryDecision(
        ranked[0].story_id, tuple(e.story_id for e in merged), ranked[0].score, (ranked[0], *merged)
    )


def _story_means(usable: Sequence[Candidate], z_of: Sequence[float]) -> dict[str, float]:
    """The mean z of each story's candidate items."""
    zs: dict[str, list[float]] = {}
    for c, z in zip(usable, z_of, strict=True):
        zs.setdefault(c.story_id, []).append(z)
    return {story: sum(values) / len(values) for story, values in zs.items()}


def _levels_by_language(
    usable: Sequence[Candidate], z_of: Sequence[float], story_z: Mapping[str, float], params: StoryParams
) -> dict[str, dict[str, float]]:
    """language -> story -> the story's best (blended) z among its candidates in that language."""
    level: dict[str, dict[str, float]] = {}
    for c, z in zip(usable, z_of, strict=True):
        per_story = level.setdefault(c.features.language, {})
        blended = _blend(z, story_z[c.story_id], params)
        per_story[c.story_id] = max(blended, per_story.get(c.story_id, float("-inf")))
    return level


# -- the whole loop in memory ---------------------------------------------------------------------


@dataclass
class Story:
    story_id: str
    item_ids: list[str]
    languages: set[str]
    members: set[str]
    first_seen: datetime
    last_seen: datetime


def _default_story_id(first_item_id: str) -> str:
    return f"story:{first_item_id}"


class StoryIndex:
    """Online clustering in memory: `add` items one by one (in arrival order), read `stories()`.

    Candidates are found by brute force: for each language, the `per_language` nearest earlier items
    within the window (per language, because the nearest items overall to a Turkmen item are other
    Turkmen items, and its English original would not be among them), and the items of their stories.
    With `learn_background`, the background learns from every cosine computed, i.e. from all pairs in the
    window, which are overwhelmingly of different stories, and each item's vector joins its language's
    centroid once it has been placed. A storage-backed index does the same with a stored `Background`.
    """

    def __init__(
        self,
        params: StoryParams = StoryParams(),  # noqa: B008 - frozen
        background: Background | None = None,
        learn_background: bool = True,
        new_story_id: Callable[[str], str] = _default_story_id,
    ) -> None:
        self.params = params
        self.background = background if background is not None else Background.with_prior_centroids()
        self._learn = learn_background
        self._new_story_id = new_story_id
        self._items: list[StoryFeatures] = []
        self._vectors: list[Vector] = []
        self._story_of_item: dict[str, str] = {}
        self._stories: dict[str, Story] = {}
        self._merged_into: dict[str, str] = {}

    def add(self, item: StoryFeatures) -> StoryDecision:
        candidates = self._candidates(item)
        decision = decide(item, candidates, self.background, self.params)
        self._apply(item, decision)
        if self._learn and self.params.centre_languages:
            self.background.observe_vector(item.language, item.vector)
        self._items.append(item)
        self._vectors.append(np.asarray(item.vector, dtype=np.float32))
        return decision

    def _candidates(self, item: StoryFeatures) -> list[Candidate]:
        in_window = [
            i for i, other in enumerate(self._items) if abs(other.time - item.time) <= self.params.window
        ]
        if not in_window:
            return []
        cosines = self._centred_cosines(item, in_window)
        by_language: dict[str, list[int]] = {}
        for position, index in enumerate(in_window):
            by_language.setdefault(self._items[index].language, []).append(position)
        chosen: set[int] = set()
        for language, positions in by_language.items():
            sims = cosines[positions]
            if self._learn:
                self.background.observe(item.language, language, sims.astype(np.float64))
            for p in np.argsort(-sims)[: self.params.per_language]:
                chosen.add(in_window[positions[p]])
        # ...and every item of the stories those belong to, for the coherence check (see `decide`).
        stories = {self.story_of(self._items[i].item_id) for i in chosen}
        chosen.update(i for i in in_window if self.story_of(self._items[i].item_id) in stories)
        cosine_of = dict(zip(in_window, cosines.tolist(), strict=True))
        return [
            Candidate(self._items[i], self.story_of(self._items[i].item_id), float(cosine_of[i]))
            for i in sorted(chosen)
        ]

    def _centred_cosines(self, item: StoryFeatures, in_window: list[int]) -> np.ndarray:
        """Cosines of the item with the items in the window, each vector less its language centroid."""
        others = np.stack([self._vectors[i] for i in in_window])
        query = np.asarray(item.vector, dtype=np.float32)
        if not self.params.centre_languages:
            return others @ query
        languages = np.array([self._items[i].language for i in in_window])
        for language in set(languages.tolist()):
            mask = languages == language
            others[mask] = self.background.centre(others[mask], language)
        return others @ self.background.centre(query[None, :], item.language)[0]

    def _apply(self, item: StoryFeatures, decision: StoryDecision) -> None:
        if decision.story_id is None:
            story_id = self._new_story_id(item.item_id)
            self._stories[story_id] = Story(story_id, [], set(), set(), item.time, item.time)
        else:
            involved = [self._stories[s] for s in (decision.story_id, *decision.merge_story_ids)]
            survivor = min(involved, key=lambda s: (s.first_seen, s.story_id))
            for story in involved:
                if story is not survivor:
                    self._merge(story, survivor)
            story_id = survivor.story_id
        story = self._stories[story_id]
        story.item_ids.append(item.item_id)
        story.languages.add(item.language)
        story.members.add(item.member)
        story.first_seen = min(story.first_seen, item.time)
        story.last_seen = max(story.last_seen, item.time)
        self._story_of_item[item.item_id] = story_id

    def _merge(self, story: Story, into: Story) -> None:
        into.item_ids.extend(story.item_ids)
        into.languages |= story.languages
        into.members |= story.members
        into.first_seen = min(into.first_seen, story.first_seen)
        into.last_seen = max(into.last_seen, story.last_seen)
        for item_id in story.item_ids:
            self._story_of_item[item_id] = into.story_id
        del self._stories[story.story_id]
        self._merged_into[story.story_id] = into.story_id

    def story_of(self, item_id: str) -> str:
        return self._story_of_item[item_id]

    def merged_into(self, story_id: str) -> str | None:
        """The story a merged story now lives in (following chains of merges), None if it is alive."""
        target = self._merged_into.get(story_id)
        while target is not None and target in self._merged_into:
            target = self._merged_into[target]
        return target

    def stories(self) -> list[Story]:
        return sorted(self._stories.values(), key=lambda s: (s.first_seen, s.story_id))
