"""Invariant 12: a bad schema is rejected when it is built, not at the first replay."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, TypeAdapter

from store import (
    Add,
    Convert,
    Remove,
    Rename,
    Schema,
    SchemaError,
    SchemaVersion,
    Upcaster,
    get_schema,
)
from store._schema import fingerprint_json_schema


class A1(BaseModel):
    lr: float = 0.1
    steps: int = 10


class A2(BaseModel):
    lr: float = 0.1


class A2Renamed(BaseModel):
    learning_rate: float = 0.1
    steps: int = 10


class A2Retyped(BaseModel):
    lr: str = "0.1"
    steps: int = 10


class A2Default(BaseModel):
    lr: float = 0.2
    steps: int = 20


class NoDefault(BaseModel):
    lr: float


def test_a_gap_in_the_version_chain_is_rejected() -> None:
    with pytest.raises(SchemaError, match="without gaps"):
        Schema("s", [SchemaVersion(1, A1), SchemaVersion(3, A1)], [Upcaster(1, [])])


def test_a_missing_upcaster_is_rejected() -> None:
    with pytest.raises(SchemaError, match="one upcaster per step"):
        Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A1)])


def test_an_upcaster_naming_an_unknown_path_is_rejected() -> None:
    with pytest.raises(SchemaError, match="names lrr, a path neither version has"):
        Schema(
            "s",
            [SchemaVersion(1, A1), SchemaVersion(2, A1)],
            [Upcaster(1, [Convert("lrr", float)])],
        )


def test_a_removed_field_without_a_step_is_rejected() -> None:
    with pytest.raises(SchemaError, match="drops steps without a step"):
        Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2)], [Upcaster(1, [])])
    Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2)], [Upcaster(1, [Remove("steps")])])


def test_a_rename_explains_a_removed_field() -> None:
    with pytest.raises(SchemaError, match="drops lr"):
        Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2Renamed)], [Upcaster(1, [])])
    Schema(
        "s",
        [SchemaVersion(1, A1), SchemaVersion(2, A2Renamed)],
        [Upcaster(1, [Rename("lr", "learning_rate")])],
    )


def test_a_type_change_without_a_conversion_is_rejected() -> None:
    with pytest.raises(SchemaError, match="lr changes type without a Convert"):
        Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2Retyped)], [Upcaster(1, [])])
    Schema(
        "s",
        [SchemaVersion(1, A1), SchemaVersion(2, A2Retyped)],
        [Upcaster(1, [Convert("lr", str)])],
    )


def test_a_changed_default_needs_no_upcaster_step() -> None:
    schema = Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2Default)], [Upcaster(1, [])])
    assert schema.run_defaults(1, 2) == {"lr": 0.1, "steps": 10}
    assert schema.run_defaults(2, 2) == {"lr": 0.2, "steps": 20}


def test_a_field_without_a_default_is_rejected() -> None:
    with pytest.raises(SchemaError, match="every field needs a default"):
        Schema("s", [SchemaVersion(1, NoDefault)])


def test_the_newest_version_needs_a_model_and_older_ones_their_defaults() -> None:
    with pytest.raises(SchemaError, match="newest version needs a pydantic model"):
        Schema("s", [SchemaVersion(1, defaults={"lr": 0.1})])
    with pytest.raises(SchemaError, match="needs a model or its defaults"):
        Schema("s", [SchemaVersion(1), SchemaVersion(2, A1)], [Upcaster(1, [])])
    legacy = Schema(
        "s",
        [SchemaVersion(0, defaults={"lr": 0.1}), SchemaVersion(1, A1)],
        [Upcaster(0, [Add("steps", legacy_default=5)])],
    )
    assert legacy.run_defaults(0, 1) == {"lr": 0.1, "steps": 5}


def test_the_fingerprint_changes_with_the_schema() -> None:
    one = Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2Default)], [Upcaster(1, [])])
    same = Schema("s", [SchemaVersion(1, A1), SchemaVersion(2, A2Default)], [Upcaster(1, [])])
    other = Schema(
        "s",
        [SchemaVersion(1, A1), SchemaVersion(2, A2Retyped)],
        [Upcaster(1, [Convert("lr", str)])],
    )
    assert one.fingerprint == same.fingerprint != other.fingerprint


@pytest.mark.parametrize("name", ["training", "onetrainer"])
def test_a_leaf_default_is_what_its_type_dumps_and_its_validator_is_built_on_first_use(
    name: str,
) -> None:
    built = get_schema(name)
    schema = replace(built, versions=[replace(version) for version in built.versions])
    for version in schema.versions:
        if version.model is None:
            continue
        for path, leaf in version.leaves.items():
            assert "adapter" not in vars(leaf), path  # building a schema validates no field
            value = _model_default(version.model, path)
            if isinstance(value, SecretStr):
                assert leaf.default == value.get_secret_value()
                continue
            dumped = TypeAdapter(leaf.annotation).dump_python(value, mode="json")
            assert (leaf.default, type(leaf.default)) == (dumped, type(dumped)), path
            assert leaf.adapter is not None


def _model_default(model: type[BaseModel], path: str) -> Any:
    """The default a model declares for a dotted path (sections are models)."""
    *sections, name = path.split(".")
    for section in sections:
        model = model.model_fields[section].annotation  # type: ignore[assignment]
    return model.model_fields[name].get_default(call_default_factory=True)


@pytest.mark.parametrize("name", ["training", "onetrainer"])
def test_the_fingerprint_reads_the_json_schema_pydantic_generates(name: str) -> None:
    for version in get_schema(name).versions:
        if version.model is not None:
            assert fingerprint_json_schema(version.model) == version.model.model_json_schema()
