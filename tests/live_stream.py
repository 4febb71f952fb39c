"""Live streams (Server-Sent Events) through a real server, for tests: the app served by uvicorn on
127.0.0.1 in a thread, and a reader that parses a stream message by message. Every wait is bounded
(a read timeout or a polling deadline)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from hub_process import free_port
from tabadol.web.api.events import close_live_streams

DEADLINE_SECONDS = 20.0
# A stream that sends nothing for this long has failed the test (heartbeats come every 15 s).
READ_TIMEOUT = httpx.Timeout(5.0, read=DEADLINE_SECONDS)


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    # Live streams never finish on their own: end them first, as a server shutting down does.
    close_live_streams(app)
    server.should_exit = True
    thread.join(timeout=DEADLINE_SECONDS)
    assert not thread.is_alive(), "uvicorn did not stop"


@dataclass
class Message:
    id: int | None = None
    event: str | None = None
    data: dict[str, Any] | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)


class SseClient:
    """An open stream, parsed message by message (blank lines end messages)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next_message(self) -> Message | None:
        """The next message, or None when the server ended the stream."""
        message = Message()
        started = False
        for line in self._lines:
            if line == "":
                if started:
                    return message
                continue
            started = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comments.append(value)
            elif name == "id":
                message.id = int(value)
            elif name == "event":
                message.event = value
            elif name == "data":
                message.data = json.loads(value)
            elif name == "retry":
                message.retry = int(value)
        return message if started else None

    def next_event(self) -> Message:
        """The next message that carries an event (heartbeats skipped)."""
        while True:
            message = self.next_message()
            assert message is not None, "the stream ended"
            if message.id is not None:
                return message
