"""Every page works with JavaScript off: a reader's search and verification, an editor's login and
take, in a Chromium whose scripts are disabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import DemoStory, Portal, launch


@pytest.fixture(scope="module")
def no_script(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second browser context, scripts off, on its own fresh profile."""
    context = launch(driver, tmp_path_factory.mktemp("chromium-noscript"), java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_search_and_verification_without_scripts(no_script: Any, portal: Portal, story: DemoStory) -> None:
    no_script.goto(portal.url("/tr/search"))
    no_script.locator("#search-q").fill(" ".join(story.versions["tr"].headline.split()[:3]))
    with no_script.expect_navigation():
        no_script.locator(".search-form .search-submit").click()
    assert no_script.locator(f'.search-hit[data-item="{story.versions["tr"].item_id}"]').count() == 1

    no_script.goto(portal.url("/az/verify"))
    no_script.locator("#verify-text").fill(story.versions["az"].text)
    with no_script.expect_navigation():
        no_script.locator(".verify-form .verify-submit").click()
    assert no_script.locator(".verify-verdict").get_attribute("class") == "verify-verdict verdict-verbatim"


def test_login_and_take_without_scripts(no_script: Any, portal: Portal, story: DemoStory) -> None:
    item = story.versions["fa"]  # IRNA's dispatch, taken by AzerTAc's desk
    no_script.goto(portal.url(f"/az/newsroom/item/{item.item_id}"))
    assert "/az/newsroom/login" in no_script.url
    no_script.locator("#login-username").fill("azertac-editor")
    no_script.locator("#login-password").fill(portal.password("azertac-editor"))
    with no_script.expect_navigation():
        no_script.locator(".login-form .login-submit").click()
    assert no_script.url.startswith(portal.url(f"/az/newsroom/item/{item.item_id}"))
    assert no_script.locator(".take-record").count() == 0  # not taken before
    with no_script.expect_navigation():
        no_script.locator(".take-form .take-submit").click()
    assert no_script.locator(".take-confirmation").is_visible()
    assert no_script.locator("#attribution-line").input_value().strip()
    no_script.goto(portal.url(f"/az/newsroom/item/{item.item_id}"))
    assert no_script.locator(".take-record").is_visible()  # the take was recorded
    # The copy buttons need a script (it shows them): here they stay hidden, the fields selectable.
    copy = no_script.locator("button.copy-button").first
    assert copy.get_attribute("hidden") is not None
    assert copy.is_hidden(), (
        "a Copy button that cannot work without the script is shown ([hidden] overridden)"
    )
