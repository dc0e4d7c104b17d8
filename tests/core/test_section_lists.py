"""A list of versioned sections: elements upcast one by one, defaults filled, unknowns dropped."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict

import store
from store import Rename, Schema, SchemaError, SchemaVersion, SectionList, Upcaster, _registry


class Layer(BaseModel):
    """A layer at its version 2: `size` became `width`, `dropout` is new."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    width: int = 64
    dropout: float = 0.0


LAYERS = Schema(
    "layer",
    [SchemaVersion(1, defaults={"name": "", "size": 64}), SchemaVersion(2, Layer)],
    [Upcaster(1, [Rename("size", "width")])],
)


class Other(BaseModel):
    x: int = 0


class Net2(BaseModel):
    depth: int = 2
    layers: Annotated[list[Layer], SectionList(LAYERS)] = []


# Version 1 is known by its defaults only; its layers are whatever old files hold.
NET1 = SchemaVersion(1, defaults={"depth": 2, "layers": []})
NET = Schema("net", [NET1, SchemaVersion(2, Net2)], [Upcaster(1, [])])


@pytest.fixture
def net(db: store.Store, monkeypatch: pytest.MonkeyPatch) -> store.Store:
    monkeypatch.setitem(_registry._registered, "net", NET)
    return db


def test_each_element_is_upcast_from_its_own_version(net: store.Store) -> None:
    layers = [{"__version": 1, "name": "a", "size": 8}, {"name": "b", "width": 16}]
    net.import_config("run", {"__version": 2, "layers": layers}, schema="net")
    assert net.current("run").model_dump()["layers"] == [
        {"name": "a", "width": 8, "dropout": 0.0},
        {"name": "b", "width": 16, "dropout": 0.0},
    ]


def test_an_old_run_gets_its_elements_upcast_and_unknown_keys_dropped(net: store.Store) -> None:
    layers = [{"__version": 1, "size": 8, "activation": "relu"}]
    result = net.import_config("old", {"__version": 1, "layers": layers}, schema="net")
    assert net.current("old").model_dump()["layers"] == [{"name": "", "width": 8, "dropout": 0.0}]
    assert any("activation" in note for note in result.notes)


def test_a_write_is_checked_against_the_newest_element(net: store.Store) -> None:
    net.create("run", {"layers": [{"width": 32}]}, schema="net")
    with pytest.raises(store.InvalidChange, match="layers"):
        net.update("run", {"layers": [{"width": "wide"}]})
    assert net.current("run").model_dump()["layers"] == [{"name": "", "width": 32, "dropout": 0.0}]


def test_export_then_import_is_identical(net: store.Store) -> None:
    net.import_config("run", {"__version": 1, "layers": [{"size": 8}]}, schema="net")
    exported = net.export_config("run")
    net.import_config("again", exported, schema="net")
    assert net.export_config("again") == exported


def test_the_element_type_must_be_the_newest_model_of_its_schema() -> None:
    class Wrong(BaseModel):
        layers: Annotated[list[Other], SectionList(LAYERS)] = []

    with pytest.raises(SchemaError, match=r"needs the type list\[Layer\]"):
        Schema("wrong", [SchemaVersion(1, Wrong)])


def test_the_fingerprint_covers_the_element_schema() -> None:
    other = Schema(
        "layer",
        [SchemaVersion(1, defaults={"name": "", "size": 32}), SchemaVersion(2, Layer)],
        [Upcaster(1, [Rename("size", "width")])],
    )

    class Net2Other(BaseModel):
        depth: int = 2
        layers: Annotated[list[Layer], SectionList(other)] = []

    changed = Schema("net", [NET1, SchemaVersion(2, Net2Other)], [Upcaster(1, [])])
    assert changed.fingerprint != NET.fingerprint
