"""The incoming wire: the other members' items only, newest first, never embargoed or killed ones;
filters as links and as a form; paging; corrections and kills of what the member took; a fixed
number of queries per page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from newsroom_support import add_account, add_members, iso, log_in, page, push, wire_ids

from sql_statements import statements_run
from tabadol.hub import OPERATOR, Hub
from tabadol.types import ComponentResult, Role, Take, utc_now
from tabadol.web.app import create_app
from tabadol.web.portal.catalog import catalog
from tabadol.web.portal.pages import newsroom_data


@pytest.fixture
def desk(site: TestClient, hub: Hub) -> TestClient:
    """Leila, an IRNA editor, logged in."""
    add_members(hub)
    add_account(hub, "leila")
    assert log_in(site, "leila").status_code == 303
    return site


def take(hub: Hub, item_id: str, taker: str = "irna") -> None:
    item = hub.readable_item(item_id)
    hub.storage.record_take(
        Take(item.id, item.version, item.member_code, taker, None, item.language, "fa", True, utc_now())
    )


def test_the_wire_shows_the_other_members_items_newest_first(desk: TestClient, hub: Hub) -> None:
    older = push(hub, "tass", "urn:tass:1", "Паром из Актау", "ru", when="2026-11-20T08:00:00Z")
    newer = push(hub, "azertac", "urn:az:1", "Bakı limanı", "az", when="2026-11-20T09:00:00Z")
    push(hub, "irna", "urn:irna:1", "خبر خودی", "fa", when="2026-11-20T10:00:00Z")  # Leila's own member

    response = desk.get("/fa/newsroom/wire")
    assert response.status_code == 200
    html = page(response)
    assert html.get("lang") == "fa" and html.get("dir") == "rtl"
    assert wire_ids(response) == [newer, older]
    headline = html.xpath("//li[@data-item-id=$id]//*[contains(@class,'wire-headline')]", id=older)[0]
    assert headline.get("lang") == "ru" and headline.get("dir") == "auto"
    assert headline.text_content().strip() == "Паром из Актау"
    row = html.xpath("//li[@data-item-id=$id]", id=older)[0]
    assert row.xpath("string(.//a[@class='wire-member'])") == "تاس"  # the member's Persian name
    assert row.xpath(".//time/@datetime") == ["2026-11-20T08:00:00Z"]
    assert html.xpath("//a[contains(@class,'wire-refresh')]/@href") == ["/fa/newsroom/wire"]
    assert html.xpath("//nav[@class='newsroom-nav']//a[@aria-current='page']/@href") == ["/fa/newsroom/wire"]

    twin = desk.get("/fa/newsroom/wire.json").json()
    assert [entry["id"] for entry in twin["items"]] == [newer, older]
    assert twin["items"][0]["member_code"] == "azertac" and twin["items"][0]["language"] == "az"
    assert "csrf" not in desk.get("/fa/newsroom/wire.json").text


@pytest.fixture
def clocked(hub: Hub) -> Iterator[tuple[TestClient, list]]:
    """A client whose clock the test moves (embargoes are judged by it)."""
    now = [utc_now()]
    add_members(hub)
    add_account(hub, "leila")
    with TestClient(
        create_app(hub, clock=lambda: now[0]), raise_server_exceptions=False, follow_redirects=False
    ) as client:
        assert log_in(client, "leila").status_code == 303
        yield client, now


def test_embargoed_items_are_absent_until_their_release(clocked: tuple[TestClient, list], hub: Hub) -> None:
    client, now = clocked
    release = (now[0] + timedelta(hours=2)).replace(microsecond=0)
    held = push(hub, "tass", "urn:tass:held", "Под эмбарго", "ru", embargoed=iso(release))
    free = push(hub, "tass", "urn:tass:free", "Без эмбарго", "ru")
    assert wire_ids(client.get("/en/newsroom/wire")) == [free]
    assert held not in client.get("/en/newsroom/wire.json").text
    assert client.get(f"/en/newsroom/item/{held}").status_code == 404  # not even its existence
    now[0] = release + timedelta(seconds=1)
    assert held in wire_ids(client.get("/en/newsroom/wire"))


def test_a_kill_removes_the_item_and_tells_the_member_that_took_it(desk: TestClient, hub: Hub) -> None:
    taken = push(hub, "tass", "urn:tass:taken", "Взятое сообщение", "ru")
    other = push(hub, "tass", "urn:tass:other", "Другое сообщение", "ru")
    take(hub, taken)
    hub.kill_item(taken, OPERATOR, "wrong figures")
    hub.kill_item(other, OPERATOR, "wrong place")

    response = desk.get("/en/newsroom/wire")
    assert wire_ids(response) == []
    notices = page(response).xpath("//li[contains(@class,'kill-notice')]")
    assert [notice.get("data-item-id") for notice in notices] == [taken]  # only what IRNA took
    assert "Взятое сообщение" in notices[0].text_content()
    assert catalog("en")["newsroom.kill.taken"].format(version=1) in notices[0].text_content()


def test_a_correction_of_a_taken_item_is_flagged(desk: TestClient, hub: Hub) -> None:
    item_id = push(
        hub, "tass", "urn:tass:fix", "Паром на 200 пассажиров", "ru", body="Паром возьмёт 200 пассажиров."
    )
    take(hub, item_id)
    push(
        hub, "tass", "urn:tass:fix", "Паром на 300 пассажиров", "ru",
        when="2026-11-20T11:00:00Z", body="Паром возьмёт 300 пассажиров.",
    )  # fmt: skip
    row = page(desk.get("/en/newsroom/wire")).xpath("//li[@data-item-id=$id]", id=item_id)[0]
    assert row.xpath("string(.//*[contains(@class,'wire-corrected')])") == "Corrected: version 2"
    changed = row.xpath(".//a[contains(@class,'wire-changed')]")[0]
    assert changed.get("href") == f"/en/newsroom/item/{item_id}#changes"
    assert changed.text_content() == "Changed since you took version 1"

    item = page(desk.get(f"/en/newsroom/item/{item_id}"))
    changes = item.xpath("//section[@id='changes']")[0]
    assert [d.text for d in changes.xpath(".//del")] == ["200", "200"]
    assert [i.text for i in changes.xpath(".//ins")] == ["300", "300"]


def test_filters_by_member_language_and_dates(desk: TestClient, hub: Hub) -> None:
    russian = push(hub, "tass", "urn:tass:1", "Новость", "ru", when="2026-11-19T10:00:00Z")
    english = push(hub, "tass", "urn:tass:2", "News", "en", when="2026-11-20T10:00:00Z")
    azeri = push(hub, "azertac", "urn:az:1", "Xəbər", "az", when="2026-11-21T10:00:00Z")

    assert wire_ids(desk.get("/en/newsroom/wire?member=tass")) == [english, russian]
    assert wire_ids(desk.get("/en/newsroom/wire?language=ru")) == [russian]
    assert wire_ids(desk.get("/en/newsroom/wire?from=2026-11-20&to=2026-11-20")) == [english]
    assert wire_ids(desk.get("/en/newsroom/wire?member=tass&language=en")) == [english]
    assert wire_ids(desk.get("/en/newsroom/wire?from=2026-11-21")) == [azeri]

    html = page(desk.get("/en/newsroom/wire?member=tass"))
    # The same filters as links (keeping the others) and as a GET form.
    assert html.xpath("//nav[@class='wire-filter-links']//a[@aria-current='true']/@href")[0] == (
        "/en/newsroom/wire?member=tass"
    )
    assert "/en/newsroom/wire?member=tass&language=ru" in html.xpath(
        "//nav[@class='wire-filter-links']//a/@href"
    )
    form = html.xpath("//form[@class='wire-filter-form']")[0]
    assert form.get("method") == "get"
    for name in ("member", "language", "topic", "from", "to"):
        field = form.xpath(".//*[@name=$name]", name=name)[0]
        assert form.xpath(".//label[@for=$id]", id=field.get("id")), name
    assert form.xpath(".//select[@name='member']/option[@selected]/@value") == ["tass"]
    assert "irna" not in form.xpath(".//select[@name='member']/option/@value")  # not one's own member
    assert desk.get("/en/newsroom/wire?member=irna").status_code == 400
    assert desk.get("/en/newsroom/wire?from=yesterday").status_code == 400


def test_the_topic_filter_reads_the_enrichment_and_includes_narrower_topics(
    desk: TestClient, hub: Hub
) -> None:
    trade = push(hub, "tass", "urn:tass:trade", "Торговля", "ru")
    sport = push(hub, "tass", "urn:tass:sport", "Спорт", "ru")
    untagged = push(hub, "tass", "urn:tass:plain", "Без темы", "ru")
    for item_id, code in ((trade, "medtop:20000373"), (sport, "medtop:15000000")):
        topics = {"topics": [{"scheme": "iptc", "code": code, "label": "x", "score": 0.9}]}
        result = ComponentResult("topics", "test", 1, topics, None, utc_now())
        hub.storage.save_enrichment(item_id, [result], None)
    # International trade is narrower than economy: the economy filter finds it.
    assert wire_ids(desk.get("/en/newsroom/wire?topic=medtop:04000000")) == [trade]
    assert wire_ids(desk.get("/en/newsroom/wire?topic=medtop:15000000")) == [sport]
    assert untagged in wire_ids(desk.get("/en/newsroom/wire"))
    label = page(desk.get("/ru/newsroom/wire")).xpath(
        "//li[@data-item-id=$id]//a[contains(@class,'wire-topic')]", id=trade
    )
    assert label[0].text_content() == "международная торговля"
    assert desk.get("/en/newsroom/wire?topic=medtop:99999999").status_code == 400


def test_paging_goes_back_in_time_without_repeats(
    desk: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(newsroom_data, "WIRE_PAGE", 2)
    ids = [
        push(hub, "tass", f"urn:tass:{n}", f"Новость {n}", "ru", when=f"2026-11-20T1{n}:00:00Z")
        for n in range(5)
    ]
    seen: list[str] = []
    response = desk.get("/en/newsroom/wire?language=ru")
    while True:
        seen += wire_ids(response)
        older = page(response).xpath("//a[@class='wire-older']/@href")
        if not older:
            break
        assert "language=ru" in older[0]
        response = desk.get(older[0])
        assert page(response).xpath("//a[@class='wire-newest']/@href") == ["/en/newsroom/wire?language=ru"]
        assert not page(response).xpath("//ol[@data-stream]")  # live updates only on the newest page
    assert seen == list(reversed(ids))


def test_a_page_of_fifty_items_runs_a_fixed_number_of_queries(desk: TestClient, hub: Hub) -> None:
    for n in range(60):
        push(hub, "tass", f"urn:tass:{n}", f"Новость {n}", "ru", when=f"2026-11-20T10:{n:02d}:00Z")
    push(hub, "tass", "urn:tass:en", "News", "en", when="2026-11-20T09:00:00Z")

    def statements_for(path: str, rows: int) -> list[str]:
        with statements_run(hub.storage) as seen:
            response = desk.get(path)
        assert len(wire_ids(response)) == rows
        return [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]

    one = statements_for("/en/newsroom/wire?language=en", 1)
    fifty = statements_for("/en/newsroom/wire", 50)
    assert len(fifty) == len(one) <= 10, fifty


@pytest.mark.parametrize(("role", "admin_link"), [(Role.EDITOR, False), (Role.ADMIN, True)])
def test_the_newsroom_navigation_links_every_area(
    site: TestClient, hub: Hub, role: Role, admin_link: bool
) -> None:
    add_members(hub)
    add_account(hub, "someone", role)
    log_in(site, "someone", lang="ar")
    html = page(site.get("/ar/newsroom/wire"))
    assert html.get("dir") == "rtl"
    links = html.xpath("//nav[@class='newsroom-nav']//a/@href")
    for path in ("wire", "desk", "settings/subscriptions", "settings/keys", "ledger"):
        assert f"/ar/newsroom/{path}" in links
    assert ("/ar/newsroom/admin/members" in links) is admin_link
    assert html.xpath("string(//span[@class='newsroom-user'])") == "Someone، IRNA"
