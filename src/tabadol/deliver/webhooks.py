"""Webhooks: each subscription's events POSTed to its member's endpoint, in order, once acknowledged.

The sender (`WebhookWorker`) leases endpoints from the store (storage/delivery.py `claim_webhooks`),
so one process at a time sends to an endpoint, one request at a time, in event-id order. The
endpoint's position moves past an event only after a 2xx, in the store: a crash, a restart or a
receiver that is down for hours loses nothing, it only delays. What a crash can cost is a repeat:
the request in flight when the process died is sent again by the next sender, and receivers drop it
by its idempotency key (docs/webhooks.md).

A failed request is retried with exponential backoff and jitter (1 s, 2 s, 4 s ... at most 10 min,
each up to half shorter at random); after `max_attempts` failures on one event it becomes a dead
letter and the endpoint goes on with the next event. Events of items killed since are passed over
without a request (the kill event itself is sent): a receiver is never handed content it must not
publish. Management operations (set, rotate, pause, replay ...) are shared by the API and the CLI
and audited like the subscription operations.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from tabadol.deliver.events import DocumentCache, RenderedEvent, render_contents
from tabadol.deliver.signing import new_secret
from tabadol.deliver.webhook_http import Outcome, WebhookHttp, check_webhook_url, signed_request
from tabadol.enrich.worker import worker_name
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.storage.base import Storage
from tabadol.storage.delivery import WebhookSecrets
from tabadol.storage.jobs import retry_delay
from tabadol.storage.signals import EVENTS
from tabadol.types import DeadLetter, MemberInfo, Principal, Webhook, utc_now

log = logging.getLogger(__name__)

DEFAULT_ROTATION_GRACE = timedelta(hours=24)
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 600.0
# Events read from the log at a time for one endpoint.
EVENT_BATCH = 100
# How often the sender commits an endpoint's acknowledged position (see _Progress).
PROGRESS_EVERY = 50
PROGRESS_SECONDS = 0.25


# -- management (API and CLI) -------------------------------------------------------------------
def _require_subscription(hub: Hub, subscription_id: str) -> None:
    if hub.storage.get_subscription(subscription_id) is None:
        raise TabadolError(ErrorCode.SUBSCRIPTION_NOT_FOUND, subscription_id=subscription_id)


def webhook_state(hub: Hub, subscription_id: str) -> Webhook:
    """Where the subscription's webhook stands (never its secret)."""
    _require_subscription(hub, subscription_id)
    found = hub.storage.get_webhook(subscription_id)
    if found is None:
        raise TabadolError(ErrorCode.WEBHOOK_NOT_FOUND, subscription_id=subscription_id)
    return found[0]


def set_webhook(hub: Hub, subscription_id: str, url: str, actor: Principal) -> str | None:
    """Register the endpoint or change its URL. Returns the signing secret when the webhook is new:
    the only time it is shown (the hub keeps it to sign, and never displays it again)."""
    _require_subscription(hub, subscription_id)
    url = url.strip()
    check_webhook_url(url, allow_private=hub.settings.allow_private_feed_urls)
    exists = hub.storage.get_webhook(subscription_id) is not None
    secret = None if exists else new_secret()
    created = hub.storage.put_webhook(subscription_id, url, secret)
    hub.audit(actor, "webhook.create" if created else "webhook.change", subscription_id, {"url": url})
    return secret if created else None


def remove_webhook(hub: Hub, subscription_id: str, actor: Principal) -> None:
    _require_subscription(hub, subscription_id)
    if not hub.storage.remove_webhook(subscription_id):
        raise TabadolError(ErrorCode.WEBHOOK_NOT_FOUND, subscription_id=subscription_id)
    hub.audit(actor, "webhook.remove", subscription_id, {})


def rotate_webhook_secret(
    hub: Hub, subscription_id: str, actor: Principal, grace: timedelta = DEFAULT_ROTATION_GRACE
) -> str:
    """A new secret, returned once; the old one keeps signing beside it for `grace`, so the member
    can switch its receiver without refusing a single request."""
    webhook_state(hub, subscription_id)
    secret = new_secret()
    now = utc_now()
    if not hub.storage.rotate_webhook_secret(subscription_id, secret, now + grace, now):
        raise TabadolError(ErrorCode.WEBHOOK_NOT_FOUND, subscription_id=subscription_id)
    hub.audit(actor, "webhook.rotate_secret", subscription_id, {"grace_seconds": int(grace.total_seconds())})
    return secret


def pause_webhook(hub: Hub, subscription_id: str, paused: bool, actor: Principal) -> Webhook:
    """Stop (or restart) sending; events keep accumulating in the log and go out on resume."""
    _require_subscription(hub, subscription_id)
    if not hub.storage.pause_webhook(subscription_id, paused):
        raise TabadolError(ErrorCode.WEBHOOK_NOT_FOUND, subscription_id=subscription_id)
    hub.audit(actor, "webhook.pause" if paused else "webhook.resume", subscription_id, {})
    return webhook_state(hub, subscription_id)


def replay_webhook(
    hub: Hub,
    subscription_id: str,
    actor: Principal,
    *,
    from_event: int | None = None,
    since: datetime | None = None,
) -> int:
    """Send again every event from event id `from_event` on, or from the first event written at or
    after `since`. Returns the new position (the last event id counted as delivered)."""
    if (from_event is None) == (since is None):
        raise TabadolError(ErrorCode.INVALID_QUERY, param="replay", reason="give from_event or since")
    webhook_state(hub, subscription_id)
    if from_event is not None:
        if from_event < 1:
            raise TabadolError(ErrorCode.INVALID_QUERY, param="from_event", reason="event ids start at 1")
        after = from_event - 1
    else:
        assert since is not None
        if since.tzinfo is None:  # the hub's convention: a time without a zone is UTC
            since = since.replace(tzinfo=UTC)
        first = hub.storage.first_event_since(subscription_id, since)
        # Nothing written since then: nothing to replay, and nothing new is skipped either.
        after = hub.storage.last_event_id(subscription_id) if first is None else first - 1
    hub.storage.rewind_webhook(subscription_id, after)
    detail: dict[str, object] = {"after_event": after}
    hub.audit(actor, "webhook.replay", subscription_id, detail)
    return after


def dead_letters(hub: Hub, subscription_id: str, limit: int = 100) -> list[DeadLetter]:
    webhook_state(hub, subscription_id)
    return list(hub.storage.webhook_dead_letters(subscription_id, limit))


# -- the sender ---------------------------------------------------------------------------------
def _worker_name() -> str:
    return f"webhooks@{worker_name()}"


@dataclass
class WebhookWorker:
    """Sends the events of the endpoints it claims. `drain` for one pass, `run_forever` in a thread.

    Tests shrink `backoff_base`, `backoff_cap` and `poll_seconds`; production uses the defaults."""

    hub: Hub
    http: WebhookHttp
    concurrency: int = 16
    max_attempts: int = 12
    lease_seconds: float = 60.0
    backoff_base: float = BACKOFF_BASE_SECONDS
    backoff_cap: float = BACKOFF_CAP_SECONDS
    poll_seconds: float = 1.5
    base_url: str = ""
    name: str = field(default_factory=_worker_name)
    clock: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max(self.concurrency, 1), thread_name_prefix="tabadol-webhook")
        self._in_flight: dict[str, Future[datetime | None]] = {}
        self._documents = DocumentCache()
        # Set when run_forever is told to stop: endpoints being served stop after their current
        # request instead of sending the rest of their batch.
        self._stopping = threading.Event()

    # One pass: claim what is due, send it, return when nothing is due now.
    def drain(self) -> int:
        """Send until no endpoint has a due event; return how many endpoints were served."""
        served = 0
        while claimed := self._claim(self.concurrency):
            for future in [self._pool.submit(self.serve, *pair) for pair in claimed]:
                future.result()
            served += len(claimed)
        return served

    def run_forever(self, stop: threading.Event) -> None:
        """Claim free endpoints as slots free up; wake on new events, when a retry is due, and at
        the latest every `poll_seconds` (signals are a shortcut, the store is the truth)."""
        self._stopping = stop
        signals = self.hub.storage.signals
        seen = signals.count(EVENTS)
        next_retry: datetime | None = None
        while not stop.is_set():
            next_retry = self._reap(next_retry)
            try:
                free = self.concurrency - len(self._in_flight)
                for webhook, secrets in self._claim(free) if free > 0 else []:
                    future = self._pool.submit(self.serve, webhook, secrets)
                    self._in_flight[webhook.subscription_id] = future
            except Exception:  # noqa: BLE001 - e.g. the database restarting: try again shortly
                log.exception("claiming webhook endpoints failed")
            seen = signals.wait(EVENTS, seen, self._timeout(next_retry))
        for future in self._in_flight.values():
            future.result()
        self._in_flight.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.http.close()

    def _claim(self, limit: int) -> list[tuple[Webhook, WebhookSecrets]]:
        if limit < 1:
            return []
        claimed = self.hub.storage.claim_webhooks(self.name, limit, self.lease_seconds, self.clock())
        return list(claimed)

    def _reap(self, next_retry: datetime | None) -> datetime | None:
        """Forget finished endpoints; keep the earliest retry any of them asked for."""
        now = self.clock()
        if next_retry is not None and next_retry <= now:
            next_retry = None
        for subscription_id, future in list(self._in_flight.items()):
            if not future.done():
                continue
            del self._in_flight[subscription_id]
            try:
                retry_at = future.result()
            except Exception:  # noqa: BLE001 - logged; the lease lapses and another pass retries
                log.exception("webhook delivery to %s failed", subscription_id)
                continue
            if retry_at is not None and (next_retry is None or retry_at < next_retry):
                next_retry = retry_at
        return next_retry

    def _timeout(self, next_retry: datetime | None) -> float:
        # While endpoints are being served, look again soon so freed slots are refilled.
        timeout = self.poll_seconds if not self._in_flight else min(self.poll_seconds, 0.2)
        if next_retry is not None:
            timeout = min(timeout, max((next_retry - self.clock()).total_seconds(), 0.0) + 0.005)
        return timeout

    # One endpoint, under its lease.
    def serve(self, webhook: Webhook, secrets: WebhookSecrets) -> datetime | None:
        """Send the endpoint's events in order until none is left, one fails, or the lease is half
        spent (so the lease never lapses mid-request). Returns when a failed event is retried."""
        try:
            return self._send_in_order(webhook, secrets)
        finally:
            self.hub.storage.release_webhook(webhook.subscription_id, self.name)

    def _send_in_order(self, webhook: Webhook, secrets: WebhookSecrets) -> datetime | None:
        storage = self.hub.storage
        # Served for at most half a lease at a time, so endpoints with long backlogs take turns.
        deadline = time.monotonic() + self.lease_seconds / 2
        progress = _Progress(webhook.position)
        attempts = webhook.attempts
        members: dict[str, MemberInfo | None] = {}
        try:
            while time.monotonic() < deadline and not self._stopping.is_set():
                contents = storage.subscription_event_contents(
                    webhook.subscription_id, progress.position, EVENT_BATCH
                )
                if not contents:
                    return None
                members_of = partial(_member, storage, members)
                for rendered in render_contents(contents, members_of, self.base_url, self._documents):
                    if self._stopping.is_set():
                        return None  # the position is where the last acknowledgement put it
                    if rendered.withdrawn:
                        progress.pass_over(rendered.event.id)  # killed since: never sent again
                        continue
                    outcome = self._post(webhook, secrets, rendered)
                    if not outcome.delivered:
                        if not self._record(webhook, progress):
                            return None
                        return self._failed(webhook, rendered.event.id, attempts + 1, outcome)
                    progress.acknowledge(rendered.event.id, outcome.status or 200)
                    attempts = 0
                    if progress.due() and not self._record(webhook, progress):
                        return None  # the lease was lost: another worker sends from the stored position
            return None
        finally:
            if progress.pending:
                self._record(webhook, progress)

    def _post(self, webhook: Webhook, secrets: WebhookSecrets, rendered: RenderedEvent) -> Outcome:
        request = signed_request(rendered, secrets, int(self.clock().timestamp()))
        return self.http.post(webhook.url, request)

    def _record(self, webhook: Webhook, progress: _Progress) -> bool:
        """Commit the acknowledged position (and renew the lease); False if the lease was lost."""
        if not progress.pending:
            return True
        kept = bool(
            self.hub.storage.record_webhook_progress(
                webhook.subscription_id,
                self.name,
                progress.position,
                progress.delivered,
                progress.status,
                self.lease_seconds,
                self.clock(),
            )
        )
        progress.recorded()
        return kept

    def _failed(self, webhook: Webhook, event_id: int, attempts: int, outcome: Outcome) -> datetime | None:
        now = self.clock()
        give_up = attempts >= self.max_attempts
        # After a dead letter the next event is tried at once: it did not fail yet.
        delay = 0.0 if give_up else retry_delay(attempts, base=self.backoff_base, cap=self.backoff_cap)
        retry_at = now + timedelta(seconds=delay)
        error = outcome.error or f"HTTP {outcome.status}"
        recorded = self.hub.storage.record_webhook_failed(
            webhook.subscription_id, self.name, event_id, outcome.status, error, retry_at, give_up, now
        )
        if recorded and give_up:
            log.warning(
                "webhook %s: event %d is a dead letter after %d attempts",
                webhook.subscription_id,
                event_id,
                attempts,
            )
        return retry_at if recorded else None


class _Progress:
    """Acknowledged events not yet committed. Committing after every delivery would make the
    database commit, not the network, the limit on deliveries per second; a batch is committed every
    PROGRESS_EVERY events or PROGRESS_SECONDS, and always before a failure is recorded or the endpoint
    is released. A crash in between sends those events again: receivers de-duplicate by idempotency
    key (docs/webhooks.md), so the guarantee is at-least-once with at most a batch repeated."""

    def __init__(self, position: int) -> None:
        self.position = position
        self.delivered = 0
        self.status: int | None = None
        self.pending = False
        self._since = time.monotonic()

    def acknowledge(self, event_id: int, status: int) -> None:
        self.position, self.status, self.pending = event_id, status, True
        self.delivered += 1

    def pass_over(self, event_id: int) -> None:
        self.position, self.pending = event_id, True

    def due(self) -> bool:
        return self.delivered >= PROGRESS_EVERY or time.monotonic() - self._since >= PROGRESS_SECONDS

    def recorded(self) -> None:
        self.delivered, self.pending, self._since = 0, False, time.monotonic()


def _member(storage: Storage, cache: dict[str, MemberInfo | None], code: str) -> MemberInfo | None:
    if code not in cache:
        cache[code] = storage.get_member(code)
    return cache[code]


def worker_for(hub: Hub, **overrides: object) -> WebhookWorker:
    """A worker configured from the hub's settings (`overrides` for tests)."""
    settings = hub.settings
    options: dict[str, object] = {
        "concurrency": settings.webhook_concurrency,
        "max_attempts": settings.webhook_max_attempts,
        "lease_seconds": settings.webhook_lease_seconds,
        "base_url": settings.public_url or f"http://{settings.host}:{settings.port}",
    }
    options.update(overrides)
    http = WebhookHttp(allow_private=settings.allow_private_feed_urls)
    return WebhookWorker(hub, http, **options)  # type: ignore[arg-type]


def start_webhook_sender(hub: Hub, **overrides: object) -> Callable[[], None]:
    """The webhook sender in a thread; returns a function that stops it (finishing the requests in
    flight, so a clean stop repeats nothing)."""
    stop_event = threading.Event()
    worker = worker_for(hub, **overrides)
    thread = threading.Thread(
        target=worker.run_forever, args=(stop_event,), name="tabadol-webhooks", daemon=True
    )
    thread.start()

    def stop() -> None:
        stop_event.set()
        hub.storage.signals.notify(EVENTS)  # wake it now rather than at its timeout
        thread.join(timeout=30.0)
        worker.close()

    return stop
