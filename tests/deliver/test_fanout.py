"""The fan-out from stored items to subscriptions' event logs, on both backends (real stores)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import EventKind, SubscriptionEvent, utc_now


def push(hub: Hub, member: str, guid: str, headline: str, **extra: object) -> str:
    body = {"uri": guid, "type": "text", "language": "fa", "headlines": [{"role": "main", "value": headline}]}
    body["bodies"] = [{"role": "main", "contentType": "text/plain", "value": headline + " متن خبر."}]
    body.update(extra)
    data = json.dumps(body, ensure_ascii=False).encode()
    report = hub.ingest_payload(member, data, "application/ninjs+json", via="test")
    return report.outcomes[0].item_id


def events(hub: Hub, subscription_id: str, after: int = 0) -> list[SubscriptionEvent]:
    return hub.storage.subscription_events(subscription_id, after, 1000)


def setup(hub: Hub, make_member) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    make_member(hub, "irna", "IR", ("fa",))
    make_member(hub, "tass", "RU", ("ru",))
    make_member(hub, "azertac", "AZ", ("az",))
    from_irna = add_subscription(hub, "tass", "from IRNA", build_filter(members=["irna"]), OPERATOR)
    everything = add_subscription(hub, "azertac", "all", build_filter(), OPERATOR)
    return from_irna.id, everything.id


def test_an_item_reaches_the_subscriptions_it_matches_once(hub: Hub, make_member) -> None:  # type: ignore[no-untyped-def]
    from_irna, everything = setup(hub, make_member)
    dispatcher = Dispatcher(hub.storage)
    item_id = push(hub, "irna", "urn:irna:1", "خبر یک")
    other = push(hub, "tass", "urn:tass:1", "خبر دو")
    assert dispatcher.drain() >= 2
    assert [(e.item_id, e.kind, e.version) for e in events(hub, from_irna)] == [
        (item_id, EventKind.PUBLISH, 1)
    ]
    assert {e.item_id for e in events(hub, everything)} == {item_id, other}
    # Nothing is due any more; dispatching again writes nothing.
    assert dispatcher.drain() == 0
    assert len(events(hub, everything)) == 2


def test_update_names_the_version_it_replaces_and_kill_reaches_receivers(hub: Hub, make_member) -> None:  # type: ignore[no-untyped-def]
    from_irna, everything = setup(hub, make_member)
    dispatcher = Dispatcher(hub.storage)
    item_id = push(hub, "irna", "urn:irna:1", "خبر یک")
    dispatcher.drain()
    push(hub, "irna", "urn:irna:1", "خبر یک (اصلاح شد)")
    dispatcher.drain()
    hub.kill_item(item_id, OPERATOR, "wrong figures")
    dispatcher.drain()
    got = [(e.kind, e.version, e.replaces) for e in events(hub, from_irna)]
    assert got == [(EventKind.PUBLISH, 1, None), (EventKind.UPDATE, 2, 1), (EventKind.KILL, 3, 2)]
    ids = [e.id for e in events(hub, from_irna) + events(hub, everything)]
    assert len(set(ids)) == len(ids)


def test_embargoed_item_is_fanned_out_only_when_its_embargo_ends(hub: Hub, make_member) -> None:  # type: ignore[no-untyped-def]
    from_irna, _ = setup(hub, make_member)
    until = (utc_now() + timedelta(hours=1)).replace(microsecond=0)
    push(hub, "irna", "urn:irna:e", "خبر تحریم", embargoed=until.isoformat().replace("+00:00", "Z"))
    assert Dispatcher(hub.storage).drain() == 0
    assert events(hub, from_irna) == []
    assert hub.storage.next_delivery_due() == until
    later = Dispatcher(hub.storage, clock=lambda: until + timedelta(seconds=1))
    assert later.drain() == 1
    [event] = events(hub, from_irna)
    assert event.kind is EventKind.PUBLISH


def test_killed_before_release_reaches_nobody(hub: Hub, make_member) -> None:  # type: ignore[no-untyped-def]
    from_irna, everything = setup(hub, make_member)
    until = utc_now() + timedelta(hours=1)
    item_id = push(hub, "irna", "urn:irna:e", "خبر تحریم", embargoed=until.isoformat().replace("+00:00", "Z"))
    hub.kill_item(item_id, OPERATOR, "withdrawn")
    Dispatcher(hub.storage, clock=lambda: until + timedelta(hours=2)).drain()
    assert events(hub, from_irna) == [] and events(hub, everything) == []


def test_event_ids_resume_after_a_cursor(hub: Hub, make_member) -> None:  # type: ignore[no-untyped-def]
    _, everything = setup(hub, make_member)
    dispatcher = Dispatcher(hub.storage)
    for number in range(5):
        push(hub, "irna", f"urn:irna:{number}", f"خبر {number}")
    dispatcher.drain()
    first = events(hub, everything)
    assert [e.id for e in first] == sorted(e.id for e in first)
    assert events(hub, everything, first[2].id) == first[3:]
    assert hub.storage.last_event_id(everything) == first[-1].id
    assert hub.storage.first_event_since(everything, datetime(2000, 1, 1, tzinfo=UTC)) == first[0].id


def test_topic_subscription_waits_for_enrichment(hub: Hub, make_member) -> None:  # type: ignore[no-untyped-def]
    from tabadol.types import ComponentResult

    make_member(hub, "irna", "IR", ("fa",))
    make_member(hub, "tass", "RU", ("ru",))
    economy = add_subscription(hub, "tass", "economy", build_filter(topics=["medtop:04000000"]), OPERATOR)
    sport = add_subscription(hub, "tass", "sport", build_filter(topics=["medtop:15000000"]), OPERATOR)
    dispatcher = Dispatcher(hub.storage)
    item_id = push(hub, "irna", "urn:irna:1", "رشد اقتصادی")
    dispatcher.drain()
    assert events(hub, economy.id) == []  # not enriched yet: it waits rather than decides
    topics = {"topics": [{"scheme": "iptc", "code": "medtop:04000000", "confidence": 0.9}]}
    result = ComponentResult("topics", "test", 1, topics, None, utc_now())
    hub.storage.save_enrichment(item_id, [result], None)
    hub.storage.enqueue_delivery(item_id, utc_now())
    dispatcher.drain()
    assert [e.item_id for e in events(hub, economy.id)] == [item_id]
    assert events(hub, sport.id) == []
    # Enrichment run again (a rebuild) queues another job: nothing is delivered twice.
    hub.storage.enqueue_delivery(item_id, utc_now())
    dispatcher.drain()
    assert len(events(hub, economy.id)) == 1


def test_an_item_whose_fan_out_fails_is_kept_dead_and_the_others_go_on(
    hub: Hub,
    make_member,  # type: ignore[no-untyped-def]
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from tabadol.deliver import dispatch

    _, everything = setup(hub, make_member)
    bad = push(hub, "irna", "urn:irna:bad", "خبر بد")
    good = push(hub, "irna", "urn:irna:good", "خبر خوب")
    real = dispatch._item_events

    def failing(batch, item):  # type: ignore[no-untyped-def]
        if item.id == bad:
            raise ValueError("malformed record")
        return real(batch, item)

    monkeypatch.setattr(dispatch, "_item_events", failing)
    Dispatcher(hub.storage).drain()
    assert [e.item_id for e in events(hub, everything)] == [good]
    [dead] = [job for job in hub.storage.dead_jobs() if job.item_id == bad]
    assert "malformed record" in (dead.last_error or "")
    # Once the cause is fixed, requeueing the job delivers the item.
    monkeypatch.setattr(dispatch, "_item_events", real)
    hub.storage.requeue_dead([dead.id])
    Dispatcher(hub.storage).drain()
    assert [e.item_id for e in events(hub, everything)] == [good, bad]
