"""Enrichment quality on the shared data: prints numbers, asserts nothing.

    .venv/bin/python bench/quality.py [--section NAME ...] [--flores PATH] [--sib200 DIR] [--ner DIR]

Sections (each prints one table, per language):
- langid: language-ID accuracy on the FLORES articles, (a) on every sentence and (b) on 6-word
  "headlines" (the first six words of each sentence). Targets: >= 99.5% and >= 98% in every language.
- retrieval: cross-lingual retrieval accuracy: is an article's nearest article in another language its
  own translation (quality_stories.py).
- stories: B-cubed precision/recall/F1 of the online story clustering when the 141 FLORES articles x 8
  languages arrive as eight members' wires in one shuffled stream (in memory; quality_stories.py).
  Target: F1 >= 0.95 in every language. `stories-hub` runs the same stream through the real hub
  (ingest, job queue, default pipeline, index stage; quality_hub.py); it is not in the default run.
- topics: SIB-200 dev accuracy of a scheme trained on SIB-200 train (quality_topics.py). Target >= 85%.
- entities: entity F1 on KazNERD (kk) and factRuEval (ru) against a plain name-list baseline
  (quality_entities.py).

FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0; SIB-200 (Adelani et al., 2024), CC BY-SA 4.0 /
Apache-2.0; KazNERD (Yeshpanov et al., 2022), CC BY 4.0; factRuEval-2016, MIT.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tabadol.enrich.langid import identify_language

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the quality_*.py sections beside this file

DEFAULT_DATA = Path("/work/shared/data")
DEFAULT_FLORES = DEFAULT_DATA / "flores_articles" / "dev.jsonl"
LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
HEADLINE_WORDS = 6
# A sentence may end at . ! ? … or the Arabic (؟) and Urdu/Persian (۔) marks, optionally followed by
# closing quotes or brackets, then white space.
_SENTENCE_END = re.compile(r"[.!?…؟۔][\"'»”’)\]]*\s+")
# ...but not after an abbreviation or initial ("Dr.", "г.", "J."), nor before a small letter.
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[^\W\d_]{1,2}|Dr|Mr|Mrs|Ms|St|Prof|vs|etc|vb|гг|см)\.$")


@dataclass(frozen=True)
class Article:
    article_id: str
    texts: dict[str, str]


def read_articles(path: Path) -> list[Article]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [Article(row["article_id"], row["text"]) for row in rows]


def split_sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        before, after = text[start : match.start() + 1], text[match.end() : match.end() + 1]
        if _ABBREVIATION.search(before) or (after and after.islower()):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [sentence for sentence in sentences if sentence]


def headline(sentence: str) -> str:
    return " ".join(sentence.split()[:HEADLINE_WORDS])


def samples(articles: list[Article], language: str, shorten: Callable[[str], str]) -> Iterator[str]:
    for article in articles:
        for sentence in split_sentences(article.texts.get(language, "")):
            yield shorten(sentence)


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return 100.0 * self.right / self.total if self.total else float("nan")


def langid_section(articles: list[Article], show_errors: int) -> None:
    kinds: dict[str, Callable[[str], str]] = {"sentences": lambda s: s, "headlines": headline}
    tallies = {kind: {lang: Tally() for lang in LANGUAGES} for kind in kinds}
    errors: dict[str, list[tuple[str, str, str]]] = {kind: [] for kind in kinds}
    wrong_tags: Counter[tuple[str, str]] = Counter()
    started = time.perf_counter()
    calls = 0
    for kind, shorten in kinds.items():
        for lang in LANGUAGES:
            for text in samples(articles, lang, shorten):
                guess = identify_language(text).tag
                calls += 1
                tally = tallies[kind][lang]
                tally.total += 1
                if guess == lang:
                    tally.right += 1
                else:
                    wrong_tags[(lang, guess)] += 1
                    errors[kind].append((lang, guess, text))
    elapsed = time.perf_counter() - started
    print("== Language identification (FLORES articles; targets: sentences >= 99.5%, headlines >= 98%)")
    print(f"{'lang':<6}{'sentences':>12}{'n':>7}{'headlines':>12}{'n':>7}")
    for lang in LANGUAGES:
        sent, head = tallies["sentences"][lang], tallies["headlines"][lang]
        print(f"{lang:<6}{sent.accuracy:>11.2f}%{sent.total:>7}{head.accuracy:>11.2f}%{head.total:>7}")
    totals = {
        kind: Tally(sum(t.right for t in row.values()), sum(t.total for t in row.values()))
        for kind, row in tallies.items()
    }
    sent, head = totals["sentences"], totals["headlines"]
    print(f"{'all':<6}{sent.accuracy:>11.2f}%{sent.total:>7}{head.accuracy:>11.2f}%{head.total:>7}")
    print(f"mean time per text: {1000 * elapsed / max(calls, 1):.3f} ms over {calls} texts")
    if wrong_tags:
        print(
            "confusions (true -> guessed: count): "
            + ", ".join(f"{t}->{g}: {n}" for (t, g), n in wrong_tags.most_common())
        )
    for kind in kinds:
        for lang, guess, text in errors[kind][:show_errors]:
            print(f"  [{kind}] {lang} -> {guess}: {text}")


def stories_section(articles: list[Article], args: argparse.Namespace) -> None:
    import quality_stories

    print("== Story clustering in memory (FLORES: 141 articles x 8 languages, 8 members, one stream)")
    quality_stories.print_story_report(quality_stories.story_report(args.flores))


def stories_hub_section(articles: list[Article], args: argparse.Namespace) -> None:
    import quality_hub

    print("== Story clustering through the hub (ingest, job queue, default pipeline, index stage on SQLite)")
    quality_hub.print_scores(quality_hub.run(args.flores, quality_hub.DEFAULT_SEED, None, None))


def retrieval_section(articles: list[Article], args: argparse.Namespace) -> None:
    import quality_stories

    print("== Cross-lingual retrieval (FLORES articles, headline + lead embeddings)")
    quality_stories.print_retrieval_report(quality_stories.retrieval_report(args.flores))


def topics_section(articles: list[Article], args: argparse.Namespace) -> None:
    import quality_topics

    print("== Topics (SIB-200: trained on train, accuracy on dev)")
    quality_topics.print_table(quality_topics.topic_report(args.sib200))


def entities_section(articles: list[Article], args: argparse.Namespace) -> None:
    import quality_entities

    print("== Entities (exact span and type; KazNERD valid, factRuEval dev; vs a plain name list)")
    print(quality_entities.format_report(quality_entities.entity_report(args.ner)))


SECTIONS: dict[str, Callable[[list[Article], argparse.Namespace], None]] = {
    "langid": lambda articles, args: langid_section(articles, args.show_errors),
    "retrieval": retrieval_section,
    "stories": stories_section,
    "topics": topics_section,
    "entities": entities_section,
    # Not in the default run (minutes of embedding): `--section stories-hub`.
    "stories-hub": stories_hub_section,
}
DEFAULT_SECTIONS = ("langid", "retrieval", "stories", "topics", "entities")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flores", type=Path, default=DEFAULT_FLORES, help="FLORES articles (JSON Lines)")
    parser.add_argument(
        "--section", choices=sorted(SECTIONS), action="append", help="run only these sections"
    )
    parser.add_argument(
        "--show-errors", type=int, default=0, help="print up to N misidentified texts per kind"
    )
    parser.add_argument("--sib200", type=Path, default=DEFAULT_DATA / "sib200", help="SIB-200 folder")
    parser.add_argument("--ner", type=Path, default=DEFAULT_DATA / "ner", help="NER data folder")
    args = parser.parse_args()
    articles = read_articles(args.flores)
    for name in args.section or list(DEFAULT_SECTIONS):
        SECTIONS[name](articles, args)


if __name__ == "__main__":
    main()
