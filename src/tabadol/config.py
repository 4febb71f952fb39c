"""Settings, read from TABADOL_* environment variables (one place, typed, validated)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from tabadol.errors import ErrorCode, TabadolError

DEFAULT_DATA_DIR = Path("var")


@dataclass(frozen=True, slots=True)
class Settings:
    # sqlite:///path/to/file.sqlite3 (default) or postgresql://user:pass@host:port/db
    database_url: str
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest request body accepted by HTTP push (bytes); larger bodies get 413 before being read whole.
    max_payload_bytes: int = 10 * 1024 * 1024
    # Most items one pushed or polled payload may hold (file ingest from the CLI is not limited).
    max_items_per_payload: int = 5000
    # Feed polling: loopback and private networks are refused unless the operator allows them.
    allow_private_feed_urls: bool = False
    feed_poll_default_seconds: int = 300
    feed_max_backoff_seconds: int = 6 * 3600
    feed_timeout_seconds: float = 20.0
    # Watched drop folder: files placed in <drop_dir>/<member code>/ are ingested for that member.
    drop_dir: Path | None = None
    drop_poll_seconds: float = 2.0
    # Run the feed poller and drop-folder watcher inside `tabadol serve`.
    run_background_ingest: bool = True
    # Enrichment worker threads inside `tabadol serve` (0: none; run `tabadol enrich --follow` apart).
    enrich_workers: int = 1
    # Delivery inside `tabadol serve`: the fan-out to subscriptions and the webhook sender (off: run
    # `tabadol deliver --follow` apart). Webhook endpoints sent to at once by one process:
    run_delivery: bool = True
    webhook_concurrency: int = 16
    # Webhooks: failed attempts on one event before it becomes a dead letter; how long a sender
    # holds an endpoint (a crashed sender's endpoints come back after it; keep it above twice the
    # 10 s request timeout); the hub's public address, for the links inside webhook bodies.
    webhook_max_attempts: int = 12
    webhook_lease_seconds: float = 60.0
    public_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("TABADOL_DATA_DIR", str(DEFAULT_DATA_DIR)))
        database_url = env.get("TABADOL_DATABASE_URL") or f"sqlite:///{data_dir / 'tabadol.sqlite3'}"
        drop = env.get("TABADOL_DROP_DIR")
        return cls(
            database_url=database_url,
            data_dir=data_dir,
            host=env.get("TABADOL_HOST", "127.0.0.1"),
            port=_int(env, "TABADOL_PORT", 8000),
            max_payload_bytes=_int(env, "TABADOL_MAX_PAYLOAD_BYTES", 10 * 1024 * 1024),
            max_items_per_payload=_int(env, "TABADOL_MAX_ITEMS_PER_PAYLOAD", 5000),
            allow_private_feed_urls=_bool(env, "TABADOL_ALLOW_PRIVATE_FEED_URLS", False),
            feed_poll_default_seconds=_int(env, "TABADOL_FEED_POLL_SECONDS", 300),
            feed_max_backoff_seconds=_int(env, "TABADOL_FEED_MAX_BACKOFF_SECONDS", 6 * 3600),
            feed_timeout_seconds=float(_int(env, "TABADOL_FEED_TIMEOUT_SECONDS", 20)),
            drop_dir=Path(drop) if drop else None,
            drop_poll_seconds=float(env.get("TABADOL_DROP_POLL_SECONDS", "2")),
            run_background_ingest=_bool(env, "TABADOL_BACKGROUND_INGEST", True),
            enrich_workers=_int(env, "TABADOL_ENRICH_WORKERS", 1),
            run_delivery=_bool(env, "TABADOL_DELIVERY", True),
            webhook_concurrency=_int(env, "TABADOL_WEBHOOK_CONCURRENCY", 16),
            webhook_max_attempts=_int(env, "TABADOL_WEBHOOK_MAX_ATTEMPTS", 12),
            webhook_lease_seconds=float(_int(env, "TABADOL_WEBHOOK_LEASE_SECONDS", 60)),
            public_url=env.get("TABADOL_PUBLIC_URL", "").rstrip("/"),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise TabadolError(
            ErrorCode.CONFIG_INVALID, setting=name, reason=f"{raw!r} is not a whole number"
        ) from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise TabadolError(ErrorCode.CONFIG_INVALID, setting=name, reason=f"{raw!r} is not true or false")
