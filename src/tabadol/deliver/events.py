"""Subscription events as every channel shows them: one JSON shape for the pull feed, the live stream
(SSE) and the webhook headers, and the ninjs of the version an event names.

An event carries the ninjs of *its* version (an update delivered late still shows the version it
announced; the version after it comes as its own event). Content that was killed since is never sent
again: the events before a kill stay in the log, so cursors and counts stay stable, but they show as
`withdrawn` with no content, and the kill event carries the hub's kill notice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tabadol.deliver.render.ninjs import ninjs_uri, version_to_ninjs
from tabadol.serialize import format_datetime
from tabadol.types import EventKind, Item, ItemVersion, MemberInfo, PubStatus, SubscriptionEvent

# The media type of the pull feed's pages.
FEED_MEDIA_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class RenderedEvent:
    event: SubscriptionEvent
    uri: str | None  # the item's ninjs uri (None if the item no longer exists)
    ninjs: dict[str, Any] | None  # None: withdrawn (killed since) or gone

    @property
    def withdrawn(self) -> bool:
        return self.ninjs is None


def render_events(
    storage: Any,
    events: Sequence[SubscriptionEvent],
    member_of: Callable[[str], MemberInfo | None],
    base_url: str = "",
) -> list[RenderedEvent]:
    """The events with the ninjs of the versions they name (items and versions read once each)."""
    items: dict[str, Item | None] = {}
    versions: dict[tuple[str, int], ItemVersion | None] = {}
    rendered = []
    for event in events:
        if event.item_id not in items:
            items[event.item_id] = storage.get_item(event.item_id)
        item = items[event.item_id]
        if item is None:
            rendered.append(RenderedEvent(event, None, None))
            continue
        uri = ninjs_uri(item.guid, item.member_code)
        if item.pub_status is PubStatus.CANCELED and event.kind is not EventKind.KILL:
            rendered.append(RenderedEvent(event, uri, None))
            continue
        key = (event.item_id, event.version)
        if key not in versions:
            versions[key] = storage.get_version(event.item_id, event.version)
        version = versions[key]
        ninjs = (
            None
            if version is None
            else version_to_ninjs(version, item, member_of(item.member_code), base_url)
        )
        rendered.append(RenderedEvent(event, uri, ninjs))
    return rendered


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
