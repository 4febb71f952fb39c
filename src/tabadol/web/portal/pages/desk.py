"""The newsroom's verification desk: the tamper check for logged-in members, and their fact checks.

    GET  /{lang}/newsroom/desk                                  the check form (+ .json)
    POST /{lang}/newsroom/desk                                  the answer (POST .json: as JSON)
    GET  /{lang}/newsroom/desk/factchecks                       the member's reviews, the authoring
                                                                form, the import form (+ .json)
    POST /{lang}/newsroom/desk/factchecks                       author a review
    POST /{lang}/newsroom/desk/factchecks/import                import a ClaimReview JSON-LD file
    GET  /{lang}/newsroom/desk/factchecks/{id}/edit             a review's edit form (+ .json)
    POST /{lang}/newsroom/desk/factchecks/{id}                  save the edit
    POST /{lang}/newsroom/desk/factchecks/{id}/delete           remove the review

Reviews go through verify/factchecks.py as the API's do (the same permission checks, audit entries
and matching with recent items), acting as the logged-in person (`WebUser.principal`). Any newsroom
account may check texts and read its member's reviews; writing needs an editor's or administrator's
account. A review's URL is its identity in the hub, so an edit keeps the URL (a new URL is a new
review). Writes answer with a 303 to the list (post/redirect/get) and a notice in the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import Role, WebUser
from tabadol.verify.claims import MAX_CLAIM_CHARS, MAX_PAYLOAD_BYTES
from tabadol.verify.factchecks import AuthoredReview, FactCheck, FactChecks, fact_check_json
from tabadol.web.api.common import base_url
from tabadol.web.auth import ClockDep, HubDep
from tabadol.web.portal.languages import LANGUAGES
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
from tabadol.web.portal.session import EditorUser, NewsroomUser, checked_form, remote_address

portal = PortalRouter()
PAGE_SIZE = 50
MAX_SHORT_FIELD = 500
MAX_URL_FIELD = 2000
NOTICES = frozenset({"created", "updated", "deleted", "imported"})
EXPORT_HREF = "/api/v1/fact-checks.jsonld"
FEED_HREF = "/api/v1/fact-checks/feed"


@dataclass(frozen=True, slots=True)
class ReviewForm:
    """The authoring form's fields as typed (kept on the page when something is wrong)."""

    claim: str = ""
    rating: str = ""
    url: str = ""
    language: str = ""
    reviewer_name: str = ""
    reviewer_url: str = ""
    claimant: str = ""


def user_view(user: WebUser) -> dict[str, Any]:
    """Who is at the desk, for the page (no ids, no secrets)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "member": user.member_code,
        "role": user.role.value,
    }


# -- the check ------------------------------------------------------------------------------------


def check_data(
    user: WebUser, lang: str, form: CheckForm, errors: list[FormError], result: Any
) -> dict[str, Any]:
    return {
        "user": user_view(user),
        "form": form,
        "errors": errors,
        "result": result,
        "languages_offered": list(FORM_LANGUAGES),
        "action": f"/{lang}/newsroom/desk",
        "factchecks_href": f"/{lang}/newsroom/desk/factchecks",
    }


@portal.page("/newsroom/desk")
def desk_page(request: Request, language: PortalLanguage, user: NewsroomUser) -> Response:
    data = check_data(user, language.code, CheckForm(), [], None)
    return render(request, "desk/check", data, title=t_for(request)("desk.title"))


async def desk_check(
    request: Request, language: PortalLanguage, user: NewsroomUser, hub: HubDep, clock: ClockDep
) -> Response:
    form, errors = read_check_form(await checked_form(request))
    result = None
    if not errors:
        try:
            result = await run_in_threadpool(run_check, hub, form, language.code, base_url(request), clock())
        except TabadolError as error:
            errors = [form_error_of(error)]
    data = check_data(user, language.code, form, errors, result)
    status = 422 if errors else 200
    return render(request, "desk/check", data, title=t_for(request)("desk.title"), status_code=status)


portal.form("/newsroom/desk")(desk_check)
portal.router.add_api_route("/{lang}/newsroom/desk.json", desk_check, methods=["POST"])


# -- fact checks: the list and the authoring form -------------------------------------------------


def list_data(
    request: Request,
    user: WebUser,
    lang: str,
    service: FactChecks,
    form: ReviewForm,
    errors: list[FormError],
    problem: TabadolError | None = None,
) -> dict[str, Any]:
    cursor = request.query_params.get("cursor") or None
    found, following = service.page(PAGE_SIZE, cursor, user.member_code)
    base = base_url(request)
    notice = request.query_params.get("done")
    member = service.hub.storage.get_member(user.member_code)
    return {
        "user": user_view(user),
        "member_name": member.name(lang) if member is not None else user.member_code,
        "can_write": user.role is not Role.READER,
        "fact_checks": [_review_view(f, lang, base) for f in found],
        "next_href": f"/{lang}/newsroom/desk/factchecks?cursor={quote(following)}" if following else None,
        "notice": notice if notice in NOTICES else None,
        "notice_count": _count(request.query_params.get("count")),
        "form": form,
        "errors": errors,
        "problem": _problem(problem),
        "languages_offered": list(FORM_LANGUAGES),
        "action": f"/{lang}/newsroom/desk/factchecks",
        "import_action": f"/{lang}/newsroom/desk/factchecks/import",
        "desk_href": f"/{lang}/newsroom/desk",
        "export_href": f"{EXPORT_HREF}?member={user.member_code}",
        "feed_href": f"{FEED_HREF}?member={user.member_code}",
        "export_all_href": EXPORT_HREF,
        "feed_all_href": FEED_HREF,
    }


def _review_view(fact_check: FactCheck, lang: str, base: str) -> dict[str, Any]:
    shown = fact_check_json(fact_check, base)
    shown["edit_href"] = f"/{lang}/newsroom/desk/factchecks/{fact_check.id}/edit"
    shown["delete_action"] = f"/{lang}/newsroom/desk/factchecks/{fact_check.id}/delete"
    shown["published"] = fact_check.review.date_published
    return shown


def _count(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else None


def _problem(error: TabadolError | None) -> dict[str, str] | None:
    """The service's refusal, for the technical line under the explanation."""
    if error is None:
        return None
    return {"number": f"E{error.code.number}", "code": error.code.slug, "message": error.message}


@portal.page("/newsroom/desk/factchecks")
def factchecks_page(request: Request, language: PortalLanguage, user: NewsroomUser, hub: HubDep) -> Response:
    data = list_data(request, user, language.code, FactChecks(hub), ReviewForm(), [])
    return render(request, "desk/factchecks", data, title=t_for(request)("desk.factchecks.title"))


@portal.form("/newsroom/desk/factchecks/import")
async def import_factchecks(
    request: Request, language: PortalLanguage, user: EditorUser, hub: HubDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    upload = form.get("file")
    data = await upload.read(MAX_PAYLOAD_BYTES + 1) if isinstance(upload, UploadFile) else b""
    service = FactChecks(hub)
    problem: TabadolError | None = None
    if not data.strip():
        errors = [FormError("file", "desk.error.file_empty")]
    else:
        principal = user.principal(remote_address(request))
        try:
            outcome = await run_in_threadpool(service.import_jsonld, data, principal, None, clock())
        except TabadolError as error:
            errors, problem = [_service_error(error, "file")], error
        else:
            count = len(outcome.created) + len(outcome.updated)
            return _done(language.code, "imported", count)
    page = list_data(request, user, language.code, service, ReviewForm(), errors, problem)
    title = t_for(request)("desk.factchecks.title")
    return render(request, "desk/factchecks", page, title=title, status_code=422)


@portal.form("/newsroom/desk/factchecks")
async def author_factcheck(
    request: Request, language: PortalLanguage, user: EditorUser, hub: HubDep, clock: ClockDep
) -> Response:
    form = read_review_form(await checked_form(request))
    service = FactChecks(hub)
    errors = review_form_errors(form)
    problem: TabadolError | None = None
    if not errors:
        principal = user.principal(remote_address(request))
        try:
            saved = await run_in_threadpool(service.author, authored(form), principal, None, clock())
        except TabadolError as error:
            errors, problem = [_service_error(error, "claim")], error
        else:
            return _done(language.code, "created" if saved.created_at == saved.updated_at else "updated")
    page = list_data(request, user, language.code, service, form, errors, problem)
    title = t_for(request)("desk.factchecks.title")
    return render(request, "desk/factchecks", page, title=title, status_code=422)


# -- fact checks: edit and delete -----------------------------------------------------------------


def own_review(service: FactChecks, user: WebUser, review_id: str) -> FactCheck:
    """The review, if the person may change it; another member's is "not found", as in the API."""
    fact_check = service.get(review_id)
    if not user.principal().can_write_for(fact_check.member_code):
        raise TabadolError(ErrorCode.FACT_CHECK_NOT_FOUND, review_id=review_id)
    return fact_check


def edit_data(
    user: WebUser,
    lang: str,
    fact_check: FactCheck,
    form: ReviewForm,
    errors: list[FormError],
    problem: TabadolError | None = None,
) -> dict[str, Any]:
    return {
        "user": user_view(user),
        "review_id": fact_check.id,
        "form": form,
        "errors": errors,
        "problem": _problem(problem),
        "languages_offered": list(FORM_LANGUAGES),
        "action": f"/{lang}/newsroom/desk/factchecks/{fact_check.id}",
        "delete_action": f"/{lang}/newsroom/desk/factchecks/{fact_check.id}/delete",
        "list_href": f"/{lang}/newsroom/desk/factchecks",
    }


def form_of(fact_check: FactCheck) -> ReviewForm:
    review = fact_check.review
    author = review.author
    claimant = review.item_reviewed.author
    language = (review.language or "").split("-")[0]
    return ReviewForm(
        claim=review.claim_reviewed,
        rating=review.verdict or "",
        url=review.url,
        language=language if language in LANGUAGES else "",
        reviewer_name=author.name if author else "",
        reviewer_url=(author.url or "") if author else "",
        claimant=claimant.name if claimant else "",
    )


@portal.page("/newsroom/desk/factchecks/{review_id}/edit")
def edit_page(
    request: Request, review_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    fact_check = own_review(FactChecks(hub), user, review_id)
    data = edit_data(user, language.code, fact_check, form_of(fact_check), [])
    return render(request, "desk/edit", data, title=t_for(request)("desk.edit.title"))


@portal.form("/newsroom/desk/factchecks/{review_id}/delete")
async def delete_factcheck(
    request: Request, review_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep
) -> Response:
    await checked_form(request)
    service = FactChecks(hub)
    own_review(service, user, review_id)
    await run_in_threadpool(service.delete, review_id, user.principal(remote_address(request)))
    return _done(language.code, "deleted")


@portal.form("/newsroom/desk/factchecks/{review_id}")
async def update_factcheck(
    request: Request, review_id: str, language: PortalLanguage, user: EditorUser, hub: HubDep, clock: ClockDep
) -> Response:
    sent = await checked_form(request)
    service = FactChecks(hub)
    existing = own_review(service, user, review_id)
    # The URL is the review's identity: an edit keeps it whatever the form says.
    form = _with_url(read_review_form(sent), existing.review.url)
    errors = review_form_errors(form)
    problem: TabadolError | None = None
    if not errors:
        principal = user.principal(remote_address(request))
        fields = authored(form, existing)
        try:
            await run_in_threadpool(service.author, fields, principal, existing.member_code, clock())
        except TabadolError as error:
            errors, problem = [_service_error(error, "claim")], error
        else:
            return _done(language.code, "updated")
    data = edit_data(user, language.code, existing, form, errors, problem)
    return render(request, "desk/edit", data, title=t_for(request)("desk.edit.title"), status_code=422)


# -- the form -------------------------------------------------------------------------------------


def read_review_form(form: FormData) -> ReviewForm:
    def field(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    return ReviewForm(
        claim=field("claim"),
        rating=field("rating"),
        url=field("url"),
        language=field("language"),
        reviewer_name=field("reviewer_name"),
        reviewer_url=field("reviewer_url"),
        claimant=field("claimant"),
    )


def _with_url(form: ReviewForm, url: str) -> ReviewForm:
    return ReviewForm(
        form.claim, form.rating, url, form.language, form.reviewer_name, form.reviewer_url, form.claimant
    )


def review_form_errors(form: ReviewForm) -> list[FormError]:
    """What the page can say before asking the service (which checks URLs and the rest again)."""
    errors: list[FormError] = []
    if not form.claim:
        errors.append(FormError("claim", "desk.error.claim"))
    elif len(form.claim) > MAX_CLAIM_CHARS:
        errors.append(FormError("claim", "desk.error.too_long"))
    if not form.rating or len(form.rating) > MAX_SHORT_FIELD:
        errors.append(FormError("rating", "desk.error.rating"))
    if not _is_web_url(form.url):
        errors.append(FormError("url", "desk.error.url"))
    if form.reviewer_url and not _is_web_url(form.reviewer_url):
        errors.append(FormError("reviewer_url", "desk.error.url"))
    if form.language and form.language not in LANGUAGES:
        errors.append(FormError("language", "desk.error.language"))
    if len(form.reviewer_name) > MAX_SHORT_FIELD or len(form.claimant) > MAX_SHORT_FIELD:
        errors.append(FormError("reviewer_name", "desk.error.too_long"))
    return errors


def _is_web_url(url: str) -> bool:
    return (
        url.startswith(("https://", "http://"))
        and len(url) <= MAX_URL_FIELD
        and not any(c.isspace() for c in url)
    )


def authored(form: ReviewForm, existing: FactCheck | None = None) -> AuthoredReview:
    """The service's fields; an edit keeps what the form does not show (where the claim appeared,
    when, the publication date, a numeric rating while its wording is unchanged)."""
    rating = existing.review.rating if existing else None
    same_rating = rating is not None and existing is not None and existing.review.verdict == form.rating
    claim = existing.review.item_reviewed if existing else None
    return AuthoredReview(
        claim=form.claim,
        rating=form.rating,
        url=form.url,
        language=form.language or None,
        rating_value=rating.rating_value if rating and same_rating else None,
        best_rating=rating.best_rating if rating and same_rating else None,
        worst_rating=rating.worst_rating if rating and same_rating else None,
        reviewer_name=form.reviewer_name or None,
        reviewer_url=form.reviewer_url or None,
        claimant=form.claimant or None,
        claim_date=claim.date_published if claim else None,
        appearances=claim.appearances if claim else (),
        date_published=existing.review.date_published if existing else None,
    )


def _service_error(error: TabadolError, field: str) -> FormError:
    if error.code is ErrorCode.FACT_CHECK_OWNED_BY_OTHER_MEMBER:
        return FormError("url", "desk.error.owned")
    if error.code is ErrorCode.FORBIDDEN:
        return FormError(field, "desk.error.forbidden")
    if field == "file":
        return FormError("file", "desk.error.import")
    if error.code is ErrorCode.INVALID_QUERY and str(error.fields.get("param", "")).endswith("url"):
        return FormError("url", "desk.error.url")
    return FormError(field, "desk.error.failed")


def _done(lang: str, notice: str, count: int | None = None) -> RedirectResponse:
    query = f"?done={notice}" + (f"&count={count}" if count is not None else "")
    return RedirectResponse(f"/{lang}/newsroom/desk/factchecks{query}", status_code=303)
