"""What the newsroom's settings and administration pages share: who acts, how a refused form is shown,
the redirect after a successful POST, and the page that shows a secret once.

Pages never apply rules of their own: every change goes through the function the API and the command
line use (deliver/, verify/, Hub), with the logged-in person's rights (`WebUser.principal`), so the
audit log names them as `web:<username>`. When that function refuses a form (a bad URL, an unknown
language tag, a taken username), the page is shown again with the reason in the reader's language and
what they typed kept; refusals that are not about the form (403, 404) become error pages as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Principal, WebUser
from tabadol.web.portal.session import remote_address

# A page that shows a secret must not be kept by the browser or a proxy, nor come back with "Back".
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# Refusals about what the user typed: shown on the form itself. Anything else is an error page.
FORM_ERRORS = frozenset(
    {
        ErrorCode.INVALID_QUERY,
        ErrorCode.INVALID_REQUEST_BODY,
        ErrorCode.WEBHOOK_URL_INVALID,
        ErrorCode.UNSAFE_URL,
        ErrorCode.INVALID_MEMBER,
        ErrorCode.MEMBER_EXISTS,
        ErrorCode.INVALID_ACCOUNT,
        ErrorCode.ACCOUNT_EXISTS,
        ErrorCode.SIGNING_KEY_EXISTS,
        ErrorCode.INVALID_SIGNED_DOCUMENT,
    }
)
# Codes with their own sentence in the catalogues (settings.error.<slug>); others get the generic one.
EXPLAINED = frozenset(
    {
        ErrorCode.INVALID_QUERY,
        ErrorCode.WEBHOOK_URL_INVALID,
        ErrorCode.UNSAFE_URL,
        ErrorCode.INVALID_MEMBER,
        ErrorCode.MEMBER_EXISTS,
        ErrorCode.INVALID_ACCOUNT,
        ErrorCode.ACCOUNT_EXISTS,
        ErrorCode.SIGNING_KEY_EXISTS,
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a form was refused: a sentence key for the reader, the stable code and the hub's message."""

    key: str
    code: str
    number: int
    message: str
    field: str  # the form field it is about ("" when it is about the whole form)
    status: int  # the HTTP status the page is answered with


def problem_of(error: TabadolError) -> Problem:
    """The refusal as the form shows it; re-raises errors that are not about the form."""
    if error.code not in FORM_ERRORS:
        raise error
    key = f"settings.error.{error.code.slug}" if error.code in EXPLAINED else "settings.error.generic"
    field = str(error.fields.get("param") or error.fields.get("field") or "")
    return Problem(key, error.code.slug, error.code.number, error.message, field, error.http_status)


def actor(request: Request, user: WebUser) -> Principal:
    """The rights of the logged-in person, with their address for the audit log."""
    return user.principal(remote_address(request))


def see_other(request: Request, path: str, done: str | None = None) -> RedirectResponse:
    """Post/redirect/get: `path` is without the language prefix; `done` names the notice to show."""
    lang = getattr(request.state, "lang", "en")
    url = f"/{lang}{path}" + (f"?done={done}" if done else "")
    return RedirectResponse(url, status_code=303)


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def list_field(form: FormData, name: str) -> tuple[str, ...]:
    """A repeated field (checkboxes), without blanks, in the order sent."""
    values = [value.strip() for value in form.getlist(name) if isinstance(value, str)]
    return tuple(dict.fromkeys(value for value in values if value))


def split_words(text: str) -> list[str]:
    """Values typed into one box, separated by commas, semicolons or new lines."""
    parts = text.replace(";", ",").replace("\n", ",").split(",")
    return [part.strip() for part in parts if part.strip()]


def member_names(hub: Hub, language: str) -> dict[str, str]:
    """Every member's name in the interface language (falls back to English), by code."""
    return {member.code: member.name(language) for member in hub.storage.list_members()}


def notice(done: str | None, known: Iterable[str]) -> str | None:
    """The notice key a redirect asked for, when it is one the page knows (never free text)."""
    return done if done in set(known) else None


def choices(defaults: Iterable[str], chosen: Iterable[str]) -> list[str]:
    """The options of a checkbox group: the usual ones, plus whatever is already chosen (so editing
    a filter made through the API never drops a value the page does not offer)."""
    return list(dict.fromkeys([*defaults, *chosen]))


def labelled(options: Iterable[str], labels: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(option, labels.get(option, option)) for option in options]
