"""Portal URLs: `/{lang}/...` for every page, its `.json` twin, and the choice of language at `/`.

    @portal.page("/story/{story_id}")
    def story(request: Request, story_id: str, language: PortalLanguage, hub: HubDep) -> Response:
        return render(request, "story", {...}, title=...)

registers `/{lang}/story/{story_id}` and `/{lang}/story/{story_id}.json` (the twin first, so a path
ending in `.json` is never taken for an id). An unknown language prefix is a 404 like any unknown
page. Errors on a page are rendered as a page in the reader's language; on a `.json` URL they keep
the API's JSON error shape.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from tabadol.errors import ErrorCode, TabadolError
from tabadol.web.portal.languages import LANGUAGE_COOKIE, LANGUAGES, Language, negotiate
from tabadol.web.portal.render import JSON_SUFFIX, render, t_for
from tabadol.web.portal.security import page_headers

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

Handler = TypeVar("Handler", bound=Callable[..., Any])


def portal_language(request: Request, lang: str) -> Language:
    """The `{lang}` of the URL, checked; remembered on the request for rendering."""
    found = LANGUAGES.get(lang)
    if found is None:
        raise TabadolError(ErrorCode.NOT_FOUND, path=request.url.path)
    request.state.lang = found.code
    request.state.as_json = request.url.path.endswith(JSON_SUFFIX)
    return found


PortalLanguage = Annotated[Language, Depends(portal_language)]


class PortalRouter:
    """Collects the portal's pages; each area of the site has one (see `page`)."""

    def __init__(self) -> None:
        self.router = APIRouter(include_in_schema=False)

    def page(self, path: str, *, methods: tuple[str, ...] = ("GET",)) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            twin = "/{lang}/index.json" if path == "/" else f"/{{lang}}{path.rstrip('/')}{JSON_SUFFIX}"
            if "GET" in methods:
                self.router.add_api_route(twin, handler, methods=["GET"])
            self.router.add_api_route(f"/{{lang}}{path}", handler, methods=list(methods))
            return handler

        return register

    def form(self, path: str) -> Callable[[Handler], Handler]:
        """A POST target (forms); it answers with a redirect or a page, never JSON."""

        def register(handler: Handler) -> Handler:
            self.router.add_api_route(f"/{{lang}}{path}", handler, methods=["POST"])
            return handler

        return register


def choose_language(request: Request) -> RedirectResponse:
    """`/`: the reader's language, from their earlier choice or Accept-Language."""
    code = negotiate(request.headers.get("accept-language"), request.cookies.get(LANGUAGE_COOKIE))
    response = RedirectResponse(f"/{code}/", status_code=303)
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


async def remember_language(request: Request, call_next: Callable[[Request], Any]) -> Response:
    """Middleware: a page visited in a language makes it the language `/` leads to next time."""
    response: Response = await call_next(request)
    first = request.url.path.split("/", 2)[1] if request.url.path.count("/") >= 1 else ""
    if (
        request.method == "GET"
        and first in LANGUAGES
        and response.status_code < 400
        and request.cookies.get(LANGUAGE_COOKIE) != first
    ):
        response.set_cookie(
            LANGUAGE_COOKIE,
            first,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def error_page(request: Request, error: TabadolError) -> Response | None:
    """The error as a page in the reader's language, for portal pages; None for API and JSON URLs."""
    path = request.url.path
    if (
        path.startswith(("/api/", "/.well-known/"))
        or path.endswith(JSON_SUFFIX)
        or path.startswith(STATIC_PREFIX)
    ):
        return None
    first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    request.state.lang = first if first in LANGUAGES else negotiate(request.headers.get("accept-language"))
    request.state.as_json = False
    t = t_for(request)
    data = {
        "status": error.http_status,
        "code": error.code.slug,
        "number": error.code.number,
        "message": error.message,
    }
    return render(request, "error", data, title=t("error.title"), status_code=error.http_status)


@cache
def static_version(name: str) -> str:
    """A short hash of a static file, for cache-busting URLs (`/static/portal.css?v=...`)."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}/{name}?v={static_version(name)}"


def install(app: FastAPI, routers: list[PortalRouter]) -> None:
    """Mount the portal on the app: static files, `/`, every area's pages, headers, error pages."""
    from tabadol.web.portal.render import environment

    environment().globals["static_url"] = static_url
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/", choose_language, methods=["GET"], include_in_schema=False)
    for area in routers:
        app.include_router(area.router)
    app.middleware("http")(remember_language)
    app.middleware("http")(page_headers)
    app.state.error_page = error_page
