"""The portal's areas: each module holds one PortalRouter with its pages; `areas()` lists them.

Public: home, stories, items, topics, countries, members (public.py); search (search.py); the daily
digest (digest.py); the verification page (verify.py). Members' newsroom: login, wire, takes
(newsroom.py); subscriptions, webhooks, keys, ledger (settings.py); administration (admin.py);
verification desk and fact checks (desk.py).
"""

from __future__ import annotations

from tabadol.web.portal.routing import PortalRouter


def areas() -> list[PortalRouter]:
    """Every area's router, in the order their routes are matched."""
    from tabadol.web.portal.pages import admin, desk, digest, newsroom, public, search, settings, verify

    return [
        newsroom.portal,
        settings.portal,
        admin.portal,
        verify.portal,
        desk.portal,
        search.portal,
        digest.portal,
        public.portal,
    ]
