"""Subscription events as every channel shows them: one JSON shape for the pull feed, the live stream
(SSE) and the webhook headers, and the ninjs of the version an event names.

An event carries the ninjs of *its* version (an update delivered late still shows the version it
announced; the version after it comes as its own event). Content that was killed since is never sent
again: the events before a kill stay in the log, so cursors and counts stay stable, but they show as
`withdrawn` with no content, and the kill event carries the hub's kill notice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tabadol.deliver.render.ninjs import ItemIdentity, ninjs_uri, version_to_ninjs
from tabadol.serialize import format_datetime
from tabadol.storage.delivery import EventContent
from tabadol.types import EventKind, ItemVersion, MemberInfo, PubStatus, SubscriptionEvent


@dataclass(frozen=True, slots=True)
class RenderedEvent:
    event: SubscriptionEvent
    uri: str | None  # the item's ninjs uri (None if the item no longer exists)
    ninjs: dict[str, Any] | None  # None: withdrawn (killed since) or gone

    @property
    def withdrawn(self) -> bool:
        return self.ninjs is None


class DocumentCache:
    """Recently rendered ninjs documents by (item id, version), shared by a sender's threads.

    A version's document never changes (only whether it may still be sent, which is checked on every
    use), and the same version goes to every subscription that selects it: fifty endpoints should
    not render it fifty times."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._documents: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> dict[str, Any] | None:
        with self._lock:
            document = self._documents.get(key)
            if document is not None:
                self._documents.move_to_end(key)
            return document

    def put(self, key: tuple[str, int], document: dict[str, Any]) -> None:
        with self._lock:
            self._documents[key] = document
            if len(self._documents) > self._size:
                self._documents.popitem(last=False)


def render_contents(
    contents: Sequence[EventContent],
    member_of: Callable[[str], MemberInfo | None],
    base_url: str = "",
    cache: DocumentCache | None = None,
) -> list[RenderedEvent]:
    """Events read with their items and versions (`Storage.subscription_event_contents`) with the
    ninjs of the versions they name. Callers must not change the documents (`cache` shares them)."""
    return [
        _rendered(content.event, content.item, content.version, member_of, base_url, cache)
        for content in contents
    ]


class _EventItem(ItemIdentity, Protocol):
    @property
    def pub_status(self) -> PubStatus: ...


def _rendered(
    event: SubscriptionEvent,
    item: _EventItem,
    version: ItemVersion | None,
    member_of: Callable[[str], MemberInfo | None],
    base_url: str,
    cache: DocumentCache | None,
) -> RenderedEvent:
    uri = ninjs_uri(item.guid, item.member_code)
    # Killed text is never sent again: only the kill event of a killed item carries a document.
    if version is None or (item.pub_status is PubStatus.CANCELED and event.kind is not EventKind.KILL):
        return RenderedEvent(event, uri, None)
    key = (event.item_id, event.version)
    ninjs = cache.get(key) if cache is not None else None
    if ninjs is None:
        ninjs = version_to_ninjs(version, item, member_of(item.member_code), base_url)
        if cache is not None:
            cache.put(key, ninjs)
    return RenderedEvent(event, uri, ninjs)


def event_json(rendered: RenderedEvent) -> dict[str, Any]:
    """The event as the pull feed and the live stream show it."""
    event = rendered.event
    out: dict[str, Any] = {
        "id": event.id,
        "type": event.kind.value,
        "item_id": event.item_id,
        "uri": rendered.uri,
        "version": event.version,
        "replaces": event.replaces,
        "member": event.source_member,
        "language": event.language,
        "created_at": format_datetime(event.created_at),
    }
    if rendered.withdrawn:
        out["withdrawn"] = True
    else:
        out["item"] = rendered.ninjs
    return out


def event_headers(event: SubscriptionEvent) -> Mapping[str, str]:
    """What a webhook request says about its event beside the ninjs body."""
    headers = {
        "X-Tabadol-Event": event.kind.value,
        "X-Tabadol-Event-Id": str(event.id),
        "X-Tabadol-Item-Version": str(event.version),
    }
    if event.replaces is not None:
        headers["X-Tabadol-Replaces-Version"] = str(event.replaces)
    return headers
