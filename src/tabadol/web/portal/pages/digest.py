"""The daily digest in each interface language, as a page, an Atom feed and an e-mail-ready file.

    GET /{lang}/digest                          today's digest (and digest.json)
    GET /{lang}/digest/{YYYY-MM-DD}             a day's digest (and its .json twin)
    GET /{lang}/digest/{YYYY-MM-DD}/email.html  the same, as one self-contained HTML file for e-mail
    GET /{lang}/digest.atom                     the last FEED_DAYS days' digests as an Atom feed

The feed has one entry per day, not one per story: the digest is an edition, issued daily, and a feed
reader should show each edition once. Its entry keeps one id for the day and its `updated` moves as
the day's reports come in, so readers refresh it rather than pile up stories whose rank and headline
change during the day. Each entry carries the day's ranked stories as HTML and links to the page.

The e-mail file is what a newsletter tool sends as it is: a table layout with inline styles (mail
clients ignore style sheets and links to them), absolute links, no script, lang and dir set. It is
the only response of the portal with inline styles; its Content-Security-Policy allows them and
nothing else.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse, Response

from tabadol.errors import ErrorCode, TabadolError
from tabadol.web.api.common import base_url
from tabadol.web.auth import ClockDep, HubDep
from tabadol.web.portal.catalog import messages
from tabadol.web.portal.languages import Language
from tabadol.web.portal.pages.digest_data import FEED_DAYS, Digest, build_digest, build_digests, local_today
from tabadol.web.portal.render import Formatter, environment, interface_language, render, t_for
from tabadol.web.portal.routing import PortalLanguage, PortalRouter, portal_language

portal = PortalRouter()

ATOM_TYPE = "application/atom+xml; charset=utf-8"
EMAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
FEED_CACHE = "public, max-age=300"


def parse_day(raw: str, language: Language, clock: ClockDep) -> date:
    """A digest's day from the URL: a real date, and not after the language's today."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="date", reason="not a date (YYYY-MM-DD)") from None
    if len(raw) != 10 or day > local_today(clock(), language):
        raise TabadolError(ErrorCode.NOT_FOUND, path=f"/{language.code}/digest/{raw}")
    return day


def _page(request: Request, digest: Digest) -> Response:
    t = t_for(request)
    title = t("digest.title_day", day=Formatter(interface_language(request)).day(digest.day))
    return render(request, "digest", {"digest": digest}, title=title)


@portal.page("/digest")
def today_page(request: Request, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    now = clock()
    return _page(request, build_digest(hub, language, local_today(now, language), now))


def email_file(request: Request, lang: str, day: str, hub: HubDep, clock: ClockDep) -> Response:
    """`/{lang}/digest/{day}/email.html` (registered by hand: it has no .json twin)."""
    language = portal_language(request, lang)
    request.state.as_json = False
    digest = build_digest(hub, language, parse_day(day, language, clock), clock())
    html = environment().get_template("digest/email.html").render(**_standalone(request, language, digest))
    headers = {"Content-Security-Policy": EMAIL_POLICY}
    return HTMLResponse(html, headers=headers)


def atom_feed(request: Request, lang: str, hub: HubDep, clock: ClockDep) -> Response:
    """`/{lang}/digest.atom`: the last FEED_DAYS days, newest first, days without stories left out."""
    language = portal_language(request, lang)
    request.state.as_json = False
    now = clock()
    today = local_today(now, language)
    days = [today - timedelta(days=n) for n in range(FEED_DAYS)]
    digests = [digest for digest in build_digests(hub, language, days, now) if digest.stories]
    context = _standalone(request, language, None)
    context.update(digests=digests, now=now)
    body = environment().get_template("digest/feed.xml").render(**context)
    return Response(body, media_type=ATOM_TYPE, headers={"Cache-Control": FEED_CACHE})


def _standalone(request: Request, language: Language, digest: Digest | None) -> dict[str, Any]:
    """What the feed and the e-mail templates see (they do not extend the page layout)."""
    return {
        "digest": digest,
        "t": messages(language.code),
        "fmt": Formatter(language),
        "lang": language,
        "root": base_url(request).rstrip("/"),
    }


# Before `/digest/{day}`: these paths would otherwise not match it anyway (a slash, a dot), but the
# order keeps that obvious.
portal.router.add_api_route("/{lang}/digest.atom", atom_feed, methods=["GET"])
portal.router.add_api_route("/{lang}/digest/{day}/email.html", email_file, methods=["GET"])


@portal.page("/digest/{day}")
def day_page(request: Request, day: str, language: PortalLanguage, hub: HubDep, clock: ClockDep) -> Response:
    return _page(request, build_digest(hub, language, parse_day(day, language, clock), clock()))
