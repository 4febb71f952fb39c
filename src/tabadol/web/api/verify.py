"""The tamper check over HTTP: `POST /api/v1/verify` with any text answers whether it is an authentic
item's text (verbatim), an altered version of one (with the word-level diff), a translation of one, or
none of these (verify/tamper.py). Any key may ask; only readable items are ever cited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tabadol.verify.tamper import MAX_TEXT_CHARS, answer_json, check_text, cited_provenance
from tabadol.web.api.common import base_url
from tabadol.web.api.factchecks import fact_checks_for_verify
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(tags=["verification"])


class VerifyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The text to check")
    language: str | None = Field(default=None, description="BCP-47 tag; identified when absent")


@router.post("/verify", summary="Tamper check: verbatim, altered, translation or unknown")
async def verify_text(
    body: VerifyRequest, request: Request, hub: HubDep, clock: ClockDep, principal: AnyKey
) -> dict[str, Any]:
    answer = await run_in_threadpool(check_text, hub, body.text, body.language, None, clock())
    provenance = await run_in_threadpool(cited_provenance, hub, answer)
    out = answer_json(answer, base_url(request), provenance)
    # The members' fact checks whose claim the text states (verify/factchecks.py).
    language = body.language or answer.language
    out["fact_checks"] = await run_in_threadpool(
        fact_checks_for_verify, hub, body.text, language, base_url(request)
    )
    return out
