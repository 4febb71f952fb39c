"""`tabadol report`: the usage ledger's exchange report from the command line (the operator sees
every member's rows, like an administrator; `--member` narrows it to one member's exchanges)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tabadol.deliver.reports import (
    columns,
    exchange_report,
    invalid,
    report_csv,
    report_json,
    report_query,
    row_fields,
)
from tabadol.types import utc_now

OUTPUT_FORMATS = ("table", "csv", "json")


def report(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Start (inclusive): 2026-11-01, a date-time, 2026-11 or 2026-W48.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="End (exclusive); default: now.")] = None,
    period: Annotated[str | None, typer.Option(help="day, week (ISO), month (default) or year; UTC.")] = None,
    group: Annotated[str | None, typer.Option(help="Extra dimensions: language, topic (comma list).")] = None,
    member: Annotated[str | None, typer.Option(help="Only rows this member supplied or received.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write the report to this file instead.")] = None,
    lang: Annotated[str, typer.Option(help="Language of member names and topic labels.")] = "en",
) -> None:
    """Items supplied and taken per member pair and period (the usage ledger)."""
    from tabadol.cli import open_hub, print_table, reported_errors

    with open_hub(ctx) as hub, reported_errors():
        if output_format not in OUTPUT_FORMATS:
            raise invalid("format", f"'{output_format}' is not one of {', '.join(OUTPUT_FORMATS)}")
        members = None if member is None else (hub.get_member(member).code,)
        query = report_query(since, until, period, group, members, utc_now())
        ledger = exchange_report(hub.storage, query)
        names = {info.code: info for info in hub.storage.list_members()}
    if output_format == "json":
        text = json.dumps(report_json(ledger, names, lang), ensure_ascii=False, indent=2) + "\n"
    elif output_format == "csv":
        text = report_csv(ledger, names, lang)
    else:
        header = columns(query)
        fields = [row_fields(row, query, names, lang) for row in ledger.rows]
        cells = [[_cell(f[column]) for column in header] for f in fields]
        if output is None:
            print_table(header, cells)
            return
        # In a file the table is tab-separated lines, as when stdout is piped.
        text = "".join("\t".join(line) + "\n" for line in (header, *cells))
    if output is None:
        typer.echo(text, nl=False)
        return
    # newline="": the CSV's own CRLF line ends are kept as RFC 4180 wants, on every platform.
    with output.open("w", encoding="utf-8", newline="") as file:
        file.write(text)


def _cell(value: object) -> str:
    """A table cell: empty for no value, and never a tab or line break that would split a column."""
    return "" if value is None else " ".join(str(value).split())
