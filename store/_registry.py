"""Which schemas exist: the built-ins, those registered in code, and those of installed packages.

A package makes its schema known to `store` (and so to the CLI) through the entry point
group `store.schemas`, e.g. in its pyproject.toml:

    [project.entry-points."store.schemas"]
    my_trainer = "my_trainer.config:SCHEMA"
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from store._errors import SchemaError, StoreWarning, UnclearSchema, UnknownSchema
from store._schema import Schema

ENTRY_POINT_GROUP = "store.schemas"
DEFAULT = "training"
FAR_BETTER = 0.5
"""How much larger a share of a file's keys another schema must know than the default for
the file to be refused without `--schema` (a file the default mostly knows is its own)."""
ALMOST_NONE = 0.25
"""Below this share of its keys known, a file no schema claims is not taken for a config of
the schema it would go to (a `package.json`) unless `--schema` names that schema."""
BUILTIN = {"training": "store._training:TRAINING", "onetrainer": "store._onetrainer:ONETRAINER"}

_registered: dict[str, Schema] = {}


def entry_points(**selection: str) -> Any:
    """Installed entry points (`importlib.metadata` is imported only to look for plugins)."""
    from importlib.metadata import entry_points as installed

    return installed(**selection)


def register_schema(schema: Schema) -> Schema:
    """Make `schema` available by name (it was checked when built); returns it."""
    known = _registered.get(schema.name)
    if known is not None and known is not schema and known.fingerprint != schema.fingerprint:
        raise SchemaError(f"a different schema named {schema.name!r} is already registered")
    _registered[schema.name] = schema
    return schema


def installed(run: str, name: str) -> bool:
    """Whether the schema `name` of `run` is installed; if not, a warning that a read over
    many runs skips it (one run's missing plugin never fails the others)."""
    try:
        get_schema(name)
    except UnknownSchema:
        import warnings

        message = f"run {run!r} skipped: its schema {name!r} is not installed"
        warnings.warn(StoreWarning(message), stacklevel=3)
        return False
    return True


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


@dataclass(frozen=True)
class InstalledSchema:
    """A schema that can be named, and where it comes from (`store schemas`)."""

    schema: Schema
    origin: str


def installed_schemas() -> list[InstalledSchema]:
    """Every schema that can be named: built in, registered in code, or an entry point's."""
    origins = {name: "built in" for name in BUILTIN}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        dist = entry.dist
        where = f"{dist.name} {dist.version}" if dist else entry.value
        origins.setdefault(entry.name, f"entry point of {where}")
    names = schema_names()
    return [InstalledSchema(get_schema(n), origins.get(n, "registered in code")) for n in names]


def claiming(data: Mapping[str, Any], installed: list[Schema]) -> list[Schema]:
    """The schemas that recognise a file's content as their own."""
    return [s for s in installed if s.detect is not None and s.detect(data)]


def detect_schema(data: Mapping[str, Any], installed: list[Schema]) -> Schema:
    """The schema a file is for when none is named: the one that claims it, else the default.

    Two claiming it, another schema knowing far more of its keys than the default, or the
    default knowing almost none of them is refused (`UnclearSchema`) naming the candidates.
    """
    claims = claiming(data, installed)
    if len(claims) > 1:
        names = ", ".join(s.name for s in claims)
        raise UnclearSchema(f"the file fits schemas {names}: say which with --schema NAME")
    if claims:
        return claims[0]
    default = get_schema(DEFAULT)
    share = known_share(default, data)
    better = [
        s for s in installed if s is not default and known_share(s, data) >= share + FAR_BETTER
    ]
    if better:
        names = ", ".join(s.name for s in better)
        raise UnclearSchema(
            f"the file fits schema {names} far better than {DEFAULT!r} "
            f"({share:.0%} of its keys known): say which with --schema NAME"
        )
    check_share(default, data)
    return default


def check_share(schema: Schema, data: Mapping[str, Any]) -> None:
    """A file of whose keys `schema` knows almost none is refused (`UnclearSchema`)."""
    share = known_share(schema, data)
    if share < ALMOST_NONE:
        raise UnclearSchema(
            f"no schema claims the file and schema {schema.name!r} knows {share:.0%} of its "
            f"keys: is it a config? Name the schema with --schema {schema.name} to import it"
        )


def known_share(schema: Schema, data: Mapping[str, Any]) -> float:
    """The share of a file's keys `schema` knows at its best-fitting version (0..1)."""
    from store._files import known_share as share  # reading files: not for `current()`

    return share(schema, data)
