"""Helpers for the HTTP API tests (imported by the test modules and the fixtures)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tabadol.types import utc_now


@dataclass
class MovableClock:
    """Real time plus an offset the test controls: embargoes can pass without sleeping."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utc_now() + self.offset


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ninjs_doc(guid: str = "urn:irna:test:1", headline: str = "خبر آزمایشی", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uri": guid,
        "type": "text",
        "language": "fa",
        "versionCreated": "2026-11-20T10:00:00Z",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": f"متن خبر: {headline}"}],
    }
    doc.update(fields)
    return doc


def ninjs_bytes(**kwargs: Any) -> bytes:
    return json.dumps(ninjs_doc(**kwargs), ensure_ascii=False).encode("utf-8")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Every error has one shape: {"error": {"code", "number", "message", "detail"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "number", "message", "detail"}
    assert error["code"] == code, error
    assert error["number"].startswith("E") and error["number"][1:].isdigit()
    assert error["message"] and "Traceback" not in error["message"]
    assert isinstance(error["detail"], dict)
    body: dict[str, Any] = error
    return body
