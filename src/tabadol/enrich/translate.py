"""Machine translation as a plug-in: one small interface, two real backends, off by default.

The hub is complete without translation: nothing here runs unless the operator configures a backend
(`TABADOL_TRANSLATION_BACKEND=ctranslate2|http`, see `translator_from_settings` and docs/translation.md).
No model ships with tabadol and nothing is ever downloaded.

Backends:
- `CTranslate2Translator` (translate_ct2.py): a CTranslate2 model folder the operator provides
  (OPUS-MT, NLLB, M2M100... converted once with the CTranslate2 converters), run on the CPU.
- `HttpTranslator` (translate_http.py): a translation service the operator runs, speaking the
  LibreTranslate API.

A translation is always a `MachineTranslation`: a separate record labelled as machine output, naming the
backend and model that made it, never merged into the verbatim original or its parsed fields.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime, parse_datetime

LanguagePair = tuple[str, str]

BACKEND_ENV = "TABADOL_TRANSLATION_BACKEND"
MODEL_DIR_ENV = "TABADOL_TRANSLATION_MODEL_DIR"
URL_ENV = "TABADOL_TRANSLATION_URL"
API_KEY_ENV = "TABADOL_TRANSLATION_API_KEY"  # noqa: S105 - the variable's name, not a secret
TIMEOUT_ENV = "TABADOL_TRANSLATION_TIMEOUT"
INTER_THREADS_ENV = "TABADOL_TRANSLATION_INTER_THREADS"
INTRA_THREADS_ENV = "TABADOL_TRANSLATION_INTRA_THREADS"

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class MachineTranslation:
    """One item's headline and body in another language, made by a machine.

    `text` is headline + "\\n\\n" + body, the same shape as `Doc.text`; `headline` and `body` are kept
    apart so a reader can show them as an item. `machine` is always True for what this module makes: it is
    a field (not implied) so that the label travels with the record into storage, the API and exports.
    """

    text: str
    source_language: str
    target_language: str
    backend: str
    model_id: str
    created_at: datetime
    headline: str = ""
    body: str = ""
    machine: bool = True

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None or self.created_at.utcoffset() != UTC.utcoffset(None):
            raise ValueError("MachineTranslation.created_at must be a UTC-aware datetime")

    @property
    def label(self) -> str:
        """The human-readable label every display of this text must carry."""
        kind = "Machine translation" if self.machine else "Translation"
        return (
            f"{kind} {self.source_language}→{self.target_language} "
            f"({self.backend}: {self.model_id}), not the agency's original"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "machine_translation": self.machine,
            "label": self.label,
            "source_language": self.source_language,
            "target_language": self.target_language,
            "backend": self.backend,
            "model_id": self.model_id,
            "created_at": format_datetime(self.created_at),
            "headline": self.headline,
            "body": self.body,
            "text": self.text,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MachineTranslation:
        """The record `to_json` wrote (the label is derived, so it is not read back)."""
        return cls(
            text=str(data["text"]),
            source_language=str(data["source_language"]),
            target_language=str(data["target_language"]),
            backend=str(data["backend"]),
            model_id=str(data["model_id"]),
            created_at=parse_datetime(str(data["created_at"])),
            headline=str(data.get("headline", "")),
            body=str(data.get("body", "")),
            machine=data.get("machine_translation") is not False,
        )


@runtime_checkable
class Translator(Protocol):
    """A translation backend.

    `name` is the backend kind ("ctranslate2", "http"), `model_id` the model or service (stored with every
    translation), `languages` the (source, target) BCP-47 pairs it can translate, or None when it cannot
    tell (any pair is tried). `translate` returns one text per input text, in order, or raises
    TabadolError TRANSLATION_FAILED / TRANSLATION_UNAVAILABLE; it never returns partial results.
    """

    @property
    def name(self) -> str: ...

    @property
    def model_id(self) -> str: ...

    @property
    def languages(self) -> frozenset[LanguagePair] | None: ...

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]: ...


def primary_language(tag: str) -> str:
    """The language subtag of a BCP-47 tag, lower-cased: "kk-Latn" → "kk"."""
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def translate_item(
    translator: Translator | None, headline: str, body: str, source: str, target: str
) -> MachineTranslation:
    """Translate an item's headline and body together (one backend call) into a labelled record."""
    if translator is None:
        raise TabadolError(ErrorCode.TRANSLATION_UNAVAILABLE, hint=f" (asked for {source}→{target})")
    if primary_language(source) == primary_language(target):
        raise TabadolError(
            ErrorCode.TRANSLATION_FAILED, reason=f"the text is already in {target} (source is {source})"
        )
    translated = translator.translate([headline, body], source, target)
    if len(translated) != 2:
        raise TabadolError(
            ErrorCode.TRANSLATION_FAILED,
            reason=f"the {translator.name} backend returned {len(translated)} texts for 2",
        )
    new_headline, new_body = translated
    return MachineTranslation(
        text=_joined(new_headline, new_body),
        source_language=source,
        target_language=target,
        backend=translator.name,
        model_id=translator.model_id,
        created_at=datetime.now(UTC),
        headline=new_headline,
        body=new_body,
    )


def _joined(headline: str, body: str) -> str:
    # Same rule as Doc.text, so offsets and displays agree between originals and translations.
    if not headline:
        return body
    if not body:
        return headline
    return f"{headline}\n\n{body}"


# -- configuration --------------------------------------------------------------------------------


def translator_from_settings(env: Mapping[str, str]) -> Translator | None:
    """The translator the operator configured, or None when translation is off (the default).

    Nothing is loaded or contacted here: a model folder loads on first use, a service is first called
    on first use. Configuration mistakes raise CONFIG_INVALID naming the variable.
    """
    backend = env.get(BACKEND_ENV, "").strip().lower() or "off"
    if backend == "off":
        return None
    if backend == "ctranslate2":
        return _ctranslate2_from_env(env)
    if backend == "http":
        return _http_from_env(env)
    raise TabadolError(
        ErrorCode.CONFIG_INVALID,
        setting=BACKEND_ENV,
        reason=f"{backend!r} is not one of off, ctranslate2, http",
    )


def _ctranslate2_from_env(env: Mapping[str, str]) -> Translator:
    from tabadol.enrich.translate_ct2 import CTranslate2Translator

    raw = env.get(MODEL_DIR_ENV, "").strip()
    if not raw:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID, setting=MODEL_DIR_ENV, reason="required when the backend is ctranslate2"
        )
    model_dir = Path(raw)
    if not model_dir.is_dir():
        raise TabadolError(ErrorCode.CONFIG_INVALID, setting=MODEL_DIR_ENV, reason=f"{raw} is not a folder")
    return CTranslate2Translator(
        model_dir,
        inter_threads=_whole_number(env, INTER_THREADS_ENV, default=1, minimum=1),
        intra_threads=_whole_number(env, INTRA_THREADS_ENV, default=0, minimum=0),
    )


def _http_from_env(env: Mapping[str, str]) -> Translator:
    from tabadol.enrich.translate_http import HttpTranslator

    url = env.get(URL_ENV, "").strip()
    if not url:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID, setting=URL_ENV, reason="required when the backend is http"
        )
    try:
        return HttpTranslator(
            url, api_key=env.get(API_KEY_ENV) or None, timeout=_timeout(env.get(TIMEOUT_ENV, ""))
        )
    except ValueError as exc:
        raise TabadolError(ErrorCode.CONFIG_INVALID, setting=URL_ENV, reason=str(exc)) from None


def _timeout(raw: str) -> float:
    if not raw.strip():
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID,
            setting=TIMEOUT_ENV,
            reason=f"{raw!r} is not a positive number of seconds",
        )
    return value


def _whole_number(env: Mapping[str, str], name: str, *, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID, setting=name, reason=f"{raw!r} is not a whole number ≥ {minimum}"
        )
    return value
