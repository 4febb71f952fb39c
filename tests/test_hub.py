"""The hub's own rules: member validation, keys, rights, identification, group commit, kill, embargo."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import OPERATOR, Hub
from tabadol.types import Decision, Principal, PubStatus, Role, utc_now


def ninjs(
    uri: str, headline: str = "Caspian ferry line opens", body: str = "Aktau to Baku.", **extra: object
) -> bytes:
    doc: dict[str, object] = {
        "uri": uri,
        "type": "text",
        "language": "en",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        **extra,
    }
    return json.dumps(doc).encode()


def add_members(hub: Hub) -> None:
    hub.add_member("irna", {"en": "IRNA", "fa": "ایرنا"}, "ir", ["fa", "en"])
    hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru"])


def editor(hub: Hub, code: str) -> Principal:
    _, token = hub.issue_key(code, Role.EDITOR, "desk")
    return hub.authenticate(token, "127.0.0.1")


@pytest.mark.parametrize(
    ("code", "country", "languages"),
    [
        ("IRNA", "IR", ["fa"]),
        ("x", "IR", ["fa"]),
        ("irna", "IRN", ["fa"]),
        ("irna", "IR", ["farsi"]),
        ("irna", "IR", []),
    ],
)
def test_member_validation(hub: Hub, code: str, country: str, languages: list[str]) -> None:
    with pytest.raises(TabadolError) as caught:
        hub.add_member(code, {"en": "Agency"}, country, languages)
    assert caught.value.code is ErrorCode.INVALID_MEMBER


def test_member_is_normalised_and_unique(hub: Hub) -> None:
    member = hub.add_member(
        "kazinform", {"kk": "Қазақпарат", "EN": "Kazinform"}, "kz", ["KK", "kk-latn", "ru"]
    )
    assert member.country == "KZ"
    assert member.languages == ("kk", "kk-Latn", "ru")
    assert member.name("en") == "Kazinform"
    with pytest.raises(TabadolError) as caught:
        hub.add_member("kazinform", {"en": "Kazinform"}, "KZ", ["kk"])
    assert caught.value.code is ErrorCode.MEMBER_EXISTS


def test_keys_authenticate_until_revoked(hub: Hub) -> None:
    add_members(hub)
    key, token = hub.issue_key("irna", Role.EDITOR, "desk")
    principal = hub.authenticate(token, "10.1.2.3")
    assert (principal.member_code, principal.role, principal.key_id) == ("irna", Role.EDITOR, key.key_id)
    assert principal.remote_addr == "10.1.2.3"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "nonsense", "", f"tbd_{key.key_id}_"):
        with pytest.raises(TabadolError) as caught:
            hub.authenticate(bad)
        assert caught.value.code is ErrorCode.INVALID_KEY
    assert hub.revoke_key(key.key_id)
    with pytest.raises(TabadolError):
        hub.authenticate(token)


def test_only_admins_manage_members_and_keys(hub: Hub) -> None:
    add_members(hub)
    desk = editor(hub, "irna")
    with pytest.raises(TabadolError) as caught:
        hub.issue_key("irna", Role.ADMIN, actor=desk)
    assert caught.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(TabadolError):
        hub.add_member("aa", {"en": "Anadolu"}, "TR", ["tr"], actor=desk)


def test_writes_are_audited(hub: Hub) -> None:
    add_members(hub)
    key, _ = hub.issue_key("irna", Role.READER, "subscriber")
    hub.ingest_payload("irna", ninjs("urn:irna:1"), "application/json", via="cli")
    actions = [entry.action for entry in hub.storage.list_audit(limit=20)]
    assert actions.count("member.add") == 2
    assert "key.issue" in actions
    assert "items.ingest" in actions
    issue = next(e for e in hub.storage.list_audit(limit=20) if e.action == "key.issue")
    assert issue.target == key.key_id
    assert issue.detail["role"] == "reader"


def test_rights_to_push(hub: Hub) -> None:
    add_members(hub)
    _, reader_token = hub.issue_key("irna", Role.READER)
    reader = hub.authenticate(reader_token)
    tass_desk = editor(hub, "tass")
    for actor in (reader, tass_desk):
        with pytest.raises(TabadolError) as caught:
            hub.ingest_payload("irna", ninjs("urn:irna:2"), None, via="http", actor=actor)
        assert caught.value.code is ErrorCode.FORBIDDEN
    assert hub.storage.count_items() == 0


def test_another_members_guid_cannot_be_versioned_or_killed(hub: Hub) -> None:
    add_members(hub)
    irna_desk, tass_desk = editor(hub, "irna"), editor(hub, "tass")
    report = hub.ingest_payload("irna", ninjs("urn:irna:3"), None, via="http", actor=irna_desk)
    item_id = report.outcomes[0].item_id
    with pytest.raises(TabadolError) as caught:
        hub.ingest_payload(
            "tass", ninjs("urn:irna:3", headline="Hijacked"), None, via="http", actor=tass_desk
        )
    assert caught.value.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    with pytest.raises(TabadolError) as caught:
        hub.kill_item(item_id, tass_desk)
    assert caught.value.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    item = hub.readable_item(item_id)
    assert (item.version, item.headline, item.pub_status) == (1, "Caspian ferry line opens", PubStatus.USABLE)


def test_kill_by_owner(hub: Hub) -> None:
    add_members(hub)
    desk = editor(hub, "irna")
    item_id = (
        hub.ingest_payload("irna", ninjs("urn:irna:4"), None, via="http", actor=desk).outcomes[0].item_id
    )
    report = hub.kill_item(item_id, desk, reason="Wrong figures")
    assert report.outcomes[0].decision is Decision.KILL
    item = hub.readable_item(item_id)
    assert item.pub_status is PubStatus.CANCELED
    assert item.version == 2
    assert len(hub.storage.list_versions(item_id)) == 2


def test_limits(hub: Hub) -> None:
    add_members(hub)
    small = Hub(hub.settings.with_(max_payload_bytes=100, max_items_per_payload=2), hub.storage)
    with pytest.raises(TabadolError) as caught:
        small.ingest_payload("irna", ninjs("urn:irna:5", body="x" * 200), None, via="http")
    assert caught.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    three = json.dumps([json.loads(ninjs(f"urn:irna:l{i}")) for i in range(3)]).encode()
    roomy = Hub(hub.settings.with_(max_items_per_payload=2), hub.storage)
    with pytest.raises(TabadolError) as caught:
        roomy.ingest_payload("irna", three, None, via="http")
    assert caught.value.code is ErrorCode.TOO_MANY_ITEMS
    # The CLI's file ingest is not limited.
    assert len(roomy.ingest_payload("irna", three, None, via="cli", limit_items=False).outcomes) == 3


def test_plain_text_is_identified_by_its_content(hub: Hub) -> None:
    add_members(hub)
    text = "خط کشتیرانی جدید در دریای خزر\n\nاین خط بندر انزلی را به آکتائو وصل می‌کند.".encode()
    first = hub.ingest_payload("irna", text, "text/plain; charset=utf-8", via="cli")
    again = hub.ingest_payload("irna", text, "text/plain; charset=utf-8", via="cli")
    assert first.outcomes[0].decision is Decision.NEW_ITEM
    assert again.outcomes[0].decision is Decision.DUPLICATE
    assert first.outcomes[0].guid.startswith("urn:tabadol:irna:")
    named = hub.ingest_payload("irna", text, "text/plain", via="cli", guid="urn:irna:ferry")
    assert named.outcomes[0].guid == "urn:irna:ferry"


def test_duplicate_guids_in_one_payload_are_refused(hub: Hub) -> None:
    add_members(hub)
    twice = json.dumps(
        [json.loads(ninjs("urn:irna:d")), json.loads(ninjs("urn:irna:d", headline="B"))]
    ).encode()
    with pytest.raises(TabadolError) as caught:
        hub.ingest_payload("irna", twice, None, via="http")
    assert caught.value.code is ErrorCode.DUPLICATE_GUID_IN_PAYLOAD
    assert hub.storage.count_items() == 0


def test_group_commit_under_concurrency(hub: Hub) -> None:
    """Concurrent pushes share commits, each answered with its own report; a refused one fails alone."""
    add_members(hub)
    hub.ingest_payload("tass", ninjs("urn:tass:owned"), None, via="cli")
    irna_desk = editor(hub, "irna")
    results: dict[int, object] = {}

    def push(n: int) -> None:
        uri = "urn:tass:owned" if n == 7 else f"urn:irna:g{n}"
        try:
            results[n] = hub.ingest_payload(
                "irna", ninjs(uri), None, via="http", actor=irna_desk, group_commit=True
            )
        except TabadolError as exc:
            results[n] = exc

    threads = [threading.Thread(target=push, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 40
    refused = results.pop(7)
    assert isinstance(refused, TabadolError) and refused.code is ErrorCode.ITEM_OWNED_BY_OTHER_MEMBER
    guids = {r.outcomes[0].guid for r in results.values()}  # type: ignore[union-attr]
    assert guids == {f"urn:irna:g{n}" for n in range(40) if n != 7}
    assert hub.storage.count_items() == 40


def test_embargoed_item_is_not_readable_until_its_time(hub: Hub) -> None:
    add_members(hub)
    until = utc_now() + timedelta(hours=2)
    data = ninjs("urn:irna:emb", embargoed=until.isoformat().replace("+00:00", "Z"))
    item_id = hub.ingest_payload("irna", data, None, via="cli").outcomes[0].item_id
    with pytest.raises(TabadolError) as caught:
        hub.readable_item(item_id)
    assert caught.value.code is ErrorCode.ITEM_NOT_FOUND
    assert hub.readable_item(item_id, now=until + timedelta(seconds=1)).id == item_id
    assert OPERATOR.is_admin


def test_declared_language_fills_only_undeclared_items(hub: Hub) -> None:
    add_members(hub)
    text = "Паромная линия\n\nАктау и Баку связаны новой линией.".encode()
    report = hub.ingest_payload("tass", text, "text/plain; charset=utf-8", via="cli", language="RU-ru")
    assert hub.readable_item(report.outcomes[0].item_id).language == "ru-RU"
    declared = hub.ingest_payload("irna", ninjs("urn:irna:lang"), None, via="http", language="fa")
    assert hub.readable_item(declared.outcomes[0].item_id).language == "en"
    with pytest.raises(TabadolError) as caught:
        hub.ingest_payload("irna", b"Headline\n\nBody", "text/plain", via="http", language="not a tag")
    assert caught.value.code is ErrorCode.INVALID_FIELD


def test_kill_is_idempotent(hub: Hub) -> None:
    add_members(hub)
    desk = editor(hub, "irna")
    item_id = (
        hub.ingest_payload("irna", ninjs("urn:irna:k2"), None, via="http", actor=desk).outcomes[0].item_id
    )
    assert hub.kill_item(item_id, desk, "Withdrawn").outcomes[0].decision is Decision.KILL
    again = hub.kill_item(item_id, desk, "Withdrawn")
    assert again.outcomes[0].decision is Decision.DUPLICATE
    assert again.outcomes[0].version == 2
    assert len(hub.storage.list_versions(item_id)) == 2


def test_an_embargoed_version_stays_hidden_after_a_kill(hub: Hub) -> None:
    add_members(hub)
    desk = editor(hub, "irna")
    until = utc_now() + timedelta(hours=3)
    data = ninjs("urn:irna:emb-kill", headline="Secret until noon", embargoed=until.isoformat())
    item_id = hub.ingest_payload("irna", data, None, via="http", actor=desk).outcomes[0].item_id
    hub.kill_item(item_id, desk, "Withdrawn before release")
    # The kill keeps the embargo: until then nothing of the item shows, not even its headline.
    with pytest.raises(TabadolError):
        hub.readable_item(item_id)
    after = until + timedelta(seconds=1)
    item, versions = hub.readable_versions(item_id, now=after)
    assert item.is_killed and [v.version for v in versions] == [1, 2]


def test_an_embargoed_old_version_is_withheld_from_version_reads(hub: Hub) -> None:
    add_members(hub)
    until = utc_now() + timedelta(hours=3)
    hub.ingest_payload("irna", ninjs("urn:irna:emb-old", embargoed=until.isoformat()), None, via="cli")
    # The sender lifts the embargo in a correction: the item is readable, its first version is not yet.
    item_id = hub.ingest_payload("irna", ninjs("urn:irna:emb-old", headline="Now public"), None, via="cli")
    item_id = item_id.outcomes[0].item_id
    item, versions = hub.readable_versions(item_id)
    assert item.headline == "Now public"
    assert [v.version for v in versions] == [2]
    with pytest.raises(TabadolError) as caught:
        hub.readable_version(item_id, 1)
    assert caught.value.code is ErrorCode.VERSION_NOT_FOUND
    assert hub.readable_version(item_id, 1, now=until + timedelta(seconds=1))[1].version == 1


def test_a_given_guid_never_contradicts_the_payload(hub: Hub) -> None:
    add_members(hub)
    same = hub.ingest_payload("irna", ninjs("urn:irna:own"), None, via="http", guid="urn:irna:own")
    assert same.outcomes[0].guid == "urn:irna:own"
    with pytest.raises(TabadolError) as caught:
        hub.ingest_payload("irna", ninjs("urn:irna:own2"), None, via="http", guid="urn:irna:other")
    assert caught.value.code is ErrorCode.INVALID_FIELD
    assert caught.value.fields["field"] == "guid"


def test_a_used_key_still_checks_its_secret_and_revocation_is_immediate(hub: Hub) -> None:
    add_members(hub)
    key, token = hub.issue_key("irna", Role.EDITOR, "desk")
    assert hub.authenticate(token).key_id == key.key_id
    wrong = f"tbd_{key.key_id}_{'x' * 43}"
    with pytest.raises(TabadolError) as caught:
        hub.authenticate(wrong)
    assert caught.value.code is ErrorCode.INVALID_KEY
    hub.revoke_key(key.key_id)
    with pytest.raises(TabadolError):
        hub.authenticate(token)
