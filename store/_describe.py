"""What a schema holds and how it evolved, for people: each version's fields (type, default,
secret) and what each upcaster does (`store schema NAME [--changes]`)."""

from __future__ import annotations

from typing import Any, NamedTuple

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
    """Every leaf of `version` with its type, default and whether it is a secret."""
    leaves = schema.version(version).leaves
    return [Field(p, leaf.type_name, leaf.default, leaf.secret) for p, leaf in leaves.items()]


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
    """What a function step does: its note, else its docstring's first line, else `fallback`."""
    doc = (getattr(fn, "__doc__", None) or "").strip().splitlines()
    return note or (doc[0] if doc else fallback)
