"""The usage ledger grouped by the taken item's original language: a table per period and language on
the page, the same rows in its .json twin and in a CSV of their own (`ledger.csv?by=language`), each
item counted once per member that took it, a member's own items left out, and members seeing only
their own takes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ledger_support import push, record_take
from settings_login import log_in_as, page

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import MemberInfo, Role, utc_now

WINDOW = "since=2026-10&until=2026-12&period=month"

# (period, language, taken, translated) for WINDOW, as an administrator sees it.
EXPECTED = [
    ("2026-10", "fa", 2, 2),  # irna's Persian item taken by tass (twice: counts once) and azertac
    ("2026-11", "en", 1, 0),
    ("2026-11", "ru", 1, 1),  # "ru-RU" counts under its primary subtag
    ("2026-11", "und", 1, 0),  # a take whose item's language is not known
]


@pytest.fixture
def takes(hub: Hub, member: MemberInfo) -> None:
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru"])
    hub.add_member("azertac", {"en": "AzerTAc", "az": "AzərTAc"}, "AZ", ["az"])
    persian = push(hub, "irna", "urn:irna:g:1", "fa")
    english = push(hub, "irna", "urn:irna:g:2", "en")
    russian = push(hub, "tass", "urn:tass:g:1", "ru-RU")
    azeri = push(hub, "azertac", "urn:azertac:g:1", "az")
    record_take(hub, "tass", persian, datetime(2026, 10, 5, 9, tzinfo=UTC), True)
    record_take(hub, "tass", persian, datetime(2026, 10, 21, 9, tzinfo=UTC), True)
    record_take(hub, "azertac", persian, datetime(2026, 10, 31, 23, 59, tzinfo=UTC), True)
    record_take(hub, "tass", english, datetime(2026, 11, 1, 0, 0, tzinfo=UTC), False)
    record_take(hub, "irna", russian, datetime(2026, 11, 10, tzinfo=UTC), True)
    record_take(
        hub, "irna", persian, datetime(2026, 11, 11, tzinfo=UTC), False, item_language="fa"
    )  # its own: left out
    record_take(hub, "tass", azeri, datetime(2026, 11, 12, tzinfo=UTC), False, item_language=None)
    record_take(
        hub, "tass", english, datetime(2026, 12, 1, tzinfo=UTC), False, item_language="en"
    )  # after the window


def table_rows(html: Any) -> list[tuple[str, str, int, int]]:
    rows = html.xpath("//table[contains(@class,'ledger-language-table')]/tbody/tr")
    return [
        (
            row.xpath("./th")[0].text_content(),
            row.get("data-language"),
            int(row.xpath("./td")[1].text_content()),
            int(row.xpath("./td")[2].text_content()),
        )
        for row in rows
    ]


def test_takes_are_counted_per_period_and_original_language(site: TestClient, hub: Hub, takes: None) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    response = site.get(f"/en/newsroom/ledger?{WINDOW}")
    assert response.status_code == 200
    html = page(response)
    assert table_rows(html) == EXPECTED
    names = [cell.text_content() for cell in html.xpath("//tr[@data-language]//span[@class='language-name']")]
    assert names == ["Persian", "English", "Russian", "Unknown language"]
    # A period's takes by language add up to the ledger's takes of that period over all pairs.
    per_period: dict[str, int] = {}
    for row in html.xpath("//table[contains(@class,'ledger-table')]/tbody/tr"):
        period = row.xpath("./th")[0].text_content()
        per_period[period] = per_period.get(period, 0) + int(row.xpath("./td")[5].text_content())
    assert per_period == {"2026-10": 2, "2026-11": 3}

    twin = site.get(f"/en/newsroom/ledger.json?{WINDOW}").json()
    assert [
        (row["period"], row["language"], row["taken"], row["translated"]) for row in twin["by_language"]
    ] == EXPECTED
    assert twin["by_language"][0]["language_name"] == "Persian"


def test_the_takes_by_language_download_as_their_own_csv(site: TestClient, hub: Hub, takes: None) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    html = page(site.get(f"/ru/newsroom/ledger?{WINDOW}"))
    (link,) = html.xpath("//a[contains(@class,'ledger-language-csv')]/@href")
    assert "by=language" in link and "by=" not in html.xpath("//a[contains(@class,'ledger-csv')]/@href")[0]
    download = site.get(link)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == (
        'attachment; filename="takes_by_language_2026-10-01_2026-11-30.csv"'
    )
    assert download.text.startswith("period,language,language_name,taken,translated\r\n")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["period"], r["language"], int(r["taken"]), int(r["translated"])) for r in rows] == EXPECTED
    assert rows[0]["language_name"] == "персидский"  # names in the reader's language
    refused = site.get(f"/en/newsroom/ledger.csv?{WINDOW}&by=country")
    assert refused.status_code == 400
    detail = page(refused).xpath("//p[contains(@class,'error-detail')]")[0].text_content()
    assert "invalid_query" in detail and "by" in detail


def test_a_member_sees_only_its_own_takes_by_language_in_its_script(
    site: TestClient, hub: Hub, takes: None
) -> None:
    log_in_as(site, hub, "azertac", "elvin", Role.READER)
    html = page(site.get(f"/fa/newsroom/ledger?{WINDOW}"))
    assert html.get("dir") == "rtl"
    rows = html.xpath("//table[contains(@class,'ledger-language-table')]/tbody/tr")
    # azertac took irna's Persian item in October; tass took azertac's item (language unknown) in November.
    assert [row.get("data-language") for row in rows] == ["fa", "und"]
    first = rows[0]
    assert first.xpath("./th")[0].text_content() == "۲۰۲۶-۱۰"  # Persian digits
    assert first.xpath(".//span[@class='language-name']")[0].text_content() == "فارسی"
    assert [cell.text_content() for cell in first.xpath("./td[@class='num']")] == ["۱", "۱"]
    twin = site.get(f"/fa/newsroom/ledger.json?{WINDOW}").json()
    assert [(row["language"], row["taken"]) for row in twin["by_language"]] == [("fa", 1), ("und", 1)]


def test_a_window_with_supply_but_no_takes_says_so(site: TestClient, hub: Hub, member: MemberInfo) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    item = push(hub, "irna", "urn:irna:g:9", "fa")
    Dispatcher(hub.storage).drain()
    record_take(hub, "irna", item, utc_now(), False)  # its own item: not an exchange
    log_in_as(site, hub, "irna", "leila", Role.EDITOR)
    window = "since=2000-01&until=2100-01&period=year"
    twin = site.get(f"/en/newsroom/ledger.json?{window}").json()
    assert [row["supplied"] for row in twin["report"]["totals"]] == [1]
    assert twin["by_language"] == []
    html = page(site.get(f"/en/newsroom/ledger?{window}"))
    assert html.xpath("//table[contains(@class,'ledger-language-table')]") == []
    assert html.xpath("//p[contains(@class,'ledger-no-takes')]")
