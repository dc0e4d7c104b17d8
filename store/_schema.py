"""Schemas: named, versioned families of config shapes, and the upcasters between them.

A `Schema` is a list of `SchemaVersion`s (each a pydantic model, or for old versions just
the flat defaults that version had) and one `Upcaster` per step k -> k+1. An upcaster is
a list of steps applied in order to the *complete* config at version k:

    Upcaster(2, [
        Rename("learning_rate", "optimizer.learning_rate"),
        Add("optimizer.weight_decay", legacy_default=0.0),
        Convert("resolution", str),
    ])

Fields version k+1 has that the steps did not produce take the default of k+1; values
the run already had carry over unchanged, which pins a changed default (invariant 3).
Everything is checked when the `Schema` is built (invariant 12).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

import pydantic
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from store._errors import InvalidChange, SchemaError
from store._leaves import Leaf, model_leaves
from store._notes import collect_notes, warn
from store._paths import flatten, sections_of, unflatten
from store._records import encode

Flat: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class Rename:
    """Move the value at `old` to `new` (a rename, or a move into or out of a section)."""

    old: str
    new: str


@dataclass(frozen=True)
class Convert:
    """Replace the value at `path` by `fn(value)`; `note` is reported when it changes one."""

    path: str
    fn: Callable[[Any], Any]
    note: str | None = None


@dataclass(frozen=True)
class Remove:
    """Drop the field at `path`: the new version has no such field."""

    path: str


@dataclass(frozen=True)
class Add:
    """A field new in k+1 that runs from before k+1 read as `legacy_default`."""

    path: str
    legacy_default: Any


@dataclass(frozen=True)
class Transform:
    """A whole-config function for what the other steps cannot express.

    `fn` gets the complete nested config (a private copy) and returns the new one;
    `paths` names every field it reads, writes or drops, so the schema can be checked.
    """

    fn: Callable[..., dict[str, Any]]
    paths: tuple[str, ...]
    note: str | None = None
    presence: bool = False
    """With `presence=True`, `fn(config, present)` also gets the set of paths the run set
    (values, not defaults) and may add to it the paths it derives from them: for formats
    whose own migrations act only on the keys a file has, as OneTrainer's do."""


Step: TypeAlias = Rename | Convert | Remove | Add | Transform


@dataclass(frozen=True)
class Upcaster:
    """The steps that turn a complete config of version `source` into one of `source + 1`."""

    source: int
    steps: Sequence[Step]


@dataclass(frozen=True)
class SchemaVersion:
    """One shape of a schema: a pydantic model, or (for old versions) its flat defaults."""

    number: int
    model: type[BaseModel] | None = None
    defaults: Mapping[str, Any] | None = None

    @cached_property
    def leaves(self) -> dict[str, Leaf]:
        """Every leaf path of this version with its default and type."""
        if self.model is not None:
            return dict(model_leaves(self.model))
        if self.defaults is None:
            raise SchemaError(f"version {self.number} needs a model or its defaults")
        return {path: Leaf(value, type(value).__name__) for path, value in self.defaults.items()}

    @cached_property
    def default_values(self) -> Flat:
        """The flat config a run of this version has before any event."""
        return {path: leaf.default for path, leaf in self.leaves.items()}

    @cached_property
    def secrets(self) -> frozenset[str]:
        """Paths typed `SecretStr`: their plain values never enter the log."""
        return frozenset(path for path, leaf in self.leaves.items() if leaf.secret)


@dataclass
class Schema:
    """A named family of config versions, checked for consistency when built."""

    name: str
    versions: Sequence[SchemaVersion]
    upcasters: Sequence[Upcaster] = ()
    description: str = ""
    file_version_default: int | None = None
    unversioned_reads_fit: bool = False
    """Whether a file without `"__version"` that its default version cannot hold is read at
    the newest version of the one run of versions that holds it (else it is refused)."""
    export_hook: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    import_hook: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    detect: Callable[[Mapping[str, Any]], bool] | None = None
    """Whether a file's content looks like this schema's own (used when no schema is named)."""
    _by_version: dict[int, SchemaVersion] = field(init=False, repr=False)
    _by_source: dict[int, Upcaster] = field(init=False, repr=False)
    _tracks: dict[tuple[int, int], Flat] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_version = {v.number: v for v in self.versions}
        self._by_source = {u.source: u for u in self.upcasters}
        _check(self)

    @property
    def first(self) -> int:
        """The oldest version number (0 or 1)."""
        return self.versions[0].number

    @property
    def latest(self) -> int:
        """The newest version number: what `current()` returns."""
        return self.versions[-1].number

    @property
    def model(self) -> type[BaseModel]:
        """The pydantic model of the newest version."""
        return typing.cast(type[BaseModel], self.versions[-1].model)

    def version(self, number: int) -> SchemaVersion:
        """The schema version `number`; KeyError when it does not exist."""
        return self._by_version[number]

    def knows(self, number: int) -> bool:
        """Whether `number` is one of this schema's versions."""
        return number in self._by_version

    @cached_property
    def fingerprint(self) -> str:
        """A hash of everything replay depends on; snapshots made under another are ignored."""
        parts: list[Any] = [self.name]
        for version in self.versions:
            leaves = version.leaves
            parts.append([version.number, sorted((p, leaves[p].type_name) for p in leaves)])
            parts.append(json.dumps(version.default_values, sort_keys=True, default=repr))
            parts.extend(
                leaf.elements.schema.fingerprint for leaf in leaves.values() if leaf.elements
            )
            if version.model is not None:  # constraints too: a cached config must still hold
                parts.append(json.dumps(fingerprint_json_schema(version.model), sort_keys=True))
        for upcaster in self.upcasters:
            parts.append([upcaster.source, [_describe(step) for step in upcaster.steps]])
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    def upcast(
        self,
        values: Flat,
        explicit: dict[str, int],
        source: int,
        target: int,
        *,
        presence: bool = True,
    ) -> None:
        """Upcast a complete config in place from version `source` to `target`.

        `explicit` maps the paths the run set to a revision and follows renames; with
        `presence=False` it is only carried along, and presence-aware steps see nothing set.
        """
        for number in range(source, target):
            _apply(self._by_source[number], values, explicit, self, number, presence)

    def default_origins(self, base: int) -> dict[str, tuple[str, int]]:
        """For a run created at `base`, where each never-set field's default comes from."""
        values = dict(self.version(base).default_values)
        sources: list[tuple[str, int]] = []
        marks: dict[str, int] = {}
        for path in values:
            marks[path] = len(sources)
            sources.append(("default", base))
        for k in range(base, self.latest):
            self.upcast(values, marks, k, k + 1, presence=False)
            new_defaults = self.version(k + 1).default_values
            legacy = {s.path for s in self._by_source[k].steps if isinstance(s, Add)}
            for path, value in values.items():
                if path not in marks:
                    marks[path] = len(sources)
                    sources.append((_new_field_source(path, value, legacy, new_defaults), k + 1))
                elif sources[marks[path]][0] == "default" and encode(value) != encode(
                    new_defaults[path]
                ):
                    sources[marks[path]] = ("pinned", k + 1)
                elif sources[marks[path]][0] == "default":
                    sources[marks[path]] = ("default", k + 1)
        return {path: sources[mark] for path, mark in marks.items()}

    def run_defaults(self, base: int, version: int) -> Flat:
        """What a run created at `base` reads at `version` for a field it never set."""
        key = (base, version)
        if key not in self._tracks:
            values = dict(self.version(base).default_values)
            with collect_notes():  # upcasting the defaults warns no user
                self.upcast(values, {}, base, version)
            self._tracks[key] = values
        return self._tracks[key]


def _new_field_source(path: str, value: Any, legacy: set[str], defaults: Flat) -> str:
    """A field an upcaster added: its legacy default, its version's default, or derived."""
    if path in legacy:
        return "legacy"
    return "default" if encode(value) == encode(defaults[path]) else "derived"


class _JsonSchemaOfPlainDefaults(GenerateJsonSchema):
    """Pydantic's JSON schema, with a builtin scalar default (a finite float) written as
    itself, which is what pydantic's own encoding (a validator built per default) gives."""

    def encode_default(self, dft: Any) -> Any:
        if type(dft) in (str, int, bool, type(None)) or (type(dft) is float and math.isfinite(dft)):
            return dft
        return super().encode_default(dft)


def fingerprint_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema as `model_json_schema()` has it, for the fingerprint."""
    return model.model_json_schema(schema_generator=_JsonSchemaOfPlainDefaults)


def _describe(step: Step) -> Any:
    """A stable description of a step for the fingerprint (functions by name and code)."""

    def fn_id(fn: Callable[..., Any]) -> str:
        code = getattr(fn, "__code__", None)
        digest = _code_digest(code) if code else ""
        return f"{getattr(fn, '__qualname__', repr(fn))}:{digest}"

    if isinstance(step, Convert):
        return ["convert", step.path, fn_id(step.fn)]
    if isinstance(step, Transform):
        return ["transform", list(step.paths), fn_id(step.fn), step.presence]
    if isinstance(step, Add):
        return ["add", step.path, json.dumps(step.legacy_default, default=repr)]
    if isinstance(step, Rename):
        return ["rename", step.old, step.new]
    return ["remove", step.path]


def _code_digest(code: types.CodeType) -> str:
    """A digest of a function's code that is stable across processes (no addresses)."""
    consts = [_code_digest(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return hashlib.sha256(code.co_code + repr(consts).encode()).hexdigest()[:12]


def _apply(
    upcaster: Upcaster,
    values: Flat,
    explicit: dict[str, int],
    schema: Schema,
    k: int,
    presence: bool,
) -> None:
    """Run one upcaster's steps on a complete config of version k, giving one of k+1."""
    target = schema.version(k + 1)
    for step in upcaster.steps:
        if isinstance(step, Rename):
            values[step.new] = values.pop(step.old)
            if step.old in explicit:
                explicit[step.new] = explicit.pop(step.old)
        elif isinstance(step, Convert):
            old = values[step.path]
            new = _guarded(step, schema.version(k), values, copy.deepcopy(old))
            values[step.path] = new
            if step.note and new != old:
                warn(f"{step.path}: {old!r} -> {new!r}: {step.note}")
        elif isinstance(step, Remove):
            values.pop(step.path, None)
            explicit.pop(step.path, None)
        elif isinstance(step, Add):
            values.setdefault(step.path, copy.deepcopy(step.legacy_default))
        else:
            known = target.leaves.keys() | (
                schema.version(k).leaves.keys() - sections_of(target.leaves)
            )
            config = copy.deepcopy(unflatten(values))
            if step.presence:
                present = set(explicit) if presence else set()
                result = flatten(
                    _guarded(step, schema.version(k), values, config, present),
                    known,
                )
                if presence and explicit:  # derived paths count as set by the earliest read
                    mark = min(explicit.values())
                    explicit.update((p, mark) for p in present - explicit.keys() if p in result)
            else:
                result = flatten(_guarded(step, schema.version(k), values, config), known)
            if step.note and any(values.get(p) != result.get(p) for p in step.paths):
                warn(step.note)
            values.clear()
            values.update(result)
    leaves = target.leaves
    for path, leaf in leaves.items():
        if path not in values:
            values[path] = leaf.default
        elif leaf.elements is not None:
            values[path] = leaf.elements.upcast(values[path])
    stray = values.keys() - leaves.keys()
    if stray:
        raise SchemaError(
            f"{schema.name} upcaster {k}->{k + 1} leaves unknown fields: {', '.join(sorted(stray))}"
        )
    for path in explicit.keys() - leaves.keys():
        del explicit[path]


def _guarded(step: Convert | Transform, shape: SchemaVersion, values: Flat, *args: Any) -> Any:
    """A step's function on its arguments; a value it cannot read (a wrongly typed field in
    an old file) is refused naming the field and the type its version holds, not a crash."""
    try:
        return step.fn(*args)
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        paths = [p for p in step_paths(step) if p in values] or sorted(values)[:1]
        odd = [p for p in paths if not _same_kind(values[p], shape.leaves[p].default)]
        path = (odd or paths)[0]
        default = shape.leaves[path].default
        raise InvalidChange(
            f"{path}: {values[path]!r} is not a value version {shape.number} holds (expected "
            f"{type(default).__name__}, like its default {default!r}); "
            f"the upcaster to version {shape.number + 1} cannot read it ({type(exc).__name__})"
        ) from None


def _same_kind(value: Any, default: Any) -> bool:
    """Whether a value has the JSON kind of a default (numbers alike; anything beside None)."""
    if value is None or default is None:
        return True
    number = (int, float)
    if isinstance(default, number) and not isinstance(default, bool):
        return isinstance(value, number) and not isinstance(value, bool)
    return type(value) is type(default)


def _check(schema: Schema) -> None:
    """Reject an inconsistent schema now rather than at the first replay (invariant 12)."""
    numbers = [v.number for v in schema.versions]
    if (
        not numbers
        or numbers[0] not in (0, 1)
        or numbers != list(range(numbers[0], numbers[-1] + 1))
    ):
        raise SchemaError(
            f"schema {schema.name!r}: versions must run 0..N or 1..N without gaps, got {numbers}"
        )
    if schema.versions[-1].model is None:
        raise SchemaError(f"schema {schema.name!r}: the newest version needs a pydantic model")
    sources = sorted(u.source for u in schema.upcasters)
    if sources != numbers[:-1]:
        raise SchemaError(
            f"schema {schema.name!r}: needs one upcaster per step {numbers[:-1]}, got {sources}"
        )
    try:
        for version in schema.versions:
            _ = version.leaves  # builds and checks every version's fields now
        for upcaster in schema.upcasters:
            _check_upcaster(schema, upcaster)
    except pydantic.PydanticUserError as exc:  # pragma: no cover - a broken model
        raise SchemaError(f"schema {schema.name!r}: {exc}") from exc


def _check_upcaster(schema: Schema, upcaster: Upcaster) -> None:
    k = upcaster.source
    old, new = schema.version(k), schema.version(k + 1)
    where = f"schema {schema.name!r} upcaster {k}->{k + 1}"
    known = old.leaves.keys() | new.leaves.keys()
    present = set(old.leaves)
    explained: set[str] = set()
    for step in upcaster.steps:
        named = step_paths(step)
        unknown = [p for p in named if p not in known]
        if unknown:
            raise SchemaError(f"{where}: names {', '.join(unknown)}, a path neither version has")
        explained.update(named)
        missing = [p for p in named[:1] if isinstance(step, Rename | Convert) and p not in present]
        if missing:
            raise SchemaError(f"{where}: {missing[0]} is not a field at this step")
        if isinstance(step, Rename):
            present.discard(step.old)
            present.add(step.new)
        elif isinstance(step, Remove):
            present.discard(step.path)
        elif isinstance(step, Add | Transform):
            present.update(p for p in named if p in new.leaves)
    removed = old.leaves.keys() - new.leaves.keys() - explained
    if removed:
        raise SchemaError(
            f"{where}: version {k + 1} drops {', '.join(sorted(removed))} without a step saying how"
        )
    if old.model is not None and new.model is not None:
        retyped = [
            p
            for p in old.leaves.keys() & new.leaves.keys()
            if old.leaves[p].type_name != new.leaves[p].type_name and p not in explained
        ]
        if retyped:
            raise SchemaError(
                f"{where}: {', '.join(sorted(retyped))} changes type without a Convert"
            )


def step_paths(step: Step) -> tuple[str, ...]:
    """The paths a step names (reads, writes or drops)."""
    if isinstance(step, Rename):
        return (step.old, step.new)
    if isinstance(step, Transform):
        return step.paths
    return (step.path,)
