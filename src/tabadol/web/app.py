"""The FastAPI application: every route under /api/v1, one error shape, no external assets."""

from __future__ import annotations

import os

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

import tabadol
from tabadol.enrich.translate import Translator, translator_from_settings
from tabadol.hub import Hub
from tabadol.types import utc_now
from tabadol.web.api import (
    audit,
    events,
    factchecks,
    feeds,
    health,
    items,
    keys,
    members,
    provenance,
    push,
    reports,
    search,
    stories,
    subscriptions,
    syndication,
    takes,
    translations,
    verify,
    webhooks,
)
from tabadol.web.api.common import API_PREFIX
from tabadol.web.auth import Clock
from tabadol.web.docs import docs_page
from tabadol.web.errors import install_error_handlers
from tabadol.web.portal.app import install_portal

OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = "/api/docs"


def create_app(
    hub: Hub, *, clock: Clock = utc_now, translator: Translator | None | str = "from-settings"
) -> FastAPI:
    """The API over `hub`. `clock` is when embargoes are judged (tests move it; servers never do).
    `translator`: the machine-translation backend (default: as TABADOL_TRANSLATION_* configure; off
    unless configured)."""
    # FastAPI's own docs pages fetch Swagger UI / ReDoc from a CDN: disabled, replaced by docs_page.
    app = FastAPI(
        title="tabadol",
        summary="News exchange hub for alliances of news agencies",
        version=tabadol.__version__,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.hub = hub
    app.state.clock = clock
    app.state.translator = translator_from_settings(os.environ) if isinstance(translator, str) else translator
    install_error_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (
        health,
        push,
        items,
        translations,
        search,
        stories,
        subscriptions,
        webhooks,
        events,
        syndication,
        takes,
        reports,
        members,
        feeds,
        audit,
        keys,
        provenance,
        verify,
        factchecks,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(keys.well_known)
    # The portal's pages after the API: its `/{lang}/...` routes never shadow an API route.
    install_portal(app)

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return docs_page(OPENAPI_URL)

    return app
