"""Subscription filters: validation, and the pure matching rules field by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tabadol.deliver.render.enrichment import EnrichmentView
from tabadol.deliver.subscriptions import ItemFacts, build_filter, facts_from_enrichment, matches
from tabadol.errors import ErrorCode, TabadolError
from tabadol.types import ComponentResult, Item, ParsedItem, PubStatus

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def item(
    member: str = "irna",
    language: str | None = "fa",
    headline: str = "افتتاح خط کشتیرانی آکتائو – باکو",
    body: str = "خط جدید ۳ بار در هفته حرکت می‌کند.",
    urgency: int | None = None,
) -> Item:
    parsed = ParsedItem(
        guid="urn:x:1",
        headline=headline,
        body_text=body,
        source_format="ninjs",
        language=language,
        urgency=urgency,
    )
    return Item(
        id="it1",
        member_code=member,
        guid="urn:x:1",
        version=1,
        pub_status=PubStatus.USABLE,
        headline=headline,
        body_text=body,
        language=language,
        first_created=NOW,
        version_created=NOW,
        received_at=NOW,
        embargoed_until=None,
        original_sha256="0" * 64,
        content_sha256="1" * 64,
        parsed=parsed,
        seq=1,
    )


FACTS = ItemFacts(
    detected_language="fa",
    topics=frozenset({"medtop:04000000", "medtop:20000337", "irna-desks:economy"}),
    entities=frozenset({"place/aktau", "place/baku"}),
    story_id="st_1",
)


def test_an_empty_filter_matches_everything() -> None:
    assert matches(build_filter(), item(), ItemFacts())


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"members": ["IRNA", "tass"]}, True),
        ({"members": ["tass"]}, False),
        ({"languages": ["fa-IR"]}, True),
        ({"languages": ["ru", "az"]}, False),
        ({"topics": ["20000337"]}, True),  # a bare IPTC code
        ({"topics": ["medtop:11000000"]}, False),
        ({"topics": ["irna-desks:economy"]}, True),
        ({"entities": ["place/baku", "place/tehran"]}, True),
        ({"entities": ["place/tehran"]}, False),
        ({"stories": ["st_1"]}, True),
        ({"stories": ["st_2"]}, False),
        ({"query": "كشتيراني باكو"}, True),  # Arabic-keyboard letters match Persian text
        ({"query": "3 بار"}, True),  # digits in any script
        ({"query": "تهران"}, False),
        ({"members": ["irna"], "topics": ["medtop:11000000"]}, False),  # every field must hold
    ],
)
def test_each_field(kwargs: dict[str, object], expected: bool) -> None:
    assert matches(build_filter(**kwargs), item(), FACTS) is expected  # type: ignore[arg-type]


def test_urgency_is_at_least_as_urgent() -> None:
    wanted = build_filter(max_urgency=3)
    assert matches(wanted, item(urgency=2), FACTS)
    assert not matches(wanted, item(urgency=5), FACTS)
    assert not matches(wanted, item(urgency=None), FACTS)


def test_the_detected_language_counts_as_well_as_the_declared_one() -> None:
    mislabelled = item(language="en")
    assert matches(build_filter(languages=["fa"]), mislabelled, FACTS)
    assert matches(build_filter(languages=["kk"]), item(language="kk-Latn"), ItemFacts())


def test_topic_and_entity_subscriptions_wait_for_enrichment() -> None:
    assert not matches(build_filter(topics=["medtop:04000000"]), item(), ItemFacts())


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"languages": ["not a tag!"]}, "languages"),
        ({"topics": ["economy"]}, "topics"),
        ({"members": [""]}, "members"),
        ({"max_urgency": 0}, "max_urgency"),
        ({"query": "x" * 501}, "query"),
    ],
)
def test_invalid_filters_name_the_field(kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(TabadolError) as caught:
        build_filter(**kwargs)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.INVALID_QUERY and caught.value.fields["param"] == param


def test_facts_from_stored_enrichment() -> None:
    def result(component: str, data: dict[str, object]) -> ComponentResult:
        return ComponentResult(component, "1", 1, data, None, NOW)

    view = EnrichmentView(
        "it1",
        {
            "language": result("language", {"language": "fa"}),
            "topics": result(
                "topics",
                {
                    "topics": [
                        {"scheme": "iptc", "code": "medtop:04000000", "label": "economy", "score": 0.7},
                        {"scheme": "irna-desks", "code": "economy", "label": "economy", "score": 0.9},
                    ]
                },
            ),
            "entities": result("entities", {"entities": [{"id": "place/baku", "kind": "place"}]}),
        },
        story_id="st_1",
    )
    facts = facts_from_enrichment(view)
    assert facts == ItemFacts(
        "fa", frozenset({"medtop:04000000", "irna-desks:economy"}), frozenset({"place/baku"}), "st_1"
    )
    assert matches(build_filter(topics=["irna-desks:economy"], entities=["place/baku"]), item(), facts)
    failed = replace(
        view, results={**view.results, "entities": ComponentResult("entities", "1", 1, {}, "boom", NOW)}
    )
    assert facts_from_enrichment(failed).entities == frozenset()
