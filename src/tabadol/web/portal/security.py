"""What keeps the portal safe to open: response headers and the sanitising of agency HTML.

Agency HTML comes from outside (members' CMSs, feeds); it is shown only after an allow-list
sanitiser (nh3, the Rust `ammonia` library) keeps the tags and attributes of news text and drops
everything else: scripts, styles, event handlers, iframes, forms, `javascript:` links. The
Content-Security-Policy then forbids inline scripts and styles and anything from another origin,
so even a sanitiser miss cannot run code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import nh3
from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# The structure of news text and nothing more.
ALLOWED_TAGS = frozenset(
    {"p", "br", "h2", "h3", "h4", "h5", "h6", "blockquote", "q", "cite", "ul", "ol", "li", "dl", "dt", "dd"}
    | {"strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark", "abbr", "span", "bdi", "bdo"}
    | {"a", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "figure", "figcaption", "hr"}
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "bdo": {"dir"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang", "dir"},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise_html(html: str) -> str:
    """Agency HTML reduced to the allow-list; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def is_page_path(path: str) -> bool:
    """Portal pages and their assets, as opposed to the JSON API (which sets its own headers)."""
    return not path.startswith(("/api/", "/.well-known/"))


async def page_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware: the security headers on every portal response."""
    response = await call_next(request)
    if is_page_path(request.url.path):
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
    return response
