"""The layout in a real browser: the language chosen at `/`, the error page, and the right-to-left
interfaces really mirrored (computed direction and where things land on the screen)."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import LANGUAGES, RTL, DemoStory, Portal, box, open_page, screenshot


def layout(page: Any) -> dict[str, Any]:
    """What the reader sees of the page's frame: direction, and where the brand and the nav links are."""
    return page.evaluate(
        """() => {
          const brand = document.querySelector('.site-header .brand').getBoundingClientRect();
          const links = [...document.querySelectorAll('.site-nav a')].map((a) => {
            const r = a.getBoundingClientRect();
            const href = new URL(a.href).pathname.split('/').slice(2).join('/');
            return {href, left: r.left, right: r.right};
          });
          return {
            lang: document.documentElement.lang,
            dir: document.documentElement.dir,
            direction: getComputedStyle(document.documentElement).direction,
            mainDirection: getComputedStyle(document.querySelector('main')).direction,
            width: document.documentElement.clientWidth,
            brandLeft: brand.left,
            brandRight: brand.right,
            links,
          };
        }"""
    )


@pytest.mark.parametrize(
    ("accept", "expected"), [("fa-IR,fa;q=0.9,en;q=0.5", "fa"), ("ru", "ru"), ("de", "en")]
)
def test_the_root_leads_to_the_readers_language(
    chromium: Any, portal: Portal, accept: str, expected: str
) -> None:
    chromium.clear_cookies()
    tab = chromium.new_page()
    try:
        tab.set_extra_http_headers({"Accept-Language": accept})
        response = tab.goto(portal.url("/"))
        assert response is not None and response.status == 200
        assert tab.url == portal.url(f"/{expected}/")
        assert tab.evaluate("document.documentElement.lang") == expected
    finally:
        tab.close()


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_an_unknown_page_is_an_error_page_in_the_readers_language(
    page: Any, portal: Portal, lang: str
) -> None:
    open_page(page, portal, f"/{lang}/no-such-page", status=404)
    seen = layout(page)
    assert seen["lang"] == lang and seen["direction"] == ("rtl" if lang in RTL else "ltr")
    heading = page.locator("main h1")
    assert heading.is_visible()
    assert "404" in heading.inner_text() or "۴۰۴" in heading.inner_text()
    assert page.locator(".error-detail code").inner_text().startswith("E")
    home = page.locator(f'main a[href="/{lang}/"]')
    assert home.is_visible()
    if lang == "fa":  # the message itself is Persian, not the English fallback
        assert any("\u0600" <= ch <= "\u06ff" for ch in heading.inner_text())
    screenshot(page, f"error-{lang}")


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/search", 200), ("/no-such-page", 404)])
def test_persian_and_arabic_mirror_the_layout(page: Any, portal: Portal, path: str, status: int) -> None:
    seen = {}
    for lang in ("en", *RTL):
        open_page(page, portal, f"/{lang}{path}", status=status)
        seen[lang] = layout(page)
    width = seen["en"]["width"]
    en = seen["en"]
    assert en["direction"] == "ltr" and en["mainDirection"] == "ltr"
    assert en["brandLeft"] < width / 4, en  # the brand starts at the left edge...
    for lang in RTL:
        rtl = seen[lang]
        assert rtl["dir"] == "rtl" and rtl["direction"] == "rtl" and rtl["mainDirection"] == "rtl"
        assert rtl["brandRight"] > width * 3 / 4, (lang, rtl)  # ...and at the right edge in fa and ar
        # The navigation reads from the right: the same links, in mirrored order on the screen.
        in_source = [link["href"] for link in rtl["links"]]
        assert in_source == [link["href"] for link in en["links"]]
        on_screen_ltr = [link["href"] for link in sorted(en["links"], key=lambda link: link["left"])]
        on_screen_rtl = [link["href"] for link in sorted(rtl["links"], key=lambda link: -link["right"])]
        assert on_screen_ltr == on_screen_rtl == in_source
        first, last = rtl["links"][0], rtl["links"][-1]
        assert first["left"] > last["right"], (lang, rtl["links"])


def test_the_language_switch_lists_every_language_and_keeps_the_page(page: Any, portal: Portal) -> None:
    open_page(page, portal, "/fa/no-such-page", status=404)
    switch = page.locator(".language-switch a")
    assert switch.count() == len(LANGUAGES)
    current = page.locator('.language-switch a[aria-current="true"]')
    assert current.get_attribute("hreflang") == "fa"
    page.locator('.language-switch a[hreflang="ru"]').click()
    page.wait_for_url(portal.url("/ru/no-such-page"))
    assert page.evaluate("document.documentElement.lang") == "ru"
    assert box(page, ".site-header .brand")["x"] < 200


def test_the_story_versions_run_from_the_right_in_persian(
    page: Any, portal: Portal, story: DemoStory
) -> None:
    """The side-by-side versions start at the reading edge: the right in fa, the left in en."""
    edges = {}
    for lang in ("en", "fa"):
        open_page(page, portal, f"/{lang}/story/{story.id}")
        first, second = page.locator(".story-version").nth(0), page.locator(".story-version").nth(1)
        a, b = first.bounding_box(), second.bounding_box()
        assert a is not None and b is not None
        width = page.evaluate("document.documentElement.clientWidth")
        edges[lang] = (a, b, width)
    a, b, width = edges["en"]
    assert a["x"] < b["x"] and a["x"] < width / 4
    a, b, width = edges["fa"]
    assert a["x"] > b["x"] and a["x"] + a["width"] > width * 3 / 4


def test_the_chosen_language_is_remembered(page: Any, portal: Portal) -> None:
    open_page(page, portal, "/en/")
    page.locator('.language-switch a[hreflang="tk"]').click()
    page.wait_for_url(portal.url("/tk/"))
    page.goto(portal.url("/"))  # the browser still says English; the choice wins
    assert page.url == portal.url("/tk/")
