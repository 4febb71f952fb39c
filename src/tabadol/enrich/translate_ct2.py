"""The CTranslate2 backend: a model folder the operator provides, run on the CPU.

Folder layout (docs/translation.md says how to make one):

    model.bin, config.json               the CTranslate2 model (from ct2-transformers-converter, ...)
    shared_vocabulary.json | source_vocabulary.* + target_vocabulary.*     written by the converter
    source.spm + target.spm              SentencePiece models, as OPUS-MT ships them, or one shared
    | sentencepiece.model | sentencepiece.bpe.model | spm.model       model for both sides (NLLB, M2M100)
    tabadol-translation.json             optional, see `FolderSettings`

The model and the SentencePiece processors load on first use, once, under a lock; afterwards
`translate` may be called from many threads at once (CTranslate2 queues the batches on its
`inter_threads` workers, each using `intra_threads` cores).
"""

from __future__ import annotations

import enum
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path
from typing import Any

from tabadol.enrich.translate import LanguagePair, primary_language
from tabadol.enrich.translate_segments import translate_by_sentence
from tabadol.errors import ErrorCode, TabadolError

SETTINGS_FILE = "tabadol-translation.json"
SHARED_SPM_NAMES = ("sentencepiece.model", "sentencepiece.bpe.model", "spm.model")
_SPECIAL_TOKENS = frozenset({"<s>", "</s>", "<pad>"})


class TargetTokenPlacement(enum.StrEnum):
    """Where a multilingual model is told the target language (`target_language_token` in the JSON)."""

    NONE = "none"  # bilingual models
    PREFIX = "prefix"  # forced as the first output token (NLLB, M2M100)
    SOURCE = "source"  # first token of the source (multi-target OPUS-MT: ">>rus<<")


@dataclass(frozen=True, slots=True)
class FolderSettings:
    """What `tabadol-translation.json` says; every key is optional.

    - `model_id`: stored with every translation (default: the folder's name). Put the model's name and
      version in it, e.g. "opus-mt-ru-en-2024-ct2-int8".
    - `pairs`: the (source, target) BCP-47 pairs the model translates, e.g. [["ru", "en"]] for a
      bilingual model; by default every pair of `language_tokens`, or any pair if there are none.
    - `language_tokens`: BCP-47 tag → the model's language token, e.g. {"fa": "pes_Arab"} (NLLB),
      {"fa": "__fa__"} (M2M100), {"ru": ">>rus<<"} (multi-target OPUS-MT).
    - `source_language_token`: put the source language's token first in the source (NLLB, M2M100).
    - `target_language_token`: how the target language is given: "prefix" forces it as the first
      output token (NLLB, M2M100), "source" puts it first in the source (OPUS-MT ">>rus<<"), "none".
    - `append_eos`: end the source with "</s>" (NLLB, M2M100 read from SentencePiece need it; Marian
      conversions add it themselves through config.json).
    - `source_spm` / `target_spm`: file names of the SentencePiece models when not the usual ones.
    - `max_input_tokens`: longest piece of text given to the model at once (longer sentences are cut).
    - `beam_size`, `compute_type` ("default", "int8", "int8_float32", "float32"...).
    """

    model_id: str | None = None
    pairs: frozenset[LanguagePair] | None = None
    language_tokens: Mapping[str, str] | None = None
    source_language_token: bool = False
    target_placement: TargetTokenPlacement = TargetTokenPlacement.NONE
    append_eos: bool = False
    source_spm: str | None = None
    target_spm: str | None = None
    max_input_tokens: int = 200
    beam_size: int = 4
    compute_type: str = "default"


@dataclass(frozen=True, slots=True)
class _Loaded:
    translator: Any  # ctranslate2.Translator
    source_spm: Any  # sentencepiece.SentencePieceProcessor
    target_spm: Any


class CTranslate2Translator:
    """Translates with a CTranslate2 model folder. The folder's layout and settings are checked here
    (MODEL_INVALID); the model itself loads on the first `translate`."""

    name = "ctranslate2"

    def __init__(self, model_dir: Path, *, inter_threads: int = 1, intra_threads: int = 0) -> None:
        self.model_dir = Path(model_dir)
        self.settings = read_folder_settings(self.model_dir)
        self.source_spm_path, self.target_spm_path = _spm_paths(self.model_dir, self.settings)
        for required in ("model.bin", "config.json"):
            if not (self.model_dir / required).is_file():
                raise _invalid(self.model_dir, f"{required} is missing")
        self.inter_threads = inter_threads
        self.intra_threads = intra_threads
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.settings.model_id or self.model_dir.name

    @property
    def is_loaded(self) -> bool:
        """Whether the model is in memory (it loads on the first sentence to translate)."""
        return self._loaded is not None

    @property
    def languages(self) -> frozenset[LanguagePair] | None:
        if self.settings.pairs is not None:
            return self.settings.pairs
        if self.settings.language_tokens:
            return frozenset(permutations(self.settings.language_tokens, 2))
        return None

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        source_token, target_token = self._language_tokens(source, target)
        # The model loads when there is a sentence to translate, not for blank texts.
        return translate_by_sentence(
            texts,
            lambda sentences: self._translate_sentences(self._load(), sentences, source_token, target_token),
        )

    # -- languages --------------------------------------------------------------------------------

    def _language_tokens(self, source: str, target: str) -> tuple[str | None, str | None]:
        """The model's tokens for this pair (None where the model takes none); refuses pairs it lacks."""
        settings = self.settings
        languages = self.languages
        if languages is not None:
            known = {tag for pair in languages for tag in pair}
            pair = (_resolve(source, known), _resolve(target, known))
            if pair not in languages:
                raise TabadolError(
                    ErrorCode.TRANSLATION_UNAVAILABLE, hint=f" for {source}→{target} (model {self.model_id})"
                )
        source_token = self._token_for(source, target) if settings.source_language_token else None
        target_needs_token = settings.target_placement is not TargetTokenPlacement.NONE
        target_token = self._token_for(target, source) if target_needs_token else None
        return source_token, target_token

    def _token_for(self, tag: str, other: str) -> str:
        tokens = self.settings.language_tokens or {}
        key = _resolve(tag, set(tokens))
        if key is None:
            raise TabadolError(
                ErrorCode.TRANSLATION_UNAVAILABLE,
                hint=f" for {tag} (with {other}): model {self.model_id} has no language token for {tag}",
            )
        return tokens[key]

    # -- the model --------------------------------------------------------------------------------

    def _load(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load_now()
            return self._loaded

    def _load_now(self) -> _Loaded:
        # Imported here: the hub runs without translation, and these libraries cost start-up time.
        import ctranslate2
        import sentencepiece

        try:
            translator = ctranslate2.Translator(
                str(self.model_dir),
                device="cpu",
                compute_type=self.settings.compute_type,
                inter_threads=self.inter_threads,
                intra_threads=self.intra_threads,
            )
            source_spm = sentencepiece.SentencePieceProcessor(model_file=str(self.source_spm_path))
            target_spm = (
                source_spm
                if self.target_spm_path == self.source_spm_path
                else sentencepiece.SentencePieceProcessor(model_file=str(self.target_spm_path))
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise _invalid(self.model_dir, f"it does not load: {exc}") from None
        return _Loaded(translator, source_spm, target_spm)

    def _translate_sentences(
        self, loaded: _Loaded, sentences: list[str], source_token: str | None, target_token: str | None
    ) -> list[str]:
        settings = self.settings
        prefix = [t for t in (source_token,) if t]
        if settings.target_placement is TargetTokenPlacement.SOURCE and target_token:
            prefix.append(target_token)
        suffix = ["</s>"] if settings.append_eos else []
        room = max(1, settings.max_input_tokens - len(prefix) - len(suffix))

        batch: list[list[str]] = []
        owners: list[int] = []  # which sentence each chunk belongs to
        for index, sentence in enumerate(sentences):
            pieces = loaded.source_spm.encode(sentence, out_type=str)
            for chunk in _chunks(pieces, room):
                batch.append(prefix + chunk + suffix)
                owners.append(index)
        forced: list[list[str]] | None = None
        if settings.target_placement is TargetTokenPlacement.PREFIX and target_token:
            forced = [[target_token]]
        outputs = self._run(loaded, batch, forced)

        per_sentence: list[list[str]] = [[] for _ in sentences]
        drop = _SPECIAL_TOKENS | set((settings.language_tokens or {}).values())
        for owner, tokens in zip(owners, outputs, strict=True):
            text = loaded.target_spm.decode([t for t in tokens if t not in drop]).strip()
            if text:
                per_sentence[owner].append(text)
        return [" ".join(parts) for parts in per_sentence]

    def _run(
        self, loaded: _Loaded, batch: list[list[str]], forced: list[list[str]] | None
    ) -> list[list[str]]:
        if not batch:
            return []
        settings = self.settings
        try:
            results = loaded.translator.translate_batch(
                batch,
                target_prefix=forced * len(batch) if forced else None,
                beam_size=settings.beam_size,
                max_batch_size=32,
                # Bounded by the input: a translation far longer than its source is a model stuck
                # repeating itself, and every extra step costs CPU time.
                max_decoding_length=2 * max(len(tokens) for tokens in batch) + 10,
            )
        except (RuntimeError, ValueError) as exc:
            raise TabadolError(ErrorCode.TRANSLATION_FAILED, reason=f"model {self.model_id}: {exc}") from None
        return [list(result.hypotheses[0]) for result in results]


def _chunks(pieces: list[str], room: int) -> Iterator[list[str]]:
    """Cut a too-long sentence into runs of at most `room` pieces, preferably where a word starts."""
    start = 0
    while start < len(pieces):
        end = min(start + room, len(pieces))
        if end < len(pieces):
            word_starts = [i for i in range(start + 1, end + 1) if pieces[i].startswith("▁")]
            if word_starts:
                end = word_starts[-1]
        yield pieces[start:end]
        start = end


def _resolve(tag: str, known: set[str]) -> str | None:
    """The tag of `known` that `tag` means: the same tag, else the same language (kk-Latn → kk)."""
    lowered = {k.lower(): k for k in known}
    if tag.lower() in lowered:
        return lowered[tag.lower()]
    language = primary_language(tag)
    if language in lowered:
        return lowered[language]
    same_language = [k for k in known if primary_language(k) == language]
    return same_language[0] if len(same_language) == 1 else None


# -- the folder -----------------------------------------------------------------------------------


def _invalid(path: Path, reason: str) -> TabadolError:
    return TabadolError(ErrorCode.MODEL_INVALID, path=str(path), reason=reason)


def _spm_paths(model_dir: Path, settings: FolderSettings) -> tuple[Path, Path]:
    if settings.source_spm or settings.target_spm:
        source = model_dir / (settings.source_spm or settings.target_spm or "")
        target = model_dir / (settings.target_spm or settings.source_spm or "")
    elif (model_dir / "source.spm").is_file() and (model_dir / "target.spm").is_file():
        source, target = model_dir / "source.spm", model_dir / "target.spm"
    else:
        shared = next((model_dir / n for n in SHARED_SPM_NAMES if (model_dir / n).is_file()), None)
        if shared is None:
            raise _invalid(
                model_dir,
                "no SentencePiece model (source.spm + target.spm, or " + ", ".join(SHARED_SPM_NAMES) + ")",
            )
        source = target = shared
    for path in (source, target):
        if not path.is_file():
            raise _invalid(model_dir, f"the SentencePiece model {path.name} is missing")
    return source, target


def read_folder_settings(model_dir: Path) -> FolderSettings:
    """Read and check `tabadol-translation.json`; defaults when the folder has none."""
    path = model_dir / SETTINGS_FILE
    if not path.is_file():
        return FolderSettings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(model_dir, f"{SETTINGS_FILE} is not readable JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise _invalid(model_dir, f"{SETTINGS_FILE} must hold a JSON object")
    try:
        return _parse_settings(raw)
    except ValueError as exc:
        raise _invalid(model_dir, f"{SETTINGS_FILE}: {exc}") from None


_FIELD_TYPES: dict[str, type] = {
    "model_id": str,
    "source_language_token": bool,
    "target_language_token": str,
    "append_eos": bool,
    "source_spm": str,
    "target_spm": str,
    "max_input_tokens": int,
    "beam_size": int,
    "compute_type": str,
}


def _parse_settings(raw: dict[str, Any]) -> FolderSettings:
    unknown = set(raw) - set(_FIELD_TYPES) - {"pairs", "language_tokens"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key, kind in _FIELD_TYPES.items():
        if key in raw:
            value = raw[key]
            # bool is an int in Python: a count given as true/false is a mistake, not 1/0.
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"{key} must be a {kind.__name__}")
            values[key] = value
    placement = values.pop("target_language_token", TargetTokenPlacement.NONE.value)
    if placement not in set(TargetTokenPlacement):
        raise ValueError(f"target_language_token must be one of {', '.join(TargetTokenPlacement)}")
    values["target_placement"] = TargetTokenPlacement(placement)
    for key in ("max_input_tokens", "beam_size"):
        if values.get(key, 1) < 1:
            raise ValueError(f"{key} must be at least 1")
    if "language_tokens" in raw:
        values["language_tokens"] = _parse_language_tokens(raw["language_tokens"])
    if "pairs" in raw:
        values["pairs"] = _parse_pairs(raw["pairs"])
    return FolderSettings(**values)


def _parse_language_tokens(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in raw.items()
    ):
        raise ValueError('language_tokens must map language tags to tokens, e.g. {"fa": "pes_Arab"}')
    return dict(raw)


def _parse_pairs(raw: object) -> frozenset[LanguagePair]:
    if not isinstance(raw, list) or not raw:
        raise ValueError('pairs must be a non-empty list of [source, target] tags, e.g. [["ru", "en"]]')
    pairs: set[LanguagePair] = set()
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) and t for t in pair)):
            raise ValueError(f"pair {pair!r} is not [source, target]")
        pairs.add((pair[0], pair[1]))
    return frozenset(pairs)
