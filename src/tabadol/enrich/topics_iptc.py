"""The shipped IPTC Media Topics scheme: the taxonomy file plus `topics_data/iptc_head.npz`.

The .npz holds what `python -m tabadol.enrich.topics_train_iptc` computed (see that module): the
zero-shot prototypes (embedded topic descriptions), the logistic head, the mixing settings, and the
SHA-256 of the taxonomy file it was computed for, so an edited taxonomy with a stale head is
refused instead of silently misread. Loaded with `allow_pickle=False`: only arrays and strings.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from typing import Any

import numpy as np

from tabadol.enrich.topics import SchemeTopic, TopicScheme
from tabadol.enrich.topics_head import LogisticHead
from tabadol.enrich.topics_taxonomy import (
    DATA_PACKAGE,
    IPTC_SCHEME,
    Taxonomy,
    iptc_taxonomy,
    read_data_file,
)
from tabadol.errors import ErrorCode, TabadolError

HEAD_RESOURCE = "iptc_head.npz"
REGENERATE = "regenerate it with `python -m tabadol.enrich.topics_train_iptc --sib200 DIR`"


def head_npz_bytes(scheme: TopicScheme, taxonomy: Taxonomy) -> bytes:
    """The .npz that stores `scheme` (trained for `taxonomy`): arrays and one JSON string."""
    meta = {
        "model_id": scheme.model_id,
        "taxonomy_sha256": taxonomy.sha256,
        "head_weight": scheme.head_weight,
        "temperature": scheme.temperature,
        "min_score": scheme.min_score,
        "max_topics": scheme.max_topics,
        "metadata": dict(scheme.metadata or {}),
    }
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        codes=np.array(scheme.codes),
        prototypes=scheme.prototypes,
        weights=scheme.head.weights,
        bias=scheme.head.bias,
        meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
    )
    return buffer.getvalue()


def scheme_from_head(data: bytes, taxonomy: Taxonomy, source: str) -> TopicScheme:
    """Build the IPTC scheme from .npz bytes, refusing a head made for another taxonomy."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in ("codes", "prototypes", "weights", "bias", "meta")}
        meta: dict[str, Any] = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=f"unreadable head: {exc}") from exc
    if meta.get("taxonomy_sha256") != taxonomy.sha256 or tuple(arrays["codes"]) != taxonomy.codes:
        reason = f"the head was trained for another version of the taxonomy; {REGENERATE}"
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=reason)
    topics = tuple(SchemeTopic(t.code, t.label, t.parent) for t in taxonomy.topics)
    return TopicScheme(
        name=IPTC_SCHEME,
        topics=topics,
        prototypes=arrays["prototypes"].astype(np.float32),
        head=LogisticHead(arrays["weights"].astype(np.float32), arrays["bias"].astype(np.float32)),
        model_id=str(meta["model_id"]),
        head_weight=float(meta["head_weight"]),
        temperature=float(meta["temperature"]),
        min_score=float(meta["min_score"]),
        max_topics=int(meta["max_topics"]),
        metadata=meta.get("metadata") or {},
    )


@lru_cache(maxsize=1)
def iptc_scheme() -> TopicScheme:
    """The shipped IPTC scheme (read once per process)."""
    source = f"{DATA_PACKAGE}/{HEAD_RESOURCE}"
    try:
        data = read_data_file(HEAD_RESOURCE)
    except OSError as exc:
        raise TabadolError(ErrorCode.MODEL_INVALID, path=source, reason=f"missing; {REGENERATE}") from exc
    return scheme_from_head(data, iptc_taxonomy(), source)
