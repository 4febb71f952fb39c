"""The enrichment commands of `tabadol`: enrich, analyze, topics (registered in cli.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR

topics_app = typer.Typer(help="Topic schemes: IPTC Media Topics and the members' own desk categories.")


def enrich(
    ctx: typer.Context,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Enrich every item again (default: only items with stale results)."),
    ] = False,
    component: Annotated[
        list[str] | None,
        typer.Option("--component", help="Only this component and what it needs (repeatable)."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Run the job queue until it is empty, then return.")
    ] = False,
    follow: Annotated[
        bool,
        typer.Option("--follow", help="Keep working through the queue until interrupted (a worker process)."),
    ] = False,
    dead: Annotated[bool, typer.Option("--dead", help="List jobs that were given up.")] = False,
    requeue_dead: Annotated[
        bool, typer.Option("--requeue-dead", help="Queue the given-up jobs again.")
    ] = False,
) -> None:
    """Enrich stored items: language, normalisation, dates, numbers, entities, embeddings, topics,
    near-duplicates and stories.

    Without options, enriches the items whose results are missing or were made by an older component
    version. --rebuild redoes every item; --wait works through the job queue that ingest fills."""
    from tabadol.cli import open_hub, out, print_table, progress_bar, reported_errors
    from tabadol.enrich.service import EnrichmentService
    from tabadol.serialize import format_datetime

    names = component or []
    with open_hub(ctx) as hub, reported_errors():
        storage = hub.storage
        if dead or requeue_dead:
            jobs = storage.dead_jobs(limit=1000)
            if requeue_dead:
                count = storage.requeue_dead([job.id for job in jobs])
                out.print(f"{count} dead jobs queued again")
                return
            rows = [
                [
                    str(j.id),
                    j.item_id or "",
                    str(j.attempts),
                    format_datetime(j.dead_at) if j.dead_at else "",
                    j.last_error or "",
                ]
                for j in jobs
            ]
            print_table(["job", "item", "attempts", "dead since", "last error"], rows)
            return
        service = EnrichmentService(storage)
        if names:
            service.pipeline().upto(names)  # unknown names fail here, before any work
        if follow:
            import threading

            stop = threading.Event()
            out.print("enrichment worker running; Ctrl-C to stop")
            try:
                service.worker().run_forever(stop)
            except KeyboardInterrupt:
                stop.set()
            return
        if wait:
            worker = service.worker()
            with progress_bar(None) as progress:
                task = progress.add_task("enriching (queue)", total=None)

                def report(done: int, remaining: int) -> None:
                    progress.update(task, completed=done, total=done + remaining)

                done = worker.drain(report)
            out.print(f"{done} items enriched from the queue; queue empty")
            return
        item_ids = storage.all_item_ids() if rebuild else service.stale(names)
        with progress_bar(len(item_ids)) as progress:
            task = progress.add_task("enriching", total=len(item_ids))
            for done in service.rebuild(item_ids, names):
                progress.update(task, completed=done)
        out.print(f"{len(item_ids)} items enriched" + (f" ({', '.join(names)})" if names else ""))


def _read_records(stream: TextIO) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TabadolError(
                ErrorCode.INVALID_ANALYZE_INPUT, line=number, reason=f"not JSON: {exc.msg}"
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise TabadolError(
                ErrorCode.INVALID_ANALYZE_INPUT, line=number, reason='expected {"id": ..., "text": "..."}'
            )
        identifier = record.get("id", number)
        yield (str(identifier), record["text"])


def analyze(
    ctx: typer.Context,
    scheme: Annotated[
        str | None,
        typer.Option("--scheme", help="Report this topic scheme's topics (default: every scheme)."),
    ] = None,
    vectors: Annotated[bool, typer.Option("--vectors", help="Add each text's embedding vector.")] = False,
) -> None:
    """Read JSON Lines {"id": ..., "text": ...} on stdin; write one JSON line per input with its
    language, entities, topics, dates and numbers (and vector), from the pipeline's own components."""
    from tabadol.cli import open_hub, reported_errors
    from tabadol.enrich.service import EnrichmentService

    with open_hub(ctx) as hub, reported_errors():
        service = EnrichmentService(hub.storage)
        for result in service.analyze(_read_records(sys.stdin), scheme=scheme, vectors=vectors):
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            sys.stdout.flush()


@topics_app.command("train")
def topics_train(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The scheme's name, e.g. 'irna-desks'.")],
    file: Annotated[
        Path, typer.Argument(help="TSV file with columns label, text.", exists=True, dir_okay=False)
    ],
) -> None:
    """Train a topic scheme from labelled examples and store it: from then on every enriched item
    gets this scheme's topics beside IPTC Media Topics."""
    from tabadol.cli import open_hub, out, reported_errors
    from tabadol.enrich.embed import default_embedder
    from tabadol.enrich.topics import read_training_tsv, train_scheme

    with open_hub(ctx) as hub, reported_errors():
        if name == "iptc" or not name.strip() or len(name) > 64:
            raise TabadolError(ErrorCode.TRAINING_DATA_INVALID, reason=f"{name!r} cannot name a scheme")
        examples = read_training_tsv(file)
        scheme = train_scheme(name, examples, default_embedder())
        labels = sorted({label for label, _ in examples})
        hub.storage.save_topic_scheme(name, scheme.version, labels, scheme.to_bytes())
        hub.audit(OPERATOR, "topics.train", name, {"labels": labels, "examples": len(examples)})
        out.print(
            f"scheme {name!r} trained on {len(examples)} examples, {len(labels)} labels: {', '.join(labels)}"
        )
        out.print("run `tabadol enrich --component topics` to apply it to items already stored")


@topics_app.command("list")
def topics_list(ctx: typer.Context) -> None:
    """The stored topic schemes (IPTC Media Topics is built in)."""
    from tabadol.cli import open_hub, print_table
    from tabadol.serialize import format_datetime

    with open_hub(ctx) as hub:
        rows = [
            [row["name"], row["version"][:12], ", ".join(row["labels"]), format_datetime(row["created_at"])]
            for row in hub.storage.topic_schemes()
        ]
    print_table(
        ["scheme", "version", "labels", "trained"], [["iptc", "built in", "IPTC Media Topics", ""], *rows]
    )


@topics_app.command("remove")
def topics_remove(ctx: typer.Context, name: str) -> None:
    """Remove a stored topic scheme (items keep the topics they were given until enriched again)."""
    from tabadol.cli import open_hub, out, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        if not hub.storage.delete_topic_scheme(name):
            raise TabadolError(ErrorCode.UNKNOWN_TOPIC_SCHEME, name=name, known="see `tabadol topics list`")
        hub.audit(OPERATOR, "topics.remove", name, {})
        out.print(f"scheme {name!r} removed")
