"""Run the API with uvicorn: `python -m tabadol.web.server` (settings from TABADOL_* variables)."""

from __future__ import annotations

import logging

import uvicorn

from tabadol.hub import Hub, create_hub
from tabadol.web.app import create_app


def serve(hub: Hub, host: str, port: int) -> None:
    """Serve until interrupted, then close the hub (flushing the group committer)."""
    app = create_app(hub)
    # No access log: at thousands of pushes per second it would cost more than the pushes.
    config = uvicorn.Config(
        app, host=host, port=port, access_log=False, server_header=False, log_level="info"
    )
    try:
        uvicorn.Server(config).run()
    finally:
        hub.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hub = create_hub()
    serve(hub, hub.settings.host, hub.settings.port)


if __name__ == "__main__":
    main()
