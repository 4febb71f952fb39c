"""Embargo, correction and kill on every channel at once, through a real hub process.

One subscription of TASS to IRNA's wire, read at the same time by the pull feed, a live stream (SSE), a
webhook (a real loopback receiver verifying signatures), Atom/RSS/JSON Feed syndication, search and
the item endpoints. An embargoed item must be absent from all of them until its time and then appear on
each (the release is automatic: nobody touches the hub); a correction arrives everywhere as an update
naming the version it replaces; a kill reaches every channel and the killed text is sent nowhere again.
Every event's ninjs validates against the ninjs 3.1 schema. Every wait is bounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from test_ninjs import assert_valid_ninjs

from hub_process import ServerProcess
from tabadol.config import Settings
from tabadol.deliver.subscription_ops import add_subscription, issue_feed_token
from tabadol.deliver.subscriptions import build_filter
from tabadol.hub import OPERATOR, Hub
from tabadol.serialize import format_datetime
from tabadol.types import Role, utc_now
from webhook_receiver import WebhookReceiver

WAIT_SECONDS = 30
EMBARGO_SECONDS = 8


class StreamReader:
    """Reads a subscription's SSE stream in a thread and keeps every event it parsed."""

    def __init__(self, url: str, token: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, token), daemon=True)
        self._thread.start()

    def _run(self, url: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=60)) as response:
            assert response.status_code == 200
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                self.connected.set()
                if self._stop.is_set():
                    return
                if line == "":
                    if "data" in fields:
                        self.events.append(
                            {"id": int(fields["id"]), "event": fields["event"], **json.loads(fields["data"])}
                        )
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")

    def stop(self) -> None:
        self._stop.set()


def eventually(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def running(
    hub: Hub, settings: Settings, tmp_path: Path, issue_token: Callable[..., str]
) -> Iterator[dict[str, Any]]:
    hub.add_member("irna", {"en": "IRNA"}, "IR", ["fa"])
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    subscription = add_subscription(hub, "tass", "IRNA wire", build_filter(members=["irna"]), OPERATOR)
    _, feed_token = issue_feed_token(hub, subscription.id, OPERATOR)
    tokens = {"irna": issue_token(hub, "irna", Role.EDITOR), "tass": issue_token(hub, "tass", Role.EDITOR)}
    receiver = WebhookReceiver()
    server = ServerProcess(
        settings,
        tmp_path / "hub.log",
        TABADOL_ENRICH_WORKERS="0",  # not needed here
        TABADOL_ALLOW_PRIVATE_FEED_URLS="1",  # the webhook receiver is on loopback
    )
    try:
        answer = httpx.put(
            f"{server.base}/api/v1/subscriptions/{subscription.id}/webhook",
            json={"url": receiver.url("/tass")},
            headers={"Authorization": f"Bearer {tokens['tass']}"},
        )
        assert answer.status_code == 201, answer.text
        receiver.secrets.append(answer.json()["secret"])
        stream = StreamReader(f"{server.base}/api/v1/subscriptions/{subscription.id}/stream", tokens["tass"])
        assert stream.connected.wait(WAIT_SECONDS)
        yield {
            "base": server.base,
            "subscription": subscription.id,
            "feed_token": feed_token,
            "tokens": tokens,
            "receiver": receiver,
            "stream": stream,
        }
        stream.stop()
    finally:
        server.stop()
        receiver.close()


class Channels:
    """What each channel shows for one item, read through the real server."""

    def __init__(self, run: dict[str, Any]) -> None:
        self.run = run
        self.base = run["base"]
        self.tass = {"Authorization": f"Bearer {run['tokens']['tass']}"}

    def push(self, guid: str, headline: str, **extra: Any) -> str:
        body = {
            "uri": guid,
            "type": "text",
            "language": "fa",
            "headlines": [{"role": "main", "value": headline}],
        }
        body["bodies"] = [
            {"role": "main", "contentType": "text/plain", "value": f"{headline}. متن کامل خبر."}
        ]
        body.update(extra)
        headers = {
            "Authorization": f"Bearer {self.run['tokens']['irna']}",
            "Content-Type": "application/ninjs+json",
        }
        answer = httpx.post(f"{self.base}/api/v1/items", content=json.dumps(body).encode(), headers=headers)
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["items"][0]["id"])

    def feed_events(self, item_id: str) -> list[dict[str, Any]]:
        url = f"{self.base}/api/v1/subscriptions/{self.run['subscription']}/feed"
        events: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})  # small pages: paging is used
            page = httpx.get(url, params=params, headers=self.tass).json()
            events += page["events"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return [event for event in events if event["item_id"] == item_id]

    def stream_events(self, item_id: str) -> list[dict[str, Any]]:
        return [event for event in self.run["stream"].events if event["item_id"] == item_id]

    def webhook_events(self, uri: str) -> list[tuple[str, int]]:
        return [(got.kind, got.version) for got in self.run["receiver"].on("/tass") if got.body["uri"] == uri]

    def syndicated_titles(self) -> dict[str, list[str]]:
        root = f"{self.base}/api/v1/syndication/{self.run['feed_token']}"
        atom = [entry.title for entry in feedparser.parse(httpx.get(f"{root}/atom").content).entries]
        rss = [entry.title for entry in feedparser.parse(httpx.get(f"{root}/rss").content).entries]
        json_feed = [entry["title"] for entry in httpx.get(f"{root}/json").json()["items"]]
        return {"atom": atom, "rss": rss, "json": json_feed}

    def searched(self, word: str) -> list[str]:
        """The uris search finds for the word."""
        found = httpx.get(f"{self.base}/api/v1/search", params={"q": word, "mode": "text"}, headers=self.tass)
        assert found.status_code == 200, found.text
        return [hit["item"]["uri"] for hit in found.json()["results"]]

    def item_status(self, item_id: str) -> int:
        return httpx.get(f"{self.base}/api/v1/items/{item_id}", headers=self.tass).status_code

    def everywhere(self, item_id: str, uri: str, headline: str, word: str) -> dict[str, bool]:
        titles = self.syndicated_titles()
        return {
            "feed": bool(self.feed_events(item_id)),
            "stream": bool(self.stream_events(item_id)),
            "webhook": bool(self.webhook_events(uri)),
            **{name: headline in found for name, found in titles.items()},
            "search": uri in self.searched(word),
            "item": self.item_status(item_id) == 200,
        }


def test_embargo_correction_and_kill_on_every_channel(running: dict[str, Any]) -> None:
    channels = Channels(running)
    receiver: WebhookReceiver = running["receiver"]
    control = channels.push("urn:irna:control", "Caspian ferry line opens")
    until = (utc_now() + timedelta(seconds=EMBARGO_SECONDS)).replace(microsecond=0)
    headline = "Embargoedword summit communique"
    held = channels.push("urn:irna:held", headline, embargoed=format_datetime(until))

    # The control item goes out on every channel: delivery works, so absence below means something.
    assert eventually(
        lambda: all(
            channels.everywhere(control, "urn:irna:control", "Caspian ferry line opens", "ferry").values()
        )
    )
    if utc_now() < until - timedelta(seconds=1):
        before = channels.everywhere(held, "urn:irna:held", headline, "embargoedword")
        assert utc_now() < until, "the checks ran past the embargo: the machine is too slow for this test"
        assert not any(before.values()), before

    # Its time comes: it appears on every channel without anyone touching the hub.
    assert eventually(
        lambda: all(channels.everywhere(held, "urn:irna:held", headline, "embargoedword").values())
    )
    [published] = channels.feed_events(held)
    assert published["type"] == "publish" and published["version"] == 1
    assert_valid_ninjs(published["item"])

    # A correction: an update naming the version it replaces, on the pull feed, the stream and the webhook.
    channels.push("urn:irna:held", headline + " (corrected)")
    assert eventually(
        lambda: len(channels.webhook_events("urn:irna:held")) == 2 and len(channels.stream_events(held)) == 2
    )
    update = channels.feed_events(held)[-1]
    assert (update["type"], update["version"], update["replaces"]) == ("update", 2, 1)
    assert_valid_ninjs(update["item"])
    assert channels.stream_events(held)[-1]["type"] == "update"
    assert channels.webhook_events("urn:irna:held")[-1] == ("update", 2)

    # A kill: a kill event on each event channel; the killed text is gone from every other one.
    killed = httpx.post(
        f"{channels.base}/api/v1/items/{held}/kill",
        headers={"Authorization": f"Bearer {running['tokens']['irna']}"},
    )
    assert killed.status_code == 201, killed.text
    assert eventually(lambda: channels.webhook_events("urn:irna:held")[-1:] == [("kill", 3)])
    assert eventually(
        lambda: [e["type"] for e in channels.stream_events(held)] == ["publish", "update", "kill"]
    )
    feed = channels.feed_events(held)
    assert [e["type"] for e in feed] == ["publish", "update", "kill"]
    assert all(e.get("withdrawn") for e in feed[:2]) and "item" not in feed[0]
    assert feed[2]["item"]["pubStatus"] == "canceled"
    assert_valid_ninjs(feed[2]["item"])
    assert "urn:irna:held" not in channels.searched("embargoedword")
    titles = channels.syndicated_titles()
    assert not any(
        title == headline or title == headline + " (corrected)"
        for found in titles.values()
        for title in found
    )
    assert any(title.startswith("KILL: ") for title in titles["atom"])

    # Every webhook request was signed and verified; nothing was delivered twice.
    assert receiver.bad_signatures == []
    keys = [got.key for got in receiver.on("/tass")]
    assert len(keys) == len(set(keys))
