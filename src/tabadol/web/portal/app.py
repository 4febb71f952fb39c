"""Mount the portal on the hub's application (called by web/app.py after the API routes)."""

from __future__ import annotations

from fastapi import FastAPI

from tabadol.web.portal import routing, session
from tabadol.web.portal.pages import areas
from tabadol.web.portal.render import environment


def install_portal(app: FastAPI) -> None:
    environment().globals["csrf_input"] = session.csrf_input
    session.install(app)
    routing.install(app, areas())
