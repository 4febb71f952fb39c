"""The HTTP backend: a translation service the operator runs, speaking the LibreTranslate API.

    POST {url}/translate   JSON {"q": ["text", ...], "source": "ru", "target": "en",
                                  "format": "text", "api_key": "..."}
    → 200 {"translatedText": ["...", ...]}     (one translation per text, in order)
    → 4xx/5xx {"error": "why"}

LibreTranslate names languages by their ISO 639-1 code, so a BCP-47 tag is sent as its language subtag
("kk-Latn" → "kk"). Every call is bounded by the timeout (connecting, each read, and the whole answer),
and a failure is reported at once as TRANSLATION_FAILED: no retries, so an overloaded service is not
hammered; the caller (the job queue) decides when to try again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from tabadol.enrich.translate import LanguagePair, primary_language
from tabadol.errors import ErrorCode, TabadolError

MAX_TEXTS_PER_REQUEST = 16
MAX_ANSWER_BYTES = 16 * 1024 * 1024


class HttpTranslator:
    """Calls a LibreTranslate-compatible service. `url` is the service's base URL (".../translate" is
    added unless already there); http and https only. The API key, if any, is sent in the body, as
    LibreTranslate expects, and never appears in errors or logs."""

    name = "http"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 30.0,
        *,
        max_texts_per_request: int = MAX_TEXTS_PER_REQUEST,
    ) -> None:
        self.endpoint = _endpoint(url)
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        self.timeout = timeout
        self.max_texts_per_request = max(1, max_texts_per_request)
        self._api_key = api_key
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        # The service's address names the "model": credentials and query are left out.
        parts = urlsplit(self.endpoint)
        return f"libretranslate@{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"

    @property
    def languages(self) -> frozenset[LanguagePair] | None:
        # The service knows its languages; asking costs a call, so pairs are tried and refusals reported.
        return None

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        out: list[str] = []
        for start in range(0, len(texts), self.max_texts_per_request):
            batch = list(texts[start : start + self.max_texts_per_request])
            out.extend(self._translate_batch(batch, source, target))
        return out

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- one request --------------------------------------------------------------------------------

    def _translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        # Blank texts are not sent: some services refuse them, and their translation is themselves.
        wanted = [i for i, text in enumerate(texts) if text.strip()]
        result = list(texts)
        if not wanted:
            return result
        payload: dict[str, Any] = {
            "q": [texts[i] for i in wanted],
            "source": primary_language(source),
            "target": primary_language(target),
            "format": "text",
        }
        if self._api_key:
            payload["api_key"] = self._api_key
        translated = _translations(self._post(payload), len(wanted))
        for index, text in zip(wanted, translated, strict=True):
            result[index] = text
        return result

    def _post(self, payload: dict[str, Any]) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.timeout
        try:
            with self._http().stream("POST", self.endpoint, json=payload) as response:
                return response.status_code, _read_within(response, deadline)
        except httpx.TimeoutException:
            raise _failed(f"the service did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise _failed(f"cannot reach the service at {self.model_id}: {type(exc).__name__}") from None

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=False)
            return self._client


def _read_within(response: httpx.Response, deadline: float) -> bytes:
    """The whole answer, refusing one that trickles in past the deadline or is absurdly large."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _failed(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the answer took too long", request=response.request)
        chunks.append(chunk)
    return b"".join(chunks)


def _translations(answer: tuple[int, bytes], count: int) -> list[str]:
    status, body = answer
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if status != 200:
        reason = data.get("error") if isinstance(data, dict) else None
        detail = f": {str(reason)[:200]}" if reason else ""
        raise _failed(f"the service answered HTTP {status}{detail}")
    if data is None:
        raise _failed("the service's answer is not JSON")
    translated = data.get("translatedText") if isinstance(data, dict) else None
    if isinstance(translated, str) and count == 1:
        translated = [translated]  # some versions answer a one-text list with a bare string
    if not (
        isinstance(translated, list)
        and len(translated) == count
        and all(isinstance(t, str) for t in translated)
    ):
        raise _failed(f"the service's answer has no 'translatedText' list of {count} texts")
    return translated


def _failed(reason: str) -> TabadolError:
    return TabadolError(ErrorCode.TRANSLATION_FAILED, reason=reason)


def _endpoint(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"the translation service URL must be http or https, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise ValueError("the translation service URL has no host")
    path = parts.path.rstrip("/")
    if not path.endswith("/translate"):
        path = f"{path}/translate"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
