"""The members' newsroom: login, the incoming wire (live), and take/republish with attribution.

    GET  /{lang}/newsroom/                          -> the wire
    GET  /{lang}/newsroom/login (+ .json)           the login form; POST logs in (throttled)
    POST /{lang}/newsroom/logout                    ends the session
    GET  /{lang}/newsroom/wire (+ .json)            the other members' items, newest first, filtered
    GET  /{lang}/newsroom/wire/stream               the same wire's changes as Server-Sent Events
    GET  /{lang}/newsroom/item/{id} (+ .json)       the item to take: text, attribution, changes
    POST /{lang}/newsroom/item/{id}/take            take it (editors): recorded in the usage ledger
    GET  /{lang}/newsroom/item/{id}/original        the verbatim original, as a download

A user sees what its member may see through the API: readable items only (no embargoed item, not
even its existence), the other members' items on its wire, and its own member's takes. A take is
recorded exactly as `POST /api/v1/items/{id}/take` records it (web/api/takes.py), acting as the
logged-in person (`WebUser.principal`, named `web:<username>` in the audit log).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from tabadol.deliver.attribution import attribution_line
from tabadol.enrich.topics_taxonomy import iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Item, MemberInfo, PubStatus, Role, Take, WebUser, normalise_language_tag, utc_now
from tabadol.web.auth import ClockDep, HubDep
from tabadol.web.portal import accounts
from tabadol.web.portal.catalog import messages
from tabadol.web.portal.languages import LANGUAGES, Language
from tabadol.web.portal.pages import newsroom_data as data
from tabadol.web.portal.pages import newsroom_live as live
from tabadol.web.portal.render import Formatter, environment, render
from tabadol.web.portal.routing import PortalLanguage, PortalRouter
from tabadol.web.portal.session import (
    SESSION_COOKIE,
    EditorUser,
    NewsroomUser,
    checked_form,
    current_session,
    end_session,
    keep_login_csrf,
    remote_address,
    safe_next,
    start_session,
)

portal = PortalRouter()

NO_STORE = {"Cache-Control": "no-store"}
# The ledger's key_id column holds 32 characters: `web:<username>` when it fits, else the account id.
TAKE_KEY_ID_CHARS = 32


def current_account(request: Request) -> WebUser | None:
    """The logged-in person, for templates (the newsroom navigation), or None."""
    session = current_session(request)
    return None if session is None else session.user


environment().globals["newsroom_account"] = current_account


# -- the newsroom's front door ------------------------------------------------------------------
def newsroom_home(request: Request, language: PortalLanguage) -> RedirectResponse:
    return RedirectResponse(f"/{language.code}/newsroom/wire", status_code=303)


portal.router.add_api_route("/{lang}/newsroom/", newsroom_home, methods=["GET"])
portal.router.add_api_route("/{lang}/newsroom", newsroom_home, methods=["GET"])


# -- login and logout -----------------------------------------------------------------------------
def wire_href(lang: Language) -> str:
    return f"/{lang.code}/newsroom/wire"


def login_page(
    request: Request,
    lang: Language,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    t = messages(lang.code)
    page = {
        "next": next_path,
        "username": username,
        "error": error,
        "notice": notice,
        "action": f"/{lang.code}/newsroom/login",
    }
    response = render(
        request,
        "newsroom/login",
        page,
        title=t("newsroom.login.title"),
        status_code=status_code,
        headers=NO_STORE,
    )
    return keep_login_csrf(request, response)


@portal.page("/newsroom/login")
def login_form(
    request: Request,
    language: PortalLanguage,
    next: Annotated[str | None, Query(max_length=2000)] = None,  # noqa: A002 - the URL's name
    logged_out: Annotated[int, Query(alias="logged_out", ge=0, le=1)] = 0,
) -> Response:
    target = safe_next(next, wire_href(language))
    if current_session(request) is not None:
        return RedirectResponse(target, status_code=303)
    notice = messages(language.code)("newsroom.login.logged_out") if logged_out else None
    return login_page(request, language, next_path=target, notice=notice)


@portal.form("/newsroom/login")
async def log_in(request: Request, language: PortalLanguage, hub: HubDep) -> Response:
    form = await checked_form(request)
    username = str(form.get("username") or "")[:64]
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""), wire_href(language))
    t = messages(language.code)
    try:
        # scrypt takes tens of milliseconds of CPU: off the event loop.
        login = await run_in_threadpool(
            accounts.log_in, hub.storage, username, password, remote_address(request)
        )
    except TabadolError as error:
        if error.code is ErrorCode.LOGIN_THROTTLED:
            minutes = int(accounts.FAILURE_WINDOW.total_seconds() // 60)
            message = t("newsroom.login.throttled", minutes=minutes)
        elif error.code is ErrorCode.LOGIN_FAILED:
            message = t("newsroom.login.failed")
        else:
            raise
        return login_page(
            request,
            language,
            next_path=target,
            username=username,
            error=message,
            status_code=error.http_status,
        )
    # A session that was open in this browser ends: one browser, one session (no fixation).
    accounts.log_out(hub.storage, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    return start_session(request, response, login)


@portal.form("/newsroom/logout")
async def log_out(request: Request, language: PortalLanguage) -> Response:
    response = RedirectResponse(f"/{language.code}/newsroom/login?logged_out=1", status_code=303)
    if current_session(request) is None:
        return response  # already over (a stale tab): nothing to end, so nothing to protect
    await checked_form(request)
    return end_session(request, response)


# -- the wire -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WireEntry:
    """One row of the wire, as the page and its .json twin show it."""

    id: str
    href: str
    member_code: str
    member_name: str
    language: str | None
    headline: str
    version: int
    version_created: datetime
    urgency: int | None
    urgent: bool
    corrected: bool  # a later version than the first
    killed: bool
    taken_version: int | None  # the version the user's member took, if it did
    changed_since_take: bool
    topics: tuple[data.TopicLabel, ...]
    story_href: str | None  # the cross-lingual story the item belongs to (public story page)
    seq: int


@dataclass(frozen=True, slots=True)
class KillNotice:
    """An item the user's member took that its source killed: the user must stop using it."""

    id: str
    member_name: str
    headline: str
    language: str | None
    killed_at: datetime
    taken_version: int


def kill_notice(killed: data.KilledTake, names: dict[str, str]) -> KillNotice:
    name = names.get(killed.member_code, killed.member_code.upper())
    return KillNotice(
        killed.item_id, name, killed.headline, killed.language, killed.killed_at, killed.taken_version
    )


@dataclass(frozen=True, slots=True)
class FilterLink:
    label: str
    href: str
    current: bool
    lang: str | None = None


def parse_day(param: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param=param, reason="use a date like 2026-12-05"
        ) from None


def wire_filter(
    user: WebUser,
    lang: Language,
    members: dict[str, MemberInfo],
    member: str | None,
    language: str | None,
    topic: str | None,
    day_from: date | None,
    day_to: date | None,
) -> data.WireFilter:
    """The URL's filters, checked; days are whole days in the interface's time zone."""
    if member and member not in members:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="member", reason="not another member's code")
    if topic and topic not in iptc_taxonomy().codes:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="topic", reason="not an IPTC topic the hub uses")
    try:
        tag = normalise_language_tag(language) if language else None
    except ValueError:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="language", reason="not a language tag") from None
    since = datetime.combine(day_from, time.min, tzinfo=lang.zone) if day_from else None
    until = datetime.combine(day_to, time.max, tzinfo=lang.zone) if day_to else None
    if since and until and since > until:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="to", reason="is before 'from'")
    return data.WireFilter(user.member_code, member or None, tag, topic or None, since, until)


def wire_entries(
    hub: Hub, user: WebUser, lang: Language, items: list[Item], names: dict[str, str]
) -> list[WireEntry]:
    """Rows for items, with the member's takes and the items' topics read in one batch each."""
    ids = [item.id for item in items]
    takes = data.taken_versions(hub.storage, user.member_code, ids)
    topics = data.topics_of(hub.storage, ids, lang.code) if ids else {}
    stories = hub.storage.story_ids_of(ids) if ids else {}
    return [
        entry_for(item, lang, names, takes.get(item.id), topics.get(item.id, ()), stories.get(item.id))
        for item in items
    ]


def entry_for(
    item: Item,
    lang: Language,
    names: dict[str, str],
    take: Take | None,
    topics: tuple[data.TopicLabel, ...],
    story_id: str | None = None,
) -> WireEntry:
    urgency = item.parsed.urgency
    return WireEntry(
        id=item.id,
        href=f"/{lang.code}/newsroom/item/{item.id}",
        member_code=item.member_code,
        member_name=names.get(item.member_code, item.member_code.upper()),
        language=item.language,
        headline=item.headline,
        version=item.version,
        version_created=item.version_created,
        urgency=urgency,
        urgent=urgency is not None and urgency <= 3,
        corrected=item.version > 1,
        killed=item.is_killed,
        taken_version=take.item_version if take else None,
        changed_since_take=take is not None and take.item_version < item.version,
        topics=topics,
        story_href=f"/{lang.code}/story/{story_id}" if story_id else None,
        seq=item.seq,
    )


def filter_links(
    base: str, current: dict[str, str], name: str, choices: list[tuple[str, str, str | None]]
) -> list[FilterLink]:
    """Links that set one filter (keeping the others), and one that clears it."""

    def href(value: str | None) -> str:
        query = {key: val for key, val in current.items() if key != name and val}
        if value:
            query[name] = value
        return base + (f"?{urlencode(query)}" if query else "")

    links = [FilterLink("", href(None), not current.get(name))]
    links += [
        FilterLink(label, href(value), current.get(name) == value, tag) for value, label, tag in choices
    ]
    return links


def filter_choices(
    lang: Language, names: dict[str, str], current: dict[str, str], base: str
) -> dict[str, Any]:
    """The wire's filter values for the form's menus and as links: other members by name, the
    interface languages by their own names, topics by their label in the interface language."""
    members = sorted(names, key=lambda code: names[code])
    topics = sorted(
        ((topic.code, topic.label_in(lang.code)) for topic in iptc_taxonomy().topics), key=lambda p: p[1]
    )
    return {
        "member_names": names,
        "member_choices": [[code, names[code]] for code in members],
        "language_choices": [[code, language.name] for code, language in LANGUAGES.items()],
        "topic_choices": [list(pair) for pair in topics],
        "member_links": filter_links(
            base, current, "member", [(code, names[code], None) for code in members]
        ),
        "language_links": filter_links(
            base, current, "language", [(code, language.name, code) for code, language in LANGUAGES.items()]
        ),
        "clear_href": base,
    }


@portal.page("/newsroom/wire")
def wire(
    request: Request,
    language: PortalLanguage,
    user: NewsroomUser,
    hub: HubDep,
    clock: ClockDep,
    member: Annotated[str | None, Query(max_length=32)] = None,
    lang_filter: Annotated[str | None, Query(alias="language", max_length=35)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    day_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    day_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    now = clock()
    t = messages(language.code)
    others = {m.code: m for m in hub.storage.list_members() if m.code != user.member_code}
    names = {code: m.name(language.code) for code, m in others.items()}
    wire_query = wire_filter(
        user, language, others, member, lang_filter,
        topic, parse_day("from", day_from), parse_day("to", day_to),
    )  # fmt: skip
    # Read the change counter before the page: the live stream resumes from it and misses nothing.
    position = data.last_seq(hub.storage)
    page = data.wire_page(hub.storage, wire_query, now, data.WIRE_PAGE, data.parse_cursor(cursor))
    current = {
        "member": member or "",
        "language": lang_filter or "",
        "topic": topic or "",
        "from": day_from or "",
        "to": day_to or "",
    }
    base = f"/{language.code}/newsroom/wire"
    kept = {key: value for key, value in current.items() if value}
    stream_query = {key: value for key, value in kept.items() if key in ("member", "language", "topic")}
    page_data: dict[str, Any] = {
        "user": {"username": user.username, "member": user.member_code, "role": user.role.value},
        "filters": current,
        "items": wire_entries(hub, user, language, list(page.items), names),
        "next_href": (
            f"{base}?{urlencode({**kept, 'cursor': page.next_cursor})}" if page.next_cursor else None
        ),
        "first_href": f"{base}?{urlencode(kept)}" if kept else base,
        "is_first_page": not cursor,
        "killed_takes": [
            kill_notice(killed, names) for killed in data.killed_takes(hub.storage, user.member_code, now)
        ],
        # Live updates make sense on the newest page without an end date only.
        "stream_href": (
            f"{base}/stream?{urlencode({**stream_query, 'after': position})}"
            if not cursor and not day_to
            else None
        ),
        "position": position,
        **filter_choices(language, names, current, base),
    }
    return render(request, "newsroom/wire", page_data, title=t("newsroom.wire.title"), headers=NO_STORE)


# -- the live stream ------------------------------------------------------------------------------
def stream_events(
    hub: Hub,
    user: WebUser,
    lang: Language,
    wire_query: data.WireFilter,
    after: int,
    now: datetime,
    released_after: datetime | None,
) -> list[tuple[str, int, str]]:
    """(event, seq, JSON) for each change after `after` (and each embargo ended after
    `released_after`): a row to put on top, or a kill to remove."""
    changes = data.wire_changes(hub.storage, wire_query, now, after, data.STREAM_BATCH, released_after)
    if not changes:
        return []
    names = {m.code: m.name(lang.code) for m in hub.storage.list_members()}
    entries = wire_entries(hub, user, lang, changes, names)
    row = environment().get_template("newsroom/_wire_item.html")
    kill = environment().get_template("newsroom/_kill_notice.html")
    context = {"t": messages(lang.code), "fmt": Formatter(lang), "lang": lang}
    events = []
    for entry in entries:
        if entry.killed:
            notice = KillNotice(
                entry.id, entry.member_name, entry.headline, entry.language, entry.version_created,
                entry.taken_version or 0,
            )  # fmt: skip
            html = kill.render(killed=notice, **context) if entry.taken_version is not None else ""
            body = {"id": entry.id, "taken": entry.taken_version is not None, "html": html}
            events.append(("kill", entry.seq, json.dumps(body, ensure_ascii=False)))
        else:
            body = {"id": entry.id, "version": entry.version, "html": row.render(entry=entry, **context)}
            events.append(("item", entry.seq, json.dumps(body, ensure_ascii=False)))
    return events


def wire_stream(
    request: Request,
    language: PortalLanguage,
    user: NewsroomUser,
    hub: HubDep,
    clock: ClockDep,
    member: Annotated[str | None, Query(max_length=32)] = None,
    lang_filter: Annotated[str | None, Query(alias="language", max_length=35)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[str | None, Query(max_length=20)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    others = {m.code: m for m in hub.storage.list_members() if m.code != user.member_code}
    wire_query = wire_filter(user, language, others, member, lang_filter, topic, None, None)
    # EventSource resends the last id it saw when it reconnects: that wins over the page's position.
    start = live.stream_position(last_event_id)
    if start is None:
        start = live.stream_position(after)
    if start is None:
        start = data.last_seq(hub.storage)
    session = current_session(request)
    token_sha256 = session.token_sha256 if session is not None else ""

    # Embargoes end without a signal: each read also looks for the ones that ended since the last.
    checked = [clock()]

    def read(position: int) -> list[tuple[str, int, str]]:
        now = clock()
        found = stream_events(hub, user, language, wire_query, position, now, checked[0])
        checked[0] = now
        return found

    def still_logged_in() -> bool:
        return hub.storage.get_web_session(token_sha256, utc_now()) is not None

    messages_ = live.wire_stream(request.app, start, read, still_logged_in)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages_, media_type=live.STREAM_MEDIA_TYPE, headers=headers)


portal.router.add_api_route("/{lang}/newsroom/wire/stream", wire_stream, methods=["GET"])


# -- one item: read, take, the original ------------------------------------------------------------
def body_paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()] or (
        [text] if text.strip() else []
    )


def _primary(tag: str | None) -> str | None:
    return tag.split("-")[0].lower() if tag else None


def attribution_for(source: MemberInfo, item: Item, reader_language: str) -> str:
    translated = item.language is not None and _primary(item.language) != _primary(reader_language)
    return attribution_line(source, item.language, reader_language, translated)


def changes_since(hub: Hub, item: Item, take: Take | None, now: datetime) -> dict[str, Any] | None:
    """What changed between the version the member took and the item's current version."""
    if take is None or take.item_version >= item.version or item.is_killed:
        return None
    try:
        _, before = hub.readable_version(item.id, take.item_version, now)
    except TabadolError:
        return None
    headline = data.word_diff(before.parsed.headline, item.headline)
    body = data.word_diff(before.parsed.body_text, item.body_text)
    return {
        "from_version": take.item_version,
        "to_version": item.version,
        "headline": headline if data.changed(headline) else None,
        "body": body if data.changed(body) else None,
    }


@portal.page("/newsroom/item/{item_id}")
def item_page(
    request: Request,
    item_id: str,
    language: PortalLanguage,
    user: NewsroomUser,
    hub: HubDep,
    clock: ClockDep,
    taken: Annotated[str | None, Query(max_length=35)] = None,
) -> Response:
    now = clock()
    item = hub.readable_item(item_id, now)
    source = hub.get_member(item.member_code)
    take = data.taken_versions(hub.storage, user.member_code, [item.id]).get(item.id)
    chosen = taken if taken in LANGUAGES else language.code
    own = item.member_code == user.member_code
    page = {
        "item": {
            "id": item.id,
            "member_code": item.member_code,
            "member_name": source.name(language.code),
            "language": item.language,
            "headline": item.headline,
            "body_text": item.body_text,
            "body_html": item.parsed.body_html,
            "paragraphs": body_paragraphs(item.body_text),
            "byline": item.parsed.byline,
            "version": item.version,
            "version_created": item.version_created,
            "first_created": item.first_created,
            "urgency": item.parsed.urgency,
            "killed": item.is_killed,
            "usable": item.pub_status is PubStatus.USABLE,
            "original_sha256": item.original_sha256,
            "original_href": f"/{language.code}/newsroom/item/{item.id}/original",
        },
        "attribution": attribution_for(source, item, chosen),
        "attribution_language": chosen,
        "just_taken": taken in LANGUAGES and take is not None,
        "take": take,
        "changes": changes_since(hub, item, take, now),
        "can_take": user.role is not Role.READER and item.pub_status is PubStatus.USABLE and not own,
        "own_item": own,
        "reader_only": user.role is Role.READER,
        "take_action": f"/{language.code}/newsroom/item/{item.id}/take",
        "language_choices": [[code, lang.name] for code, lang in LANGUAGES.items()],
        "wire_href": wire_href(language),
    }
    return render(request, "newsroom/item", page, title=item.headline, headers=NO_STORE)


def take_key_id(user: WebUser) -> str:
    named = user.principal().key_id or ""
    return named if len(named) <= TAKE_KEY_ID_CHARS else f"web:{user.id}"


def record_take(hub: Hub, user: WebUser, item: Item, reader_language: str, remote: str | None) -> Take:
    """The take as the API records it (web/api/takes.py): the ledger row and the audit entry."""
    if item.pub_status is not PubStatus.USABLE:
        raise TabadolError(ErrorCode.FORBIDDEN, action=f"take an item that is {item.pub_status.value}")
    if item.member_code == user.member_code:
        raise TabadolError(ErrorCode.FORBIDDEN, action="take its own member's item")
    translated = item.language is not None and _primary(item.language) != _primary(reader_language)
    take = Take(
        item_id=item.id,
        item_version=item.version,
        source_member=item.member_code,
        taker_member=user.member_code,
        key_id=take_key_id(user),
        item_language=item.language,
        reader_language=reader_language,
        translated=translated,
        taken_at=utc_now(),
    )
    hub.storage.record_take(take)
    hub.audit(
        user.principal(remote),
        "item.take",
        item.id,
        {"version": item.version, "taker": user.member_code, "language": reader_language},
    )
    return take


@portal.form("/newsroom/item/{item_id}/take")
async def take_item(
    request: Request, item_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    chosen = str(form.get("language") or language.code)
    reader_language = chosen if chosen in LANGUAGES else language.code
    item = await run_in_threadpool(hub.readable_item, item_id, clock())
    await run_in_threadpool(record_take, hub, user, item, reader_language, remote_address(request))
    target = f"/{language.code}/newsroom/item/{item.id}?taken={reader_language}#take"
    return RedirectResponse(target, status_code=303)


@portal.router.get("/{lang}/newsroom/item/{item_id}/original")
def item_original(
    request: Request, item_id: str, language: PortalLanguage, user: NewsroomUser, hub: HubDep, clock: ClockDep
) -> Response:
    """The bytes the member sent, untouched, as a download: never rendered by the browser, since
    they are agency HTML or XML that the page itself shows only sanitised."""
    item = hub.readable_item(item_id, clock())
    original = hub.storage.get_original(item.original_sha256)
    if original is None:
        raise TabadolError(ErrorCode.ITEM_NOT_FOUND, item_id=item_id)
    filename = f"{item.id}-v{item.version}.original"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Tabadol-SHA256": original.sha256,
        "Cache-Control": "private, no-store",
    }
    return Response(original.data, media_type="application/octet-stream", headers=headers)
