"""What readers and editors do, in a real browser: a Persian query finds the Russian dispatch; an
editor logs in, takes an item and gets the attribution line, and the ledger counts the take; an
embargoed item stays invisible until its time, then appears."""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta
from typing import Any

from browser_support import DemoStory, Portal, open_page, screenshot, wait_until

from tabadol.serialize import format_datetime
from tabadol.types import utc_now

EMBARGO_SECONDS = 15
RELEASE_TIMEOUT = 90.0
LATIN_WORD = re.compile(r"\b[A-Za-z]+\b")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_a_persian_query_finds_the_russian_dispatch(page: Any, portal: Portal, story: DemoStory) -> None:
    persian, russian = story.versions["fa"], story.versions["ru"]
    # The reader types Persian words only (no Latin name the Russian text could share).
    query = " ".join(LATIN_WORD.sub(" ", persian.headline).split())
    open_page(page, portal, "/fa/search")
    page.locator("#search-q").fill(query)
    page.locator(".search-form .search-submit").click()
    page.wait_for_load_state("load")
    assert page.problems == []
    hit = page.locator(f'.search-hit[data-item="{russian.item_id}"]')
    assert hit.count() == 1, f"the Russian item is not among the hits for {query!r}"
    link = hit.locator(".hit-headline a")
    assert link.get_attribute("lang") == "ru"
    assert link.inner_text().split() == russian.headline.split()
    assert hit.locator(".hit-found").get_attribute("data-found") in ("meaning", "both")
    assert hit.locator(".hit-headline a").evaluate("a => getComputedStyle(a).direction") == "ltr"
    screenshot(page, "search-persian-finds-russian-fa")
    link.click()
    page.wait_for_url(portal.url(f"/fa/item/{russian.item_id}"))
    assert page.locator("main h1, main .agency-text").first.is_visible()


def log_in(page: Any, portal: Portal, username: str) -> None:
    """On the login page the browser was sent to: fill the form and send it."""
    assert "/newsroom/login" in page.url, page.url
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(portal.password(username))
    page.locator(".login-form .login-submit").click()
    page.wait_for_load_state("load")
    assert "/newsroom/login" not in page.url, page.locator(".login-error").all_inner_texts()


def ledger_taken(page: Any, source: str, recipient: str) -> int:
    """The ledger's count of takes from `source` by `recipient` (its .json twin, this session's)."""
    response = page.request.get(page.url.split("/newsroom/")[0] + "/newsroom/ledger.json")
    assert response.status == 200, response.status
    totals = response.json()["report"]["totals"]
    return sum(row["taken"] for row in totals if row["source"] == source and row["recipient"] == recipient)


def test_an_editor_takes_an_item_with_attribution_and_the_ledger_counts_it(
    page: Any, portal: Portal, story: DemoStory
) -> None:
    item = story.versions["ru"]  # TASS's dispatch, taken by IRNA's desk
    assert item.member == "tass"
    open_page(page, portal, f"/fa/newsroom/item/{item.item_id}")  # not logged in: to the login page
    log_in(page, portal, "irna-editor")
    assert page.url.startswith(portal.url(f"/fa/newsroom/item/{item.item_id}"))
    assert page.problems == []
    before = ledger_taken(page, "tass", "irna")

    page.locator("#take-language").select_option("fa")
    page.locator(".take-form .take-submit").click()
    page.wait_for_load_state("load")
    assert page.problems == []
    assert "taken=fa" in page.url
    assert page.locator(".take-confirmation").is_visible()
    line = page.locator("#attribution-line")
    attribution = line.input_value()
    tass_in_persian = portal.api("GET", "/api/v1/members/tass").json()["names"]["fa"]
    assert tass_in_persian in attribution, attribution
    assert line.get_attribute("lang") == "fa"
    assert line.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # The original text, untouched, is there to copy.
    assert page.locator("#original-text").input_value().startswith(item.headline)
    screenshot(page, "newsroom-take-fa")

    assert ledger_taken(page, "tass", "irna") == before + 1
    # The ledger page shows that count in the TASS -> IRNA row (the fa page writes Persian digits).
    open_page(page, portal, "/fa/newsroom/ledger")
    names = {m["code"]: m["names"]["fa"] for m in portal.api("GET", "/api/v1/members").json()["members"]}
    cells = page.evaluate(
        """([source, recipient]) => [...document.querySelectorAll('#ledger-totals tbody tr')]
          .filter((tr) => tr.querySelector('th').textContent.trim() === source
                          && tr.querySelector('td').textContent.trim() === recipient)
          .map((tr) => [...tr.querySelectorAll('td.num')].map((td) => td.textContent.trim()))""",
        [names["tass"], names["irna"]],
    )
    assert len(cells) == 1, cells
    taken_column = 3  # supplied, updates, kills, taken, translated
    assert cells[0][taken_column] == str(before + 1).translate(PERSIAN_DIGITS), cells
    screenshot(page, "newsroom-ledger-after-take-fa")


def push_embargoed(portal: Portal, token: str, until: str) -> str:
    document = {
        "uri": f"urn:browser-test:embargo:{token}",
        "type": "text",
        "language": "az",
        "headlines": [{"role": "main", "value": f"Xəzər bərə xətti {token} açılır"}],
        "bodies": [
            {"role": "main", "contentType": "text/plain", "value": f"Bərə {token} Bakıdan yola düşəcək."}
        ],
        "embargoed": until,
    }
    response = portal.api(
        "POST",
        "/api/v1/items",
        params={"member": "azertac"},
        content=json.dumps(document, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/ninjs+json"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["items"][0]["id"])


def test_an_embargoed_item_is_invisible_until_its_release(page: Any, portal: Portal) -> None:
    token = "emb" + secrets.token_hex(4)
    release = utc_now() + timedelta(seconds=EMBARGO_SECONDS)
    item_id = push_embargoed(portal, token, format_datetime(release))

    def visible_now() -> dict[str, bool]:
        item = page.goto(portal.url(f"/en/item/{item_id}"))
        assert item is not None
        item_shown = item.status == 200
        page.goto(portal.url(f"/en/search?mode=words&q={token}"))
        found = page.locator(f'.search-hit[data-item="{item_id}"]').count() == 1
        page.goto(portal.url("/en/"))
        latest = page.locator(f'.latest-items .item-line[data-item-id="{item_id}"]').count() == 1
        return {"item page": item_shown, "search": found, "home": latest}

    seen = visible_now()
    assert utc_now() < release, f"the pages took over {EMBARGO_SECONDS} s: nothing was checked under embargo"
    assert seen == {"item page": False, "search": False, "home": False}, seen
    wait_until(lambda: utc_now() >= release, EMBARGO_SECONDS + 5, "the release time")
    item_page = wait_until(
        lambda: (r := page.goto(portal.url(f"/en/item/{item_id}"))) is not None and r.status == 200,
        RELEASE_TIMEOUT,
        "the released item's page",
    )
    assert item_page
    assert token in page.locator("main").inner_text()
    assert visible_now() == {"item page": True, "search": True, "home": True}


def push_item(portal: Portal, member: str, language: str, headline: str, body: str) -> str:
    document = {
        "uri": f"urn:browser-test:{member}:{secrets.token_hex(6)}",
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
    }
    response = portal.api(
        "POST",
        "/api/v1/items",
        params={"member": member},
        content=json.dumps(document, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/ninjs+json"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["items"][0]["id"])


def test_the_wire_shows_a_new_item_live(page: Any, portal: Portal) -> None:
    open_page(page, portal, "/ru/newsroom/wire")
    log_in(page, portal, "irna-editor")
    assert page.url.startswith(portal.url("/ru/newsroom/wire"))
    assert page.problems == []
    page.wait_for_selector(".wire-live-status.is-live")  # the stream is open
    rows_before = page.locator("ol.wire-list li.wire-item").count()
    token = secrets.token_hex(4)
    item_id = push_item(portal, "tass", "ru", f"Паромная линия {token}", f"Паром {token} вышел из Астрахани.")
    row = page.locator(f'ol.wire-list li.wire-item[data-item-id="{item_id}"]')
    row.wait_for(state="visible")  # arrived without a reload
    assert "is-new" in (row.get_attribute("class") or "")
    assert page.locator("ol.wire-list li.wire-item").first.get_attribute("data-item-id") == item_id
    assert page.locator("ol.wire-list li.wire-item").count() == rows_before + 1
    assert page.problems == []
    screenshot(page, "newsroom-wire-live-ru")
