"""Matching a text against reviewed claims: rerank embedding candidates by names, numbers and negation.

The caller retrieves candidates by embedding similarity (`tabadol.enrich.embed.default_embedder()`:
the query with `embed_queries`, the reviewed claims with `embed_passages`, cosine of the normalised
vectors) and hands them here with their similarities. Embeddings find the claim across languages but
blur exactly what a fact check is about: "5 million" and "50 million", Tokayev and Tebboune in the
same setting, "did" and "did not" all embed alike. The reranker adds those signals back:

    score = similarity
          + W_NAMES   * name_overlap        (claim's names the query names too / (claim's names + 1))
          + W_NUMBERS * number_agreement    (share of the claim's numbers that the query states too)
          - W_CONFLICT * number_conflict    (1 when both state numbers and share none of them)
          - W_NEGATION * negation_mismatch  (1 when exactly one of the two is negated)

Names are compared by a cross-script consonant skeleton (`name_keys`): Cyrillic is first written in
Latin with the language's own table (enrich/translit.py), Arabic-script letters map to the Latin
consonant they spell, vowels and glides are dropped (Persian and Arabic do not write short vowels),
and consonants fold into classes that the scripts confuse (g/gh/q/k, s/z/sh/ts, t/d, p/b/f), so
Гослинга, گاسلینگ, غوسلينغ and Gosling meet. A key of fewer than three consonants is too common to
mean anything and is dropped. Entity ids from the enrichment pipeline (`Doc.entities`) can be added
to the keys by the caller: ids meet exactly. Numbers are read by enrich/numbers.py in any digit
script and grouping convention.

The weights were derived on a claim set built from the FLORES-200 articles (`build_claim_set`,
`derive_weights`): claims are the first sentence of an article in one language (the language
rotates over the eight), plus its second sentence in another language as a same-subject
distractor; queries are the first sentence in each of the seven other languages (238 claims, 833
queries). The grid search was run on the two halves of the articles separately and the weights
kept are the best on the worse half: names 0.10, numbers 0.05, negation 0.02. Recall@1 goes from
0.864 (embedding alone) to 0.890, recall@5 from 0.952 to 0.958; Arabic (0.79) and Turkmen (0.74)
queries are the weakest at rank 1. Higher name weights cost more than they gain (0.2: 0.87), since
a chance meeting of two short skeletons is then worth a real difference in similarity. Translations
never change a number, so this set cannot weigh a number conflict: 0.05, as for agreement, is a
choice, made because a claim with other figures is another claim.

To reproduce (the vectors are cached outside the repository, about a minute of embedding first):
    evaluate_claim_matching(Path("/work/shared/data/flores_articles/dev.jsonl"), Path("/tmp/tabadol-cache"))
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from tabadol.enrich.numbers import extract_numbers
from tabadol.enrich.translit import to_latin
from tabadol.errors import ErrorCode, TabadolError
from tabadol.verify.claims import ClaimReview

T = TypeVar("T")


# -- the weights ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchWeights:
    """How much each signal moves the score; similarity itself has weight 1 (see the module doc)."""

    names: float = 0.10
    numbers: float = 0.05
    number_conflict: float = 0.05
    negation: float = 0.02


DEFAULT_WEIGHTS = MatchWeights()


# -- what is compared -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimText:
    """A text reduced to what the reranker compares: names (cross-script keys and entity ids),
    canonical numbers, and whether it is negated."""

    text: str
    language: str | None
    names: frozenset[str]
    numbers: frozenset[str]
    negated: bool


def describe_claim(text: str, language: str | None, entity_ids: Iterable[str] = ()) -> ClaimText:
    """The comparable form of `text`. `entity_ids` (e.g. from the enrichment pipeline) join the name
    keys as they are; they never collide with skeleton keys, which have no "/"."""
    names = frozenset(name_keys(text, language)) | frozenset(entity_ids)
    numbers = frozenset(extract_numbers(text, language))
    return ClaimText(text, language, names, numbers, is_negated(text, language))


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    """A reviewed claim found by embedding retrieval: `payload` is what the caller wants back (a
    `ClaimReview`, an id), `similarity` the cosine between the query and the claim vectors."""

    payload: T
    claim: ClaimText
    similarity: float


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """Every part of a match score, so a desk can see why a claim was matched."""

    similarity: float
    name_overlap: float
    number_agreement: float
    number_conflict: float
    negation_mismatch: float
    score: float


@dataclass(frozen=True, slots=True)
class ClaimMatch(Generic[T]):
    payload: T
    claim: ClaimText
    parts: ScoreParts

    @property
    def score(self) -> float:
        return self.parts.score


# -- the reranker -----------------------------------------------------------------------------


def review_candidates(
    reviews: Sequence[ClaimReview], similarities: Sequence[float]
) -> list[Candidate[ClaimReview]]:
    """Candidates from reviews and their similarities to the query (same order), each described in
    the language the review declares."""
    if len(reviews) != len(similarities):
        reason = f"{len(similarities)} similarities for {len(reviews)} reviews"
        raise TabadolError(ErrorCode.INVALID_QUERY, param="similarities", reason=reason)
    return [
        Candidate(review, describe_claim(review.claim_reviewed, review.language), float(similarity))
        for review, similarity in zip(reviews, similarities, strict=True)
    ]


def rerank(
    query: ClaimText,
    candidates: Sequence[Candidate[T]],
    weights: MatchWeights = DEFAULT_WEIGHTS,
    limit: int | None = None,
) -> list[ClaimMatch[T]]:
    """The candidates ordered by score, best first (ties keep the retrieval order)."""
    scored = [
        ClaimMatch(c.payload, c.claim, score_parts(query, c.claim, c.similarity, weights)) for c in candidates
    ]
    ranked = sorted(scored, key=lambda m: -m.parts.score)
    return ranked if limit is None else ranked[:limit]


def score_parts(
    query: ClaimText, claim: ClaimText, similarity: float, weights: MatchWeights = DEFAULT_WEIGHTS
) -> ScoreParts:
    names = name_overlap(query.names, claim.names)
    agreement, conflict = number_agreement(query.numbers, claim.numbers)
    negation = 1.0 if query.negated != claim.negated else 0.0
    score = (
        similarity
        + weights.names * names
        + weights.numbers * agreement
        - weights.number_conflict * conflict
        - weights.negation * negation
    )
    return ScoreParts(similarity, names, agreement, conflict, negation, score)


def name_overlap(query_names: frozenset[str], claim_names: frozenset[str]) -> float:
    """Share of the claim's names that the query names too.

    A claim is short and names its actors, while the query may be a whole dispatch naming many more,
    so the claim's names are the denominator. Words of Arabic-script text are only candidate names
    (the script has no capitals; their keys start with "~"): they count when they meet a real name
    of the other text, never on their own, or two Arabic texts would meet on every common word. A
    claim in Arabic script is therefore measured the other way round: the share of the query's names
    that it contains. Skeleton keys also meet when one extends the other by up to two consonants
    (case endings: Гослингом, Stounyň)."""
    claim_strong = [name for name in claim_names if not name.startswith(_WEAK)]
    if claim_strong:
        return _share_found(claim_strong, query_names)
    return _share_found([name for name in query_names if not name.startswith(_WEAK)], claim_names)


def _share_found(names: list[str], other: frozenset[str]) -> float:
    if not names or not other:
        return 0.0
    # One pseudo-name more in the denominator: one name of one met is weaker evidence than three of
    # three (a single short key meets by chance far more often).
    return sum(1 for name in names if _name_found(name, other)) / (len(names) + 1)


def _name_found(name: str, names: frozenset[str]) -> bool:
    """Whether a name (never a weak key) meets one of `names`, weak keys included."""
    if name in names or _WEAK + name in names:
        return True
    if "/" in name:  # an entity id: exact only
        return False
    return any(
        "/" not in other and _one_extends_other(name, other.removeprefix(_WEAK), _MAX_SUFFIX_CONSONANTS)
        for other in names
    )


_WEAK = "~"
_MAX_SUFFIX_CONSONANTS = 2


def _one_extends_other(a: str, b: str, slack: int) -> bool:
    """A three-consonant key must meet exactly: too many words extend one."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < _MIN_EXTENSIBLE_KEY:
        return short == long
    return len(long) - len(short) <= slack and long.startswith(short)


_MIN_EXTENSIBLE_KEY = 4


def number_agreement(query_numbers: frozenset[str], claim_numbers: frozenset[str]) -> tuple[float, float]:
    """(agreement, conflict): the share of the claim's numbers the query states, and 1.0 when both
    state numbers but none in common (the same sentence with other figures is another claim)."""
    if not claim_numbers or not query_numbers:
        return 0.0, 0.0
    common = len(claim_numbers & query_numbers)
    return common / len(claim_numbers), (1.0 if common == 0 else 0.0)


# -- names across scripts ---------------------------------------------------------------------

# Latin letters (after Cyrillic has been written in Latin) to consonant classes; vowels and glides
# (and h-like letters that scripts drop or add) are absent, so they vanish.
_LATIN_CLASSES = {
    **dict.fromkeys("bpfv", "p"),
    **dict.fromkeys("kgqcxğ", "k"),
    **dict.fromkeys("szjşçžš", "s"),
    **dict.fromkeys("td", "t"),
    **dict.fromkeys("nñňŋ", "n"),
    "m": "m",
    "l": "l",
    "r": "r",
}
_LATIN_DIGRAPHS = re.compile("sh|ch|zh|kh|gh|ts|th|ph|dj|dzh")
_LATIN_DIGRAPH_CLASSES = {
    "sh": "s", "ch": "s", "zh": "s", "kh": "k", "gh": "k", "ts": "s", "th": "t", "ph": "p",
    "dj": "s", "dzh": "s",
}  # fmt: skip
# Arabic-script letters to the same classes; alef, waw, yeh, ain, hamza and heh are vowels or
# glides in transcribed names and vanish like Latin vowels.
_ARABIC_CLASSES = {
    **dict.fromkeys("بپفڤ", "p"),
    **dict.fromkeys("کكگقغخ", "k"),
    **dict.fromkeys("سصثزذضظشچژج", "s"),
    **dict.fromkeys("تطد", "t"),
    "ن": "n",
    "م": "m",
    "ل": "l",
    "ر": "r",
}
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_ARABIC_PREFIXES = ("وال", "بال", "فال", "لل", "ال")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_MIN_KEY_CONSONANTS = 3


def name_keys(text: str, language: str | None) -> set[str]:
    """Consonant skeletons of the words that may be names: capitalised words in Latin and Cyrillic
    text, and, marked as mere candidates with a leading "~", every word of three or more consonants
    in Arabic script (which has no capitals). The first word of a sentence is kept: in news it is
    often a name ("Putin said"), and the three-consonant minimum drops most function words ("This",
    "Бұл")."""
    keys: set[str] = set()
    for match in _WORD.finditer(text[:5000]):
        word = re.split(r"['’]", match.group())[0]  # Turkish suffix apostrophe: Stone'un
        key = _skeleton(word, language)
        if key is not None and len(key.removeprefix(_WEAK)) >= _MIN_KEY_CONSONANTS:
            keys.add(key)
    return keys


def _skeleton(word: str, language: str | None) -> str | None:
    if _ARABIC_LETTER.match(word):
        skeleton = _collapse("".join(_ARABIC_CLASSES.get(ch, "") for ch in _strip_arabic_prefix(word)))
        return _WEAK + skeleton if len(skeleton) >= _MIN_KEY_CONSONANTS else None
    if not word[:1].isupper():
        return None
    latin = to_latin(word, _translit_language(language)).lower()
    latin = _LATIN_DIGRAPHS.sub(lambda m: _LATIN_DIGRAPH_CLASSES[m.group()], latin)
    return _collapse("".join(_LATIN_CLASSES.get(ch, ch if ch in "pkstnmlr" else "") for ch in latin))


def _translit_language(language: str | None) -> str:
    primary = (language or "").split("-")[0].lower()
    return primary if primary in {"kk", "az", "tk"} else "ru"


def _strip_arabic_prefix(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


def _collapse(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


# -- negation ---------------------------------------------------------------------------------

# Negation words per language, and for the Turkic languages the negative verb suffixes (-ma/-me
# before a past, future, present or aorist ending). Persian negates verbs with a prefix: "نمی" and
# "ن" before the most frequent verb stems. A cue list, not a parser: the weight of a mismatch is kept
# small because a missed or spurious cue on one side is as likely as a real contradiction.
_NEGATION_WORDS = {
    "en": {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot"},
    "ru": {"не", "нет", "ни", "никогда", "никто", "ничего", "нельзя"},
    "kk": {"емес", "жоқ", "ешқашан", "ешкім", "ешқандай", "ештеңе"},
    "az": {"deyil", "yox", "heç", "əsla"},
    "tr": {"değil", "yok", "hiç", "asla", "hiçbir"},
    "tk": {"däl", "ýok", "hiç", "asla"},
    "fa": {"نه", "نیست", "نیستند", "هرگز", "هیچ"},
    # With the conjunctions و and ف written onto the word: ولا, ولم, فلن.
    "ar": {f"{c}{w}" for c in ("", "و", "ف") for w in ("لا", "لم", "لن", "ليس", "ليست", "ليسوا")}
    | {"أبدا", "أبداً"},
}
# Suffixes are looked for in words written in lower case only: proper names (Vladimir, Kashmir,
# Yılmaz) end like negative verbs.
_NEGATION_PATTERNS = {
    "en": re.compile(r"\b\w+n't\b"),
    "tr": re.compile(r"\b\w{2,}(?:m[ae](?:d[ıiuü]|y[ae]c[ae]k|z\b|m[ıiuü]ş)|m[ıiuü]yor)\w*"),
    "az": re.compile(r"\b\w{2,}(?:m[aə](?:d[ıiuü]|y?[aə]c[aə][kq]|z\b|m[ıiuü]ş)|m[ıiuü]r\b)\w*"),
    "tk": re.compile(r"\b\w{2,}m[ae](?:d[yi]|z\b|jak|jek|ý)\w*"),
    "kk": re.compile(r"\b\w{2,}[мбп][аеә](?:ды|ді|с\b|й(?:ды|ді|т|м|с|\b))\w*"),
    "fa": re.compile(
        r"(?:نمی|ن(?:دار|داشت|داد|ده|کرد|کن|شد|شو|بود|خواه|توان|باید|گفت|دید|یافت|رفت|آمد|گرفت|گذاشت))\w*"
    ),
}
# Idioms made of a negation word that do not negate: Arabic "still" and "especially". ("Not only"
# is left a negation: every language says it with its negation word, so it agrees across them.)
_NOT_NEGATIONS = {
    "ar": re.compile(r"(?:لا|ما)\s+(?:يزال|تزال|يزالون|زال|زالت|سيما)"),
}
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def is_negated(text: str, language: str | None) -> bool:
    """Whether the text carries a negation cue of its language (see the tables above)."""
    primary = (language or "").split("-")[0].lower()
    sample = text[:5000]
    idiom = _NOT_NEGATIONS.get(primary)
    if idiom is not None:
        sample = idiom.sub(" ", sample)
    words = _NEGATION_WORDS.get(primary, set())
    tokens = _TOKEN.findall(sample)
    if any(token.lower() in words for token in tokens):
        return True
    pattern = _NEGATION_PATTERNS.get(primary)
    return pattern is not None and any(pattern.fullmatch(t) for t in tokens if t == t.lower())


# -- evaluation on parallel articles ----------------------------------------------------------

LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
RETRIEVAL_DEPTH = 20  # candidates the embedding retrieval hands to the reranker
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
# An article whose first sentence is a very different share of its text in some language was split
# differently there (an abbreviation, a merged sentence): its "same claim" would not be the same.
_MAX_SHARE_SPREAD = 0.15


@dataclass(frozen=True, slots=True)
class EvalClaim:
    article: str
    language: str
    text: str
    is_target: bool  # a first sentence (a distractor otherwise)


@dataclass(frozen=True, slots=True)
class EvalQuery:
    article: str
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class ClaimSet:
    claims: tuple[EvalClaim, ...]
    queries: tuple[EvalQuery, ...]


def build_claim_set(articles_path: Path, languages: Sequence[str] = LANGUAGES) -> ClaimSet:
    """Claims: the first sentence of each article in one language (rotating over the languages) and,
    as a distractor on the same subject, its second sentence in another; queries: the first sentence
    in every other language. Articles whose sentences do not split alike in all languages are left out."""
    claims: list[EvalClaim] = []
    queries: list[EvalQuery] = []
    for index, article in enumerate(_read_articles(articles_path)):
        texts = article["text"]
        if not all(lang in texts for lang in languages):
            continue
        sentences = {lang: _SENTENCE_END.split(texts[lang].strip()) for lang in languages}
        if not _first_sentences_aligned(texts, sentences):
            continue
        article_id = str(article["article_id"])
        claim_lang = languages[index % len(languages)]
        claims.append(EvalClaim(article_id, claim_lang, sentences[claim_lang][0], True))
        distractor_lang = languages[(index + 3) % len(languages)]
        if len(sentences[distractor_lang]) > 1:
            claims.append(EvalClaim(article_id, distractor_lang, sentences[distractor_lang][1], False))
        queries.extend(
            EvalQuery(article_id, lang, sentences[lang][0]) for lang in languages if lang != claim_lang
        )
    return ClaimSet(tuple(claims), tuple(queries))


def _read_articles(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _first_sentences_aligned(texts: dict[str, str], sentences: dict[str, list[str]]) -> bool:
    shares = [len(sentences[lang][0]) / max(1, len(texts[lang].strip())) for lang in sentences]
    return max(shares) - min(shares) <= _MAX_SHARE_SPREAD


@dataclass(frozen=True, slots=True)
class RecallReport:
    queries: int
    claims: int
    embedding_recall_at_1: float
    embedding_recall_at_5: float
    recall_at_1: float
    recall_at_5: float
    by_language: dict[str, tuple[float, float]]  # query language -> reranked (recall@1, recall@5)


@dataclass(frozen=True, slots=True)
class PreparedEvaluation:
    claim_set: ClaimSet
    similarities: np.ndarray  # (queries, claims)
    claim_texts: tuple[ClaimText, ...]
    query_texts: tuple[ClaimText, ...]


Embed = Callable[[Sequence[str]], np.ndarray]


def prepare_evaluation(
    articles_path: Path,
    embed_queries: Embed,
    embed_passages: Embed,
    cache_dir: Path | None = None,
    model_id: str = "",
) -> PreparedEvaluation:
    """Build the claim set, embed it (through a vector cache in `cache_dir` when given, keyed by
    `model_id` and the texts; never the repository) and describe every text once;
    `evaluate_prepared` can then try many weights."""
    claim_set = build_claim_set(articles_path)
    claims = [c.text for c in claim_set.claims]
    queries = [q.text for q in claim_set.queries]
    claim_vectors = _cached_embed(claims, embed_passages, cache_dir, f"{model_id}:passage")
    query_vectors = _cached_embed(queries, embed_queries, cache_dir, f"{model_id}:query")
    return PreparedEvaluation(
        claim_set,
        query_vectors @ claim_vectors.T,
        tuple(describe_claim(c.text, c.language) for c in claim_set.claims),
        tuple(describe_claim(q.text, q.language) for q in claim_set.queries),
    )


def evaluate_prepared(
    prepared: PreparedEvaluation,
    weights: MatchWeights = DEFAULT_WEIGHTS,
    articles: frozenset[str] | None = None,
) -> RecallReport:
    """Recall@1/@5 of the target claim, by embedding alone and after reranking the top candidates."""
    claims = prepared.claim_set.claims
    hits: dict[str, list[tuple[int, int]]] = {}
    embedding_hits: list[tuple[int, int]] = []
    for row, query in enumerate(prepared.claim_set.queries):
        if articles is not None and query.article not in articles:
            continue
        similarities = prepared.similarities[row]
        top = np.argsort(-similarities, kind="stable")[:RETRIEVAL_DEPTH]
        candidates = [Candidate(int(i), prepared.claim_texts[i], float(similarities[i])) for i in top]
        ranked = [m.payload for m in rerank(prepared.query_texts[row], candidates, weights)]
        embedding_hits.append(_hit(claims, [int(i) for i in top], query.article))
        hits.setdefault(query.language, []).append(_hit(claims, ranked, query.article))
    every = [h for per_language in hits.values() for h in per_language]
    return RecallReport(
        queries=len(every),
        claims=len(claims),
        embedding_recall_at_1=_mean(h[0] for h in embedding_hits),
        embedding_recall_at_5=_mean(h[1] for h in embedding_hits),
        recall_at_1=_mean(h[0] for h in every),
        recall_at_5=_mean(h[1] for h in every),
        by_language={
            lang: (_mean(h[0] for h in rows), _mean(h[1] for h in rows))
            for lang, rows in sorted(hits.items())
        },
    )


def _hit(claims: Sequence[EvalClaim], ranked: Sequence[int], article: str) -> tuple[int, int]:
    positions = [n for n, i in enumerate(ranked) if claims[i].is_target and claims[i].article == article]
    first = positions[0] if positions else RETRIEVAL_DEPTH
    return int(first < 1), int(first < 5)


def _mean(values: Iterable[int]) -> float:
    items = list(values)
    return round(sum(items) / len(items), 4) if items else 0.0


def evaluate_claim_matching(
    articles_path: Path, cache_dir: Path | None = None, weights: MatchWeights = DEFAULT_WEIGHTS
) -> RecallReport:
    """The claim-matching section of the verification benchmark, with the default embedder."""
    from tabadol.enrich.embed import default_embedder

    embedder = default_embedder()
    prepared = prepare_evaluation(
        articles_path, embedder.embed_queries, embedder.embed_passages, cache_dir, embedder.model_id
    )
    return evaluate_prepared(prepared, weights)


_GRID = {
    "names": (0.0, 0.05, 0.1, 0.15, 0.2),
    "numbers": (0.0, 0.05, 0.1),
    "number_conflict": (0.0, 0.05, 0.1),
    "negation": (0.0, 0.02, 0.05),
}


def derive_weights(prepared: PreparedEvaluation) -> list[tuple[MatchWeights, float, float]]:
    """Grid search on two halves of the articles separately: each weight set with its recall@1 on
    each half, best worst-half first. Weights are chosen from the top, preferring round values."""
    articles = sorted({c.article for c in prepared.claim_set.claims})
    halves = (frozenset(articles[0::2]), frozenset(articles[1::2]))
    results = []
    for values in itertools.product(*_GRID.values()):
        weights = MatchWeights(*values)
        first, second = (evaluate_prepared(prepared, weights, half).recall_at_1 for half in halves)
        results.append((weights, first, second))
    return sorted(results, key=lambda r: (-min(r[1], r[2]), -(r[1] + r[2])))


def _cached_embed(texts: Sequence[str], embed: Embed, cache_dir: Path | None, kind: str) -> np.ndarray:
    if cache_dir is None:
        return embed(texts)
    digest = hashlib.sha256("\x00".join([kind, *texts]).encode("utf-8")).hexdigest()[:24]
    path = cache_dir / f"claims-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
