"""The search page: `/{lang}/search?q=...` (and its `.json` twin).

A GET form, so a search is a link that can be shared, bookmarked and paged without JavaScript.
Words and meaning both by default (`mode=both`; `words` or `meaning` narrow it); filters by
language, member, topic, country and date (`from`, `to`, days of the interface's time zone), each
repeatable; `page` for the next results. A query string the reader mistyped (a date that is not one,
an unknown mode) is answered with the page and a message in the reader's language, never an error
page. The query itself is in search_data.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from tabadol.types import normalise_language_tag
from tabadol.web.auth import ClockDep, HubDep
from tabadol.web.portal.languages import LANGUAGES, Language
from tabadol.web.portal.pages.search_data import MAX_QUERY_CHARS, MODES, SearchForm, search
from tabadol.web.portal.render import render, t_for
from tabadol.web.portal.routing import PortalLanguage, PortalRouter

portal = PortalRouter()

MAX_VALUES = 20  # values per filter read from a query string
EXAMPLES = {  # example searches on the empty page: one per script the members write
    "fa": "دریای خزر",
    "ru": "Каспийское море",
    "az": "Xəzər dənizi",
    "en": "Caspian Sea",
}


def read_form(params: QueryParams) -> tuple[SearchForm, list[str]]:
    """The search form from a query string, and the keys of the problems found in it."""
    problems: list[str] = []
    q = " ".join(params.get("q", "").split())
    if len(q) > MAX_QUERY_CHARS:
        q, problems = q[:MAX_QUERY_CHARS], [*problems, "search.error.too_long"]
    mode = params.get("mode", "both") or "both"
    if mode not in MODES:
        mode, problems = "both", [*problems, "search.error.mode"]
    languages: list[str] = []
    for raw in _values(params, "language"):
        try:
            languages.append(normalise_language_tag(raw))
        except (ValueError, IndexError):
            problems.append("search.error.language")
    since, until = _day(params, "from", problems), _day(params, "to", problems)
    if since and until and since > until:
        since, until = until, since
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    form = SearchForm(
        q=q,
        mode=mode,
        languages=tuple(dict.fromkeys(languages)),
        members=_values(params, "member"),
        topics=_values(params, "topic"),
        countries=tuple(value.upper() for value in _values(params, "country")),
        since=since,
        until=until,
        page=page,
    )
    return form, list(dict.fromkeys(problems))


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    found = [part.strip() for value in params.getlist(name) for part in value.split(",")]
    return tuple(dict.fromkeys(value for value in found if value))[:MAX_VALUES]


def _day(params: QueryParams, name: str, problems: list[str]) -> date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append("search.error.date")
        return None


@portal.page("/search")
def search_page(request: Request, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    t = t_for(request)
    form, problems = read_form(request.query_params)
    members = hub.storage.list_members()
    data: dict[str, Any] = {
        "form": form,
        "problems": problems,
        "examples": _examples(language),
        "members": [{"code": member.code, "name": member.name(language.code)} for member in members],
        "interface_languages": list(LANGUAGES),
        "outcome": None,
    }
    if form.q or form.filtered:
        data["outcome"] = search(hub, form, language, clock(), members)
    title = t("search.title_query", query=form.q) if form.q else t("search.title")
    return render(request, "search", data, title=title)


def _examples(language: Language) -> list[dict[str, str]]:
    """The empty page's examples: the reader's own language first where there is one."""
    ordered = sorted(EXAMPLES.items(), key=lambda pair: pair[0] != language.code)
    return [{"language": code, "q": text} for code, text in ordered]
