"""The real server process: acknowledged pushes survive SIGKILL, and huge bodies do not hurt it.

Runs `python -m tabadol.web.server` on 127.0.0.1 against the test's database (SQLite file or
PostgreSQL database, from the shared fixtures). Every wait is bounded in time and count.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from hub_process import ServerProcess
from tabadol.config import Settings
from tabadol.hub import Hub
from tabadol.types import Role

PUSH_THREADS = 4
MIN_ACKNOWLEDGED = 40
MAX_PUSHES_PER_THREAD = 2000


StartServer = Callable[[], ServerProcess]


@pytest.fixture
def start_server(hub: Hub, settings: Settings, tmp_path: Path) -> Iterator[StartServer]:
    """Starts server processes on the test's database (migrated by `hub`); stops them all after."""
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        server = ServerProcess(settings, tmp_path / "server.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def payload(worker: int, n: int) -> bytes:
    doc = {
        "uri": f"urn:durability:{worker}:{n}",
        "type": "text",
        "language": "kk",
        "headlines": [{"role": "main", "value": f"Жаңалық {worker}-{n}"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": f"Мәтін {worker}-{n}."}],
    }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


class Pusher(threading.Thread):
    """Pushes distinct items until told to stop or the server dies; remembers every 2xx."""

    def __init__(self, base: str, token: str, worker: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.worker, self.stop_event = base, token, worker, stop
        self.acknowledged: list[tuple[str, str]] = []  # (item href path, sha256 of the bytes sent)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/ninjs+json"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=5) as client:
            for n in range(MAX_PUSHES_PER_THREAD):
                if self.stop_event.is_set():
                    return
                data = payload(self.worker, n)
                try:
                    response = client.post("/api/v1/items", content=data)
                except httpx.HTTPError:
                    return  # the server was killed: this push was never acknowledged
                if response.is_success:
                    item = response.json()["items"][0]
                    self.acknowledged.append((httpx.URL(item["href"]).path, hashlib.sha256(data).hexdigest()))


@pytest.mark.slow
def test_every_acknowledged_push_survives_sigkill(
    hub: Hub, member: object, start_server: StartServer
) -> None:
    _, token = hub.issue_key("irna", Role.EDITOR, "durability")
    server = start_server()
    stop = threading.Event()
    pushers = [Pusher(server.base, token, worker, stop) for worker in range(PUSH_THREADS)]
    for pusher in pushers:
        pusher.start()
    deadline = time.monotonic() + 30
    while sum(len(p.acknowledged) for p in pushers) < MIN_ACKNOWLEDGED and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()  # mid-stream: the pushers are still sending
    stop.set()
    for pusher in pushers:
        pusher.join(timeout=15)
        assert not pusher.is_alive()
    acknowledged = [ack for pusher in pushers for ack in pusher.acknowledged]
    assert len(acknowledged) >= MIN_ACKNOWLEDGED

    restarted = start_server()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=restarted.base, headers=headers, timeout=10) as client:
        for path, sha in acknowledged:
            original = client.get(f"{path}/original")
            assert original.status_code == 200, (path, original.text)
            assert hashlib.sha256(original.content).hexdigest() == sha
            assert original.headers["x-tabadol-sha256"] == sha


@pytest.mark.slow
def test_real_server_refuses_fifty_megabytes_and_keeps_serving(
    hub: Hub, editor_token: str, start_server: StartServer
) -> None:
    server = start_server()
    declared = 50 * 1024 * 1024
    head = (
        f"POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {editor_token}\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + b"x" * 65536)  # a first slice only: the answer must not wait for the rest
        answer = b""
        for _ in range(50):  # the 413 head and body may arrive in separate segments
            chunk = sock.recv(4096)
            answer += chunk
            if not chunk or b"}}" in answer:
                break
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"payload_too_large" in answer
    health = httpx.get(f"{server.base}/api/v1/health", timeout=5)
    assert health.status_code == 200
    pushed = httpx.post(
        f"{server.base}/api/v1/items",
        content=b"Headline\n\nBody.",
        headers={"Authorization": f"Bearer {editor_token}", "Content-Type": "text/plain"},
        timeout=5,
    )
    assert pushed.status_code == 201


@pytest.mark.slow
def test_the_server_enriches_pushed_items_in_the_background_even_across_a_crash(
    hub: Hub, member: object, start_server: StartServer
) -> None:
    """`tabadol serve` runs an enrichment worker: one article pushed in Persian and Russian ends up in one
    story, with no command run; items acknowledged before a SIGKILL are enriched after the restart."""
    hub.add_member("tass", {"en": "TASS"}, "RU", ["ru"])
    _, irna = hub.issue_key("irna", Role.EDITOR, "desk")
    _, tass = hub.issue_key("tass", Role.EDITOR, "desk")
    flores = (
        Path(__file__).resolve().parents[2] / "src" / "tabadol" / "demo" / "data" / "flores" / "dev.jsonl"
    )
    texts = json.loads(flores.read_text(encoding="utf-8").splitlines()[3])["text"]
    server = start_server()
    ids = []
    for token, language, guid in ((irna, "fa", "urn:irna:s"), (tass, "ru", "urn:tass:s")):
        headline, _, body = texts[language].partition(". ")
        doc = {
            "uri": guid,
            "type": "text",
            "language": language,
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": body or headline}],
        }
        response = httpx.post(
            f"{server.base}/api/v1/items",
            content=json.dumps(doc).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/ninjs+json"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["items"][0]["id"])
    server.kill()  # the jobs were queued with the items: a restart finds them
    restarted = start_server()
    headers = {"Authorization": f"Bearer {irna}"}
    stories: dict[str, str | None] = {}
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=restarted.base, headers=headers, timeout=10) as client:
        while time.monotonic() < deadline and not all(stories.get(i) for i in ids):
            for item_id in ids:
                stories[item_id] = client.get(f"/api/v1/items/{item_id}/enrichment").json()["story_id"]
            time.sleep(0.5)
    assert stories[ids[0]] is not None and stories[ids[0]] == stories[ids[1]]
