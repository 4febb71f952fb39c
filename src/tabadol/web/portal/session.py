"""The newsroom's sessions in the web layer: cookies, the logged-in user, CSRF on every form.

    @newsroom.page("/newsroom/wire")
    def wire(request: Request, language: PortalLanguage, user: NewsroomUser, hub: HubDep) -> Response: ...

    @newsroom.form("/newsroom/take/{item_id}")
    async def take(request: Request, language: PortalLanguage, user: EditorUser, hub: HubDep) -> Response:
        form = await checked_form(request)   # 403 unless the form carries this session's CSRF token

A page that needs a login redirects a reader without one to the login page, which brings them back.
Templates put `{{ csrf_input() }}` inside every POST form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Role, WebSession, WebUser
from tabadol.web.auth import client_address
from tabadol.web.portal import accounts
from tabadol.web.portal.render import interface_language

SESSION_COOKIE = "tabadol_session"
LOGIN_CSRF_COOKIE = "tabadol_login_csrf"  # before a session exists: the double-submit pattern
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 1_000_000


class LoginRequired(Exception):
    """Raised by the user dependencies; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_session(request: Request) -> WebSession | None:
    """The request's session (looked up once per request), or None."""
    if not hasattr(request.state, "web_session"):
        hub: Hub = request.app.state.hub
        request.state.web_session = accounts.session_for(hub.storage, request.cookies.get(SESSION_COOKIE))
    session: WebSession | None = request.state.web_session
    return session


def require_user(request: Request) -> WebUser:
    session = current_session(request)
    if session is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return session.user


def require_editor(user: Annotated[WebUser, Depends(require_user)]) -> WebUser:
    if user.role is Role.READER:
        raise TabadolError(ErrorCode.FORBIDDEN, action="change anything (a reader's account)")
    return user


def require_admin(user: Annotated[WebUser, Depends(require_user)]) -> WebUser:
    if user.role is not Role.ADMIN:
        raise TabadolError(ErrorCode.FORBIDDEN, action="administer the alliance")
    return user


NewsroomUser = Annotated[WebUser, Depends(require_user)]
EditorUser = Annotated[WebUser, Depends(require_editor)]
AdminUser = Annotated[WebUser, Depends(require_admin)]


def csrf_token(request: Request) -> str:
    """This session's CSRF token; before login, the login form's double-submit token."""
    session = current_session(request)
    if session is not None:
        return session.csrf_token
    token = getattr(request.state, "login_csrf", None) or request.cookies.get(LOGIN_CSRF_COOKIE)
    if not token or len(token) > 64:
        token = secrets.token_urlsafe(24)
    request.state.login_csrf = token
    return str(token)


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token(request))
    )


def keep_login_csrf(request: Request, response: Response) -> Response:
    """Set the double-submit cookie the login form's token must match (call on the login page)."""
    token = getattr(request.state, "login_csrf", None)
    if token and current_session(request) is None:
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
        )
    return response


async def checked_form(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token (and its size)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=length, limit=MAX_FORM_BYTES)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    session = current_session(request)
    expected = session.csrf_token if session is not None else request.cookies.get(LOGIN_CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise TabadolError(ErrorCode.CSRF_FAILED)
    return form


def start_session(request: Request, response: Response, login: accounts.Login) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        max_age=int(accounts.SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def end_session(request: Request, response: Response) -> Response:
    hub: Hub = request.app.state.hub
    accounts.log_out(hub.storage, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def safe_next(path: str | None, fallback: str) -> str:
    """Where to go after login: only a path on this site (an open redirect is a phishing tool)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return fallback
    parts = urlsplit(path)
    return fallback if parts.scheme or parts.netloc else path


def remote_address(request: Request) -> str | None:
    return client_address(request)


def _secure(request: Request) -> bool:
    # Behind a TLS-terminating proxy the hub sees http; TABADOL_PUBLIC_URL tells it the truth.
    hub: Hub = request.app.state.hub
    return request.url.scheme == "https" or hub.settings.public_url.startswith("https://")


async def _on_login_required(request: Request, exc: LoginRequired) -> Response:
    lang = interface_language(request).code
    return RedirectResponse(f"/{lang}/newsroom/login?next={quote(exc.next_path, safe='')}", status_code=303)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, _on_login_required)  # type: ignore[arg-type]
