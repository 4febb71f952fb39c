"""Keyboard use, in a real browser: Tab reaches the skip link first and Enter on it moves focus to the
main content; focus is visible; the search, verification and login forms work without a mouse."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import DemoStory, Portal, open_page

MAX_TABS = 40


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          const style = getComputedStyle(e);
          const r = e.getBoundingClientRect();
          return {
            tag: e.tagName.toLowerCase(), id: e.id, cls: e.className, href: e.getAttribute('href'),
            outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
            visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight,
          };
        }"""
    )


def tab_to(page: Any, selector: str) -> dict[str, Any]:
    """Press Tab until `selector` has the focus (at most MAX_TABS times); what is focused then."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return focused(page)
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {selector}")


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_tab_reaches_the_skip_link_first_and_enter_moves_focus_to_main(
    page: Any, portal: Portal, lang: str
) -> None:
    open_page(page, portal, f"/{lang}/")
    page.keyboard.press("Tab")
    first = focused(page)
    assert "skip-link" in first["cls"] and first["href"] == "#main", first
    assert first["visible"], "the skip link stays off screen when focused"
    assert first["outline"] != "none" and first["outlineWidth"] > 0, first
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")
    assert page.url.endswith("#main")
    # The next Tab continues inside the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_search_by_keyboard(page: Any, portal: Portal, story: DemoStory) -> None:
    open_page(page, portal, "/ru/")
    seen = tab_to(page, "#quick-q")
    assert seen["outline"] != "none", seen
    page.keyboard.type(" ".join(story.versions["ru"].headline.split()[:3]))
    page.keyboard.press("Enter")
    page.wait_for_url(portal.url("/ru/search?*"))
    assert page.locator(f'.search-hit[data-item="{story.versions["ru"].item_id}"]').count() == 1
    # From the results, Tab reaches the first hit's link and Enter opens it.
    tab_to(page, ".search-hit .hit-headline a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/ru/item/" in page.url


def test_verification_by_keyboard(page: Any, portal: Portal, story: DemoStory) -> None:
    open_page(page, portal, "/ar/verify")
    tab_to(page, "#verify-text")
    page.keyboard.insert_text(story.versions["ar"].text)
    tab_to(page, ".verify-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".verify-verdict").get_attribute("class") == "verify-verdict verdict-verbatim"


def test_login_by_keyboard(page: Any, portal: Portal) -> None:
    open_page(page, portal, "/kk/newsroom/login")
    assert focused(page)["id"] == "login-username"  # the form takes the focus itself
    page.keyboard.type("kazinform-editor")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "login-password"
    page.keyboard.type(portal.password("kazinform-editor"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/kk/newsroom/" in page.url and "/login" not in page.url
    logout = page.locator('form[action$="/newsroom/logout"] button')
    assert logout.count() == 1
    logout.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/kk/newsroom/login" in page.url
