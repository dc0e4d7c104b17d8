"""The config objects in OneTrainer's lists (`concepts`, `samples`, ...) as versioned schemas.

OneTrainer loads each element of those lists as a config of its own, from the element's
`__version` (missing: 0): `ConceptConfig` has versions 0..2 and migrations 0 and 1 of its
own, the others only version 0. Versions 0 and 1 of a concept have the fields of version 2
under their old names, with the defaults those fields have now.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from store._schema import Rename, Schema, SchemaVersion, Transform, Upcaster


def _concept_type(concept: dict[str, Any]) -> dict[str, Any]:
    """Concept migration 1: `validation_concept` becomes the concept `type`."""
    concept["type"] = "VALIDATION" if concept.pop("validation_concept") else "STANDARD"
    return concept


def concept_schema(model: type[BaseModel]) -> Schema:
    """`ConceptConfig` at versions 0..2; `model` is version 2."""
    newest = SchemaVersion(2, model).default_values
    v1 = {**{p: v for p, v in newest.items() if p != "type"}, "validation_concept": False}
    v0 = {"repeats" if p == "balancing" else p: v for p, v in v1.items()}
    return Schema(
        name="onetrainer concept",
        versions=[
            SchemaVersion(0, defaults=v0),
            SchemaVersion(1, defaults=v1),
            SchemaVersion(2, model),
        ],
        upcasters=[
            Upcaster(0, [Rename("repeats", "balancing")]),
            Upcaster(1, [Transform(_concept_type, paths=("validation_concept", "type"))]),
        ],
        file_version_default=0,
    )


def element_schema(name: str, model: type[BaseModel]) -> Schema:
    """A config object OneTrainer has only at version 0."""
    return Schema(
        name=f"onetrainer {name}", versions=[SchemaVersion(0, model)], file_version_default=0
    )
