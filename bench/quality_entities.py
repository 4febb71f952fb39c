"""Named-entity quality: F1 of the entity recognizer against a plain name-list baseline.

    .venv/bin/python bench/quality_entities.py [--ner-dir /work/shared/data/ner] [--limit N]

Scoring: exact span and type, micro-averaged, for PER, ORG and LOC.
- Kazakh, KazNERD validation split (Yeshpanov et al., LREC 2022; CC BY 4.0), IOB2 over tokens. The
  sentence is the tokens joined by single spaces. PERSON -> PER, ORGANISATION -> ORG, GPE and
  LOCATION -> LOC; the other 21 classes (FACILITY included: airports, streets, plants) are not
  scored and not counted against a system.
- Russian, factRuEval-2016 development set (MIT), .spans/.objects over the .txt files. An object's
  span runs from its first to its last token; Person -> PER, Org -> ORG, Location and LocOrg -> LOC.
  Nested objects (the city in "мэрии Москвы") are all gold spans, as in the annotation.
- Quotes, brackets and spaces at the edges of a span are not counted, in gold and prediction alike
  (factRuEval's token spans leave out the closing quote of ОАО «Газпром», natasha keeps it).

Systems:
- "recognizer": tabadol.enrich.entities.DefaultRecognizer (gazetteer with inflection, natasha for
  Russian, rules for persons and organisations);
- "name list": exact, case-sensitive lookup of every name of the gazetteer, whole words only, the
  longest name first; no inflection, no model, no rules.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tabadol.enrich.doc import EntityKind
from tabadol.enrich.entities import DefaultRecognizer
from tabadol.enrich.entities_gazetteer import default_gazetteer, gazetteer_names

DEFAULT_NER_DIR = Path("/work/shared/data/ner")
TYPES = ("PER", "ORG", "LOC")
_KAZNERD_TYPES = {"PERSON": "PER", "ORGANISATION": "ORG", "GPE": "LOC", "LOCATION": "LOC"}
_FACTRU_TYPES = {"Person": "PER", "Org": "ORG", "Location": "LOC", "LocOrg": "LOC"}
_KIND_TYPES = {EntityKind.PERSON: "PER", EntityKind.ORGANISATION: "ORG", EntityKind.PLACE: "LOC"}
_WORD = re.compile(r"\w+")

Span = tuple[int, int, str]  # start, end, type


@dataclass(frozen=True)
class Document:
    text: str
    gold: frozenset[Span]


# --- data -------------------------------------------------------------------------------------


def read_kaznerd(path: Path) -> Iterator[Document]:
    tokens: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip():
                if tokens:
                    yield _iob_document(tokens)
                tokens = []
                continue
            word, _, label = line.rpartition(" ")
            tokens.append((word, label))
    if tokens:
        yield _iob_document(tokens)


def _iob_document(tokens: list[tuple[str, str]]) -> Document:
    text, offsets = "", []
    for word, _ in tokens:
        if text:
            text += " "
        offsets.append((len(text), len(text) + len(word)))
        text += word
    gold: set[Span] = set()
    current: tuple[int, int, str] | None = None
    for (word_start, word_end), (_, label) in zip(offsets, tokens, strict=True):
        tag, _, klass = label.partition("-")
        if current and tag == "I" and klass == current[2]:
            current = (current[0], word_end, klass)
            continue
        if current:
            gold.add(current)
        current = (word_start, word_end, klass) if tag == "B" else None
    if current:
        gold.add(current)
    mapped = {(s, e, _KAZNERD_TYPES[k]) for s, e, k in gold if k in _KAZNERD_TYPES}
    return Document(text, frozenset(mapped))


def read_factrueval(folder: Path) -> Iterator[Document]:
    for text_path in sorted(folder.glob("*.txt")):
        stem = text_path.with_suffix("")
        text = text_path.read_text(encoding="utf-8")
        spans = _factru_spans(stem.with_suffix(".spans"))
        gold: set[Span] = set()
        for kind, span_ids in _factru_objects(stem.with_suffix(".objects")):
            if kind not in _FACTRU_TYPES:
                continue
            parts = [spans[span_id] for span_id in span_ids if span_id in spans]
            if parts:
                gold.add((min(p[0] for p in parts), max(p[1] for p in parts), _FACTRU_TYPES[kind]))
        yield Document(text, frozenset(gold))


def _factru_spans(path: Path) -> dict[str, tuple[int, int]]:
    spans = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 4:
            start, length = int(fields[2]), int(fields[3])
            spans[fields[0]] = (start, start + length)
    return spans


def _factru_objects(path: Path) -> Iterator[tuple[str, list[str]]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 3:
            yield fields[1], fields[2:]


# --- systems ----------------------------------------------------------------------------------


class NameListBaseline:
    """Exact lookup of the gazetteer's names as written: whole words, case-sensitive, longest first."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, ...], str] = {}
        for entry, _, name in gazetteer_names(default_gazetteer()):
            words = tuple(_WORD.findall(name))
            if words:
                self.names.setdefault(words, _KIND_TYPES[entry.kind])
        self.longest = max(len(words) for words in self.names)

    def spans(self, text: str) -> set[Span]:
        words = list(_WORD.finditer(text))
        found: set[Span] = set()
        index = 0
        while index < len(words):
            for size in range(min(self.longest, len(words) - index), 0, -1):
                key = tuple(m.group() for m in words[index : index + size])
                kind = self.names.get(key)
                if kind:
                    found.add((words[index].start(), words[index + size - 1].end(), kind))
                    index += size
                    break
            else:
                index += 1
        return found


def recognizer_spans(recognizer: DefaultRecognizer, text: str, language: str) -> set[Span]:
    return {(e.start, e.end, _KIND_TYPES[e.kind]) for e in recognizer.recognize(text, language)}


# --- scoring ----------------------------------------------------------------------------------


@dataclass
class Tally:
    gold: Counter[str]
    predicted: Counter[str]
    correct: Counter[str]

    @classmethod
    def empty(cls) -> Tally:
        return cls(Counter(), Counter(), Counter())

    def add(self, gold: Iterable[Span], predicted: Iterable[Span]) -> None:
        gold_set, predicted_set = set(gold), set(predicted)
        for span_type in TYPES:
            self.gold[span_type] += sum(1 for s in gold_set if s[2] == span_type)
            self.predicted[span_type] += sum(1 for s in predicted_set if s[2] == span_type)
            self.correct[span_type] += sum(1 for s in gold_set & predicted_set if s[2] == span_type)

    def rows(self, language: str, dataset: str, system: str) -> list[dict[str, object]]:
        rows = []
        for span_type in (*TYPES, "all"):
            types = TYPES if span_type == "all" else (span_type,)
            gold = sum(self.gold[t] for t in types)
            predicted = sum(self.predicted[t] for t in types)
            correct = sum(self.correct[t] for t in types)
            precision = correct / predicted if predicted else 0.0
            recall = correct / gold if gold else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            rows.append(
                {
                    "language": language,
                    "dataset": dataset,
                    "system": system,
                    "type": span_type,
                    "gold": gold,
                    "predicted": predicted,
                    "correct": correct,
                    "precision": round(precision, 4),
                    "recall": round(recall, 4),
                    "f1": round(f1, 4),
                }
            )
        return rows


_EDGE = " \t\n«»\"'“”„‘’()[]"


def trimmed(text: str, spans: Iterable[Span]) -> set[Span]:
    """The spans without quotes, brackets and spaces at their edges."""
    result = set()
    for start, end, span_type in spans:
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if end > start:
            result.add((start, end, span_type))
    return result


def _evaluate(documents: list[Document], language: str, dataset: str) -> list[dict[str, object]]:
    recognizer, baseline = DefaultRecognizer(), NameListBaseline()
    ours, plain = Tally.empty(), Tally.empty()
    for document in documents:
        gold = trimmed(document.text, document.gold)
        ours.add(gold, trimmed(document.text, recognizer_spans(recognizer, document.text, language)))
        plain.add(gold, trimmed(document.text, baseline.spans(document.text)))
    return [*ours.rows(language, dataset, "recognizer"), *plain.rows(language, dataset, "name list")]


def entity_report(ner_dir: Path, limit: int | None = None) -> list[dict[str, object]]:
    """Rows of per-type and overall precision/recall/F1 for both systems on both data sets
    (`limit` documents of each, all if None)."""
    kazakh = list(read_kaznerd(ner_dir / "kk.kaznerd.valid.iob2"))[:limit]
    russian = list(read_factrueval(ner_dir / "ru.factrueval.devset"))[:limit]
    return [*_evaluate(kazakh, "kk", "KazNERD valid"), *_evaluate(russian, "ru", "factRuEval dev")]


def format_report(rows: list[dict[str, object]]) -> str:
    header = (
        f"{'lang':4} {'data':15} {'system':10} {'type':4} {'gold':>6} {'pred':>6} {'P':>6} {'R':>6} {'F1':>6}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['language']!s:4} {row['dataset']!s:15} {row['system']!s:10} {row['type']!s:4} "
            f"{row['gold']!s:>6} {row['predicted']!s:>6} {row['precision']:>6.3f} {row['recall']:>6.3f} "
            f"{row['f1']:>6.3f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ner-dir", type=Path, default=DEFAULT_NER_DIR)
    parser.add_argument("--limit", type=int, default=None, help="documents per data set (default: all)")
    args = parser.parse_args()
    print(format_report(entity_report(args.ner_dir, args.limit)))


if __name__ == "__main__":
    main()
