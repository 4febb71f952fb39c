"""The usage ledger page: the API's report as a table and as server-drawn SVG charts (one bar per
value, titled and described, mirrored in Persian), filters, the CSV download, and who sees what."""

from __future__ import annotations

import csv
import io
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
from tabadol.web.portal.pages import ledger_chart

WINDOW = "since=2000-01&until=2100-01&period=year"


@pytest.fixture
def exchange(hub: Hub, member: MemberInfo) -> None:
    """irna supplies two items to tass and one to azertac; tass supplies one to irna; tass takes one."""
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС", "fa": "تاس"}, "RU", ["ru"])
    hub.add_member("azertac", {"en": "AzerTAc", "az": "AzərTAc"}, "AZ", ["az"])
    add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    add_subscription(hub, "azertac", "Persian", build_filter(languages=["fa"]), OPERATOR)
    add_subscription(hub, "irna", "everything", build_filter(), OPERATOR)
    persian = push(hub, "irna", "urn:irna:l:1", "fa")
    push(hub, "irna", "urn:irna:l:2", "en")
    push(hub, "tass", "urn:tass:l:1", "ru")
    Dispatcher(hub.storage).drain()
    record_take(hub, "tass", persian, utc_now(), True)


def charts(html: Any, name: str) -> Any:
    (svg,) = html.xpath(f"//figure[contains(@class,'ledger-chart-{name}')]/*[local-name()='svg']")
    return svg


def bars(svg: Any) -> list[Any]:
    return svg.xpath(".//*[local-name()='rect'][contains(@class,'bar')]")


def test_the_ledger_has_one_bar_per_value_and_the_table_as_its_data(
    site: TestClient, hub: Hub, exchange: None
) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    response = site.get(f"/en/newsroom/ledger?{WINDOW}")
    assert response.status_code == 200
    html = page(response)
    totals = html.xpath("//table[contains(@class,'ledger-totals')]/tbody/tr")
    pairs = [(row.xpath("./th")[0].text_content(), row.xpath("./td")[0].text_content()) for row in totals]
    assert pairs == [("IRNA", "AzerTAc"), ("IRNA", "TASS"), ("TASS", "IRNA")]
    supplied_taken = [
        (int(row.xpath("./td")[1].text_content()), int(row.xpath("./td")[4].text_content())) for row in totals
    ]
    assert supplied_taken == [(1, 0), (2, 1), (1, 0)]

    svg = charts(html, "pairs")
    assert svg.get("role") == "img"
    title = svg.xpath("./*[local-name()='title']")[0]
    desc = svg.xpath("./*[local-name()='desc']")[0]
    assert title.text_content().strip() and desc.text_content().strip()
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    drawn = bars(svg)
    assert len(drawn) == 2 * len(totals)  # one bar per value: supplied and taken of each pair
    assert [int(bar.get("data-value")) for bar in drawn] == [
        value for pair in supplied_taken for value in pair
    ]
    assert [bar.get("class") for bar in drawn[:2]] == ["bar bar-supplied", "bar bar-taken"]
    widths = [float(bar.get("width")) for bar in drawn]
    assert widths[2] == max(widths) > widths[0] == widths[3] > 0 and widths[1] == 0  # lengths follow values

    rows = html.xpath("//table[contains(@class,'ledger-table')]/tbody/tr")
    periods = {row.xpath("./th")[0].text_content() for row in rows}
    assert len(bars(charts(html, "periods"))) == 2 * len(periods)
    assert (
        html.xpath("//script[not(@src)]") == [] and "style=" not in response.text
    )  # no inline code or style


def test_the_persian_ledger_is_right_to_left_with_mirrored_bars(
    site: TestClient, hub: Hub, exchange: None
) -> None:
    log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    html = page(site.get(f"/fa/newsroom/ledger?{WINDOW}"))
    assert html.get("dir") == "rtl" and html.get("lang") == "fa"
    svg = charts(html, "pairs")
    width = float(svg.get("width"))
    origin = ledger_chart.H_SIDE
    for bar in bars(svg):  # every bar grows leftwards from the same edge on the right
        assert float(bar.get("x")) + float(bar.get("width")) == pytest.approx(width - origin)
    english = charts(page(site.get(f"/en/newsroom/ledger?{WINDOW}")), "pairs")
    assert {float(bar.get("x")) for bar in bars(english)} == {origin}
    labels = svg.xpath(".//*[local-name()='text'][contains(@class,'chart-label')]")
    assert {label.get("text-anchor") for label in labels} == {"start"}
    assert {label.get("direction") for label in labels} == {"rtl"}  # names set right to left
    assert all("←" in label.text_content() for label in labels)  # source ← recipient, read from the right
    assert "تاس" in " ".join(label.text_content() for label in labels)  # member names in Persian
    values = svg.xpath(".//*[local-name()='text'][contains(@class,'chart-value')]")
    assert "۲" in [value.text_content() for value in values]  # Persian digits


def test_members_see_their_own_pairs_and_download_them_as_csv(
    site: TestClient, hub: Hub, exchange: None
) -> None:
    log_in_as(site, hub, "azertac", "elvin", Role.READER)
    html = page(site.get(f"/en/newsroom/ledger?{WINDOW}"))
    totals = html.xpath("//table[contains(@class,'ledger-totals')]/tbody/tr")
    assert [row.xpath("./th")[0].text_content() for row in totals] == ["IRNA"]  # only pairs with azertac
    assert html.xpath("//select[@name='member']") == []  # only administrators choose a member
    assert site.get(f"/en/newsroom/ledger?{WINDOW}&member=tass").status_code == 403

    link = html.xpath("//a[contains(@class,'ledger-csv')]/@href")[0]
    download = site.get(link)
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["source"], r["recipient"], r["supplied"]) for r in rows] == [("irna", "azertac", "1")]


def test_a_bad_filter_is_explained_on_the_page(site: TestClient, hub: Hub, member: MemberInfo) -> None:
    log_in_as(site, hub, "irna", "leila", Role.EDITOR)
    refused = site.get("/ru/newsroom/ledger?since=yesterday")
    assert refused.status_code == 400
    html = page(refused)
    assert html.xpath("//div[contains(@class,'form-errors')]")
    assert html.xpath("//input[@name='since']/@value") == ["yesterday"]
    empty = page(site.get("/en/newsroom/ledger"))  # the default window: the last twelve months
    assert empty.xpath("//p[contains(@class,'empty')]")
    assert site.get("/en/newsroom/ledger.json").json()["report"]["period"] == "month"
