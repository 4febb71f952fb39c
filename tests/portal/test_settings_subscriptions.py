"""The newsroom's subscription settings: made in the page, seen by the API; the webhook's secret shown
once; pause, resume and replay of dead letters; feeds; CSRF on every form; refusals in the reader's
language with what was typed kept; another member's subscriptions invisible."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from settings_login import log_in_as, page, secret_values

from tabadol.config import Settings
from tabadol.deliver.dispatcher import Dispatcher
from tabadol.deliver.subscription_ops import add_subscription
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.types import MemberInfo, Role, utc_now
from tabadol.web.portal.catalog import catalog
from tabadol.web.portal.pages import admin as admin_pages
from tabadol.web.portal.pages import settings as settings_pages

SUBSCRIPTIONS = "/en/newsroom/settings/subscriptions"
HOOK_URL = "http://127.0.0.1:9/hook"  # private URLs are allowed in these tests (never contacted)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, allow_private_feed_urls=True)


@pytest.fixture
def tass(hub: Hub) -> MemberInfo:
    return hub.add_member("tass", {"en": "TASS", "ru": "ТАСС"}, "RU", ["ru", "en"])


@pytest.fixture
def editor(site: TestClient, hub: Hub, member: MemberInfo) -> str:
    return log_in_as(site, hub, member.code, "leila", Role.EDITOR)


def create(site: TestClient, csrf: str, **fields: object) -> str:
    form = {"csrf_token": csrf, "name": "Economy from TASS", **fields}
    made = site.post(SUBSCRIPTIONS, data=form)
    assert made.status_code == 303, made.text[:500]
    match = re.fullmatch(
        r"/en/newsroom/settings/subscriptions/(sub_\w+)\?done=created", made.headers["location"]
    )
    assert match is not None, made.headers["location"]
    return match.group(1)


def test_a_subscription_made_in_the_page_is_the_apis(
    site: TestClient, hub: Hub, tass: MemberInfo, editor: str, editor_token: str
) -> None:
    sid = create(
        site,
        editor,
        members=["tass"],
        languages=["ru", "en"],
        topics=["medtop:04000000", "medtop:20000344"],
        max_urgency="4",
        query="ferry",
    )
    listed = site.get("/api/v1/subscriptions", headers={"Authorization": f"Bearer {editor_token}"})
    assert listed.status_code == 200
    (found,) = listed.json()["subscriptions"]
    assert found["id"] == sid and found["member"] == "irna" and found["name"] == "Economy from TASS"
    assert found["filter"] == {
        "members": ["tass"],
        "languages": ["en", "ru"],
        "topics": ["medtop:04000000", "medtop:20000344"],
        "entities": [],
        "stories": [],
        "max_urgency": 4,
        "query": "ferry",
    }
    shown = page(site.get(f"{SUBSCRIPTIONS}/{sid}"))
    checked = shown.xpath("//form[contains(@class,'subscription-form')]//input[@checked]/@value")
    assert {"tass", "ru", "en", "medtop:04000000"} <= set(checked)
    assert shown.xpath("//p[@class='notice']") == []  # no ?done=: no notice
    assert "subscription.add" in [entry.action for entry in hub.storage.list_audit(limit=10)]
    assert hub.storage.list_audit(limit=10)[0].actor_key_id == "web:leila"

    # Edit, then remove, through the page; the API sees each change.
    changed = site.post(
        f"{SUBSCRIPTIONS}/{sid}", data={"csrf_token": editor, "name": "All of TASS", "members": ["tass"]}
    )
    assert changed.status_code == 303 and changed.headers["location"].endswith("?done=saved")
    api = site.get(f"/api/v1/subscriptions/{sid}", headers={"Authorization": f"Bearer {editor_token}"}).json()
    assert (
        api["name"] == "All of TASS"
        and api["filter"]["languages"] == []
        and api["filter"]["max_urgency"] is None
    )
    removed = site.post(f"{SUBSCRIPTIONS}/{sid}/remove", data={"csrf_token": editor})
    assert removed.status_code == 303
    gone = site.get(f"/api/v1/subscriptions/{sid}", headers={"Authorization": f"Bearer {editor_token}"})
    assert gone.status_code == 404


def test_the_webhook_secret_is_shown_once(site: TestClient, hub: Hub, editor: str) -> None:
    sid = create(site, editor)
    made = site.post(f"{SUBSCRIPTIONS}/{sid}/webhook", data={"csrf_token": editor, "url": HOOK_URL})
    assert made.status_code == 200 and "no-store" in made.headers["cache-control"]
    (secret,) = secret_values(made)
    assert secret.startswith("tbdwh_")
    assert made.text.count(secret) == 1

    later = site.get(f"{SUBSCRIPTIONS}/{sid}")
    twin = site.get(f"{SUBSCRIPTIONS}/{sid}.json")
    assert later.status_code == twin.status_code == 200
    assert secret not in later.text and secret not in twin.text
    assert twin.json()["webhook"]["url"] == HOOK_URL and "secret" not in twin.json()["webhook"]
    status = page(later).xpath("//dl[contains(@class,'webhook-status')]")[0].text_content()
    assert HOOK_URL in status

    # Changing the URL keeps the secret (and shows none); rotating shows a new one, once.
    replaced = site.post(f"{SUBSCRIPTIONS}/{sid}/webhook", data={"csrf_token": editor, "url": HOOK_URL + "2"})
    assert replaced.status_code == 303 and replaced.headers["location"].endswith("?done=webhook_saved")
    rotated = site.post(f"{SUBSCRIPTIONS}/{sid}/webhook/rotate", data={"csrf_token": editor})
    (fresh,) = secret_values(rotated)
    assert fresh.startswith("tbdwh_") and fresh != secret
    again = site.get(f"{SUBSCRIPTIONS}/{sid}").text
    assert fresh not in again and secret not in again
    assert hub.storage.get_webhook(sid) is not None


def test_pause_resume_and_replay_of_dead_letters(site: TestClient, hub: Hub, editor: str) -> None:
    sid = create(site, editor)
    site.post(f"{SUBSCRIPTIONS}/{sid}/webhook", data={"csrf_token": editor, "url": HOOK_URL})
    paused = site.post(f"{SUBSCRIPTIONS}/{sid}/webhook/pause", data={"csrf_token": editor})
    assert paused.status_code == 303
    state = site.get(f"{SUBSCRIPTIONS}/{sid}.json").json()["webhook"]
    assert state["paused"] is True
    assert page(site.get(paused.headers["location"])).xpath("//p[@class='notice']")
    site.post(f"{SUBSCRIPTIONS}/{sid}/webhook/resume", data={"csrf_token": editor})
    assert site.get(f"{SUBSCRIPTIONS}/{sid}.json").json()["webhook"]["paused"] is False

    nothing = site.post(f"{SUBSCRIPTIONS}/{sid}/webhook/replay", data={"csrf_token": editor})
    assert nothing.headers["location"].endswith("?done=nothing_to_replay")

    # An event the receiver never accepted becomes a dead letter; the page counts it and replays it.
    hub.ingest_payload(
        "irna", b"Ferry line\n\nA ferry line opens.", "text/plain", via="test", guid="urn:irna:ferry"
    )
    Dispatcher(hub.storage).drain()
    claimed = hub.storage.claim_webhooks("test-worker", 1, 60, utc_now())
    assert claimed, "the subscription got an event"
    event_id = hub.storage.last_event_id(sid)
    hub.storage.record_webhook_failed(
        sid, "test-worker", event_id, 500, "HTTP 500", utc_now(), True, utc_now()
    )
    hub.storage.release_webhook(sid, "test-worker")
    shown = site.get(f"{SUBSCRIPTIONS}/{sid}.json").json()
    assert shown["webhook"]["dead_letters"] == 1
    dead = page(site.get(f"{SUBSCRIPTIONS}/{sid}")).xpath("//dd[contains(@class,'webhook-dead-letters')]")
    assert dead[0].text_content().strip() == "1"
    replayed = site.post(f"{SUBSCRIPTIONS}/{sid}/webhook/replay", data={"csrf_token": editor})
    assert replayed.headers["location"].endswith("?done=replayed")
    after = site.get(f"{SUBSCRIPTIONS}/{sid}.json").json()
    assert after["webhook"]["dead_letters"] == 0 and after["webhook"]["position"] == event_id - 1
    assert "webhook.replay" in [entry.action for entry in hub.storage.list_audit(limit=5)]


def test_feed_addresses_are_shown_once_and_revocable(site: TestClient, hub: Hub, editor: str) -> None:
    sid = create(site, editor)
    issued = site.post(f"{SUBSCRIPTIONS}/{sid}/feed-tokens", data={"csrf_token": editor})
    assert issued.status_code == 200 and "no-store" in issued.headers["cache-control"]
    urls = secret_values(issued)
    assert len(urls) == 3 and all("/api/v1/syndication/tbdf_" in url for url in urls)
    atom = next(url for url in urls if url.endswith("/atom"))
    assert site.get(atom.replace("http://testserver", "")).status_code == 200
    listed = page(site.get(f"{SUBSCRIPTIONS}/{sid}"))
    assert not any(url in listed.text_content() for url in urls)
    (token_id,) = [token["id"] for token in site.get(f"{SUBSCRIPTIONS}/{sid}.json").json()["feed_tokens"]]
    revoked = site.post(f"{SUBSCRIPTIONS}/{sid}/feed-tokens/{token_id}/revoke", data={"csrf_token": editor})
    assert revoked.status_code == 303
    assert site.get(atom.replace("http://testserver", "")).status_code == 404
    pull = listed.xpath("//code[contains(@class,'pull-link')]")[0].text_content()
    assert pull.endswith(f"/api/v1/subscriptions/{sid}/feed")


def test_refusals_are_shown_in_the_readers_language_keeping_the_input(
    site: TestClient, hub: Hub, member: MemberInfo, editor: str
) -> None:
    refused = site.post(
        "/fa/newsroom/settings/subscriptions",
        data={"csrf_token": editor, "name": "اقتصاد", "languages": ["fa"], "topics": ["not a topic"]},
    )
    assert refused.status_code == 400
    html = page(refused)
    assert html.get("dir") == "rtl"
    problem = html.xpath("//div[contains(@class,'form-errors')]")[0].text_content()
    assert catalog("fa")["settings.error.invalid_query"].replace("{param}", "topics") in problem
    assert html.xpath("//input[@name='name']/@value") == ["اقتصاد"]
    assert "fa" in html.xpath("//input[@name='languages'][@checked]/@value")
    assert hub.storage.list_subscriptions("irna") == []

    sid = create(site, editor)
    bad_hook = site.post(
        f"{SUBSCRIPTIONS}/{sid}/webhook", data={"csrf_token": editor, "url": "ftp://x.example/h"}
    )
    assert bad_hook.status_code == 400
    assert page(bad_hook).xpath("//input[@name='url']/@value") == ["ftp://x.example/h"]
    assert hub.storage.get_webhook(sid) is None


def test_members_see_only_their_own_and_readers_change_nothing(
    site: TestClient, hub: Hub, member: MemberInfo, tass: MemberInfo
) -> None:
    theirs = add_subscription(hub, "tass", "TASS's own", build_filter(), OPERATOR)
    csrf = log_in_as(site, hub, "irna", "reza", Role.READER)
    listing = site.get(SUBSCRIPTIONS)
    assert listing.status_code == 200 and "TASS's own" not in listing.text
    assert page(listing).xpath("//form[contains(@class,'subscription-form')]") == []  # readers get no form
    assert site.get(f"{SUBSCRIPTIONS}/{theirs.id}").status_code == 404
    assert site.get(f"{SUBSCRIPTIONS}?member=tass").status_code == 403
    assert site.post(SUBSCRIPTIONS, data={"csrf_token": csrf, "name": "x"}).status_code == 403
    assert hub.storage.list_subscriptions("irna") == []
    site.cookies.clear()
    anonymous = site.get(SUBSCRIPTIONS)
    assert anonymous.status_code == 303 and "/en/newsroom/login?next=" in anonymous.headers["location"]


def _post_routes() -> list[str]:
    paths = []
    for router in (settings_pages.portal.router, admin_pages.portal.router):
        for route in router.routes:
            if "POST" in getattr(route, "methods", set()):
                paths.append(str(getattr(route, "path")))
    return paths


def test_every_form_is_refused_without_its_csrf_token(
    site: TestClient, hub: Hub, member: MemberInfo, tass: MemberInfo
) -> None:
    csrf = log_in_as(site, hub, "irna", "rustam", Role.ADMIN)
    sid = create(site, csrf)
    site.post(f"{SUBSCRIPTIONS}/{sid}/webhook", data={"csrf_token": csrf, "url": HOOK_URL})
    key, _ = hub.issue_key("tass", Role.EDITOR)
    audit_before = len(hub.storage.list_audit(limit=1000))
    values = {
        "lang": "en",
        "subscription_id": sid,
        "token_id": "0123456789abcdef",
        "key_id": key.key_id,
        "code": "tass",
        "username": "rustam",
    }
    paths = _post_routes()
    assert len(paths) >= 20
    for path in paths:
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        for data in ({}, {"csrf_token": "forged"}):
            refused = site.post(url, data={**data, "name": "x", "url": HOOK_URL, "role": "editor"})
            assert refused.status_code == 403, (url, refused.status_code)
            assert "E207" in refused.text, url
    assert len(hub.storage.list_audit(limit=1000)) == audit_before  # nothing was changed
