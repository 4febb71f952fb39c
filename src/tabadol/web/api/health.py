"""Liveness and readiness: public, cheap, and honest about the database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

import tabadol
from tabadol.errors import ErrorCode, TabadolError
from tabadol.web.auth import HubDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database status (no key needed)")
def health(hub: HubDep) -> JSONResponse:
    try:
        if not hub.storage.healthy():
            raise TabadolError(ErrorCode.STORAGE_UNAVAILABLE, reason="the database does not answer")
        body: dict[str, Any] = {
            "status": "ok",
            "database": "sqlite" if hub.settings.is_sqlite else "postgresql",
            "schema_version": hub.storage.schema_version(),
            "items": hub.storage.count_items(),
            "version": tabadol.__version__,
        }
    except TabadolError as error:
        return _unavailable(str(error.fields.get("reason", error.message)))
    except Exception as exc:  # a driver error from a dead database is exactly what this reports
        return _unavailable(type(exc).__name__)
    return JSONResponse(body)


def _unavailable(reason: str) -> JSONResponse:
    error = TabadolError(ErrorCode.STORAGE_UNAVAILABLE, reason=reason)
    return JSONResponse(error.to_json(), status_code=503)
