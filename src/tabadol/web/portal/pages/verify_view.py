"""The tamper check as the portal shows it: shared by the public verification page and the desk.

    text ──► verify/tamper.check_text ──► answer_json (the API's shape, kept whole in the page data)
                                      └─► what a reader needs besides: the cited item's page, its
                                          signature in one word, the diff as segments of kept,
                                          removed and added text, each change with its flags
         ──► verify/factchecks (the members' reviews whose claim the text states)

Everything here is JSON-able: the same data is the page's `.json` twin.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import FormData

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.verify.compare import Change, Comparison
from tabadol.verify.factchecks import FactChecks, match_json
from tabadol.verify.provenance import RecordedProvenance, SignerKind, VerifyStatus
from tabadol.verify.tamper import (
    MAX_TEXT_CHARS,
    TRANSLATION_SIMILARITY,
    TamperAnswer,
    answer_json,
    check_text,
    cited_provenance,
)
from tabadol.web.portal.languages import LANGUAGES

# How much of a translated original is shown beside the answer (the item page has all of it).
ORIGINAL_EXCERPT_CHARS = 700
FORM_LANGUAGES = tuple(LANGUAGES)


@dataclass(frozen=True, slots=True)
class CheckForm:
    """What the reader sent: the text and the language they chose ("" = identify it)."""

    text: str = ""
    language: str = ""


@dataclass(frozen=True, slots=True)
class FormError:
    """A problem with the form, as a catalogue key (shown in the reader's language)."""

    field: str
    key: str


def read_check_form(form: FormData) -> tuple[CheckForm, list[FormError]]:
    """The form's fields, and what is wrong with them (nothing is checked against the hub yet)."""
    text = str(form.get("text") or "")
    language = str(form.get("language") or "")
    errors: list[FormError] = []
    if not text.strip():
        errors.append(FormError("text", "verify.error.empty"))
    elif len(text.strip()) > MAX_TEXT_CHARS:
        errors.append(FormError("text", "verify.error.too_long"))
    if language and language not in LANGUAGES:
        errors.append(FormError("language", "verify.error.language"))
        language = ""
    return CheckForm(text, language), errors


def run_check(hub: Hub, form: CheckForm, lang: str, base: str, now: datetime) -> dict[str, Any]:
    """The tamper check and the matching fact checks of `form.text`, as the result template reads it.

    Blocking (the embedding model and the store): call it from a worker thread."""
    text = form.text.strip()
    answer = check_text(hub, text, form.language or None, None, now)
    provenance = cited_provenance(hub, answer)
    result = answer_json(answer, base, provenance)
    result["threshold"] = TRANSLATION_SIMILARITY
    result["signature"] = signature_view(provenance)
    result["item"] = _item_view(hub, answer, result["item"], lang)
    result["segments"] = [] if answer.comparison is None else diff_segments(answer, text)
    result["changes"] = [] if answer.comparison is None else change_views(answer.comparison)
    matches = FactChecks(hub).matcher.match_text(text, form.language or answer.language)
    result["fact_checks"] = [match_json(match, base) for match in matches]
    return result


def signature_view(provenance: RecordedProvenance | None) -> dict[str, Any]:
    """The cited version's signature in one word: verified (the member's own key), hub_signed (the
    hub signed on receipt for the member that delivered it), invalid (any failure) or unsigned."""
    if provenance is None:
        return {"status": "unsigned", "signer": None, "signed_for": None, "key_id": None, "reason": None}
    record = provenance.provenance
    if record.verified is not VerifyStatus.VALID:
        status = "invalid"
    elif record.signer_kind is SignerKind.HUB:
        status = "hub_signed"
    else:
        status = "verified"
    return {
        "status": status,
        "finding": record.verified.value,
        "signer": record.signer,
        "signed_for": record.signed_by_hub_for,
        "key_id": record.key_id,
        "reason": provenance.reason,
    }


def _item_view(
    hub: Hub, answer: TamperAnswer, shown: dict[str, Any] | None, lang: str
) -> dict[str, Any] | None:
    """The API's item block plus what the page shows: the member's name, times, the portal link and,
    for a translation, the start of the original's text."""
    if shown is None or answer.item is None:
        return None
    item = answer.item
    member = hub.storage.get_member(item.member_code)
    body = item.body_text
    excerpt = body if len(body) <= ORIGINAL_EXCERPT_CHARS else body[:ORIGINAL_EXCERPT_CHARS].rstrip() + "…"
    return {
        **shown,
        "member_name": member.name(lang) if member is not None else item.member_code,
        "first_created": item.first_created,
        "version_created": item.version_created,
        "page": f"/{lang}/item/{item.id}",
        "excerpt": excerpt if answer.verdict == "translation" else None,
    }


def diff_segments(answer: TamperAnswer, text: str) -> list[dict[str, Any]]:
    """The quoted region of the original, word by word against the pasted text: runs of kept text
    and changes (the original's words removed, the text's words added), in the original's order.

    Spans come from verify/compare.py over the same strings check_text compared: the item's
    headline and body joined by a blank line, and the pasted text stripped."""
    comparison = answer.comparison
    assert answer.item is not None and comparison is not None
    original = f"{answer.item.headline}\n\n{answer.item.body_text}"
    start, end = _with_punctuation(original, *comparison.quoted_span)
    segments: list[dict[str, Any]] = []
    position = start
    for number, change in enumerate(comparison.changes, start=1):
        first, last = change.original_span
        if first > position:
            segments.append({"kind": "same", "text": original[position:first]})
        removed = original[first:last]
        added = text[change.candidate_span[0] : change.candidate_span[1]]
        if "invisible" in change.flags:
            added = reveal_hidden(added)
        segments.append(
            {
                "kind": "change",
                "number": number,
                "change": change.kind,
                "removed": removed,
                "added": added,
                "flags": list(change.flags),
                # Added words sit between two of the original's: a space each side where needed.
                "space_before": not removed and first > 0 and not original[first - 1].isspace(),
                "space_after": not removed and first < len(original) and original[first].isalnum(),
            }
        )
        position = max(position, last)
    if position < end:
        segments.append({"kind": "same", "text": original[position:end]})
    return segments


def _with_punctuation(text: str, start: int, end: int) -> tuple[int, int]:
    """The quoted span widened to the punctuation touching it (a closing full stop, an opening
    quotation mark), which the word-level comparison leaves out."""
    while start > 0 and _is_mark(text[start - 1]):
        start -= 1
    while end < len(text) and _is_mark(text[end]):
        end += 1
    return start, end


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "P"


def change_views(comparison: Comparison) -> list[dict[str, Any]]:
    """Each change for the list under the diff: its words on both sides, its flags and, for
    look-alike letters, which letters were swapped."""
    return [
        {
            "number": number,
            "kind": change.kind,
            "item_words": " ".join(change.original_words),
            "text_words": reveal_hidden(" ".join(change.candidate_words)),
            "flags": list(change.flags),
            "letters": swapped_letters(change) if "confusable" in change.flags else [],
        }
        for number, change in enumerate(comparison.changes, start=1)
    ]


def swapped_letters(change: Change) -> list[dict[str, str]]:
    """The letters of a disguised word that differ from the original's, named (U+0430 CYRILLIC SMALL
    LETTER A for a Latin a): words of equal length only, where the letters line up."""
    found: list[dict[str, str]] = []
    for mine, theirs in zip(change.original_words, change.candidate_words, strict=False):
        if len(mine) != len(theirs):
            continue
        for original, written in zip(mine, theirs, strict=True):
            if original != written:
                found.append({"original": original, "written": written, "name": _char_name(written)})
    return found


def reveal_hidden(text: str) -> str:
    """Invisible characters (format controls: zero-width, direction marks, tags) made visible as
    ⟨U+200B⟩, so the reader sees what the text hides."""
    return "".join(f"⟨U+{ord(char):04X}⟩" if unicodedata.category(char) == "Cf" else char for char in text)


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


def form_error_of(error: TabadolError) -> FormError:
    """A service refusal as a form error the page explains in the reader's language."""
    if error.code is ErrorCode.INVALID_QUERY and error.fields.get("param") == "text":
        return FormError("text", "verify.error.no_words")
    return FormError("text", "verify.error.failed")
