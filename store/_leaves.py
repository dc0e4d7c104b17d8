"""Leaves: the fields of a schema version's pydantic model as flat dotted paths, each with its
default as JSON, its type and its validator, and `SectionList`, the marker of a list of
configs that have versions of their own (domain)."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import annotated_types
from pydantic import BaseModel, GetCoreSchemaHandler, SecretStr, TypeAdapter
from pydantic_core import core_schema

from store._errors import SchemaError
from store._notes import warn
from store._paths import flatten, unflatten

if TYPE_CHECKING:
    from store._schema import Schema

VERSION_KEY = "__version"
"""The key that carries a config's version in files and in the elements of a `SectionList`."""


@dataclass(frozen=True, eq=False)
class SectionList:
    """Marks a field holding a list of configs that have versions of their own.

    `items: Annotated[list[Item], SectionList(ITEMS)] = []`, where `ITEMS` is a `Schema`
    whose newest model is `Item`. Each element is upcast from its own version (its
    `"__version"` key; without one, the newest) to the newest, as a run is: fields it lacks
    take their defaults and keys its version does not have are dropped with a warning.
    """

    schema: Schema

    def upcast(self, value: Any) -> Any:
        """Every element of a list brought to the newest version; anything else unchanged."""
        return [self._element(item) for item in value] if isinstance(value, list) else value

    def _element(self, item: Any) -> Any:
        """One element at the newest version (as given if its version is unknown)."""
        version = item.get(VERSION_KEY, self.schema.latest) if isinstance(item, dict) else None
        if (
            isinstance(version, bool)
            or not isinstance(version, int)
            or not self.schema.knows(version)
        ):
            return item
        shape = self.schema.version(version)
        given = flatten({k: v for k, v in item.items() if k != VERSION_KEY}, shape.leaves)
        for path in sorted(given.keys() - shape.leaves.keys()):
            warn(f"{self.schema.name} {path}: {given.pop(path)!r} dropped: no such field")
        values = {**shape.default_values, **given}
        self.schema.upcast(values, dict.fromkeys(given, 0), version, self.schema.latest)
        return unflatten(values)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validation upcasts the elements first, then checks them against the newest model."""
        return core_schema.no_info_before_validator_function(self.upcast, handler(source))


@dataclass(frozen=True)
class Leaf:
    """One field of a schema version: its default, its type's name and its validator."""

    default: Any
    type_name: str
    annotation: Any = None
    """The field's type with its constraints (None for a version known by its defaults)."""
    secret: bool = False
    text: bool = False
    elements: SectionList | None = None

    @cached_property
    def adapter(self) -> TypeAdapter[Any] | None:
        """The field's validator, built on first use: reading a config never needs one."""
        return None if self.annotation is None else TypeAdapter(self.annotation)


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _section_list(model: type[BaseModel], name: str, info: Any) -> SectionList | None:
    """A field's `SectionList` marker, checked against the field's `list[Model]` type."""
    markers = [m for m in info.metadata if isinstance(m, SectionList)]
    if not markers:
        return None
    union = typing.get_origin(info.annotation) in (typing.Union, types.UnionType)
    members = typing.get_args(info.annotation) if union else (info.annotation,)
    lists = [m for m in members if typing.get_origin(m) is list]
    element = typing.get_args(lists[0])[0] if len(lists) == 1 else None
    if element is not markers[0].schema.model:
        raise SchemaError(
            f"{model.__name__}.{name}: a SectionList of schema {markers[0].schema.name!r} "
            f"needs the type list[{markers[0].schema.model.__name__}]"
        )
    return markers[0]


def _type_name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else repr(annotation)


def _holds_secret(annotation: Any, seen: frozenset[Any] = frozenset()) -> bool:
    """Whether a type mentions `SecretStr` anywhere (`SecretStr | None`, `list[SecretStr]`,
    `list[Cred]` or `Cred | None` where a field of `Cred` is one…)."""
    if annotation is SecretStr:
        return True
    inner = list(typing.get_args(annotation))
    if _is_section(annotation) and annotation not in seen:
        inner += [info.annotation for info in annotation.model_fields.values()]
        seen = seen | {annotation}
    return any(_holds_secret(a, seen) for a in inner)


def _default_json(annotation: Any, plain: Any, value: Any) -> Any:
    """A field's default as its type dumps it to JSON. Where the plain type (or the one type
    beside None of an optional) is exactly the default's builtin scalar type, or a literal or
    enum holding it, or where the default is None and the type allows it, that is the value
    itself (or the member's value), without building a validator."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    union = typing.get_origin(plain) in (typing.Union, types.UnionType)
    kinds = set(typing.get_args(plain)) if union else {plain}
    if value is None and type(None) in kinds:
        return None
    kind = next(iter(kinds - {type(None)})) if len(kinds - {type(None)}) == 1 else None
    if type(value) in _SCALARS and (
        kind is type(value) or (typing.get_origin(kind) is Literal and _is_literal(kind, value))
    ):
        return value
    if isinstance(value, enum.Enum) and kind is type(value) and type(value.value) in _SCALARS:
        return value.value
    return TypeAdapter(annotation).dump_python(value, mode="json")


_SCALARS = (str, int, float, bool)


def _constraint(metadata: Any) -> bool:
    """Whether a field's metadata only constrains its values (`ge`, `pattern`…) and leaves
    how they dump as they are (a serializer does not)."""
    return isinstance(metadata, annotated_types.BaseMetadata) and not hasattr(
        metadata, "__get_pydantic_core_schema__"
    )


def _is_literal(literal: Any, value: Any) -> bool:
    """Whether `value` is one of a `Literal`'s values, of the same type (`True` is not `1`)."""
    return any(type(v) is type(value) and v == value for v in typing.get_args(literal))


def model_leaves(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Leaf]]:
    """Every leaf of a model (its sections' fields under dotted paths), checked as it goes."""
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if _is_section(info.annotation):
            yield from model_leaves(typing.cast(type[BaseModel], info.annotation), f"{path}.")
            continue
        if info.is_required():
            raise SchemaError(f"{model.__name__}.{name}: every field needs a default")
        annotation: Any = (
            typing.Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        )
        secret = info.annotation is SecretStr
        if not secret and _holds_secret(info.annotation):
            raise SchemaError(
                f"{model.__name__}.{name}: a secret must be typed exactly SecretStr (store keeps "
                f"a reference such as 'env:NAME' in it), not {_type_name(info.annotation)}; "
                "use one SecretStr field per secret, with '' for none"
            )
        value = info.get_default(call_default_factory=True)
        plain = info.annotation if all(map(_constraint, info.metadata)) else None
        yield (
            path,
            Leaf(
                _default_json(annotation, plain, value),
                _type_name(info.annotation),
                annotation,
                secret,
                info.annotation in (str, SecretStr),
                _section_list(model, name, info),
            ),
        )
