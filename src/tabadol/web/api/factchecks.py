"""Fact checks over HTTP (verify/factchecks.py): members' desks publish schema.org ClaimReviews, anyone
reads them, and any key may ask which reviewed claims a text states.

    POST   /fact-checks               ClaimReview JSON-LD (one or many); ?member=CODE for administrators
    POST   /fact-checks/author        one review from plain JSON fields
    GET    /fact-checks               the reviews, newest first (public; ?member, ?language, ?cursor)
    GET    /fact-checks.jsonld        every review as one ClaimReview JSON-LD document (public)
    GET    /fact-checks/feed          the reviews as an Atom feed (public)
    POST   /fact-checks/match         {"text": ..., "language": ...}: the reviews the text matches
    GET    /fact-checks/{id}          one review (public)
    DELETE /fact-checks/{id}          remove a review (its member's editors, administrators)
    GET    /items/{id}/fact-checks    the reviews an item was matched with
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tabadol.deliver.render.feeds import ATOM_MEDIA_TYPE
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.verify.claims import MAX_CLAIM_CHARS, MAX_PAYLOAD_BYTES, claim_reviews_to_jsonld
from tabadol.verify.factcheck_feed import render_fact_check_atom
from tabadol.verify.factchecks import (
    MAX_QUERY_CHARS,
    AuthoredReview,
    FactChecks,
    ImportOutcome,
    fact_check_json,
    match_json,
)
from tabadol.web.api.common import API_PREFIX, base_url
from tabadol.web.auth import AnyKey, ClockDep, HubDep, WriterKey

router = APIRouter(tags=["fact checks"])
JSONLD_MEDIA_TYPE = "application/ld+json"
MAX_PAGE = 200


class AuthorRequest(BaseModel):
    claim: str = Field(min_length=1, max_length=MAX_CLAIM_CHARS, description="The claim, in a sentence")
    rating: str = Field(
        min_length=1, max_length=500, description="The verdict in the desk's words: False, ..."
    )
    url: str = Field(min_length=1, max_length=2000, description="The review's page (its identity in the hub)")
    language: str | None = Field(default=None, description="BCP-47 tag of the claim; identified when absent")
    rating_value: float | None = Field(default=None, description="The verdict on the desk's scale")
    best_rating: float | None = None
    worst_rating: float | None = None
    reviewer_name: str | None = Field(default=None, max_length=500, description="Default: the member's name")
    reviewer_url: str | None = Field(default=None, max_length=2000)
    claimant: str | None = Field(default=None, max_length=500, description="Who made the claim")
    claim_date: datetime | None = Field(default=None, description="When the claim was made")
    appearances: list[str] = Field(default_factory=list, max_length=50, description="Where it appeared")
    date_published: datetime | None = Field(default=None, description="Default: now")
    member: str | None = Field(default=None, description="The publishing member (administrators)")


class MatchRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="Any text: a post, a quote")
    language: str | None = Field(default=None, description="BCP-47 tag; identified when absent")


def _service(hub: Hub) -> FactChecks:
    return FactChecks(hub)


def _outcome_json(outcome: ImportOutcome, base: str) -> dict[str, Any]:
    return {
        "created": [fact_check_json(f, base) for f in outcome.created],
        "updated": [fact_check_json(f, base) for f in outcome.updated],
        "matched_items": outcome.matched_items,
    }


@router.post("/fact-checks", status_code=201, summary="Import ClaimReview JSON-LD (one or many reviews)")
async def import_fact_checks(
    request: Request,
    response: Response,
    hub: HubDep,
    principal: WriterKey,
    member: Annotated[str | None, Query(description="The publishing member (administrators)")] = None,
) -> dict[str, Any]:
    body = await request.body()
    if not body:
        raise TabadolError(ErrorCode.EMPTY_BODY)
    if len(body) > MAX_PAYLOAD_BYTES:
        raise TabadolError(ErrorCode.PAYLOAD_TOO_LARGE, size=len(body), limit=MAX_PAYLOAD_BYTES)
    outcome = await run_in_threadpool(_service(hub).import_jsonld, body, principal, member)
    if not outcome.created:
        response.status_code = 200  # nothing new: every review was an update
    return _outcome_json(outcome, base_url(request))


@router.post("/fact-checks/author", status_code=201, summary="Write one review in the hub")
async def author_fact_check(
    body: AuthorRequest, request: Request, response: Response, hub: HubDep, principal: WriterKey
) -> dict[str, Any]:
    fields = AuthoredReview(
        claim=body.claim,
        rating=body.rating,
        url=body.url,
        language=body.language,
        rating_value=body.rating_value,
        best_rating=body.best_rating,
        worst_rating=body.worst_rating,
        reviewer_name=body.reviewer_name,
        reviewer_url=body.reviewer_url,
        claimant=body.claimant,
        claim_date=body.claim_date,
        appearances=tuple(body.appearances),
        date_published=body.date_published,
    )
    service = _service(hub)
    fact_check = await run_in_threadpool(service.author, fields, principal, body.member)
    if fact_check.created_at != fact_check.updated_at:
        response.status_code = 200  # the review at that URL was updated
    return fact_check_json(fact_check, base_url(request))


@router.get("/fact-checks", summary="The alliance's fact checks, newest first (no key needed)")
def list_fact_checks(
    request: Request,
    hub: HubDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
    member: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    found, following = _service(hub).page(limit, cursor, member, language)
    base = base_url(request)
    return {"fact_checks": [fact_check_json(f, base) for f in found], "next_cursor": following}


@router.get("/fact-checks.jsonld", summary="Every fact check as ClaimReview JSON-LD (no key needed)")
def export_fact_checks(hub: HubDep, member: str | None = None) -> JSONResponse:
    reviews = [fact_check.review for fact_check in _service(hub).all(member)]
    return JSONResponse(claim_reviews_to_jsonld(reviews), media_type=JSONLD_MEDIA_TYPE)


@router.get("/fact-checks/feed", summary="The fact checks as an Atom feed (no key needed)")
def fact_check_feed(request: Request, hub: HubDep, clock: ClockDep, member: str | None = None) -> Response:
    base = base_url(request)
    body = render_fact_check_atom(
        _service(hub).all(member), f"{base}{API_PREFIX}/fact-checks/feed", base, clock()
    )
    return Response(body, media_type=ATOM_MEDIA_TYPE)


@router.post("/fact-checks/match", summary="Which reviewed claims a text states")
async def match_fact_checks(
    body: MatchRequest, request: Request, hub: HubDep, principal: AnyKey
) -> dict[str, Any]:
    matches = await run_in_threadpool(_service(hub).matcher.match_text, body.text, body.language)
    base = base_url(request)
    return {"matches": [match_json(m, base) for m in matches]}


@router.get("/fact-checks/{review_id}", summary="One fact check (no key needed)")
def get_fact_check(review_id: str, request: Request, hub: HubDep) -> dict[str, Any]:
    return fact_check_json(_service(hub).get(review_id), base_url(request))


@router.delete("/fact-checks/{review_id}", status_code=204, summary="Remove a fact check")
def delete_fact_check(review_id: str, hub: HubDep, principal: WriterKey) -> None:
    _service(hub).delete(review_id, principal)


@router.get("/items/{item_id}/fact-checks", summary="The fact checks an item was matched with")
def item_fact_checks(
    item_id: str, request: Request, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> dict[str, Any]:
    hub.readable_item(item_id, clock())  # ITEM_NOT_FOUND unless the key may read it now
    base = base_url(request)
    return {
        "item": item_id,
        "fact_checks": [match_json(m, base) for m in _service(hub).matcher.item_matches(item_id)],
    }


def fact_checks_for_verify(hub: Hub, text: str, language: str | None, base: str) -> list[dict[str, Any]]:
    """The `fact_checks` of POST /api/v1/verify's answer."""
    return [match_json(m, base) for m in _service(hub).matcher.match_text(text, language)]
