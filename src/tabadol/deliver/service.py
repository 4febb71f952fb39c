"""Delivery running beside the API (or alone in `tabadol deliver --follow`): the fan-out dispatcher
and the webhook sender, started together and stopped together."""

from __future__ import annotations

import logging
from collections.abc import Callable

from tabadol.deliver.dispatcher import start_dispatcher
from tabadol.deliver.webhooks import start_webhook_sender
from tabadol.hub import Hub

log = logging.getLogger(__name__)


def start_delivery(hub: Hub) -> Callable[[], None]:
    """Start the delivery threads; returns a function that stops them."""
    stops = [start_dispatcher(hub.storage), start_webhook_sender(hub)]
    log.info("delivery started")

    def stop() -> None:
        for stop_one in reversed(stops):
            stop_one()

    return stop
