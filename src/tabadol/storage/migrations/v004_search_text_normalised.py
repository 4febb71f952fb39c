"""Migration 4: the search text of every item is rebuilt in the normalised search form.

Until now it was only casefolded; from now on indexing and querying both use
`enrich.normalize.normalize_for_search` (Persian/Arabic letter variants, digits, ZWNJ, marks, Turkic
i), so existing rows are recomputed from their current version's parsed text. A later change to the
normalisation needs a migration like this one again.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, bindparam, text

from tabadol.enrich.normalize import normalize_for_search

_CHUNK = 1000


def apply(connection: Connection) -> None:
    rows = connection.execute(
        text(
            "SELECT items.id, item_versions.parsed FROM items JOIN item_versions "
            "ON item_versions.item_id = items.id AND item_versions.version = items.version"
        )
    ).all()
    update = text("UPDATE items SET search_text = :search_text WHERE id = :item_id").bindparams(
        bindparam("search_text"), bindparam("item_id")
    )
    for start in range(0, len(rows), _CHUNK):
        values = []
        for item_id, parsed in rows[start : start + _CHUNK]:
            data = json.loads(parsed) if isinstance(parsed, str) else parsed
            search = normalize_for_search(f"{data.get('headline', '')}\n{data.get('body_text', '')}")
            values.append({"search_text": search, "item_id": item_id})
        connection.execute(update, values)
