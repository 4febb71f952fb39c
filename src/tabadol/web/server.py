"""Run the API with uvicorn: `python -m tabadol.web.server` (settings from TABADOL_* variables)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from tabadol.hub import Hub, create_hub
from tabadol.web.api.events import close_live_streams
from tabadol.web.app import create_app

SHUTDOWN_GRACE_SECONDS = 5


def serve(hub: Hub, host: str, port: int) -> None:
    """Serve until interrupted (with background ingest), then close the hub (flushing the group committer)."""
    app = create_app(hub)
    # No access log: at thousands of pushes per second it would cost more than the pushes.
    # Requests still running at shutdown get a bounded grace period (live streams are ended at once).
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        log_level="info",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    # The hub's own signing key is made (and published) before the first request, not on demand.
    _ = hub.stamper
    stop_background = _start_background_ingest(hub)
    stop_enrichment = _start_enrichment(hub)
    stop_delivery = _start_delivery(hub)
    try:
        _Server(config, app).run()
    finally:
        stop_delivery()
        stop_enrichment()
        stop_background()
        hub.close()


class _Server(uvicorn.Server):
    """Ends the live streams as soon as shutdown begins: uvicorn waits for open connections to close
    before the application's own shutdown runs, and a live stream never closes by itself."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        close_live_streams(self._app)
        await super().shutdown(sockets)


def _start_background_ingest(hub: Hub) -> Callable[[], None]:
    """Feed polling and the drop folder run beside the API unless the operator turned them off
    (with several hub processes on one PostgreSQL, one of them runs them)."""
    if not hub.settings.run_background_ingest:
        return lambda: None
    from tabadol.ingest.transports.background import start_background_ingest

    return start_background_ingest(hub)


def _start_enrichment(hub: Hub) -> Callable[[], None]:
    """Enrichment worker threads working through the job queue that ingest fills."""
    if hub.settings.enrich_workers <= 0:
        return lambda: None
    from tabadol.enrich.service import start_enrichment_workers

    return start_enrichment_workers(hub.storage, hub.settings.enrich_workers)


def _start_delivery(hub: Hub) -> Callable[[], None]:
    """The fan-out to subscriptions and the webhook sender (several hub processes may each run them:
    every event and every delivery still happens once)."""
    if not hub.settings.run_delivery:
        return lambda: None
    from tabadol.deliver.service import start_delivery

    return start_delivery(hub)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hub = create_hub()
    serve(hub, hub.settings.host, hub.settings.port)


if __name__ == "__main__":
    main()
