"""What the browser tests share: the enriched demo, the server under test, page helpers.

The enriched demo takes minutes of CPU to build, so it is built once and kept in build/browser-demo/
under a key of the sources that decide its content (`demo_key`); a build older
than DEMO_MAX_AGE is made again, since the demo's wires are dated relative to when it was loaded and
the home page and the digest show "today". Each session's server works on its own copy.
TABADOL_BROWSER_REBUILD=1 forces a fresh build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import ViewportSize

from hub_process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "tabadol"
CHROMIUM = Path(os.environ.get("TABADOL_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(os.environ.get("TABADOL_SCREENSHOTS", str(ROOT / "build" / "screenshots")))
DEMO_CACHE = ROOT / "build" / "browser-demo"
DEMO_MAX_AGE = 6 * 3600  # seconds
DEMO_SOURCES = ("demo", "enrich", "index", "storage/migrations", "web/portal/accounts.py")
DEMO_BUILD_TIMEOUT = 3600  # enriching 1,133 items: ~4 CPU minutes, much longer on a busy machine
INSTALL_HINT = (
    "Chromium is needed for the browser tests and was not found at {path}. On Debian or Ubuntu, as "
    "root: `make install` (it installs it), or `sudo apt-get install -y --no-install-recommends "
    "chromium fonts-noto-core`; elsewhere point TABADOL_CHROMIUM at a Chromium binary."
)
# The machine has no internet: every background service of Chromium that would phone home is off,
# so nothing waits on a connection that never comes.
LAUNCH_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000

LANGUAGES = ("fa", "ar", "ru", "az", "kk", "tk", "tr", "en")
RTL = ("fa", "ar")
SCREENSHOT_LANGUAGES = ("fa", "ru", "en")

SHOTS: list[Path] = []  # every screenshot of the run, printed at its end


# -- the enriched demo --------------------------------------------------------------------------------


def demo_key() -> str:
    """A digest of the sources that decide what the enriched demo holds: its wires and members, the
    enrichment and index stages (code, models, lexicons), the schema, the newsroom accounts it makes.
    Other edits (the web layer, the API, the CLI) leave the cached demo as it is."""
    digest = hashlib.sha256()
    for part in DEMO_SOURCES:
        root = SOURCES / part
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(SOURCES)).encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:16]


def _tabadol(data_dir: Path, *args: str) -> None:
    env = {
        **os.environ,
        "TABADOL_DATA_DIR": str(data_dir),
        "TABADOL_DATABASE_URL": f"sqlite:///{data_dir / 'tabadol.sqlite3'}",
    }
    log = data_dir.parent / f"{data_dir.name}.log"
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "tabadol", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=DEMO_BUILD_TIMEOUT,
            check=False,
        )
    if done.returncode != 0:
        raise AssertionError(f"`tabadol {' '.join(args)}` failed ({done.returncode}); see {log}")


def enriched_demo() -> Path:
    """The data directory of an enriched demo (built now if the cache has none young enough)."""
    target = DEMO_CACHE / demo_key()
    ready = target / "ready"
    fresh = ready.exists() and time.time() - ready.stat().st_mtime < DEMO_MAX_AGE
    if fresh and os.environ.get("TABADOL_BROWSER_REBUILD") != "1":
        return target
    DEMO_CACHE.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=DEMO_CACHE))
    started = time.monotonic()
    _tabadol(building, "demo")
    _tabadol(building, "enrich", "--wait")
    (building / "ready").write_text(f"built in {time.monotonic() - started:.0f} s\n")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)  # whole or not at all: a run cut short leaves only a building-* folder
    for old in DEMO_CACHE.iterdir():
        if old != target and old.is_dir() and not old.name.startswith("building-"):
            shutil.rmtree(old, ignore_errors=True)
    return target


# -- the server ---------------------------------------------------------------------------------------


@dataclass
class Portal:
    server: ServerProcess
    data_dir: Path
    admin_key: str
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base

    def url(self, path: str) -> str:
        return self.server.base + path

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.admin_key}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def json(self, path: str) -> Any:
        """A page's `.json` twin (or any public JSON), checked."""
        response = httpx.get(self.url(path), timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.json()

    def password(self, username: str) -> str:
        return self.passwords[username]


def read_passwords(data_dir: Path) -> dict[str, str]:
    rows = (line.split("\t") for line in (data_dir / "demo-accounts.txt").read_text().splitlines())
    return {row[0]: row[1] for row in rows if len(row) >= 2 and not row[0].startswith("#")}


# -- the browser --------------------------------------------------------------------------------------


def chromium_path() -> str:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(INSTALL_HINT.format(path=CHROMIUM), pytrace=False)
    return str(CHROMIUM)


def launch(driver: Any, profile: Path, **options: Any) -> Any:
    """The system's Chromium on a fresh user-data directory, as one persistent browser context."""
    context = driver.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path(),
        headless=True,
        args=LAUNCH_ARGS,
        viewport=VIEWPORT,
        timezone_id="UTC",
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def open_page(page: Any, portal: Portal, path: str, status: int = 200) -> Any:
    """Go to `path`, check the answer's status and that the page loaded without console errors
    (the Content-Security-Policy reports a blocked inline style or script there)."""
    del page.problems[:]
    response = page.goto(portal.url(path), wait_until="load")
    assert response is not None, path
    assert response.status == status, (path, response.status)
    assert page.problems == [], (path, page.problems)
    return response


def screenshot(page: Any, name: str) -> Path:
    """The whole page as build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SHOTS.append(path)
    return path


def box(page: Any, selector: str) -> dict[str, float]:
    """The element's bounding box on the page (the first match), which must be visible."""
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not visible"
    return dict(found)


def wait_until(check: Any, timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll `check()` until it returns something true, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# -- the demo's data, as the pages' .json twins give it -------------------------------------------------


@dataclass(frozen=True)
class Version:
    item_id: str
    language: str
    member: str
    headline: str
    text: str


@dataclass(frozen=True)
class DemoStory:
    """A story of the home page's day with a version in every language, and what the tests need of it."""

    id: str
    topic_slug: str
    versions: dict[str, Version]  # by language
    day: str  # the home page's day (YYYY-MM-DD), which has stories


def demo_story(portal: Portal) -> DemoStory:
    home = portal.json("/en/index.json")
    assert home["ranking"], "the enriched demo has no story on the home page"
    ranked = {card["id"]: card for section in home["topics"] for card in section["stories"]}
    # The tests read its versions in several languages: the best-ranked story written in all eight.
    complete = [
        sid
        for sid in home["ranking"]
        if sid in ranked and {lang["code"] for lang in ranked[sid]["languages"]} >= set(LANGUAGES)
    ]
    assert complete, "no story of the demo's day has a version in every language"
    card = ranked[complete[0]]
    story_id = card["id"]
    assert card["topic"], card
    story = portal.json(f"/en/story/{story_id}.json")
    versions = {
        v["language"]: Version(
            v["item_id"],
            v["language"],
            v["member"]["code"],
            v["headline"],
            "\n\n".join(v["body"]["paragraphs"]),
        )
        for v in story["versions"]
        if v["language"] and v["body"]["paragraphs"]
    }
    return DemoStory(story_id, card["topic"]["slug"], versions, home["day"])
