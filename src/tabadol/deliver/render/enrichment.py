"""What enrichment found about an item, for the API, ninjs and exports.

Enrichment is derived data: it is shown beside the item, never mixed into the sender's own fields.
In ninjs it goes where ninjs has room for machine metadata (IPTC Media Topics as `subjects` with
`creator` "tabadol:machine" and a confidence; entities as `people`, `places`, `organisations` with a
stable `urn:tabadol:entity:` URI; the story id as an altId); the full record is at
`/api/v1/items/{id}/enrichment` and in `tabadol export`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tabadol.types import ComponentResult, ItemLink

MACHINE_CREATOR = "tabadol:machine"
IPTC_MEDIATOPIC_URI = "http://cv.iptc.org/newscodes/mediatopic/"
ENTITY_URN = "urn:tabadol:entity:"
_NINJS_ENTITY_FIELD = {"person": "people", "place": "places", "organisation": "organisations"}


@dataclass(frozen=True, slots=True)
class EnrichmentView:
    item_id: str
    results: Mapping[str, ComponentResult]
    story_id: str | None = None
    near_duplicate_of: ItemLink | None = None
    copies: tuple[ItemLink, ...] = ()

    def field(self, component: str, name: str, default: Any = None) -> Any:
        result = self.results.get(component)
        if result is None or result.error is not None:
            return default
        return result.data.get(name, default)


def load_views(storage: Any, item_ids: Sequence[str], with_links: bool = False) -> dict[str, EnrichmentView]:
    results = storage.enrichment_of(item_ids)
    stories = storage.story_ids_of(item_ids)
    views = {}
    for item_id in item_ids:
        near = None
        copies: tuple[ItemLink, ...] = ()
        if with_links:
            outgoing, incoming = storage.links_of(item_id)
            near = next((link for link in outgoing if link.kind == "near_duplicate"), None)
            copies = tuple(link for link in incoming if link.kind == "near_duplicate")
        views[item_id] = EnrichmentView(item_id, results.get(item_id, {}), stories.get(item_id), near, copies)
    return views


def enrichment_to_json(view: EnrichmentView) -> dict[str, Any]:
    """Every enrichment field of an item, with the component versions that made them."""
    out: dict[str, Any] = {
        "language": view.field("language", "language"),
        "script": view.field("language", "script"),
        "headline_language": view.field("language", "headline_language"),
        "topics": view.field("topics", "topics", []),
        "entities": view.field("entities", "entities", []),
        "dates": view.field("dates", "dates", []),
        "numbers": view.field("numbers", "numbers", []),
        "story_id": view.story_id,
        "near_duplicate_of": _link_json(view.near_duplicate_of, "target_id"),
        "near_duplicates": [_link_json(link, "item_id") for link in view.copies],
        "components": {
            name: {
                "version": result.component_version,
                "item_version": result.item_version,
                "updated_at": result.updated_at,
                **({"error": result.error} if result.error else {}),
            }
            for name, result in sorted(view.results.items())
        },
    }
    return out


def _link_json(link: ItemLink | None, side: str) -> dict[str, Any] | None:
    if link is None:
        return None
    return {"item_id": getattr(link, side), "similarity": round(link.similarity, 4)}


def add_to_ninjs(doc: dict[str, Any], view: EnrichmentView) -> dict[str, Any]:
    """The ninjs document with the enrichment in ninjs's own fields (see the module docstring)."""
    subjects = list(doc.get("subjects", []))
    for topic in view.field("topics", "topics", []):
        subjects.append(_topic_subject(topic))
    if subjects:
        doc["subjects"] = subjects
    seen: set[str] = set()
    for entity in view.field("entities", "entities", []):
        key = _NINJS_ENTITY_FIELD.get(str(entity.get("kind")))
        if key is None or entity["id"] in seen:
            continue
        seen.add(entity["id"])
        doc.setdefault(key, []).append(
            {
                "name": entity.get("name") or entity.get("surface", ""),
                "uri": ENTITY_URN + _urn_safe(entity["id"]),
            }
        )
    if view.story_id:
        doc.setdefault("altIds", []).append({"role": "tabadol:story-id", "value": view.story_id})
    return doc


def _topic_subject(topic: Mapping[str, Any]) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "name": topic.get("label", topic.get("code", "")),
        "creator": MACHINE_CREATOR,
        "confidence": max(0, min(100, round(float(topic.get("score", 0)) * 100))),
    }
    code = str(topic.get("code", ""))
    if topic.get("scheme") == "iptc" and code.startswith("medtop:"):
        subject["uri"] = IPTC_MEDIATOPIC_URI + code.removeprefix("medtop:")
    else:
        subject["literal"] = f"{topic.get('scheme')}:{code}"
    return subject


def _urn_safe(identifier: str) -> str:
    # URN bodies allow letters, digits and a few marks; anything else is percent-encoded.
    from urllib.parse import quote

    return quote(identifier, safe="/:-._~")
