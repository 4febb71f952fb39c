"""The usage ledger grouped by the taken item's top-level IPTC Media Topic: a table per period and topic
on the page, the same rows in its .json twin and in a CSV of their own (`ledger.csv?by=topic`), each
item counted once per member that took it, items without topics under "none", a member's own items
left out, members seeing only their own takes, and the same topic per item as the API's
`group=topic`."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ledger_support import push, record_take
from settings_login import log_in_as, page

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.reports import (
    NO_TOPIC,
    Period,
    ReportQuery,
    exchange_report,
    takes_by_topic,
    topics_of_takes,
)
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import ComponentResult, MemberInfo, Role, utc_now

ECONOMY = "medtop:04000000"  # economy, business and finance
POLITICS = "medtop:11000000"
INTERNATIONAL_TRADE = "medtop:20000373"  # two levels under ECONOMY: counts for it
WINDOW = "since=2026-10&until=2026-12&period=month"

# (period, topic, taken, translated) for WINDOW, as an administrator sees it.
EXPECTED = [
    ("2026-10", ECONOMY, 2, 2),  # irna's trade item taken by tass (twice: counts once) and azertac
    ("2026-10", POLITICS, 1, 0),
    ("2026-11", POLITICS, 1, 1),
    ("2026-11", NO_TOPIC, 3, 1),  # not enriched, enrichment failed, only a member's own scheme
]


def enrich(hub: Hub, item_id: str, *topics: tuple[str, str, float], error: str | None = None) -> None:
    data = {"topics": [{"scheme": s, "code": c, "label": c, "score": v} for s, c, v in topics]}
    hub.storage.save_enrichment(item_id, [ComponentResult("topics", "1", 1, data, error, utc_now())], None)


@pytest.fixture
def takes(hub: Hub, member: MemberInfo) -> None:
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru"])
    hub.add_member("azertac", {"en": "AzerTAc", "az": "AzərTAc"}, "AZ", ["az"])
    trade = push(hub, "irna", "urn:irna:t:1", "fa")
    plain = push(hub, "irna", "urn:irna:t:2", "en")
    politics = push(hub, "tass", "urn:tass:t:1", "ru")
    failed = push(hub, "azertac", "urn:azertac:t:1", "az")
    own_scheme = push(hub, "tass", "urn:tass:t:2", "ru")
    enrich(hub, trade, ("iptc", INTERNATIONAL_TRADE, 0.8), ("iptc", POLITICS, 0.3))
    enrich(hub, politics, ("iptc", POLITICS, 0.9))
    enrich(hub, failed, error="model failed")
    enrich(hub, own_scheme, ("tass-desks", "economy", 0.9))
    record_take(hub, "tass", trade, datetime(2026, 10, 5, 9, tzinfo=UTC), True)
    record_take(hub, "tass", trade, datetime(2026, 10, 21, 9, tzinfo=UTC), True)
    record_take(hub, "azertac", trade, datetime(2026, 10, 31, 23, 59, tzinfo=UTC), True)
    record_take(hub, "irna", politics, datetime(2026, 10, 12, tzinfo=UTC), False)
    record_take(hub, "azertac", politics, datetime(2026, 11, 1, 0, 0, tzinfo=UTC), True)
    record_take(hub, "tass", plain, datetime(2026, 11, 3, tzinfo=UTC), False)
    record_take(hub, "tass", failed, datetime(2026, 11, 4, tzinfo=UTC), True)
    record_take(hub, "irna", own_scheme, datetime(2026, 11, 5, tzinfo=UTC), False)
    record_take(hub, "irna", trade, datetime(2026, 11, 11, tzinfo=UTC), False)  # its own: left out
    record_take(hub, "tass", plain, datetime(2026, 12, 1, tzinfo=UTC), False)  # after the window


def table_rows(html: Any) -> list[tuple[str, str, int, int]]:
    rows = html.xpath("//table[contains(@class,'ledger-topic-table')]/tbody/tr")
    return [
        (
            row.xpath("./th")[0].text_content(),
            row.get("data-topic"),
            int(row.xpath("./td")[1].text_content()),
            int(row.xpath("./td")[2].text_content()),
        )
        for row in rows
    ]


def labels(html: Any) -> list[str]:
    return [cell.text_content() for cell in html.xpath("//tr[@data-topic]//span[@class='topic-name']")]


def test_takes_are_counted_per_period_and_top_level_topic(site: TestClient, hub: Hub, takes: None) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    response = site.get(f"/en/newsroom/ledger?{WINDOW}")
    assert response.status_code == 200
    html = page(response)
    assert table_rows(html) == EXPECTED
    assert labels(html) == ["economy, business and finance", "politics", "politics", "No topic assigned yet"]
    codes = html.xpath("//tr[@data-topic]/td[1]/code/text()")
    assert codes == [ECONOMY, POLITICS, POLITICS]  # "none" is a word, not a code
    # A period's takes by topic add up to the ledger's takes of that period over all pairs.
    per_period: Counter[str] = Counter()
    for row in html.xpath("//table[contains(@class,'ledger-table')]/tbody/tr"):
        per_period[row.xpath("./th")[0].text_content()] += int(row.xpath("./td")[5].text_content())
    assert per_period == {"2026-10": 3, "2026-11": 4}

    twin = site.get(f"/en/newsroom/ledger.json?{WINDOW}").json()
    assert [
        (row["period"], row["topic"], row["taken"], row["translated"]) for row in twin["by_topic"]
    ] == EXPECTED
    assert [row["topic_label"] for row in twin["by_topic"]] == labels(html)


def test_the_topic_of_an_item_is_the_one_the_api_groups_by(hub: Hub, takes: None) -> None:
    since, until = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    query = ReportQuery(since, until, Period.MONTH, ("topic",), None)
    taken = hub.storage.takes_between(since, until)
    rows = takes_by_topic(query, taken, topics_of_takes(hub.storage, taken))
    assert [(r.period, r.topic, r.taken, r.translated) for r in rows] == EXPECTED
    # The API's group=topic, summed over the pairs, gives the same takes per period and topic.
    api: Counter[tuple[str, str]] = Counter()
    for row in exchange_report(hub.storage, query, taken).rows:
        api[(row.key.period, row.key.topic or NO_TOPIC)] += row.counts.taken
    assert {key: count for key, count in api.items() if count} == {(r.period, r.topic): r.taken for r in rows}


def test_the_takes_by_topic_download_as_their_own_csv(site: TestClient, hub: Hub, takes: None) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    html = page(site.get(f"/ru/newsroom/ledger?{WINDOW}"))
    (link,) = html.xpath("//a[contains(@class,'ledger-topic-csv')]/@href")
    assert "by=topic" in link and "since=2026-10" in link
    download = site.get(link)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == (
        'attachment; filename="takes_by_topic_2026-10-01_2026-11-30.csv"'
    )
    assert download.text.startswith("period,topic,topic_label,taken,translated\r\n")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["period"], r["topic"], int(r["taken"]), int(r["translated"])) for r in rows] == EXPECTED
    # Labels in the reader's language, as on the page.
    assert [r["topic_label"] for r in rows] == [
        "экономика, бизнес и финансы",
        "политика",
        "политика",
        "Тема ещё не присвоена",
    ]
    assert [r["topic_label"] for r in rows] == labels(html)


@pytest.mark.parametrize("by", ["country", "topics", "language,topic"])
def test_an_unknown_grouping_of_the_download_is_refused(
    site: TestClient, hub: Hub, takes: None, by: str
) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    refused = site.get(f"/en/newsroom/ledger.csv?{WINDOW}&by={by}")
    assert refused.status_code == 400
    detail = page(refused).xpath("//p[contains(@class,'error-detail')]")[0].text_content()
    assert "invalid_query" in detail and "by" in detail


def test_a_member_sees_only_its_own_takes_by_topic_in_its_script(
    site: TestClient, hub: Hub, takes: None
) -> None:
    log_in_as(site, hub, "azertac", "elvin", Role.READER)
    html = page(site.get(f"/fa/newsroom/ledger?{WINDOW}"))
    assert html.get("dir") == "rtl"
    # azertac took irna's trade item in October and tass's politics item in November; tass took
    # azertac's item (its enrichment failed) in November.
    assert [(row[1], row[2], row[3]) for row in table_rows_raw(html)] == [
        (ECONOMY, "۱", "۱"),
        (POLITICS, "۱", "۱"),
        (NO_TOPIC, "۱", "۱"),
    ]
    assert html.xpath("//tr[@data-topic]/th")[0].text_content() == "۲۰۲۶-۱۰"  # Persian digits
    assert labels(html) == ["اقتصاد، تجارت و امور مالی", "سیاست", "هنوز موضوعی نسبت داده نشده"]
    twin = site.get(f"/fa/newsroom/ledger.json?{WINDOW}").json()
    assert [(row["topic"], row["taken"]) for row in twin["by_topic"]] == [
        (ECONOMY, 1),
        (POLITICS, 1),
        (NO_TOPIC, 1),
    ]


def table_rows_raw(html: Any) -> list[tuple[str, str, str, str]]:
    """The rows as shown, digits in the page's script."""
    return [
        (
            row.xpath("./th")[0].text_content(),
            row.get("data-topic"),
            row.xpath("./td")[1].text_content(),
            row.xpath("./td")[2].text_content(),
        )
        for row in html.xpath("//table[contains(@class,'ledger-topic-table')]/tbody/tr")
    ]


def test_a_window_with_supply_but_no_takes_says_so(site: TestClient, hub: Hub, member: MemberInfo) -> None:
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    item = push(hub, "irna", "urn:irna:t:9", "fa")
    enrich(hub, item, ("iptc", POLITICS, 0.9))
    Dispatcher(hub.storage).drain()
    record_take(hub, "irna", item, utc_now(), False)  # its own item: not an exchange
    log_in_as(site, hub, "irna", "leila", Role.EDITOR)
    window = "since=2000-01&until=2100-01&period=year"
    twin = site.get(f"/en/newsroom/ledger.json?{window}").json()
    assert [row["supplied"] for row in twin["report"]["totals"]] == [1]
    assert twin["by_topic"] == []
    html = page(site.get(f"/en/newsroom/ledger?{window}"))
    assert html.xpath("//table[contains(@class,'ledger-topic-table')]") == []
    assert html.xpath(
        "//section[contains(@class,'ledger-topics')]//p[contains(@class,'ledger-no-topic-takes')]"
    )
