"""The default enrichment pipeline: the built-in components, in one explicit list.

The hub registers its own components exactly as a third party would register theirs: by listing them,
in order, where the pipeline is built. Importing a module never adds a component anywhere. The modules
with heavy resources (entities, topics) are imported only when a pipeline is built, so the CLI stays
quick to start.

Order: language first (most components read in the item's language), then the cheap text components
(normalize, dates, numbers), entities, the embedding, and topics, which are read off the vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tabadol.enrich.components import DatesComponent, EmbedComponent, LanguageComponent, NormalizeComponent
from tabadol.enrich.embed import Embedder, default_embedder
from tabadol.enrich.pipeline import Component, Pipeline

if TYPE_CHECKING:
    from tabadol.enrich.entities import EntityRecognizer
    from tabadol.enrich.topics import TopicScheme

COMPONENT_NAMES: tuple[str, ...] = (
    "language",
    "normalize",
    "dates",
    "numbers",
    "entities",
    "embed",
    "topics",
)
"""The names of the default components, in pipeline order (for `tabadol enrich --help`)."""


def default_components(
    *,
    embedder: Embedder | None = None,
    topic_schemes: Sequence[TopicScheme] = (),
    entity_recognizer: EntityRecognizer | None = None,
) -> tuple[Component, ...]:
    """The built-in components in pipeline order (see COMPONENT_NAMES).

    `embedder` defaults to the process-wide multilingual-e5-small model; `topic_schemes` are the
    schemes the topic component scores; `entity_recognizer`, when given, replaces the entity
    component's default recognizer.
    """
    from tabadol.enrich.entities import EntityComponent
    from tabadol.enrich.numbers import NumbersComponent
    from tabadol.enrich.topics import TopicComponent

    return (
        LanguageComponent(),
        NormalizeComponent(),
        DatesComponent(),
        NumbersComponent(),
        EntityComponent(recognizer=entity_recognizer),
        EmbedComponent(embedder or default_embedder()),
        TopicComponent(schemes=tuple(topic_schemes)),
    )


def default_pipeline(
    *,
    embedder: Embedder | None = None,
    topic_schemes: Sequence[TopicScheme] = (),
    entity_recognizer: EntityRecognizer | None = None,
) -> Pipeline:
    """The default pipeline (checked: every requirement met, names unique)."""
    return Pipeline(
        default_components(
            embedder=embedder, topic_schemes=topic_schemes, entity_recognizer=entity_recognizer
        )
    )
