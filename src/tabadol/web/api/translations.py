"""Machine translations of items, when the operator configured a translation backend.

A translation is made on first request, stored apart from the item (never in its versions or
originals) and served from the store afterwards; every response says it is machine output and names the
backend and model (`machine_translation: true`, `label`). Without a backend the endpoint answers 503
`translation_unavailable`: the hub is complete without translation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tabadol.enrich.translate import MachineTranslation, Translator, translate_item
from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime
from tabadol.types import normalise_language_tag
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(prefix="/items", tags=["items"])


def _translator(request: Request) -> Translator | None:
    return getattr(request.app.state, "translator", None)


@router.get("/{item_id}/translation", summary="A machine translation of the item (labelled as such)")
def get_translation(
    item_id: str,
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    to: Annotated[str, Query(description="BCP-47 tag of the language wanted")],
) -> dict[str, Any]:
    try:
        target = normalise_language_tag(to)
    except ValueError as exc:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="to", reason=str(exc)) from None
    item = hub.readable_item(item_id, clock())
    stored = hub.storage.get_translation(item.id, item.version, target)
    if stored is not None:
        record = MachineTranslation(
            text=f"{stored['headline']}\n\n{stored['body']}" if stored["headline"] else stored["body"],
            source_language=stored["source_language"],
            target_language=stored["target_language"],
            backend=stored["backend"],
            model_id=stored["model_id"],
            created_at=stored["created_at"],
            headline=stored["headline"],
            body=stored["body"],
        )
    else:
        source = _source_language(hub, item.id, item.language)
        record = translate_item(_translator(request), item.headline, item.body_text, source, target)
        hub.storage.save_translation(
            item.id,
            item.version,
            {
                "target_language": target,
                "source_language": record.source_language,
                "backend": record.backend,
                "model_id": record.model_id,
                "headline": record.headline,
                "body": record.body,
                "created_at": record.created_at,
            },
        )
    return {
        "item_id": item.id,
        "version": item.version,
        **record.to_json(),
        "created_at": format_datetime(record.created_at),
    }


def _source_language(hub: Any, item_id: str, declared: str | None) -> str:
    """The detected language when enrichment has run (senders mislabel), else the declared one."""
    results = hub.storage.enrichment_of([item_id])[item_id]
    language = results.get("language")
    detected = language.data.get("language") if language is not None and language.error is None else None
    source = detected if detected and detected != "und" else declared
    if not source:
        raise TabadolError(ErrorCode.TRANSLATION_FAILED, reason="the item's language is not known")
    return str(source)
