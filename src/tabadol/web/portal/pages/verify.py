"""The public verification page: paste a text, get the tamper check's answer with its evidence.

    GET  /{lang}/verify          the form (and its .json twin)
    POST /{lang}/verify          the answer as a page
    POST /{lang}/verify.json     the same answer as JSON

The form is a POST, not a GET with the text in the query: a pasted dispatch can run to 20,000
characters (past what URLs reliably carry), and a text under investigation should not land in
server logs, browser history and shared links. Checking stores nothing, so the answer is rendered
directly instead of redirecting (a repeated POST only checks again). It is CSRF-protected without a
login by the double-submit cookie of the login form (web/portal/session.py): each check costs the
hub an embedding and a search, and another site must not be able to make its visitors' browsers
spend that.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tabadol.errors import TabadolError
from tabadol.web.api.common import base_url
from tabadol.web.auth import ClockDep, HubDep
from tabadol.web.portal.pages.verify_view import (
    FORM_LANGUAGES,
    CheckForm,
    FormError,
    form_error_of,
    read_check_form,
    run_check,
)
from tabadol.web.portal.render import render, t_for
from tabadol.web.portal.routing import PortalLanguage, PortalRouter
from tabadol.web.portal.session import checked_form, keep_login_csrf

portal = PortalRouter()


def page_data(
    form: CheckForm, errors: list[FormError], result: dict[str, Any] | None, action: str
) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "result": result,
        "languages_offered": list(FORM_LANGUAGES),
        "action": action,
    }


@portal.page("/verify")
def verify_page(request: Request, language: PortalLanguage) -> Response:
    data = page_data(CheckForm(), [], None, f"/{language.code}/verify")
    response = render(request, "verify", data, title=t_for(request)("verify.title"))
    return keep_login_csrf(request, response)


async def verify_check(request: Request, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    form, errors = read_check_form(await checked_form(request))
    result = None
    if not errors:
        try:
            result = await run_in_threadpool(run_check, hub, form, language.code, base_url(request), clock())
        except TabadolError as error:
            errors = [form_error_of(error)]
    data = page_data(form, errors, result, f"/{language.code}/verify")
    status = 422 if errors else 200
    response = render(request, "verify", data, title=t_for(request)("verify.title"), status_code=status)
    return keep_login_csrf(request, response)


portal.form("/verify")(verify_check)
portal.router.add_api_route("/{lang}/verify.json", verify_check, methods=["POST"])
