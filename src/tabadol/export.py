"""Export every item as JSON Lines: the operator's complete, stable view of the store.

One line per item, in seq order (the hub's change order, so two exports of the same data are
byte-identical whatever the backend): every field of the item at its current version, the parsed
data of that version, the SHA-256 of the original it arrived in, how many versions it has, and
everything enrichment made of it (`enrichment`: language, topics, entities, dates, numbers, story,
near-duplicate links, the vector, and the component versions behind them).
Embargoed items are included: this is an operator command, not a read endpoint.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from tabadol.deliver.render.enrichment import enrichment_to_json, load_views
from tabadol.hub import Hub
from tabadol.serialize import to_jsonable
from tabadol.types import Item


@dataclass(frozen=True, slots=True)
class ExportFilter:
    member_code: str | None = None
    # Items whose current version reached the hub at or after this instant (incremental exports).
    since: datetime | None = None

    def accepts(self, item: Item) -> bool:
        if self.member_code is not None and item.member_code != self.member_code:
            return False
        return self.since is None or item.received_at >= self.since


def export_records(hub: Hub, selection: ExportFilter | None = None) -> Iterator[dict[str, Any]]:
    selection = selection or ExportFilter()
    if selection.member_code is not None:
        hub.get_member(selection.member_code)  # MEMBER_NOT_FOUND rather than a silent empty export
    counts = version_counts(hub)
    batch: list[Item] = []
    for item in hub.storage.iter_items(include_embargoed=True):
        if selection.accepts(item):
            batch.append(item)
        if len(batch) >= ENRICHMENT_BATCH:
            yield from _with_enrichment(hub, batch, counts)
            batch = []
    yield from _with_enrichment(hub, batch, counts)


# Items whose enrichment is read per round trip.
ENRICHMENT_BATCH = 200


def _with_enrichment(hub: Hub, items: list[Item], counts: Counter[str]) -> Iterator[dict[str, Any]]:
    """Each item's record with every enrichment field: the components' results (with their
    versions), story, near-duplicate links, and the embedding vector."""
    if not items:
        return
    ids = [item.id for item in items]
    views = load_views(hub.storage, ids, with_links=True)
    entries = hub.storage.index_entries(ids)
    for item in items:
        record = item_record(item, counts[item.id])
        enrichment = to_jsonable(enrichment_to_json(views[item.id]))
        entry = entries.get(item.id)
        enrichment["vector"] = (
            None
            if entry is None
            else {"model": entry.model, "values": [round(float(x), 6) for x in entry.vector]}
        )
        record["enrichment"] = enrichment
        yield record


def item_record(item: Item, version_count: int) -> dict[str, Any]:
    record: dict[str, Any] = to_jsonable(item)
    record["original_sha256"] = item.original_sha256
    record["version_count"] = version_count
    return record


def version_counts(hub: Hub) -> Counter[str]:
    """Versions per item id, in one pass over the store rather than one query per item."""
    return Counter(version.item_id for _, _, version in hub.storage.iter_versions())


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    written = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        out.write("\n")
        written += 1
    return written


def export_items(hub: Hub, out: IO[str], selection: ExportFilter | None = None) -> int:
    """Write the export; returns the number of lines."""
    return write_jsonl(export_records(hub, selection), out)
