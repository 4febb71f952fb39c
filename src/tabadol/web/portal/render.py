"""Pages from templates, and the same page's data as JSON.

A page handler gathers its data (plain values and frozen dataclasses) and calls `render`. The HTML
comes from `templates/<name>.html`; the `.json` twin of the URL answers that same data, so what a
reader sees and what an integrator reads never disagree (the habit datasette made familiar).
Templates see the data plus `t` (the interface strings), `fmt` (dates and numbers in the
interface's language), `lang` (the interface language) and `page` (where the page is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from tabadol.serialize import to_jsonable
from tabadol.web.portal import dates
from tabadol.web.portal.catalog import Messages, messages
from tabadol.web.portal.languages import LANGUAGES, Language, localise_digits
from tabadol.web.portal.security import sanitise_html

TEMPLATE_DIR = Path(__file__).parent / "templates"
JSON_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class PageInfo:
    """Where a page is: its path without the language prefix, to link the other languages."""

    name: str  # the template, without .html
    path: str  # e.g. "/story/st123" ("/" for the home page)
    query: str  # the query string, kept when switching language
    title: str

    def in_language(self, code: str) -> str:
        return f"/{code}{self.path}" + (f"?{self.query}" if self.query else "")

    def json_href(self, code: str) -> str:
        base = f"/{code}/index" if self.path == "/" else f"/{code}{self.path.rstrip('/')}"
        return base + JSON_SUFFIX + (f"?{self.query}" if self.query else "")


class Formatter:
    """Dates and numbers for templates: `fmt.when(item.version_created)`, `fmt.number(3)`."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def when(self, value: datetime | None) -> str:
        return "" if value is None else dates.date_time(value, self.lang)

    def day(self, value: datetime | date | None) -> str:
        return "" if value is None else dates.long_date(value, self.lang)

    def iso(self, value: datetime | None) -> str:
        return "" if value is None else dates.iso(value)

    def number(self, value: int | float) -> str:
        return dates.number(value, self.lang)

    def digits(self, text: str) -> str:
        return localise_digits(text, self.lang)

    def safe_html(self, html: str | None) -> Markup:
        """Agency HTML after the allow-list sanitiser: the only way HTML from outside reaches a page."""
        return Markup(sanitise_html(html or ""))  # noqa: S704 - sanitised just above


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,  # a typo in a template fails its test instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    env.globals["languages"] = LANGUAGES
    env.globals["urlencode"] = urlencode
    return env


def wants_json(request: Request) -> bool:
    return bool(getattr(request.state, "as_json", False))


def render(
    request: Request,
    name: str,
    data: Mapping[str, Any],
    *,
    title: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page `name` in the request's interface language, or its data as JSON for `.json` URLs."""
    lang = interface_language(request)
    info = PageInfo(name, page_path(request), request.url.query, title)
    if wants_json(request):
        body = {"page": name, "lang": lang.code, "title": title, **to_jsonable(dict(data))}
        return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))
    html = (
        environment()
        .get_template(f"{name}.html")
        .render(**data, t=messages(lang.code), fmt=Formatter(lang), lang=lang, page=info, request=request)
    )
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def interface_language(request: Request) -> Language:
    code = getattr(request.state, "lang", None)
    return LANGUAGES.get(code or "", LANGUAGES["en"])


def page_path(request: Request) -> str:
    """The request's path without its language prefix and `.json` suffix."""
    path = request.url.path
    code = getattr(request.state, "lang", None)
    if code and path.startswith(f"/{code}"):
        path = path[len(code) + 1 :] or "/"
    if path.endswith(JSON_SUFFIX):
        path = path[: -len(JSON_SUFFIX)]
        path = "/" if path == "/index" else path
    return path


def t_for(request: Request) -> Messages:
    return messages(interface_language(request).code)
