"""The members' newsroom pages in a real browser, logged in as the alliance's administrator: each
loads without a console error (CSP violations included), in its language and direction, without
scrolling sideways, and is photographed in fa, ru and en."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import RTL, SCREENSHOT_LANGUAGES, Portal, open_page, screenshot

NEWSROOM_PAGES = {
    "wire": "/newsroom/wire",
    "ledger": "/newsroom/ledger",
    "subscriptions": "/newsroom/settings/subscriptions",
    "keys": "/newsroom/settings/keys",
    "desk": "/newsroom/desk",
    "factchecks": "/newsroom/desk/factchecks",
    "admin-members": "/newsroom/admin/members",
}


@pytest.fixture(scope="module")
def admin_tab(chromium: Any, portal: Portal) -> Iterator[Any]:
    """A tab with the administrator logged in (one login for the module: logins are throttled)."""
    chromium.clear_cookies()
    tab = chromium.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.problems = problems
    tab.goto(portal.url("/en/newsroom/login"))
    tab.locator("#login-username").fill("admin")
    tab.locator("#login-password").fill(portal.password("admin"))
    tab.locator(".login-form .login-submit").click()
    tab.wait_for_load_state("load")
    assert "/newsroom/login" not in tab.url
    try:
        yield tab
    finally:
        tab.close()
        chromium.clear_cookies()


@pytest.mark.parametrize("lang", SCREENSHOT_LANGUAGES)
@pytest.mark.parametrize("name", NEWSROOM_PAGES)
def test_newsroom_page(admin_tab: Any, portal: Portal, name: str, lang: str) -> None:
    open_page(admin_tab, portal, f"/{lang}{NEWSROOM_PAGES[name]}")
    assert admin_tab.url.startswith(portal.url(f"/{lang}{NEWSROOM_PAGES[name]}")), admin_tab.url
    frame = admin_tab.evaluate(
        """() => ({
          lang: document.documentElement.lang,
          direction: getComputedStyle(document.body).direction,
          h1: document.querySelectorAll('main h1').length,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        })"""
    )
    assert frame["lang"] == lang and frame["direction"] == ("rtl" if lang in RTL else "ltr"), frame
    assert frame["h1"] == 1, frame
    assert frame["overflow"] <= 0, f"the page scrolls sideways by {frame['overflow']} px"
    # Every form field has a label a screen reader announces.
    unlabelled = admin_tab.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main textarea')]
          .filter((e) => e.type !== 'hidden' && e.type !== 'submit')
          .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.getAttribute('aria-labelledby'))
          .map((e) => e.name || e.id || e.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == [], unlabelled
    screenshot(admin_tab, f"newsroom-{name}-{lang}")
