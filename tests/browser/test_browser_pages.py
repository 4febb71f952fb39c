"""The public pages in every interface language, in a real browser: home, story, search, topic, digest
and verification. Each loads without a console error (CSP violations included), is in its language
and direction, shows what the page is for, and is photographed in fa, ru and en."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import LANGUAGES, RTL, SCREENSHOT_LANGUAGES, DemoStory, Portal, open_page, screenshot


def check_frame(page: Any, lang: str) -> None:
    """The page's language and direction as the browser computed them, one visible main heading, no
    sideways scrolling at 1280 px (a mirrored layout that overflows shows there), a label on every
    form field."""
    frame = page.evaluate(
        """() => ({
          lang: document.documentElement.lang,
          dir: document.documentElement.dir,
          direction: getComputedStyle(document.body).direction,
          title: document.title,
          h1: document.querySelectorAll('main h1').length,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        })"""
    )
    direction = "rtl" if lang in RTL else "ltr"
    assert frame["lang"] == lang and frame["dir"] == direction and frame["direction"] == direction, frame
    assert frame["h1"] == 1, frame
    assert page.locator("main h1").is_visible()
    assert frame["title"].strip()
    assert frame["overflow"] <= 0, f"the page scrolls sideways by {frame['overflow']} px"
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
          .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length)
                         && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
          .map((e) => e.name || e.id)"""
    )
    assert unlabelled == [], f"form fields without a label: {unlabelled}"


def shoot(page: Any, name: str, lang: str) -> None:
    if lang in SCREENSHOT_LANGUAGES:
        screenshot(page, f"{name}-{lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_home(page: Any, portal: Portal, lang: str) -> None:
    # Each interface has its own "today" (its readers' time zone): its first story from its own data.
    ranked = portal.json(f"/{lang}/index.json")["ranking"]
    assert ranked, f"no story on the {lang} home page"
    open_page(page, portal, f"/{lang}/")
    check_frame(page, lang)
    assert page.locator(".by-topic .story-card").count() >= 1
    first = page.locator(f'.story-card[data-story-id="{ranked[0]}"]').first
    assert first.is_visible()
    # A story's headline is agency text: its own language and direction, whatever the interface's.
    headline = first.locator(".story-headline a")
    text_lang = headline.get_attribute("lang")
    assert text_lang in LANGUAGES
    expected = "rtl" if text_lang in RTL else "ltr"
    assert headline.evaluate("a => getComputedStyle(a).direction") == expected
    assert page.locator(".latest-items .item-line").count() >= 1
    shoot(page, "home", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_story(page: Any, portal: Portal, story: DemoStory, lang: str) -> None:
    open_page(page, portal, f"/{lang}/story/{story.id}")
    check_frame(page, lang)
    versions = page.locator(".story-version")
    assert versions.count() == len(story.versions) >= 3
    for code in story.versions:  # every member's version in its own language and direction
        text = page.locator(f'.story-version[data-language="{code}"] .version-text')
        assert text.is_visible()
        assert text.get_attribute("lang") == code
        expected = "rtl" if code in RTL else "ltr"
        assert text.evaluate("e => getComputedStyle(e).direction") == expected, code
    assert page.locator(".story-timeline .timeline-event").count() >= len(story.versions)
    assert page.locator(".story-version .signature").count() == len(story.versions)
    if lang in story.versions:  # the reader's own language comes first
        assert versions.first.get_attribute("data-language") == lang
    shoot(page, "story", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search(page: Any, portal: Portal, story: DemoStory, lang: str) -> None:
    open_page(page, portal, f"/{lang}/search")
    check_frame(page, lang)
    words = " ".join(story.versions["en"].headline.split()[:4])
    page.locator("#search-q").fill(words)
    page.locator(".search-form .search-submit").click()
    page.wait_for_load_state("load")
    assert page.url.startswith(portal.url(f"/{lang}/search?"))
    assert page.problems == []
    assert page.locator(".search-count").is_visible()
    hits = page.locator(".search-hit")
    assert hits.count() >= 1
    assert page.locator(f'.search-hit[data-item="{story.versions["en"].item_id}"]').count() == 1
    assert page.locator(".search-facets .facet").count() >= 1
    shoot(page, "search", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_topic(page: Any, portal: Portal, story: DemoStory, lang: str) -> None:
    open_page(page, portal, f"/{lang}/topic/{story.topic_slug}")
    check_frame(page, lang)
    assert page.locator(".topic-page").get_attribute("data-topic") == story.topic_slug
    assert page.locator(".topic-page .item-list .item-line").count() >= 1
    assert page.locator('.breadcrumbs a[aria-current="page"]').count() == 1
    shoot(page, "topic", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_digest(page: Any, portal: Portal, story: DemoStory, lang: str) -> None:
    open_page(page, portal, f"/{lang}/digest")
    check_frame(page, lang)
    # Today's edition may still be empty just after midnight where the language's readers are; the
    # home page's day has stories, so that edition is the one checked.
    open_page(page, portal, f"/{lang}/digest/{story.day}")
    check_frame(page, lang)
    stories = page.locator(".digest-story")
    assert stories.count() >= 1
    independents = [int(n) for n in stories.evaluate_all("els => els.map(e => e.dataset.independent)")]
    assert independents == sorted(independents, reverse=True)  # most corroborated first
    assert page.locator(".digest-feed-link").get_attribute("href") == f"/{lang}/digest.atom"
    shoot(page, "digest", lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_verification(page: Any, portal: Portal, story: DemoStory, lang: str) -> None:
    open_page(page, portal, f"/{lang}/verify")
    check_frame(page, lang)
    original = story.versions["ru"]
    page.locator("#verify-text").fill(original.text)
    page.locator(".verify-form .verify-submit").click()
    page.wait_for_load_state("load")
    assert page.problems == []
    result = page.locator(".verify-result")
    assert result.is_visible()
    assert page.locator(".verify-verdict").get_attribute("class") == "verify-verdict verdict-verbatim"
    link = page.locator(".verify-item-link")
    assert original.item_id in (link.get_attribute("href") or "")
    assert page.locator(".verify-signature").is_visible()
    shoot(page, "verify", lang)


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("section", ["", "search", "digest", "verify"])
def test_the_navigation_marks_the_current_section(page: Any, portal: Portal, lang: str, section: str) -> None:
    open_page(page, portal, f"/{lang}/{section}")
    current = page.locator('.site-nav a[aria-current="page"]')
    assert current.count() == 1, f"/{lang}/{section}: {current.count()} links marked current"
    assert current.get_attribute("href") == f"/{lang}/{section}"


OTHER_PAGES = {
    "item": ("/item/{item}", ".agency-text"),
    "topics": ("/topics", "main a.topic-link, main a[href*='/topic/']"),
    "countries": ("/countries", "main a[href*='/country/']"),
    "country": ("/country/IR", ".item-list .item-line"),
    "members": ("/members", "main a[href*='/member/']"),
    "member": ("/member/tass", ".item-list .item-line"),
}


@pytest.mark.parametrize("lang", SCREENSHOT_LANGUAGES)
@pytest.mark.parametrize("name", OTHER_PAGES)
def test_the_other_public_pages(page: Any, portal: Portal, story: DemoStory, lang: str, name: str) -> None:
    path, content = OTHER_PAGES[name]
    open_page(page, portal, f"/{lang}" + path.format(item=story.versions["ru"].item_id))
    check_frame(page, lang)
    assert page.locator(content).first.is_visible(), (name, content)
    shoot(page, name, lang)
