"""Search: full text over the normalised text, semantic search across languages, or both.

- `mode=text`: the words of `q` in headline or body, in the search form (enrich/normalize.py: Persian
  and Arabic letter variants, digit scripts, case and marks do not matter).
- `mode=semantic`: `q` is embedded with the same multilingual model as the items (as a query) and the
  nearest items are returned, whatever their language: a Persian query finds the Russian dispatch.
- `mode=hybrid` (default): both lists fused by reciprocal rank, so an exact-word hit and a
  same-meaning hit in another language both rank high.

Every hit passes the same reading rules as the item endpoints: nothing embargoed, no killed item.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tabadol.deliver.render.enrichment import add_to_ninjs, load_views
from tabadol.deliver.render.ninjs import item_to_ninjs
from tabadol.enrich.embed import default_embedder
from tabadol.errors import ErrorCode, TabadolError
from tabadol.hub import Hub
from tabadol.types import Item, ItemQuery, PubStatus, normalise_language_tag
from tabadol.web.api.common import MemberLookup, base_url, split_values
from tabadol.web.auth import AnyKey, ClockDep, HubDep

router = APIRouter(prefix="/search", tags=["search"])

MAX_RESULTS = 100
# Reciprocal-rank fusion constant: the usual 60 keeps one list's top hit from drowning the other's.
RRF_K = 60
MAX_QUERY_CHARS = 1000


class SearchMode(enum.StrEnum):
    TEXT = "text"
    SEMANTIC = "semantic"
    HYBRID = "hybrid"


def text_hits(
    hub: Hub, q: str, members: tuple[str, ...], languages: tuple[str, ...], limit: int, now: Any
) -> list[Item]:
    query = ItemQuery(
        member_codes=members, languages=languages, text=q, now=now, pub_statuses=(PubStatus.USABLE,)
    )
    return list(hub.list_items(query, limit).items)


def semantic_hits(
    hub: Hub, q: str, members: tuple[str, ...], languages: tuple[str, ...], limit: int, now: Any
) -> list[tuple[Item, float]]:
    vector = default_embedder().embed_queries([q])[0]
    # Ask for more than needed: some neighbours are filtered out below (member, embargo, kill). Their
    # ids, members and cosines are all this needs: not the entries' vectors and features.
    found = hub.storage.neighbours(vector, limit * 3 + 10, languages=_language_filter(languages))
    wanted = [near.item_id for near in found if not members or near.member_code in members]
    # One read for every neighbour (not one per hit); the reading rules are applied here, as
    # Hub.readable_item applies them: nothing under embargo at `now`, no killed item.
    items = hub.storage.get_items(wanted)
    hits: list[tuple[Item, float]] = []
    for near in found:
        item = items.get(near.item_id)
        if item is None or (members and near.member_code not in members):
            continue
        if item.is_embargoed(now) or item.pub_status is PubStatus.CANCELED:
            continue
        hits.append((item, near.similarity))
        if len(hits) >= limit:
            break
    return hits


def _language_filter(languages: tuple[str, ...]) -> tuple[str, ...]:
    # The index stores detected tags ("kk-Latn"): a filter on "kk" covers its script variants.
    expanded = set(languages)
    for tag in languages:
        expanded.update({f"{tag}-Latn", f"{tag}-Cyrl", f"{tag}-Arab"})
    return tuple(sorted(expanded))


@router.get("", summary="Search items: full text, semantic (across languages) or both")
def search(
    request: Request,
    hub: HubDep,
    clock: ClockDep,
    principal: AnyKey,
    q: Annotated[str, Query(min_length=1, description="What to look for, in any of the hub's languages")],
    mode: Annotated[SearchMode, Query(description="text, semantic or hybrid")] = SearchMode.HYBRID,
    member: Annotated[list[str], Query(description="Member code; repeat or comma-separate")] = [],  # noqa: B006
    language: Annotated[
        list[str], Query(description="BCP-47 tag of the items; repeat or comma-separate")
    ] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 20,
) -> dict[str, Any]:
    if len(q) > MAX_QUERY_CHARS:
        raise TabadolError(
            ErrorCode.INVALID_QUERY, param="q", reason=f"longer than {MAX_QUERY_CHARS} characters"
        )
    now = clock()
    members = split_values(member)
    try:
        languages = tuple(normalise_language_tag(tag) for tag in split_values(language))
    except ValueError as exc:
        raise TabadolError(ErrorCode.INVALID_QUERY, param="language", reason=str(exc)) from None
    scored: dict[str, dict[str, Any]] = {}
    items: dict[str, Item] = {}
    if mode in (SearchMode.TEXT, SearchMode.HYBRID):
        for rank, item in enumerate(text_hits(hub, q, members, languages, limit, now)):
            items[item.id] = item
            entry = scored.setdefault(item.id, {"score": 0.0})
            entry["score"] += 1.0 / (RRF_K + rank + 1)
            entry["text_rank"] = rank + 1
    if mode in (SearchMode.SEMANTIC, SearchMode.HYBRID):
        for rank, (item, similarity) in enumerate(semantic_hits(hub, q, members, languages, limit, now)):
            items[item.id] = item
            entry = scored.setdefault(item.id, {"score": 0.0})
            entry["score"] += 1.0 / (RRF_K + rank + 1)
            entry["semantic_rank"] = rank + 1
            entry["similarity"] = round(similarity, 4)
    ranked = sorted(scored.items(), key=lambda pair: -pair[1]["score"])[:limit]
    views = load_views(hub.storage, [item_id for item_id, _ in ranked])
    lookup = MemberLookup(hub)
    root = base_url(request)
    results = []
    for item_id, match in ranked:
        item = items[item_id]
        document = add_to_ninjs(item_to_ninjs(item, lookup.get(item.member_code), root), views[item_id])
        match["score"] = round(match["score"], 6)
        results.append({"match": match, "item": document})
    return {"query": q, "mode": mode.value, "results": results}
