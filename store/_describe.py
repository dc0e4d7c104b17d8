"""What a schema holds and how it evolved, for people: each version's fields (type, default,
secret) and what each upcaster does (`store schema NAME [--changes]`)."""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, SecretStr

from store._leaves import Leaf
from store._records import encode
from store._schema import Add, Convert, Remove, Rename, Schema, Step, step_paths


class Field(NamedTuple):
    """One leaf of a schema version."""

    path: str
    type: str
    default: Any
    secret: bool


class StepChange(NamedTuple):
    """One thing an upcaster (or a new version's defaults) does to a config of `source`."""

    source: int
    target: int
    kind: str
    path: str
    text: str


def schema_fields(schema: Schema, version: int) -> list[Field]:
    """Every leaf of `version` with its type as people read it, default and whether it is a
    secret."""
    leaves = schema.version(version).leaves
    return [Field(p, leaf_type(leaf), leaf.default, leaf.secret) for p, leaf in leaves.items()]


def leaf_type(leaf: Leaf) -> str:
    """A field's type as people read it: `text`, `whole number`, `one of: A, B`, …"""
    if leaf.annotation is None:  # a version known by its defaults: the default's type
        return _PLAIN.get(type(leaf.default), "any value")
    return type_text(leaf.annotation)


def type_text(annotation: Any) -> str:
    """A type as people read it (`int | None` -> `whole number or null`)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin is Literal:
        return f"one of: {', '.join(str(a) for a in args)}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return f"one of: {', '.join(str(m.value) for m in annotation)}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(type_text(a) for a in args))
    if origin in (list, tuple, set, frozenset, Sequence):
        return f"list of {type_text(args[0]) if args else 'any value'}"
    if origin in (dict, Mapping):
        return f"mapping of {' to '.join(type_text(a) for a in args) or 'any value'}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"{annotation.__name__} settings"
    return _PLAIN.get(annotation, getattr(annotation, "__name__", str(annotation)))


_PLAIN: dict[Any, str] = {
    str: "text",
    SecretStr: "secret (reference)",
    int: "whole number",
    float: "number",
    bool: "yes/no",
    type(None): "null",
    list: "list",
    dict: "mapping",
    Any: "any value",
}


def changed_paths(schema: Schema, values: Mapping[str, Any]) -> set[str]:
    """The paths whose value differs from the default of the schema's newest version
    (`show --changed`): what a run changed, pinned defaults included."""
    defaults = schema.run_defaults(schema.latest, schema.latest)
    return {p for p, v in values.items() if p not in defaults or encode(v) != encode(defaults[p])}


def pruned(nested: Mapping[str, Any], paths: Collection[str], prefix: str = "") -> dict[str, Any]:
    """A nested config with only the leaves at `paths` (and the sections holding them)."""
    kept: dict[str, Any] = {}
    for key, value in nested.items():
        path = f"{prefix}{key}"
        if path in paths:
            kept[key] = value
        elif isinstance(value, Mapping) and (inner := pruned(value, paths, f"{path}.")):
            kept[key] = inner
    return kept


def schema_changes(schema: Schema) -> list[StepChange]:
    """What each upcaster does, step by step, then the fields and defaults it leaves implicit."""
    found: list[StepChange] = []
    for upcaster in schema.upcasters:
        k = upcaster.source
        found += [StepChange(k, k + 1, *_step_text(step)) for step in upcaster.steps]
        found += _implicit(schema, k, {p for s in upcaster.steps for p in step_paths(s)})
    return found


def _step_text(step: Step) -> tuple[str, str, str]:
    """A step as `(kind, path, what it does)`."""
    if isinstance(step, Rename):
        return "rename", step.old, f"renamed to {step.new}"
    if isinstance(step, Convert):
        return "convert", step.path, _purpose(step.fn, step.note, "value converted")
    if isinstance(step, Remove):
        return "remove", step.path, "removed"
    if isinstance(step, Add):
        legacy = encode(step.legacy_default)
        return "add", step.path, f"added; older runs read the legacy default {legacy}"
    return "transform", _listed(step.paths), _purpose(step.fn, step.note, "whole-config step")


def _implicit(schema: Schema, k: int, named: set[str]) -> list[StepChange]:
    """Fields new in k+1 that no step names (they take the new default), and changed defaults."""
    old, new = schema.version(k).leaves, schema.version(k + 1).leaves
    found = []
    for path, leaf in new.items():
        if path in named:
            continue
        if path not in old:
            text = f"added with default {encode(leaf.default)}"
            found.append(StepChange(k, k + 1, "add", path, text))
        elif encode(old[path].default) != encode(leaf.default):
            text = (
                f"default {encode(old[path].default)} -> {encode(leaf.default)}; "
                "older runs keep the old one (pinned)"
            )
            found.append(StepChange(k, k + 1, "default", path, text))
    return found


def _listed(paths: tuple[str, ...], most: int = 3) -> str:
    """Paths as a short list: the first few and how many more."""
    more = f", … ({len(paths) - most} more)" if len(paths) > most else ""
    return ", ".join(paths[:most]) + more


def _purpose(fn: Any, note: str | None, fallback: str) -> str:
    """What a function step does: its note, else its docstring's first line, else `fallback`;
    a type used as the function (`str`, `float`) says what the value becomes, never its
    docstring (`str(object='') -> str`)."""
    if note:
        return note
    if isinstance(fn, type):
        return f"{fallback} to {type_text(fn)}"
    doc = (fn.__doc__ or "").strip().splitlines() if inspect.isfunction(fn) else []
    return doc[0] if doc else fallback
