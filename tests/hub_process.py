"""A real hub server process for tests: `python -m tabadol.web.server` on 127.0.0.1 against the test's
database (SQLite file or PostgreSQL database, from the shared fixtures). Every wait is bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tabadol.config import Settings

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """The server on a free port, its output appended to `log_path`; `settings` add TABADOL_* variables."""

    def __init__(self, settings: Settings, log_path: Path, **variables: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "TABADOL_DATABASE_URL": settings.database_url,
            "TABADOL_DATA_DIR": str(settings.data_dir),
            "TABADOL_HOST": "127.0.0.1",
            "TABADOL_PORT": str(self.port),
            "TABADOL_BACKGROUND_INGEST": "0",
            **variables,
        }
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tabadol.web.server"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_healthy(log_path)

    def _wait_healthy(self, log_path: Path) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the server did not become healthy; see {log_path}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
