"""`tabadol demo`: the demo alliance loads completely, realistically and only once."""

from __future__ import annotations

import json
import stat
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from click.testing import Result

from tabadol.config import Settings
from tabadol.demo.members import DEMO_LANGUAGES, DEMO_MEMBERS, FLORES_SENDERS
from tabadol.demo.wires import SEED_SENDERS, data_root, flores_articles, flores_wires
from tabadol.hub import Hub
from tabadol.serialize import parse_datetime
from tabadol.types import Role, utc_now

FLORES_ARTICLES = 141


def test_demo_loads_the_alliance_once(run_cli: Callable[..., Result], hub: Hub, settings: Settings) -> None:
    started = utc_now()
    first = run_cli("demo")
    assert first.exit_code == 0, first.stderr

    members = {m.code: m for m in hub.storage.list_members()}
    assert set(members) == {m.code for m in DEMO_MEMBERS}
    for member in members.values():
        assert set(member.names) == set(DEMO_LANGUAGES), member.code
    assert members["irna"].languages == ("fa", "en", "ar") and members["irna"].country == "IR"
    assert members["kazinform"].languages == ("kk", "ru", "en") and members["tdh"].country == "TM"

    items = list(hub.storage.iter_items())
    assert len(items) == FLORES_ARTICLES * len(DEMO_LANGUAGES) + len(SEED_SENDERS)
    flores = [item for item in items if ":flores-" in item.guid]
    per_sender = Counter((item.member_code, item.language) for item in flores)
    assert per_sender == {(m.code, lang): FLORES_ARTICLES for lang, m in FLORES_SENDERS.items()}
    for item in flores:
        assert item.guid == f"urn:tabadol:demo:{item.member_code}:{item.guid.rsplit(':', 1)[1]}"
        assert started - timedelta(days=7) <= item.version_created <= started
        assert item.parsed.source_format == "ninjs" and item.headline and item.body_text

    seeds = sorted((item.guid, item.member_code, item.language) for item in items if ":seed-" in item.guid)
    assert seeds == [
        ("urn:tabadol:demo:aa:seed-003", "aa", "ar"),
        ("urn:tabadol:demo:alkawthar:seed-001", "alkawthar", "ar"),
        ("urn:tabadol:demo:irna:seed-000", "irna", "fa"),
        ("urn:tabadol:demo:irna:seed-002", "irna", "fa"),
        ("urn:tabadol:demo:sana:seed-004", "sana", "ar"),
    ]
    seed_original = hub.storage.get_original(hub.storage.get_item_by_guid(seeds[2][0]).original_sha256)  # type: ignore[union-attr]
    assert seed_original is not None
    assert seed_original.data == data_root().joinpath("seed", "000_8cc19fd164d37fc4.txt").read_bytes()

    key_file = settings.data_dir / "demo-admin-key.txt"
    token = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.stdout.strip().splitlines()[-1] == token
    assert hub.authenticate(token).role is Role.ADMIN

    audit_before = len(hub.storage.list_audit(limit=10_000))
    second = run_cli("demo")
    assert second.exit_code == 0, second.stderr
    assert "Items: 0 new, 1133 already loaded." in second.stdout
    assert second.stdout.strip().splitlines()[-1] == token  # the working key is reused, not reissued
    assert hub.storage.count_items() == len(items)
    assert sum(1 for _ in hub.storage.iter_versions()) == len(items)
    assert len(hub.storage.list_audit(limit=10_000)) == audit_before
    assert len(hub.storage.list_api_keys()) == 1


def test_the_same_story_lands_minutes_apart_in_every_language() -> None:
    now = utc_now()
    times: defaultdict[str, list[datetime]] = defaultdict(list)
    for wire in flores_wires(now):
        times[wire.guid.rsplit(":", 1)[1]].append(parse_datetime(json.loads(wire.data)["versioncreated"]))
    assert len(times) == FLORES_ARTICLES
    for stamps in times.values():
        assert len(stamps) == len(DEMO_LANGUAGES)
        assert max(stamps) - min(stamps) < timedelta(minutes=25)
        assert now - timedelta(days=7) <= min(stamps) and max(stamps) < now
    story_starts = sorted(min(stamps) for stamps in times.values())
    assert story_starts[-1] - story_starts[0] > timedelta(days=5)  # spread over the week, not bunched


def test_reset_reloads_a_sqlite_demo_and_refuses_postgres(
    run_cli: Callable[..., Result], settings: Settings, backend: str, hub: Hub
) -> None:
    if backend == "postgres":
        refused = run_cli("demo", "--reset")
        assert refused.exit_code == 1
        assert refused.stderr.startswith("E504 config_invalid")
        assert hub.storage.count_items() == 0
        return
    hub.close()  # the reset deletes the database file the fixture's hub has open
    run_cli("agency", "add", "extra", "--name", "Extra", "--country", "IR", "--language", "fa")
    reset = run_cli("demo", "--reset")
    assert reset.exit_code == 0, reset.stderr
    listed = json.loads(run_cli("agency", "list", "--json").stdout)
    assert "extra" not in {m["code"] for m in listed} and len(listed) == len(DEMO_MEMBERS)


def test_demo_data_ships_inside_the_package_with_its_attribution() -> None:
    attribution = data_root().joinpath("ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in attribution and "NLLB Team" in attribution
    for name in SEED_SENDERS:
        assert name in attribution
        assert data_root().joinpath("seed", name).is_file()
    assert data_root().joinpath("seed", "README.md").is_file()
    articles = list(flores_articles())
    assert len(articles) == FLORES_ARTICLES
    assert all(set(article["text"]) == set(DEMO_LANGUAGES) for article in articles)


@pytest.mark.parametrize("code", [m.code for m in DEMO_MEMBERS])
def test_every_member_name_is_distinct_per_language(code: str) -> None:
    member = next(m for m in DEMO_MEMBERS if m.code == code)
    assert all(name.strip() for name in member.names.values())
    assert member.languages[0] in member.names
