"""Browser tests: the portal in a real headless Chromium (Debian's `chromium`), driven by Playwright.

The hub under test is a real server process (tests/hub_process.py) on SQLite with the demo alliance
loaded and enriched (`tabadol demo`, then `tabadol enrich --wait`), one server for the whole session.
Chromium fetches the pages over http://127.0.0.1:PORT like any reader's browser.

Fixtures
    `portal`     (session) the running server: `portal.url("/fa/")`, `portal.api(...)` (the admin key),
                 `portal.password("irna-editor")`, `portal.data_dir`.
    `story`      (session) a story of the home page's day in all eight languages: its topic, versions.
    `chromium`   (session) one browser context with a fresh user-data directory (`launch`).
    `page`       a new tab for one test, with no cookies; console errors (a CSP violation, a
                 failing script) are collected in `page.problems` (browser_support.open_page checks them).

Chromium is never downloaded: Playwright drives the system's browser (`executable_path`). Without it
the tests FAIL (CI must run them) with the command that installs it.

The enriched demo is built once and cached (browser_support.enriched_demo says how).

Screenshots (`screenshot(page, name)`) go to build/screenshots/ (or $TABADOL_SCREENSHOTS); the path
is printed at the end of the run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    SCREENSHOTS,
    SHOTS,
    DemoStory,
    Portal,
    chromium_path,
    demo_story,
    enriched_demo,
    launch,
    read_passwords,
)

from hub_process import ServerProcess
from tabadol.config import Settings


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    source = enriched_demo()
    data_dir = tmp_path_factory.mktemp("portal") / "data"
    shutil.copytree(source, data_dir)
    settings = Settings(database_url=f"sqlite:///{data_dir / 'tabadol.sqlite3'}", data_dir=data_dir)
    server = ServerProcess(settings, data_dir.parent / "server.log")
    try:
        admin_key = (data_dir / "demo-admin-key.txt").read_text().strip()
        yield Portal(server, data_dir, admin_key, read_passwords(data_dir))
    finally:
        server.stop()


@pytest.fixture(scope="session")
def story(portal: Portal) -> DemoStory:
    return demo_story(portal)


@pytest.fixture(autouse=True, scope="session")
def chromium_installed() -> None:
    """Fails every browser test at once, before the demo is built, when there is no Chromium."""
    chromium_path()


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """Playwright (one per session: its synchronous API runs one event loop)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One browser context for the session (each test opens its own tab)."""
    context = launch(driver, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    chromium.clear_cookies()
    tab = chromium.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        # A failed load is reported below with its address; the page's own status is the test's.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def response(answer: Any) -> None:
        if answer.status >= 400 and answer.request.resource_type != "document":
            problems.append(f"{answer.status} for {answer.url}")

    tab.on("console", console)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("response", response)
    tab.problems = problems
    try:
        yield tab
    finally:
        tab.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test starts real processes (the hub, Chromium): `-m "not slow"` leaves them out.

    They also run last: Playwright's synchronous API keeps an event loop running in the main thread
    until the session ends, and a later test calling asyncio.run() there would find it running."""
    here = Path(__file__).parent
    browser = [item for item in items if here in item.path.parents]
    for item in browser:
        item.add_marker(pytest.mark.slow)
    others = [item for item in items if here not in item.path.parents]
    items[:] = others + browser


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SHOTS:
        terminalreporter.write_line(f"browser screenshots ({len(SHOTS)}): {SCREENSHOTS}")
