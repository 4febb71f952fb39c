"""The enrichment pipeline: an ordered list of named components over `Doc` records.

Each component declares what it `requires` (Doc fields an earlier component must assign, or inputs)
and what it `assigns`, and has a `version` that is stored with its output, so a result can always be
traced to the code that made it and stale results found and rebuilt (`tabadol enrich --rebuild`).
Components work on batches (the embedding model is much faster on a batch), and must be pure with
respect to the database: whatever needs other items (near-duplicates, stories) runs afterwards in
the index stage (`tabadol.index`).

If a component raises on a batch, the pipeline retries it one document at a time; a document that still
fails gets a `ComponentError` and keeps going through the remaining components (whose requirements it
may then lack: they see the defaults).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from tabadol.enrich.doc import DOC_FIELDS, ComponentError, Doc
from tabadol.errors import ErrorCode, TabadolError

log = logging.getLogger(__name__)

# Fields set by whoever builds a Doc: always available to components.
INPUT_FIELDS = frozenset({"id", "headline", "body", "reference_time", "declared_language", "member"})


@runtime_checkable
class Component(Protocol):
    """One step of the pipeline. `process` returns one Doc per input Doc, in order."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def requires(self) -> tuple[str, ...]: ...

    @property
    def assigns(self) -> tuple[str, ...]: ...

    def process(self, docs: Sequence[Doc]) -> list[Doc]: ...


def check_order(components: Sequence[Component]) -> None:
    """Raise PIPELINE_INVALID unless every requirement is met by an input field or an earlier
    component, every assigned name is a Doc field, and names are unique."""
    available = set(INPUT_FIELDS)
    seen: set[str] = set()
    for component in components:
        if component.name in seen:
            raise TabadolError(
                ErrorCode.PIPELINE_INVALID, reason=f"two components are named {component.name!r}"
            )
        seen.add(component.name)
        unknown = [name for name in component.assigns if name not in DOC_FIELDS]
        if unknown:
            raise TabadolError(
                ErrorCode.PIPELINE_INVALID,
                reason=f"component {component.name!r} assigns unknown fields {unknown}",
            )
        missing = [name for name in component.requires if name not in available]
        if missing:
            raise TabadolError(
                ErrorCode.PIPELINE_INVALID,
                reason=f"component {component.name!r} requires {missing}, which no earlier component assigns",
            )
        available.update(component.assigns)


@dataclass(frozen=True)
class Pipeline:
    components: tuple[Component, ...]

    def __post_init__(self) -> None:
        check_order(self.components)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components)

    def component(self, name: str) -> Component:
        for candidate in self.components:
            if candidate.name == name:
                return candidate
        raise TabadolError(ErrorCode.UNKNOWN_COMPONENT, name=name, known=", ".join(self.names))

    def upto(self, names: Iterable[str]) -> Pipeline:
        """The components named and everything they (transitively) depend on, in pipeline order."""
        wanted = set(names)
        for name in wanted:
            self.component(name)  # raises for unknown names
        needed: set[str] = set()
        for component in reversed(self.components):
            if component.name in wanted or set(component.assigns) & needed:
                wanted.add(component.name)
                needed.update(component.requires)
        return Pipeline(tuple(c for c in self.components if c.name in wanted))

    def run(self, docs: Sequence[Doc]) -> list[Doc]:
        out = list(docs)
        for component in self.components:
            out = run_component(component, out)
        return out


def run_component(component: Component, docs: list[Doc]) -> list[Doc]:
    """Run one component on a batch; on failure retry one by one and record per-document errors."""
    if not docs:
        return docs
    try:
        result = component.process(docs)
        if len(result) != len(docs):
            raise RuntimeError(f"returned {len(result)} documents for {len(docs)}")
        return result
    except Exception:  # noqa: BLE001 - a component's failure must not stop the batch
        if len(docs) == 1:
            return [_with_error(component, docs[0])]
    return [run_component(component, [doc])[0] for doc in docs]


def _with_error(component: Component, doc: Doc) -> Doc:
    import traceback

    detail = traceback.format_exc(limit=3).strip().splitlines()[-1]
    log.warning("component %s failed on %s: %s", component.name, doc.id, detail)
    error = ComponentError(component=component.name, version=component.version, error=detail[:500])
    return replace(doc, errors=(*doc.errors, error))
