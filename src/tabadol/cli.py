"""The `tabadol` command line: run the hub, manage members and keys, ingest, export, back up.

Settings come from TABADOL_* environment variables (tabadol.config); `--database URL` overrides
TABADOL_DATABASE_URL for one command. Every hub error is printed as `E<number> <code>: <message>`
on stderr (the same table the API answers from) and the command exits non-zero.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from tabadol.config import Settings
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub, create_hub
from tabadol.serialize import format_datetime, parse_datetime, to_jsonable
from tabadol.types import Decision, Role, utc_now

app = typer.Typer(help="tabadol: a multilingual news-exchange hub for news agencies.", no_args_is_help=True)
agency_app = typer.Typer(help="Members (agencies) and their API keys.", no_args_is_help=True)
feed_app = typer.Typer(help="Feeds the hub polls for members.", no_args_is_help=True)
app.add_typer(agency_app, name="agency")
app.add_typer(feed_app, name="feed")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Below this many files a progress bar is more noise than help.
PROGRESS_THRESHOLD = 50
# The hub's working languages besides English, each with its own --name-<tag> option.
NAME_OPTION_LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr")


@dataclass
class CliState:
    database_url: str | None = None


# -- plumbing -----------------------------------------------------------------------------------
def settings_for(ctx: typer.Context) -> Settings:
    settings = Settings.from_env()
    state = ctx.find_object(CliState)
    if state is not None and state.database_url:
        settings = settings.with_(database_url=state.database_url)
    return settings


def fail(error: TabadolError) -> typer.Exit:
    err.print(f"E{error.code.number} {error.code.slug}: {error.message}", markup=False)
    return typer.Exit(code=1)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Hub errors become one stderr line and a non-zero exit, never a traceback."""
    try:
        yield
    except TabadolError as error:
        raise fail(error) from None


@contextmanager
def open_hub(ctx: typer.Context, migrate: bool = True) -> Iterator[Hub]:
    with reported_errors():
        hub = create_hub(settings_for(ctx), migrate=migrate)
        try:
            yield hub
        finally:
            hub.close()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table on a terminal; tab-separated lines when piped, so scripts can cut and grep them."""
    if out.is_terminal:
        table = Table(*headers)
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    for line in (headers, *rows):
        sys.stdout.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line) + "\n")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2) + "\n")


@app.callback()
def main_options(
    ctx: typer.Context,
    database: Annotated[
        str | None, typer.Option("--database", help="Database URL; overrides TABADOL_DATABASE_URL.")
    ] = None,
) -> None:
    ctx.obj = CliState(database_url=database)


# -- serve, migrate, audit ----------------------------------------------------------------------
@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default TABADOL_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default TABADOL_PORT).")] = None,
) -> None:
    """Run the web API (and, unless disabled, feed polling and the drop-folder watcher)."""
    from tabadol.web.server import serve as serve_web

    with open_hub(ctx) as hub:
        serve_web(hub, host or hub.settings.host, port or hub.settings.port)


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Bring the database schema to the newest version."""
    with open_hub(ctx, migrate=False) as hub:
        applied = hub.storage.migrate()
        version = hub.storage.schema_version()
    if applied:
        out.print(f"Applied migrations {', '.join(map(str, applied))}; schema version {version}.")
    else:
        out.print(f"Schema is up to date (version {version}).")


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="How many entries, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Show the audit log, newest first."""
    with open_hub(ctx) as hub:
        entries = hub.storage.list_audit(limit=limit)
    if as_json:
        emit_json(entries)
        return
    rows = []
    for entry in entries:
        actor = entry.actor_member or "operator"
        if entry.actor_key_id:
            actor += f" ({entry.actor_key_id})"
        detail = json.dumps(to_jsonable(entry.detail), ensure_ascii=False)
        rows.append(
            [str(entry.id), format_datetime(entry.at), actor, entry.action, entry.target or "", detail]
        )
    print_table(["id", "at", "actor", "action", "target", "detail"], rows)


# -- agencies and keys --------------------------------------------------------------------------
def collect_names(
    english: str | None, per_language: dict[str, str | None], pairs: Sequence[str]
) -> dict[str, str]:
    """--name (English), --name-fa etc., and --names 'fa=...,ru=...' merged into one table."""
    names: dict[str, str] = {}
    if english:
        names["en"] = english
    names.update({tag: value for tag, value in per_language.items() if value})
    for chunk in pairs:
        for pair in chunk.split(","):
            if not pair.strip():
                continue
            tag, sep, value = pair.partition("=")
            if not sep or not tag.strip() or not value.strip():
                raise TabadolError(ErrorCode.INVALID_MEMBER, reason=f"--names entry {pair!r} is not TAG=NAME")
            names[tag.strip()] = value.strip()
    return names


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short lowercase code, e.g. irna.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code.")],
    language: Annotated[list[str], typer.Option(help="Working language (BCP-47); repeat for several.")],
    name: Annotated[str | None, typer.Option(help="Name in English.")] = None,
    names: Annotated[list[str] | None, typer.Option(help="More names: 'fa=...,ru=...'.")] = None,
    name_fa: Annotated[str | None, typer.Option(help="Name in Persian.")] = None,
    name_ar: Annotated[str | None, typer.Option(help="Name in Arabic.")] = None,
    name_ru: Annotated[str | None, typer.Option(help="Name in Russian.")] = None,
    name_az: Annotated[str | None, typer.Option(help="Name in Azerbaijani.")] = None,
    name_kk: Annotated[str | None, typer.Option(help="Name in Kazakh.")] = None,
    name_tk: Annotated[str | None, typer.Option(help="Name in Turkmen.")] = None,
    name_tr: Annotated[str | None, typer.Option(help="Name in Turkish.")] = None,
) -> None:
    """Add a member agency."""
    per_language = dict(
        zip(
            NAME_OPTION_LANGUAGES,
            (name_fa, name_ar, name_ru, name_az, name_kk, name_tk, name_tr),
            strict=True,
        )
    )
    with open_hub(ctx) as hub:
        member = hub.add_member(code, collect_names(name, per_language, names or []), country, language)
    out.print(
        f"Added member {member.code} ({member.name()}), {member.country}, {', '.join(member.languages)}."
    )


@agency_app.command("list")
def agency_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List member agencies."""
    with open_hub(ctx) as hub:
        members = hub.storage.list_members()
    if as_json:
        emit_json(members)
        return
    rows = [
        [
            member.code,
            member.name(),
            member.country,
            ",".join(member.languages),
            str(len(member.names)),
            "yes" if member.active else "no",
        ]
        for member in members
    ]
    print_table(["code", "name", "country", "languages", "names", "active"], rows)


@agency_app.command("key")
def agency_key(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The member the key acts for.")],
    role: Annotated[Role, typer.Option(help="What the key may do.")] = Role.EDITOR,
    label: Annotated[str, typer.Option(help="A note saying who holds the key.")] = "",
    signing: Annotated[
        bool, typer.Option("--signing", help="An Ed25519 signing key pair instead of an API key.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="--signing: where to write the private key (default CODE-signing-key.pem)."),
    ] = None,
    public: Annotated[
        str | None,
        typer.Option(
            help="--signing: publish this public key (base64url) made elsewhere; no file is written."
        ),
    ] = None,
) -> None:
    """Issue an API key (the token is printed once and cannot be shown again), or with --signing an
    Ed25519 key pair whose public key the hub publishes for verifying the member's signed items."""
    if signing:
        _signing_key(ctx, code, label, out, public)
        return
    with open_hub(ctx) as hub:
        key, token = hub.issue_key(code, role, label)
    sys.stdout.write(token + "\n")
    err.print(
        f"Key {key.key_id} ({key.role.value}) for {key.member_code}. Store the token above now: "
        "only its hash is kept, so it cannot be shown again.",
        markup=False,
    )


def _signing_key(ctx: typer.Context, code: str, label: str, out: Path | None, public: str | None) -> None:
    from tabadol.verify.keys import create_member_key_pair, register_public_key

    with open_hub(ctx) as hub:
        if public is not None:
            key = register_public_key(hub, code, public, label, OPERATOR)
        else:
            path = out or Path(f"{code}-signing-key.pem")
            key = create_member_key_pair(hub, code, path, label, OPERATOR)
            err.print(
                f"Private key written to {path} (mode 0600): keep it in the newsroom; the hub has no copy."
            )
    sys.stdout.write(key.key_id + "\n")
    err.print(f"Published public key {key.public_key} for {code}.", markup=False)


@agency_app.command("signing-keys")
def agency_signing_keys(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List the published signing keys (the hub's and every member's, revoked ones too)."""
    from tabadol.verify.keys import key_json

    with open_hub(ctx) as hub:
        keys = hub.storage.list_signing_keys()
    if as_json:
        emit_json([key_json(key) for key in keys])
        return
    rows = [
        [
            key.key_id,
            key.member_code or "(hub)",
            key.public_key,
            format_datetime(key.created_at),
            format_datetime(key.revoked_at) if key.revoked_at else "",
        ]
        for key in keys
    ]
    print_table(["key id", "member", "public key", "created", "revoked"], rows)


@agency_app.command("revoke-signing-key")
def agency_revoke_signing_key(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The signing key id to revoke.")]
) -> None:
    """Revoke a signing key: no new signature is accepted with it; earlier ones stay verifiable."""
    from tabadol.verify.keys import revoke_signing_key

    with open_hub(ctx) as hub:
        revoke_signing_key(hub, key_id, OPERATOR)
    out.print(f"Revoked signing key {key_id}.")


@agency_app.command("keys")
def agency_keys(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The member whose keys to list.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List a member's API keys (never their secrets)."""
    with open_hub(ctx) as hub:
        hub.get_member(code)
        keys = hub.storage.list_api_keys(code)
    if as_json:
        emit_json(keys)
        return
    rows = [
        [
            key.key_id,
            key.role.value,
            key.label,
            format_datetime(key.created_at),
            format_datetime(key.last_used_at) if key.last_used_at else "",
            format_datetime(key.revoked_at) if key.revoked_at else "",
        ]
        for key in keys
    ]
    print_table(["key id", "role", "label", "created", "last used", "revoked"], rows)


@agency_app.command("revoke")
def agency_revoke(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key id to revoke.")]
) -> None:
    """Revoke an API key at once."""
    with open_hub(ctx) as hub:
        hub.revoke_key(key_id)
    out.print(f"Revoked key {key_id}.")


# -- verification -------------------------------------------------------------------------------
@app.command("verify")
def verify_command(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Option("--text", help="The text to check (or --file, or stdin).")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the text from this UTF-8 file.")] = None,
    language: Annotated[
        str | None, typer.Option(help="BCP-47 tag of the text (identified if absent).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON: verdict, item, score, diff.")] = False,
    signed: Annotated[
        Path | None,
        typer.Option(help="Offline: check this signed-item document (…/versions/N/signed) instead."),
    ] = None,
    keys: Annotated[
        Path | None, typer.Option(help="With --signed: the published keys (/.well-known/tabadol-keys.json).")
    ] = None,
) -> None:
    """Tamper check: is the text an authentic item's (verbatim), altered, a translation, or unknown?

    With --signed and --keys: check a signed item offline, with nothing but the published keys."""
    from tabadol.verify.tamper import answer_json, check_text, cited_provenance

    if signed is not None or keys is not None:
        if signed is None or keys is None or text is not None or file is not None:
            err.print("--signed and --keys go together, without --text or --file.", markup=False)
            raise typer.Exit(code=2)
        from tabadol.cli_provenance import check_signed_file

        check_signed_file(signed, keys, as_json)
        return
    if text is None:
        text = file.read_text(encoding="utf-8") if file is not None else sys.stdin.read()
    with open_hub(ctx) as hub:
        found = check_text(hub, text, language)
        answer = answer_json(found, provenance=cited_provenance(hub, found))
    if as_json:
        emit_json(answer)
        return
    item = answer["item"]
    out.print(f"{answer['verdict']} (score {answer['score']})", markup=False)
    if item is not None:
        out.print(f"item {item['id']} {item['uri']} — {item['member']}, {item['language']}", markup=False)
        if item["provenance"] is not None:
            signature = item["provenance"]
            out.print(f"signature: {signature['verified']} ({signature['reason']})", markup=False)
    for change in (answer["diff"] or {}).get("changes", []):
        flags = ", ".join(change["flags"])
        before, after = " ".join(change["item_words"]), " ".join(change["text_words"])
        out.print(
            f"  {change['kind']}: {before!r} -> {after!r}" + (f" [{flags}]" if flags else ""), markup=False
        )


# -- ingest -------------------------------------------------------------------------------------
@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files and directories (walked recursively).")],
    agency: Annotated[str, typer.Option(help="The member the files are from.")],
    content_type: Annotated[
        str | None, typer.Option(help="Content-Type of every file (default: recognised from the bytes).")
    ] = None,
    guid: Annotated[str | None, typer.Option(help="Identifier for the item of a single file.")] = None,
    language: Annotated[
        str | None, typer.Option(help="BCP-47 language of items whose format declares none (plain text).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Processes that parse files while others are stored (default: 2 for large batches)."
        ),
    ] = None,
) -> None:
    """Ingest wire files for a member: each file is one payload, exactly as a push would be."""
    from tabadol.ingest.transports.files import FileOptions, ingest_files, payload_files

    files = payload_files(paths)
    if guid and len(files) != 1:
        err.print("--guid names one item, so it needs exactly one file.", markup=False)
        raise typer.Exit(code=2)
    with open_hub(ctx) as hub:
        hub.get_member(agency)
        options = FileOptions(agency, content_type=content_type, guid=guid, language=language)
        with progress_bar(len(files)) as progress:
            task = progress.add_task("Ingesting", total=len(files))

            def report(path: Path, error: TabadolError | None) -> None:
                if error is not None:
                    err.print(
                        f"{path}: E{error.code.number} {error.code.slug}: {error.message}", markup=False
                    )
                progress.advance(task)

            tally = ingest_files(hub, files, options, workers=workers, on_file=report)
    out.print(tally.summary())
    if tally.failures:
        raise typer.Exit(code=1)


def progress_bar(total: int | None) -> Progress:
    """A progress bar on stderr; none for fewer than PROGRESS_THRESHOLD steps (None: not known yet)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=total is not None and total < PROGRESS_THRESHOLD,
    )


# -- export, backup, restore --------------------------------------------------------------------
def parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param="since", reason=f"{value!r} is not an ISO 8601 time"
        ) from None


@app.command()
def export(
    ctx: typer.Context,
    member: Annotated[str | None, typer.Option(help="Only this member's items.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only items received at or after this ISO 8601 time.")
    ] = None,
) -> None:
    """Every item as JSON Lines on stdout (embargoed ones included), in the hub's change order."""
    from tabadol.export import ExportFilter, export_items

    with open_hub(ctx) as hub:
        selection = ExportFilter(member_code=member, since=parse_since(since))
        try:
            export_items(hub, sys.stdout, selection)
            sys.stdout.flush()
        except BrokenPipeError:
            # `tabadol export | head` closes the pipe early: the reader has what it wanted. Point stdout
            # at /dev/null so the interpreter's final flush does not fail a second time.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@app.command()
def backup(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Backup file to write (.jsonl.gz).")]
) -> None:
    """Write a portable backup (any backend can restore it)."""
    from tabadol.backup import write_backup

    with open_hub(ctx) as hub:
        summary = write_backup(hub, file)
    out.print(
        f"Wrote {summary.path}: " + ", ".join(f"{n} {kind}" for kind, n in summary.counts.items()) + "."
    )
    if hub.settings.is_sqlite:
        err.print(
            "Note: for SQLite, a byte-for-byte hot copy is also possible with sqlite3's `.backup` command.",
            markup=False,
        )


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Backup file written by `tabadol backup`.")],
    force: Annotated[bool, typer.Option(help="Restore into a store that already holds data.")] = False,
) -> None:
    """Restore a backup into an empty store (every original is checked against its SHA-256)."""
    from tabadol.backup import restore_backup

    with open_hub(ctx) as hub:
        summary = restore_backup(hub, file, force=force)
    restored = ", ".join(f"{n} {kind}" for kind, n in summary.counts.items())
    skipped = ", ".join(f"{n} {kind}" for kind, n in summary.skipped.items())
    out.print(f"Restored {restored}." + (f" Already present and kept: {skipped}." if skipped else ""))


# -- demo ---------------------------------------------------------------------------------------
@app.command()
def demo(
    ctx: typer.Context,
    reset: Annotated[bool, typer.Option(help="Delete the SQLite database first, then load afresh.")] = False,
) -> None:
    """Load the demo alliance: nine agencies, multilingual wires, and an admin key."""
    from tabadol.demo import load_demo

    if reset:
        with reported_errors():
            reset_sqlite_database(settings_for(ctx))
    with open_hub(ctx) as hub:
        report = load_demo(hub)
    decisions = report.decisions
    out.print(
        f"Members added: {', '.join(report.members_added) or 'none (all present)'}. "
        f"Items: {decisions[Decision.NEW_ITEM]} new, {report.wires_skipped} already loaded."
    )
    _print_demo_logins(report)
    key_state = "existing" if report.admin_key_reused else "new"
    out.print(f"Admin API key ({key_state}, also in {report.admin_key_file}):", markup=False)
    sys.stdout.write(report.admin_token + "\n")


def _print_demo_logins(report: Any) -> None:
    """The newsroom logins: passwords set by this run are printed (once); otherwise where they are."""
    fresh = [login for login in report.newsroom_logins if login.new]
    if not fresh:
        out.print(f"Newsroom accounts: unchanged; passwords in {report.accounts_file}.", markup=False)
        return
    out.print(
        f"Newsroom accounts (log in at /en/newsroom/login; passwords also in {report.accounts_file}, "
        "mode 0600; printed only on this run):",
        markup=False,
    )
    for login in fresh:
        account = login.account
        out.print(
            f"  {account.username:<24} {account.role.value:<7} {account.member_code:<13} {login.password}",
            markup=False,
        )


def reset_sqlite_database(settings: Settings) -> None:
    """Only SQLite: a PostgreSQL database is the operator's to drop, never the demo's."""
    if not settings.is_sqlite:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID,
            setting="--reset",
            reason="only a SQLite database can be reset by the demo; drop and recreate PostgreSQL yourself",
        )
    database = Path(settings.database_url.split(":///", 1)[-1])
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


# -- feeds and the drop folder ------------------------------------------------------------------
@feed_app.command("add")
def feed_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The member whose feed this is.")],
    url: Annotated[str, typer.Argument(help="Feed URL (RSS, Atom, JSON Feed, ninjs...).")],
    every: Annotated[int | None, typer.Option(min=30, help="Seconds between polls.")] = None,
) -> None:
    """Register a feed for the hub to poll."""
    from tabadol.ingest.transports.netguard import check_public_url

    with open_hub(ctx) as hub:
        hub.get_member(code)
        check_public_url(url, allow_private=hub.settings.allow_private_feed_urls)
        interval = every or hub.settings.feed_poll_default_seconds
        feed = hub.storage.add_feed(code, url, interval, utc_now())
        hub.audit(OPERATOR, "feed.add", str(feed.id), {"member": code, "url": url, "every": interval})
    out.print(f"Feed {feed.id} for {code}: {url}, every {interval} s.")


@feed_app.command("list")
def feed_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List polled feeds and their state."""
    with open_hub(ctx) as hub:
        feeds = hub.storage.list_feeds()
    if as_json:
        emit_json(feeds)
        return
    rows = [
        [
            str(feed.id),
            feed.member_code,
            feed.url,
            str(feed.interval_seconds),
            format_datetime(feed.next_poll_at),
            str(feed.consecutive_errors),
            feed.last_error or "",
        ]
        for feed in feeds
    ]
    print_table(["id", "member", "url", "every (s)", "next poll", "errors", "last error"], rows)


@feed_app.command("poll")
def feed_poll(ctx: typer.Context) -> None:
    """Poll every due feed once and print what each gave."""
    from tabadol.ingest.transports.pull import poll_due_feeds

    with open_hub(ctx) as hub:
        results = poll_due_feeds(hub)
    for result in results:
        sys.stdout.write(json.dumps(to_jsonable(result), ensure_ascii=False) + "\n")
    if not results:
        err.print("No feed is due.", markup=False)


@app.command()
def watch(
    ctx: typer.Context,
    drop_dir: Annotated[Path | None, typer.Option(help="Folder to watch (default TABADOL_DROP_DIR).")] = None,
    once: Annotated[bool, typer.Option(help="Scan once and exit.")] = False,
) -> None:
    """Watch the drop folder: files in <drop dir>/<member code>/ are ingested for that member."""
    from tabadol.ingest.transports.folder import scan_drop_folder

    with open_hub(ctx) as hub:
        folder = drop_dir or hub.settings.drop_dir
        if folder is None:
            raise fail(
                TabadolError(
                    ErrorCode.CONFIG_INVALID, setting="TABADOL_DROP_DIR", reason="no drop folder set"
                )
            )
        err.print(f"Watching {folder} (Ctrl-C to stop).", markup=False)
        try:
            while True:
                for result in scan_drop_folder(hub, folder):
                    sys.stdout.write(json.dumps(to_jsonable(result), ensure_ascii=False) + "\n")
                sys.stdout.flush()
                if once:
                    return
                time.sleep(hub.settings.drop_poll_seconds)
        except KeyboardInterrupt:
            err.print("Stopped.", markup=False)


# -- enrichment (cli_enrich.py) ------------------------------------------------------------------
def _register_enrichment_commands() -> None:
    from tabadol import cli_enrich

    app.command()(cli_enrich.enrich)
    app.command()(cli_enrich.analyze)
    app.add_typer(cli_enrich.topics_app, name="topics")


def _register_subscription_commands() -> None:
    from tabadol import cli_subscriptions

    app.add_typer(cli_subscriptions.subscription_app, name="subscription")


def _register_webhook_commands() -> None:
    from tabadol import cli_webhooks

    app.add_typer(cli_webhooks.webhook_app, name="webhook")
    app.command()(cli_webhooks.deliver)


def _register_report_commands() -> None:
    from tabadol import cli_reports

    app.command()(cli_reports.report)


def _register_factcheck_commands() -> None:
    from tabadol import cli_factchecks

    app.add_typer(cli_factchecks.factcheck_app, name="factcheck")


def _register_provenance_commands() -> None:
    from tabadol import cli_provenance

    app.command("sign")(cli_provenance.sign_command)


def _register_account_commands() -> None:
    from tabadol import cli_accounts

    agency_app.add_typer(cli_accounts.user_app, name="user")
    agency_app.command("users")(cli_accounts.users)


_register_enrichment_commands()
_register_subscription_commands()
_register_webhook_commands()
_register_report_commands()
_register_factcheck_commands()
_register_provenance_commands()
_register_account_commands()


def main() -> None:
    app(prog_name="tabadol")
