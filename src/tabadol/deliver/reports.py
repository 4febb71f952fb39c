"""The usage ledger's exchange report: what each member supplied to and took from each other member.

The agreements let members use each other's news unaltered and with attribution; the ledger is the
honest account of that use. Two sources feed it, both already written by the hub:

- **supplied**: the subscription event log. An item counts as supplied from its source member to a
  recipient member when one of the recipient's subscriptions got a `publish` event for it. Distinct
  items are counted, so two subscriptions of one member receiving the same item count once. Newer
  versions (`updates`, distinct item versions) and kills (`kills`, distinct items) are counted in
  their own columns: a correction is not new supply.
- **taken**: the takes table (`POST /api/v1/items/{id}/take`): distinct items the recipient's
  editors took from the source member, and how many of them were taken into another language
  (`translated`).

A member's own subscription receiving its own items is not an exchange and is left out.

Rows are grouped by period (UTC day, ISO week, month or year, by when the event was written or the
take made), source member, recipient member and, on request, the item's language (primary subtag;
"und" when unknown) and its top-level IPTC Media Topic (the most confident top-level topic the
enrichment found for the item's current version; "none" when the item is not enriched). Codes are the
keys; member names and topic labels are added for people reading the report.

Totals count distinct items per pair over the whole window, so an item supplied in one period and
corrected in the next counts once in the pair's total even though it appears in two rows.

Takes alone can also be grouped by period and the taken item's original language, across pairs
(`takes_by_language`): what the alliance took of the news written in each language; or by period and
the taken item's top-level topic (`takes_by_topic`, with the topics read as for `group=topic`).
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from tabadol.enrich.topics_taxonomy import IPTC_SCHEME, iptc_taxonomy
from tabadol.errors import ErrorCode, TabadolError
from tabadol.serialize import format_datetime
from tabadol.types import ComponentResult, EventKind, MemberInfo, Take

NO_TOPIC = "none"
NO_LANGUAGE = "und"  # BCP-47 "undetermined"
DIMENSIONS = ("language", "topic")  # the optional grouping dimensions, in column order
TOPICS_COMPONENT = "topics"
# enrichment_of is asked in slices so a year's report never builds one enormous IN (...) list.
ENRICHMENT_BATCH = 500
COUNT_COLUMNS = ("supplied", "updates", "kills", "taken", "translated")


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# -- periods (UTC) ----------------------------------------------------------------------------------
def period_start(moment: datetime, period: Period) -> datetime:
    """The first instant (UTC) of the period holding `moment`."""
    day = moment.astimezone(UTC).date()
    if period is Period.WEEK:
        day -= timedelta(days=day.weekday())  # ISO weeks start on Monday
    elif period is Period.MONTH:
        day = day.replace(day=1)
    elif period is Period.YEAR:
        day = day.replace(month=1, day=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def next_period_start(start: datetime, period: Period) -> datetime:
    """The first instant of the period after the one starting at `start`."""
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    if period is Period.MONTH:
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return start.replace(year=year, month=month, day=1)
    return start.replace(year=start.year + 1, month=1, day=1)


def period_label(moment: datetime, period: Period) -> str:
    """2026-11-23 (day), 2026-W48 (ISO week), 2026-11 (month), 2026 (year); always in UTC."""
    day = moment.astimezone(UTC).date()
    if period is Period.DAY:
        return day.isoformat()
    if period is Period.WEEK:
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period is Period.MONTH:
        return f"{day.year}-{day.month:02d}"
    return str(day.year)


# -- query parameters -------------------------------------------------------------------------------
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def invalid(param: str, reason: str) -> TabadolError:
    return TabadolError(ErrorCode.INVALID_QUERY, param=param, reason=reason)


def parse_period(raw: str | None) -> Period:
    if raw is None or not raw.strip():
        return Period.MONTH
    try:
        return Period(raw.strip().lower())
    except ValueError:
        raise invalid("period", f"'{raw}' is not one of {', '.join(p.value for p in Period)}") from None


def parse_group(raw: str | None) -> tuple[str, ...]:
    """`language,topic` (any order, either or none) -> the dimensions in column order."""
    names = {part.strip().lower() for part in (raw or "").split(",") if part.strip()}
    unknown = sorted(names - set(DIMENSIONS))
    if unknown:
        raise invalid("group", f"unknown dimension(s) {', '.join(unknown)}; use {', '.join(DIMENSIONS)}")
    return tuple(name for name in DIMENSIONS if name in names)


def parse_moment(raw: str, param: str) -> datetime:
    """An ISO 8601 date or date-time (no zone: UTC), or a period's start: 2026, 2026-11, 2026-W48."""
    text = raw.strip()
    try:
        if match := _YEAR.match(text):
            return datetime(int(match[1]), 1, 1, tzinfo=UTC)
        if match := _MONTH.match(text):
            return datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
        if match := _WEEK.match(text):
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(param, f"'{raw}' is not a date (2026-11-23), a date-time or a period") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    since: datetime  # inclusive
    until: datetime  # exclusive
    period: Period
    group: tuple[str, ...]  # dimensions beyond period and pair, a subset of DIMENSIONS
    members: tuple[str, ...] | None  # only rows these members supplied or received (None: all)


def report_query(
    since: str | None,
    until: str | None,
    period: str | None,
    group: str | None,
    members: Sequence[str] | None,
    now: datetime,
) -> ReportQuery:
    """The query from its raw parameters. Without `until` the window ends now; without `since` it
    starts at the beginning of the period in which it ends (by default: this month so far)."""
    chosen = parse_period(period)
    end = parse_moment(until, "until") if until else now
    start = parse_moment(since, "since") if since else period_start(end - timedelta(microseconds=1), chosen)
    if start >= end:
        raise invalid("since", f"{format_datetime(start)} is not before until {format_datetime(end)}")
    return ReportQuery(start, end, chosen, parse_group(group), None if members is None else tuple(members))


# -- topics -----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _iptc_parents() -> Mapping[str, str | None]:
    return {topic.code: topic.parent for topic in iptc_taxonomy().topics}


def _top_level(code: str) -> str | None:
    parents = _iptc_parents()
    if code not in parents:
        return None
    seen = {code}
    while (parent := parents[code]) is not None and parent not in seen:
        seen.add(parent)
        code = parent
    return code


def top_level_topic(results: Mapping[str, ComponentResult]) -> str:
    """The item's most confident top-level IPTC Media Topic (a lower topic counts for its top-level
    ancestor), or NO_TOPIC when the topics component has not run or failed."""
    result = results.get(TOPICS_COMPONENT)
    if result is None or result.error is not None:
        return NO_TOPIC
    best, best_score = NO_TOPIC, float("-inf")
    for topic in result.data.get("topics") or ():
        root = _top_level(str(topic.get("code"))) if topic.get("scheme") == IPTC_SCHEME else None
        score = float(topic.get("score") or 0.0)
        if root is not None and score > best_score:
            best, best_score = root, score
    return best


def topic_label(code: str, language: str) -> str | None:
    """The IPTC label of a code in `language` (else English); None for NO_TOPIC or unknown codes."""
    try:
        return iptc_taxonomy().topic(code).label_in(language)
    except KeyError:
        return None


def topics_of(storage: Any, item_ids: Iterable[str]) -> dict[str, str]:
    """Top-level topic of each item, reading stored enrichment in batches."""
    ids = sorted(set(item_ids))
    topics: dict[str, str] = {}
    for offset in range(0, len(ids), ENRICHMENT_BATCH):
        batch = ids[offset : offset + ENRICHMENT_BATCH]
        for item_id, results in storage.enrichment_of(batch).items():
            topics[item_id] = top_level_topic(results)
    return topics


# -- tallying ---------------------------------------------------------------------------------------
def primary_language(tag: str | None) -> str:
    return tag.split("-")[0].lower() if tag else NO_LANGUAGE


@dataclass(frozen=True, slots=True, order=True)
class GroupKey:
    period: str  # "" in a pair's total
    source: str
    recipient: str
    language: str | None  # None unless grouped by language
    topic: str | None  # None unless grouped by topic


@dataclass(slots=True)
class _Tally:
    supplied: set[str] = field(default_factory=set)
    updates: set[tuple[str, int]] = field(default_factory=set)
    kills: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    translated: set[str] = field(default_factory=set)

    def counts(self) -> Counts:
        return Counts(
            len(self.supplied), len(self.updates), len(self.kills), len(self.taken), len(self.translated)
        )


@dataclass(frozen=True, slots=True)
class Counts:
    supplied: int
    updates: int
    kills: int
    taken: int
    translated: int


@dataclass(frozen=True, slots=True)
class LedgerRow:
    key: GroupKey
    counts: Counts


@dataclass(frozen=True, slots=True)
class ExchangeReport:
    query: ReportQuery
    rows: tuple[LedgerRow, ...]  # by period, source, recipient, language, topic
    totals: tuple[LedgerRow, ...]  # one per pair over the whole window (key.period == "")


class _Ledger:
    """Sets of distinct items per group and per pair, filled from events and takes."""

    def __init__(self, query: ReportQuery, topic_of: Mapping[str, str]) -> None:
        self.query = query
        self.topic_of = topic_of
        self.groups: dict[GroupKey, _Tally] = defaultdict(_Tally)
        self.pairs: dict[GroupKey, _Tally] = defaultdict(_Tally)

    def tallies(
        self, moment: datetime, source: str, recipient: str, item_id: str, language: str | None
    ) -> tuple[_Tally, _Tally]:
        group = self.query.group
        key = GroupKey(
            period_label(moment, self.query.period),
            source,
            recipient,
            primary_language(language) if "language" in group else None,
            self.topic_of.get(item_id, NO_TOPIC) if "topic" in group else None,
        )
        return self.groups[key], self.pairs[GroupKey("", source, recipient, None, None)]

    def add_event(self, event: Any) -> None:
        if event.source_member == event.recipient_member:
            return
        item_id = str(event.item_id)
        for tally in self.tallies(
            event.created_at, event.source_member, event.recipient_member, item_id, event.language
        ):
            if event.kind == EventKind.PUBLISH:
                tally.supplied.add(item_id)
            elif event.kind == EventKind.UPDATE:
                tally.updates.add((item_id, int(event.version)))
            elif event.kind == EventKind.KILL:
                tally.kills.add(item_id)

    def add_take(self, take: Take) -> None:
        if take.source_member == take.taker_member:
            return
        for tally in self.tallies(
            take.taken_at, take.source_member, take.taker_member, take.item_id, take.item_language
        ):
            tally.taken.add(take.item_id)
            if take.translated:
                tally.translated.add(take.item_id)

    def report(self) -> ExchangeReport:
        def rows(tallies: Mapping[GroupKey, _Tally]) -> tuple[LedgerRow, ...]:
            return tuple(LedgerRow(key, tallies[key].counts()) for key in sorted(tallies))

        return ExchangeReport(self.query, rows(self.groups), rows(self.pairs))


def tally_report(
    query: ReportQuery, events: Iterable[Any], takes: Iterable[Take], topic_of: Mapping[str, str]
) -> ExchangeReport:
    """The report from event rows (`storage.exchange_events` rows), takes and items' topics."""
    ledger = _Ledger(query, topic_of)
    for event in events:
        ledger.add_event(event)
    for take in takes:
        ledger.add_take(take)
    return ledger.report()


def exchange_report(storage: Any, query: ReportQuery, takes: Sequence[Take] | None = None) -> ExchangeReport:
    """Read the window's events and takes (limited to the query's members) and tally them. A caller
    that needs the takes for another view too (takes_by_language) reads them once and passes them."""
    events = storage.exchange_events(query.since, query.until, query.members)
    if takes is None:
        takes = storage.takes_between(query.since, query.until, query.members)
    topic_of: Mapping[str, str] = {}
    if "topic" in query.group:
        topic_of = topics_of(storage, [str(e.item_id) for e in events] + [t.item_id for t in takes])
    return tally_report(query, events, takes, topic_of)


# -- takes by the item's language or topic ---------------------------------------------------------
LANGUAGE_COLUMNS = ("period", "language", "language_name", "taken", "translated")  # CSV and JSON rows
TOPIC_COLUMNS = ("period", "topic", "topic_label", "taken", "translated")  # CSV and JSON rows


@dataclass(frozen=True, slots=True, order=True)
class LanguageRow:
    """What was taken of the items written in one language (primary subtag of the original, "und"
    when unknown) in one period: `taken` counts each item once per member that took it (as the
    ledger's `taken` does per pair, so a period's rows add up to the ledger's takes in that period);
    `translated` counts those taken into another language."""

    period: str
    language: str
    taken: int
    translated: int


@dataclass(frozen=True, slots=True, order=True)
class TopicRow:
    """What was taken of the items about one top-level IPTC Media Topic (`top_level_topic` of the
    item's current enrichment, NO_TOPIC when it has none) in one period, counted as LanguageRow's."""

    period: str
    topic: str
    taken: int
    translated: int


def exchanged(takes: Iterable[Take]) -> list[Take]:
    """The takes that are an exchange: a member's take of its own item is left out, as in the ledger."""
    return [take for take in takes if take.source_member != take.taker_member]


def _count_takes(
    query: ReportQuery, takes: Iterable[Take], value_of: Callable[[Take], str]
) -> list[tuple[str, str, int, int]]:
    """(period, value, taken, translated) by period then value; each item once per member that took it."""
    taken: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    translated: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for take in exchanged(takes):
        key = (period_label(take.taken_at, query.period), value_of(take))
        taken[key].add((take.item_id, take.taker_member))
        if take.translated:
            translated[key].add((take.item_id, take.taker_member))
    return [
        (period, value, len(taken[(period, value)]), len(translated[(period, value)]))
        for period, value in sorted(taken)
    ]


def takes_by_language(query: ReportQuery, takes: Iterable[Take]) -> tuple[LanguageRow, ...]:
    """Takes grouped by period and the taken item's original language, by period then language."""
    return tuple(
        LanguageRow(*row) for row in _count_takes(query, takes, lambda t: primary_language(t.item_language))
    )


def takes_by_topic(
    query: ReportQuery, takes: Iterable[Take], topic_of: Mapping[str, str]
) -> tuple[TopicRow, ...]:
    """Takes grouped by period and the taken item's top-level topic (from `topic_of`, as
    `topics_of` reads it; NO_TOPIC for an item it lacks), by period then topic code."""
    return tuple(
        TopicRow(*row) for row in _count_takes(query, takes, lambda t: topic_of.get(t.item_id, NO_TOPIC))
    )


def topics_of_takes(storage: Any, takes: Iterable[Take]) -> dict[str, str]:
    """The top-level topic of each item taken in an exchange: the same reading as the report's
    `group=topic` (topics_of), so the two views cannot disagree on what an item is about."""
    return topics_of(storage, (take.item_id for take in exchanged(takes)))


def _takes_csv(
    header: Sequence[str], rows: Iterable[tuple[str, str, int, int]], names: Mapping[str, str]
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for period, value, taken, translated in rows:
        writer.writerow([period, value, names.get(value, ""), taken, translated])
    return buffer.getvalue()


def language_csv(rows: Iterable[LanguageRow], names: Mapping[str, str]) -> str:
    """The takes by language as RFC 4180 CSV in LANGUAGE_COLUMNS, the language's name (in the
    reader's language) from `names` by code."""
    return _takes_csv(LANGUAGE_COLUMNS, ((r.period, r.language, r.taken, r.translated) for r in rows), names)


def topic_csv(rows: Iterable[TopicRow], labels: Mapping[str, str]) -> str:
    """The takes by topic as RFC 4180 CSV in TOPIC_COLUMNS, the topic's label (in the reader's
    language) from `labels` by code."""
    return _takes_csv(TOPIC_COLUMNS, ((r.period, r.topic, r.taken, r.translated) for r in rows), labels)


# -- presentation -----------------------------------------------------------------------------------
def columns(query: ReportQuery) -> list[str]:
    """The flat columns of a row, as in CSV and JSON rows."""
    extra: list[str] = []
    if "language" in query.group:
        extra.append("language")
    if "topic" in query.group:
        extra += ["topic", "topic_label"]
    return ["period", "source", "source_name", "recipient", "recipient_name", *extra, *COUNT_COLUMNS]


def _member_name(members: Mapping[str, MemberInfo], code: str, language: str) -> str | None:
    member = members.get(code)
    # Names are keyed by primary language ("fa"), so "fa-IR" must find the Persian one too.
    return None if member is None else member.name(primary_language(language))


def pair_fields(row: LedgerRow, members: Mapping[str, MemberInfo], language: str) -> dict[str, Any]:
    """A pair's codes, names and counts (a pair's total has no period or other dimension)."""
    fields: dict[str, Any] = {
        "source": row.key.source,
        "source_name": _member_name(members, row.key.source, language),
        "recipient": row.key.recipient,
        "recipient_name": _member_name(members, row.key.recipient, language),
    }
    return fields | {column: getattr(row.counts, column) for column in COUNT_COLUMNS}


def row_fields(
    row: LedgerRow, query: ReportQuery, members: Mapping[str, MemberInfo], language: str
) -> dict[str, Any]:
    """One row as flat fields in `columns` order."""
    fields = {"period": row.key.period, **pair_fields(row, members, language)}
    if "language" in query.group:
        fields["language"] = row.key.language
    if "topic" in query.group:
        topic = row.key.topic or NO_TOPIC
        fields["topic"] = topic
        fields["topic_label"] = topic_label(topic, language)
    return {column: fields[column] for column in columns(query)}


def report_json(report: ExchangeReport, members: Mapping[str, MemberInfo], language: str) -> dict[str, Any]:
    query = report.query
    return {
        "since": format_datetime(query.since),
        "until": format_datetime(query.until),
        "period": query.period.value,
        "group": list(query.group),
        "rows": [row_fields(row, query, members, language) for row in report.rows],
        "totals": [pair_fields(total, members, language) for total in report.totals],
    }


def report_csv(report: ExchangeReport, members: Mapping[str, MemberInfo], language: str) -> str:
    """RFC 4180 CSV (CRLF line ends, quotes where needed) with a header row; empty cells for None."""
    header = columns(report.query)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in report.rows:
        fields = row_fields(row, report.query, members, language)
        writer.writerow(["" if fields.get(column) is None else fields[column] for column in header])
    return buffer.getvalue()


def report_filename(query: ReportQuery, extension: str, prefix: str = "exchange") -> str:
    """exchange_2026-11-01_2026-11-30.csv: the first and last day of the window (UTC), safe in a
    Content-Disposition header."""
    last = query.until - timedelta(microseconds=1)
    return f"{prefix}_{query.since.date().isoformat()}_{last.date().isoformat()}.{extension}"
