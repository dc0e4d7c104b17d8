"""Which schemas exist: the built-ins, those registered in code, and those of installed packages.

A package makes its schema known to `store` (and so to the CLI) through the entry point
group `store.schemas`, e.g. in its pyproject.toml:

    [project.entry-points."store.schemas"]
    my_trainer = "my_trainer.config:SCHEMA"
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from store._errors import SchemaError, UnknownSchema
from store._schema import Schema

ENTRY_POINT_GROUP = "store.schemas"
BUILTIN = {"training": "store._training:TRAINING", "onetrainer": "store._onetrainer:ONETRAINER"}

_registered: dict[str, Schema] = {}


def register_schema(schema: Schema) -> Schema:
    """Make `schema` available by name (it was checked when built); returns it."""
    known = _registered.get(schema.name)
    if known is not None and known is not schema and known.fingerprint != schema.fingerprint:
        raise SchemaError(f"a different schema named {schema.name!r} is already registered")
    _registered[schema.name] = schema
    return schema


def get_schema(name: str) -> Schema:
    """The schema called `name`, loading it from an entry point on first use."""
    if name not in _registered and name in BUILTIN:
        module, attribute = BUILTIN[name].split(":")
        register_schema(getattr(importlib.import_module(module), attribute))
    if name not in _registered:
        for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
            try:
                loaded = entry.load()
            except Exception as exc:  # a plugin's own bug: one line, not its traceback
                raise SchemaError(
                    f"schema plugin {entry.name!r} ({entry.value}) failed to load: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            if not isinstance(loaded, Schema):
                raise SchemaError(f"entry point {entry.value} is not a store.Schema")
            register_schema(loaded)
            break
        else:
            raise UnknownSchema(f"unknown schema {name!r}; known: {', '.join(schema_names())}")
    return _registered[name]


def schema_names() -> list[str]:
    """Names of every schema registered in code or through entry points."""
    found = {e.name for e in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(set(_registered) | set(BUILTIN) | found)
