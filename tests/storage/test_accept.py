"""The ingest decider, without a database."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.accept import Head, content_fingerprint, decide, item_id_for_guid
from tabadol.serialize import parsed_item_to_json, to_jsonable
from tabadol.types import Decision, ParsedItem, PubStatus, Subject

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def item(guid: str = "urn:a:1", headline: str = "Headline", **fields: object) -> ParsedItem:
    return ParsedItem(guid=guid, headline=headline, body_text="Body.", source_format="ninjs", **fields)  # type: ignore[arg-type]


def head_for(parsed: ParsedItem, member: str = "irna", version: int = 1) -> Head:
    assert parsed.guid is not None
    return Head(
        item_id=item_id_for_guid(parsed.guid),
        member_code=member,
        version=version,
        content_sha256=content_fingerprint(parsed),
        sender_version_created=parsed.version_created,
    )


# -- identifiers and fingerprints ----------------------------------------------------------------
def test_item_id_is_deterministic_short_and_url_safe() -> None:
    first = item_id_for_guid("urn:newsml:irna.ir:20260301:123")
    assert first == item_id_for_guid("urn:newsml:irna.ir:20260301:123")
    assert first != item_id_for_guid("urn:newsml:irna.ir:20260301:124")
    assert re.fullmatch(r"it[0-9a-f]{20}", first)


def test_fingerprint_is_stable_and_sensitive_to_every_field() -> None:
    base = item(subjects=(Subject("politics", scheme="medtop"),), extra={"b": 1, "a": [1, 2]})
    same = item(subjects=(Subject("politics", scheme="medtop"),), extra={"a": [1, 2], "b": 1})
    assert content_fingerprint(base) == content_fingerprint(same)  # key order does not matter
    assert re.fullmatch(r"[0-9a-f]{64}", content_fingerprint(base))
    for changed in (
        replace(base, headline="Other"),
        replace(base, body_text="Body!"),
        replace(base, pub_status=PubStatus.CANCELED),
        replace(base, language="fa"),
        replace(base, version_created=T0),
        replace(base, extra={"a": [2, 1], "b": 1}),
        replace(base, keywords=("x",)),
    ):
        assert content_fingerprint(changed) != content_fingerprint(base)


@pytest.mark.parametrize(
    "parsed",
    [
        item(),
        item(
            "urn:irna:full",
            "خبر فوری",
            pub_status=PubStatus.CANCELED,
            language="fa",
            first_created=T0 - timedelta(days=1),
            version_created=T0,
            embargoed_until=T0 + timedelta(hours=3),
            subjects=(Subject("politics", "http://cv.iptc.org/newscodes/mediatopic/11000000", "medtop"),),
            keywords=("diplomacy", "Caspian"),
            extra={
                "associations": {"photo": {"uri": "x", "sizes": (1, 2)}},
                "at": T0,
                "status": PubStatus.USABLE,
            },
        ),
    ],
    ids=["minimal", "every-field"],
)
def test_fast_item_conversion_is_the_generic_walk(parsed: ParsedItem) -> None:
    """parsed_item_to_json's fast path must never differ from the generic one: fingerprints depend on it."""
    # repr, not ==: a str enum equals its value, and the fingerprint must see plain values only.
    assert repr(parsed_item_to_json(parsed)) == repr(to_jsonable(parsed))


def test_fingerprint_handles_every_script() -> None:
    persian = item(headline="خبر فوری", language="fa")
    kazakh = item(headline="Жаңалықтар", language="kk")
    assert content_fingerprint(persian) != content_fingerprint(kazakh)


# -- decisions ------------------------------------------------------------------------------------
def test_unknown_guid_is_a_new_item_at_version_1() -> None:
    [verdict] = decide("irna", [item()], {})
    assert verdict.decision is Decision.NEW_ITEM
    assert verdict.version == 1
    assert verdict.item_id == item_id_for_guid("urn:a:1")
    assert verdict.content_sha256 == content_fingerprint(item())
    assert verdict.writes


def test_canceled_unknown_guid_is_a_new_item_already_killed() -> None:
    killed = item(pub_status=PubStatus.CANCELED)
    [verdict] = decide("irna", [killed], {})
    assert verdict.decision is Decision.NEW_ITEM
    assert verdict.item.pub_status is PubStatus.CANCELED


def test_identical_resend_is_a_duplicate_at_the_head_version() -> None:
    current = item()
    [verdict] = decide("irna", [current], {"urn:a:1": head_for(current, version=3)})
    assert verdict.decision is Decision.DUPLICATE
    assert verdict.version == 3
    assert not verdict.writes


def test_changed_content_is_the_next_version() -> None:
    current = item()
    [verdict] = decide("irna", [item(headline="Updated")], {"urn:a:1": head_for(current, version=2)})
    assert verdict.decision is Decision.NEW_VERSION
    assert verdict.version == 3
    assert verdict.item_id == item_id_for_guid("urn:a:1")


def test_canceled_known_item_is_a_kill_and_a_resent_kill_is_a_duplicate() -> None:
    current = item()
    kill = item(pub_status=PubStatus.CANCELED)
    [verdict] = decide("irna", [kill], {"urn:a:1": head_for(current)})
    assert (verdict.decision, verdict.version) == (Decision.KILL, 2)
    [again] = decide("irna", [kill], {"urn:a:1": head_for(kill, version=2)})
    assert (again.decision, again.version) == (Decision.DUPLICATE, 2)


def test_foreign_guid_refuses_the_whole_payload() -> None:
    theirs = item(guid="urn:tass:9")
    with pytest.raises(TabadolError) as caught:
        decide("irna", [item(guid="urn:a:new"), theirs], {"urn:tass:9": head_for(theirs, member="tass")})
    assert caught.value.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    assert caught.value.fields == {"guid": "urn:tass:9", "owner": "tass"}


def test_older_sender_timestamp_is_stale_and_changes_nothing() -> None:
    newer = item(headline="Second take", version_created=T0 + timedelta(hours=1))
    older = item(headline="First take", version_created=T0)
    [verdict] = decide("irna", [older], {"urn:a:1": head_for(newer, version=2)})
    assert (verdict.decision, verdict.version) == (Decision.DUPLICATE, 2)


def test_stale_comparison_treats_naive_times_as_utc() -> None:
    newer = item(headline="Second take", version_created=T0 + timedelta(hours=1))
    older_naive = item(headline="First take", version_created=T0.replace(tzinfo=None))
    [verdict] = decide("irna", [older_naive], {"urn:a:1": head_for(newer)})
    assert verdict.decision is Decision.DUPLICATE


def test_a_kill_is_never_stale() -> None:
    newer = item(headline="Second take", version_created=T0 + timedelta(hours=1))
    late_kill = item(pub_status=PubStatus.CANCELED, version_created=T0)
    [verdict] = decide("irna", [late_kill], {"urn:a:1": head_for(newer, version=2)})
    assert (verdict.decision, verdict.version) == (Decision.KILL, 3)


@pytest.mark.parametrize(
    ("head_time", "incoming_time"),
    [(T0, T0), (None, T0), (T0, None), (None, None), (T0, T0 + timedelta(seconds=1))],
)
def test_equal_later_or_missing_timestamps_make_a_new_version(
    head_time: datetime | None, incoming_time: datetime | None
) -> None:
    current = item(version_created=head_time)
    [verdict] = decide(
        "irna", [item(headline="Fixed typo", version_created=incoming_time)], {"urn:a:1": head_for(current)}
    )
    assert verdict.decision is Decision.NEW_VERSION


def test_a_payload_mixes_decisions_in_order() -> None:
    known = item(guid="urn:a:known")
    killed = item(guid="urn:a:kill")
    verdicts = decide(
        "irna",
        [item(guid="urn:a:fresh"), known, item(guid="urn:a:kill", pub_status=PubStatus.CANCELED)],
        {"urn:a:known": head_for(known), "urn:a:kill": head_for(killed, version=4)},
    )
    assert [(v.guid, v.decision, v.version) for v in verdicts] == [
        ("urn:a:fresh", Decision.NEW_ITEM, 1),
        ("urn:a:known", Decision.DUPLICATE, 1),
        ("urn:a:kill", Decision.KILL, 5),
    ]


def test_an_item_without_guid_is_refused() -> None:
    with pytest.raises(TabadolError) as caught:
        decide("irna", [item(guid="")], {})
    assert caught.value.code is ErrorCode.MISSING_FIELD


def _killed_head(version_created: datetime, received_at: datetime) -> Head:
    kill = item(pub_status=PubStatus.CANCELED, version_created=version_created)
    return replace(head_for(kill, version=2), killed=True, received_at=received_at)


def test_replaying_old_content_never_resurrects_a_killed_item() -> None:
    """The kill was dated 09:00 by the sender but reached the hub at 14:00; v1 (10:00) is replayed."""
    head = _killed_head(version_created=T0 - timedelta(hours=3), received_at=T0 + timedelta(hours=2))
    for replay in (item(version_created=T0 - timedelta(hours=2)), item(headline="Undated re-send")):
        [verdict] = decide("irna", [replay], {"urn:a:1": head})
        assert (verdict.decision, verdict.version) == (Decision.DUPLICATE, 2)


def test_a_sender_may_reinstate_a_killed_item_with_fresh_content() -> None:
    head = _killed_head(version_created=T0, received_at=T0 + timedelta(minutes=1))
    reinstated = item(headline="Reinstated", version_created=T0 + timedelta(hours=1))
    [verdict] = decide("irna", [reinstated], {"urn:a:1": head})
    assert (verdict.decision, verdict.version) == (Decision.NEW_VERSION, 3)
