"""The usage ledger's exchange report: periods in UTC, parameters, and exact counts from a real
exchange (ingest, subscriptions, the dispatcher's event log, takes) on both backends."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.reports import (
    NO_TOPIC,
    Period,
    exchange_report,
    next_period_start,
    parse_group,
    parse_moment,
    parse_period,
    period_label,
    period_start,
    report_csv,
    report_json,
    report_query,
    top_level_topic,
)
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.errors import TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.types import ComponentResult, Take, utc_now

ECONOMY = "medtop:04000000"
POLITICS = "medtop:11000000"
INTERNATIONAL_TRADE = "medtop:20000373"  # under "economy", itself under "economy, business and finance"


# -- periods and parameters -------------------------------------------------------------------------
def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "moment", "label", "start", "following"),
    [
        (Period.DAY, "2026-11-23T23:59:59.999999", "2026-11-23", "2026-11-23", "2026-11-24"),
        (Period.WEEK, "2026-11-29T23:59:59", "2026-W48", "2026-11-23", "2026-11-30"),
        (Period.WEEK, "2027-01-01T12:00:00", "2026-W53", "2026-12-28", "2027-01-04"),
        (Period.MONTH, "2026-12-31T23:59:59", "2026-12", "2026-12-01", "2027-01-01"),
        (Period.YEAR, "2026-11-23T10:00:00", "2026", "2026-01-01", "2027-01-01"),
    ],
)
def test_periods_are_utc_and_iso(period: Period, moment: str, label: str, start: str, following: str) -> None:
    when = at(moment)
    assert period_label(when, period) == label
    assert period_start(when, period) == at(start)
    assert next_period_start(period_start(when, period), period) == at(following)


def test_a_moment_in_another_zone_is_counted_in_its_utc_period() -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))
    # 02:00 on 1 December in Tehran is still 30 November in UTC.
    when = datetime(2026, 12, 1, 2, 0, tzinfo=tehran)
    assert period_label(when, Period.MONTH) == "2026-11"
    assert period_label(when, Period.DAY) == "2026-11-30"


def test_parameters_parse_and_bad_ones_name_the_parameter() -> None:
    assert parse_period(None) is Period.MONTH and parse_period("Week") is Period.WEEK
    assert parse_group("topic, language") == ("language", "topic") and parse_group("") == ()
    assert parse_moment("2026-11-23", "since") == at("2026-11-23T00:00:00")
    assert parse_moment("2026-11-23T10:00:00+03:30", "since") == at("2026-11-23T06:30:00")
    assert parse_moment("2026-11", "since") == at("2026-11-01T00:00:00")
    assert parse_moment("2026-W48", "until") == at("2026-11-23T00:00:00")
    assert parse_moment("2026", "until") == at("2026-01-01T00:00:00")
    for call, param in [
        (lambda: parse_period("fortnight"), "period"),
        (lambda: parse_group("language,country"), "group"),
        (lambda: parse_moment("23/11/2026", "since"), "since"),
        (lambda: parse_moment("2026-13", "until"), "until"),
        (lambda: report_query("2026-12-01", "2026-11-01", None, None, None, utc_now()), "since"),
    ]:
        with pytest.raises(TabadolError) as caught:
            call()
        assert caught.value.code.slug == "invalid_query"
        assert f"'{param}'" in caught.value.message


def test_default_window_is_the_current_period_so_far() -> None:
    now = at("2026-11-23T18:00:00")
    query = report_query(None, None, None, None, None, now)
    assert (query.since, query.until, query.period) == (at("2026-11-01T00:00:00"), now, Period.MONTH)
    weekly = report_query(None, "2026-12-01", "week", None, None, now)
    assert (weekly.since, weekly.until) == (at("2026-11-30T00:00:00"), at("2026-12-01T00:00:00"))


def topics_result(*topics: tuple[str, str, float], error: str | None = None) -> ComponentResult:
    data = {"topics": [{"scheme": s, "code": c, "label": c, "score": v} for s, c, v in topics]}
    return ComponentResult("topics", "1", 1, data, error, utc_now())


def test_top_level_topic_is_the_most_confident_top_level_ancestor() -> None:
    found = topics_result(("iptc", INTERNATIONAL_TRADE, 0.8), ("iptc", POLITICS, 0.3))
    assert top_level_topic({"topics": found}) == ECONOMY
    own_scheme_only = topics_result(("irna-desks", "economy", 0.9))
    assert top_level_topic({"topics": own_scheme_only}) == NO_TOPIC
    assert top_level_topic({"topics": topics_result(error="model failed")}) == NO_TOPIC
    assert top_level_topic({}) == NO_TOPIC


# -- a real exchange --------------------------------------------------------------------------------
def push(hub: Hub, member: str, guid: str, language: str, headline: str) -> str:
    body = {
        "uri": guid,
        "type": "text",
        "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": headline + " — body."}],
    }
    data = json.dumps(body, ensure_ascii=False).encode()
    return hub.ingest_payload(member, data, "application/ninjs+json", via="test").outcomes[0].item_id


def take(hub: Hub, item_id: str, taker: str, language: str, when: datetime) -> None:
    """Record a take as POST /items/{id}/take does, at a chosen moment (periods are the point)."""
    item = hub.storage.get_item(item_id)
    assert item is not None
    translated = (item.language or "").split("-")[0] != language
    hub.storage.record_take(
        Take(item.id, item.version, item.member_code, taker, None, item.language, language, translated, when)
    )


def drain_at(hub: Hub, when: datetime) -> None:
    Dispatcher(hub.storage, clock=lambda: when).drain()


def next_month_start(now: datetime) -> datetime:
    return next_period_start(period_start(now, Period.MONTH), Period.MONTH)


def build_exchange(hub: Hub, make_member: Callable[..., Any], when: datetime) -> dict[str, str]:
    """irna supplies A, B (updated), C (English, killed) to tass (two subscriptions) and azertac;
    tass supplies D to azertac and irna; every member also receives its own items (not exchange)."""
    make_member(hub, "irna", "IR", ("fa",), {"en": "IRNA", "ru": "ИРНА"})
    make_member(hub, "tass", "RU", ("ru",), {"en": "TASS", "ru": "ТАСС"})
    make_member(hub, "azertac", "AZ", ("az",), {"en": "AzerTAc"})
    add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    add_subscription(hub, "tass", "everything", build_filter(), OPERATOR)
    add_subscription(hub, "azertac", "everything", build_filter(), OPERATOR)
    add_subscription(hub, "irna", "everything", build_filter(), OPERATOR)
    items = {
        "A": push(hub, "irna", "urn:irna:a", "fa", "خبر اقتصادی"),
        "B": push(hub, "irna", "urn:irna:b", "fa-IR", "خبر دوم"),
        "C": push(hub, "irna", "urn:irna:c", "en", "IRNA English story"),
        "D": push(hub, "tass", "urn:tass:d", "ru", "Новость ТАСС"),
    }
    drain_at(hub, when)
    push(hub, "irna", "urn:irna:b", "fa-IR", "خبر دوم (اصلاح شد)")
    hub.kill_item(items["C"], OPERATOR, "wrong figures")
    drain_at(hub, when)
    take(hub, items["A"], "tass", "ru", when)
    take(hub, items["A"], "tass", "fa", when)  # the same item again: still one item taken
    take(hub, items["D"], "azertac", "az", when)
    take(hub, items["A"], "irna", "fa", when)  # its own item: not an exchange
    trade = topics_result(("iptc", INTERNATIONAL_TRADE, 0.8), ("iptc", POLITICS, 0.3))
    hub.storage.save_enrichment(items["A"], [trade], None)
    hub.storage.save_enrichment(items["D"], [topics_result(("iptc", POLITICS, 0.9))], None)
    return items


def counts(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(row[c] for c in ("supplied", "updates", "kills", "taken", "translated"))


def by_pair(rows: list[dict[str, Any]], *extra: str) -> dict[tuple[str, ...], tuple[int, ...]]:
    return {(r["source"], r["recipient"], *(r[e] for e in extra)): counts(r) for r in rows}


def test_counts_per_pair_language_and_topic(hub: Hub, make_member: Callable[..., Any]) -> None:
    when = next_month_start(utc_now()) + timedelta(days=2, hours=5)
    build_exchange(hub, make_member, when)
    month = f"{when.year}-{when.month:02d}"
    members = {m.code: m for m in hub.storage.list_members()}

    plain = report_json(exchange_report(hub.storage, query_for(when, None)), members, "en")
    assert {r["period"] for r in plain["rows"]} == {month}
    assert by_pair(plain["rows"]) == {
        ("irna", "tass"): (3, 1, 1, 1, 1),
        ("irna", "azertac"): (3, 1, 1, 0, 0),
        ("tass", "azertac"): (1, 0, 0, 1, 1),
        ("tass", "irna"): (1, 0, 0, 0, 0),
    }
    assert by_pair(plain["totals"]) == by_pair(plain["rows"])
    first = next(r for r in plain["rows"] if r["source"] == "irna" and r["recipient"] == "tass")
    assert (first["source_name"], first["recipient_name"]) == ("IRNA", "TASS")

    grouped = report_json(exchange_report(hub.storage, query_for(when, "language,topic")), members, "ru")
    assert by_pair(grouped["rows"], "language", "topic") == {
        ("irna", "tass", "fa", ECONOMY): (1, 0, 0, 1, 1),
        ("irna", "tass", "fa", NO_TOPIC): (1, 1, 0, 0, 0),
        ("irna", "tass", "en", NO_TOPIC): (1, 0, 1, 0, 0),
        ("irna", "azertac", "fa", ECONOMY): (1, 0, 0, 0, 0),
        ("irna", "azertac", "fa", NO_TOPIC): (1, 1, 0, 0, 0),
        ("irna", "azertac", "en", NO_TOPIC): (1, 0, 1, 0, 0),
        ("tass", "azertac", "ru", POLITICS): (1, 0, 0, 1, 1),
        ("tass", "irna", "ru", POLITICS): (1, 0, 0, 0, 0),
    }
    labels = {r["topic"]: r["topic_label"] for r in grouped["rows"]}
    assert labels[POLITICS] == "политика" and labels[NO_TOPIC] is None
    assert {r["source_name"] for r in grouped["rows"]} == {"ИРНА", "ТАСС"}


def query_for(when: datetime, group: str | None, members: tuple[str, ...] | None = None) -> Any:
    since = period_start(when, Period.MONTH)
    until = next_period_start(since, Period.MONTH)
    return report_query(since.isoformat(), until.isoformat(), "month", group, members, utc_now())


def test_a_member_sees_only_its_own_exchanges(hub: Hub, make_member: Callable[..., Any]) -> None:
    when = next_month_start(utc_now()) + timedelta(days=3)
    build_exchange(hub, make_member, when)
    for member, pairs in {
        "irna": {("irna", "tass"), ("irna", "azertac"), ("tass", "irna")},
        "azertac": {("irna", "azertac"), ("tass", "azertac")},
    }.items():
        report = exchange_report(hub.storage, query_for(when, "language", (member,)))
        assert {(r.key.source, r.key.recipient) for r in report.rows} == pairs
        assert {(r.key.source, r.key.recipient) for r in report.totals} == pairs


def test_period_boundaries_are_utc_midnight(hub: Hub, make_member: Callable[..., Any]) -> None:
    make_member(hub, "irna", "IR", ("fa",))
    make_member(hub, "tass", "RU", ("ru",))
    add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    boundary = next_month_start(utc_now())
    just_before = boundary - timedelta(microseconds=1)
    late = push(hub, "irna", "urn:irna:late", "fa", "خبر دیر")
    drain_at(hub, just_before)
    early = push(hub, "irna", "urn:irna:early", "fa", "خبر زود")
    drain_at(hub, boundary)
    take(hub, late, "tass", "fa", just_before)
    take(hub, early, "tass", "ru", boundary)
    since = period_start(just_before, Period.MONTH)
    until = next_period_start(boundary, Period.MONTH)
    for period, labels in {
        "month": (just_before.strftime("%Y-%m"), boundary.strftime("%Y-%m")),
        "day": ((boundary - timedelta(days=1)).date().isoformat(), boundary.date().isoformat()),
    }.items():
        query = report_query(since.isoformat(), until.isoformat(), period, None, None, utc_now())
        rows = exchange_report(hub.storage, query).rows
        assert [(r.key.period, r.counts.supplied, r.counts.taken, r.counts.translated) for r in rows] == [
            (labels[0], 1, 1, 0),
            (labels[1], 1, 1, 1),
        ]
    # `since` is inclusive and `until` exclusive: the boundary instant belongs to the later window.
    later = report_query(boundary.isoformat(), until.isoformat(), "month", None, None, utc_now())
    assert [r.counts.supplied for r in exchange_report(hub.storage, later).rows] == [1]
    earlier = report_query(since.isoformat(), boundary.isoformat(), "month", None, None, utc_now())
    assert [r.key.period for r in exchange_report(hub.storage, earlier).rows] == [
        just_before.strftime("%Y-%m")
    ]


def test_csv_parses_back_with_a_header_and_quotes(hub: Hub, make_member: Callable[..., Any]) -> None:
    when = next_month_start(utc_now()) + timedelta(days=1)
    build_exchange(hub, make_member, when)
    members = {m.code: m for m in hub.storage.list_members()}
    report = exchange_report(hub.storage, query_for(when, "topic"))
    text = report_csv(report, members, "en")
    assert text.endswith("\r\n")
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(parsed[0]) == [
        "period",
        "source",
        "source_name",
        "recipient",
        "recipient_name",
        "topic",
        "topic_label",
        "supplied",
        "updates",
        "kills",
        "taken",
        "translated",
    ]
    assert len(parsed) == len(report.rows)
    economy = next(r for r in parsed if r["topic"] == ECONOMY and r["recipient"] == "tass")
    # The label holds commas: quoted in the file, whole again once parsed.
    assert economy["topic_label"] == "economy, business and finance"
    assert '"economy, business and finance"' in text
    assert (economy["supplied"], economy["taken"]) == ("1", "1")
    assert next(r for r in parsed if r["topic"] == NO_TOPIC)["topic_label"] == ""
