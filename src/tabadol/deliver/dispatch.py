"""The fan-out decision: which subscription gets which event for an item's head version (pure).

Rules, per subscription and item (the head version the deliver job found):
- an embargoed head goes nowhere yet (its job comes due when the embargo ends);
- a killed item: a kill event to every subscription that received the item and not yet its kill;
  nobody else ever hears of it;
- a subscription that received an older version gets the new one as an update naming the version it
  had, whether or not the new version still matches its filter: whoever used the item must learn of
  the correction;
- otherwise the filter decides (deliver/subscriptions.py). A filter on what enrichment finds
  (topics, entities, story, or a language the sender did not declare) waits until the item is
  enriched: the enricher queues another deliver job when it is done.
A withheld item (pubStatus withheld) reaches only subscriptions that already had it, as an update.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from tabadol.deliver.render.enrichment import EnrichmentView
from tabadol.deliver.subscriptions import ItemFacts, facts_from_enrichment, item_search_text, matches
from tabadol.storage.delivery import Decision, DispatchBatch, EventSpec
from tabadol.types import ComponentResult, EventKind, Item, PubStatus, SubscriptionFilter

# The component that runs last in the built-in pipeline: its result for the head version means
# every fact a filter can name has been stored (the story is assigned with it, in the index stage).
LAST_COMPONENT = "topics"

log = logging.getLogger(__name__)


def needs_enrichment(value: SubscriptionFilter, item: Item) -> bool:
    """Whether the filter names something only enrichment knows (so it must wait for it)."""
    undeclared_language = bool(value.languages) and (item.language in (None, "und"))
    return bool(value.topics or value.entities or value.stories or undeclared_language)


def is_enriched(item: Item, results: Mapping[str, ComponentResult]) -> bool:
    result = results.get(LAST_COMPONENT)
    return result is not None and result.item_version >= item.version


class _LazyText:
    """The item's text in the search form, computed on first use and then shared by every
    subscription with a word filter."""

    def __init__(self, item: Item) -> None:
        self._item = item
        self._value: str | None = None

    @property
    def value(self) -> str:
        if self._value is None:
            self._value = item_search_text(self._item)
        return self._value


def decide(batch: DispatchBatch, now: datetime) -> Decision:
    """Every event the batch's items call for, items in the order of the batch. An item whose
    decision fails is reported (its job is kept, dead) and the others go on."""
    specs: list[EventSpec] = []
    failed: dict[str, str] = {}
    for item in batch.items.values():
        if item.embargoed_until is not None and item.embargoed_until > now:
            continue
        try:
            specs.extend(_item_events(batch, item))
        except Exception as exc:  # noqa: BLE001 - isolated per item, recorded on its job
            log.exception("fan-out of item %s failed", item.id)
            failed[item.id] = f"{type(exc).__name__}: {exc}"
    return Decision(specs, failed)


def _item_events(batch: DispatchBatch, item: Item) -> list[EventSpec]:
    results = batch.results.get(item.id, {})
    facts = facts_from_enrichment(EnrichmentView(item.id, results, batch.stories.get(item.id)))
    enriched = is_enriched(item, results)
    text = _LazyText(item)
    specs = []
    for subscription in batch.subscriptions:
        prior = batch.delivered.get((subscription.id, item.id))
        spec = decide_one(subscription.id, subscription.filter, item, facts, enriched, prior, text)
        if spec is not None:
            specs.append(spec)
    return specs


def decide_one(
    subscription_id: str,
    value: SubscriptionFilter,
    item: Item,
    facts: ItemFacts,
    enriched: bool,
    prior: tuple[int, EventKind] | None,
    text: _LazyText | None = None,
) -> EventSpec | None:
    """The event one subscription gets for the item's head, or None (see the module docstring)."""
    if prior is not None:
        had_version, had_kind = prior
        if had_kind is EventKind.KILL:
            return None
        if item.pub_status is PubStatus.CANCELED:
            return EventSpec(subscription_id, item.id, item.version, EventKind.KILL, had_version)
        if had_version >= item.version:
            return None
        return EventSpec(subscription_id, item.id, item.version, EventKind.UPDATE, had_version)
    if item.pub_status is not PubStatus.USABLE:
        return None
    if needs_enrichment(value, item) and not enriched:
        return None
    search_text = text.value if text is not None and value.query else None
    if not matches(value, item, facts, search_text):
        return None
    return EventSpec(subscription_id, item.id, item.version, EventKind.PUBLISH, None)
