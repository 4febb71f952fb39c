"""Topic classification quality on SIB-200: per-language accuracy. Prints numbers, asserts nothing.

    .venv/bin/python bench/quality_topics.py [--sib200 DIR] [--cache DIR] [--cv]

The machinery measured is the one members' schemes use (`tabadol.enrich.topics.fit_scheme`: a
class-balanced logistic head, class centroids and nearest examples over multilingual-e5 vectors,
mixed with a character n-gram naive Bayes model over the texts' words, `topics_lexical`). Figures
per language:
- **all languages** (the headline figure): one scheme trained on the train split of all eight
  languages, evaluated on each language's dev split. This is how the hub works: one scheme serves
  every language, and examples in one language help the others.
- **vectors only**: the same scheme reading only the vectors (what the lexical model adds).
- **same language**: a scheme trained on that language's train split alone.
- **shipped IPTC**: how often an item's first IPTC topic is the top-level topic SIB's category maps
  to (`SIB_TO_IPTC`; "geography" items left out).
- with `--cv`, **5-fold CV**: cross-validation over the train split of all languages, folds drawn by
  SIB's index_id so a sentence and its translations stay together. Settings (weights, temperatures,
  n-gram sizes) are chosen by this figure, never by dev; held-out test sets judge the project.
Target (issue 3): >= 85% in every one of the eight languages.

Embeddings of the ~6,400 sentences take minutes on a small machine; they are cached under
/tmp/tabadol-cache/topics (never in the repository). Cross-validation trains five more schemes
(a minute or two).

SIB-200 (Adelani et al., EACL 2024), Apache-2.0, over FLORES-200 sentences (NLLB Team, CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tabadol.enrich.embed import Embedder, default_embedder, embedding_text
from tabadol.enrich.topics import TopicScheme, fit_scheme
from tabadol.enrich.topics_head import FloatArray
from tabadol.enrich.topics_iptc import iptc_scheme
from tabadol.enrich.topics_train_iptc import SIB_TO_IPTC, embed_cached, read_sib_split

DEFAULT_SIB = Path("/work/shared/data/sib200")
DEFAULT_CACHE = Path("/tmp/tabadol-cache/topics")
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
TARGET = 0.85
CV_FOLDS = 5
CV_SEED = 0


@dataclass(frozen=True)
class _Split:
    """One language's split: vectors, categories, the texts as a scheme reads them, SIB's index ids."""

    vectors: FloatArray
    gold: list[str]
    texts: list[str]
    ids: list[str]


def _split(sib_dir: Path, language: str, split: str, embedder: Embedder, cache: Path) -> _Split:
    path = sib_dir / f"{language}.{split}.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        ids = [row["index_id"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    rows = read_sib_split(path)
    vectors = embed_cached(embedder, [text for _, text in rows], cache)
    texts = [embedding_text("", text) for _, text in rows]  # what `train_scheme` and items are read as
    return _Split(vectors, [category for category, _ in rows], texts, ids)


def _fit(parts: list[_Split], model_id: str, lexical: bool = True) -> TopicScheme:
    return fit_scheme(
        "sib200",
        [label for part in parts for label in part.gold],
        np.vstack([part.vectors for part in parts]),
        model_id,
        texts=[text for part in parts for text in part.texts] if lexical else None,
    )


def _accuracy(scheme: TopicScheme, part: _Split, lexical: bool = True) -> float:
    predicted = scheme.best(part.vectors, part.texts if lexical else None)
    return sum(p == g for p, g in zip(predicted, part.gold, strict=True)) / len(part.gold)


def _iptc_accuracy(vectors: FloatArray, gold: list[str]) -> float:
    scheme = iptc_scheme()
    parents = {topic.code: topic.parent for topic in scheme.topics}

    def top_level(code: str) -> str:
        while parents[code] is not None:
            code = str(parents[code])
        return code

    keep = [i for i, category in enumerate(gold) if category in SIB_TO_IPTC]
    firsts = [topics[0].code for topics in scheme.classify(vectors[keep])]
    expected = [top_level(SIB_TO_IPTC[gold[i]]) for i in keep]
    return sum(f == e for f, e in zip(firsts, expected, strict=True)) / len(keep)


def _subset(part: _Split, keep: np.ndarray) -> _Split:
    indices = np.flatnonzero(keep)
    return _Split(
        part.vectors[indices],
        [part.gold[i] for i in indices],
        [part.texts[i] for i in indices],
        [part.ids[i] for i in indices],
    )


def cross_validated(train: dict[str, _Split], model_id: str, folds: int = CV_FOLDS) -> dict[str, float]:
    """Per language, the accuracy of `folds`-fold cross-validation over the train split of all
    languages. Folds are drawn by SIB's index_id, so a sentence and its translations are always in
    the same fold (otherwise a sentence's translation in the training folds would give it away).
    This, not dev, is what settings are chosen by."""
    all_ids = sorted({i for part in train.values() for i in part.ids})
    order = np.random.default_rng(CV_SEED).permutation(len(all_ids))
    fold_of = {sentence: int(order[n]) % folds for n, sentence in enumerate(all_ids)}
    correct = dict.fromkeys(train, 0)
    for fold in range(folds):
        held_out = {lang: np.array([fold_of[i] == fold for i in part.ids]) for lang, part in train.items()}
        scheme = _fit([_subset(part, ~held_out[lang]) for lang, part in train.items()], model_id)
        for lang, part in train.items():
            test = _subset(part, held_out[lang])
            correct[lang] += round(_accuracy(scheme, test) * len(test.gold))
    return {lang: correct[lang] / len(part.gold) for lang, part in train.items()}


def topic_report(
    sib_dir: Path, cache: Path = DEFAULT_CACHE, cross_validate: bool = False
) -> list[dict[str, Any]]:
    """One row per language present in `sib_dir`: language, dev items, accuracy of the scheme
    trained on all languages (headline; with and without its lexical model), of the one trained on
    the same language only, of the shipped IPTC scheme on the categories that map to IPTC, and with
    `cross_validate` the 5-fold cross-validated accuracy on the train split."""
    embedder = default_embedder()
    languages = [lang for lang in LANGUAGES if (sib_dir / f"{lang}.train.tsv").exists()]
    train = {lang: _split(sib_dir, lang, "train", embedder, cache) for lang in languages}
    dev = {lang: _split(sib_dir, lang, "dev", embedder, cache) for lang in languages}
    shared = _fit(list(train.values()), embedder.model_id)
    cv = cross_validated(train, embedder.model_id) if cross_validate else {}
    rows: list[dict[str, Any]] = []
    for lang in languages:
        own = _fit([train[lang]], embedder.model_id)
        row = {
            "language": lang,
            "dev_items": len(dev[lang].gold),
            "accuracy_all_languages": _accuracy(shared, dev[lang]),
            "accuracy_vectors_only": _accuracy(shared, dev[lang], lexical=False),
            "accuracy_same_language": _accuracy(own, dev[lang]),
            "iptc_top_level_accuracy": _iptc_accuracy(dev[lang].vectors, dev[lang].gold),
        }
        if cv:
            row["cv_accuracy_all_languages"] = cv[lang]
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = [
        ("all languages", "accuracy_all_languages"),
        ("vectors only", "accuracy_vectors_only"),
        ("same language", "accuracy_same_language"),
        ("shipped IPTC", "iptc_top_level_accuracy"),
    ]
    if rows and "cv_accuracy_all_languages" in rows[0]:
        columns.append(("5-fold CV", "cv_accuracy_all_languages"))
    print("SIB-200 topic accuracy on dev (headline: trained on all languages; target >= 85% each)")
    print(f"{'lang':<6}{'items':>6}" + "".join(f"{title:>16}" for title, _ in columns))
    for row in rows:
        mark = "" if row["accuracy_all_languages"] >= TARGET else "  < target"
        cells = "".join(f"{row[key]:>16.1%}" for _, key in columns)
        print(f"{row['language']:<6}{row['dev_items']:>6}{cells}{mark}")
    if rows:
        means = "".join(f"{sum(r[key] for r in rows) / len(rows):>16.1%}" for _, key in columns)
        print(f"{'mean':<6}{'':>6}{means}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sib200", type=Path, default=DEFAULT_SIB)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--cv", action="store_true", help="also cross-validate on the train split")
    args = parser.parse_args()
    print_table(topic_report(args.sib200, args.cache, cross_validate=args.cv))


if __name__ == "__main__":
    main()
