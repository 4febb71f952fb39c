"""Run the API with uvicorn: `python -m tabadol.web.server` (settings from TABADOL_* variables)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import uvicorn

from tabadol.hub import Hub, create_hub
from tabadol.web.app import create_app


def serve(hub: Hub, host: str, port: int) -> None:
    """Serve until interrupted (with background ingest), then close the hub (flushing the group committer)."""
    app = create_app(hub)
    # No access log: at thousands of pushes per second it would cost more than the pushes.
    config = uvicorn.Config(
        app, host=host, port=port, access_log=False, server_header=False, log_level="info"
    )
    stop_background = _start_background_ingest(hub)
    stop_enrichment = _start_enrichment(hub)
    stop_delivery = _start_delivery(hub)
    try:
        uvicorn.Server(config).run()
    finally:
        stop_delivery()
        stop_enrichment()
        stop_background()
        hub.close()


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
