"""How OneTrainer's `BaseConfig.from_dict` reads a value into a field of its newest version.

After its migrations, OneTrainer converts each value to the field's type: `int()`, `float()`
or `str()` (`None` stays where the field is nullable), looks a text up in the field's enum
and keeps anything else as given. A value it cannot read (`Could not set ...`) leaves the
field at its default. Old versions take what their own version accepted, then this.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import BaseModel

from store._notes import warn
from store._schema import Convert

Reader = Callable[[Any], Any]
_CONVERSIONS: dict[Any, Reader] = {int: int, float: float, str: str}


def fields(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every leaf of `model` (sections followed) as `(path, annotation, default)`."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from fields(annotation, f"{prefix}{name}.")
        else:
            default = info.get_default(call_default_factory=True)
            yield f"{prefix}{name}", annotation, default


def _reader(annotation: Any) -> Reader | None:
    """How OneTrainer reads a field of this type; None where it keeps the value as given."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    members = typing.get_args(annotation) if union else (annotation,)
    nullable = type(None) in members
    kinds = [m for m in members if m is not type(None)]
    literals = [m for m in kinds if typing.get_origin(m) is Literal]
    allowed = frozenset(v for m in literals for v in typing.get_args(m))
    if kinds and len(literals) == len(kinds):
        return lambda value: _enum(allowed, value)
    plain = [m for m in kinds if m not in literals]
    if len(plain) != 1 or plain[0] not in _CONVERSIONS or (literals and plain[0] is not float):
        return None
    convert = _CONVERSIONS[plain[0]]
    return lambda value: _convert(convert, nullable, allowed, value)


def _enum(allowed: frozenset[Any], value: Any) -> Any:
    """An enum field: a text must name a member; anything else is kept."""
    if isinstance(value, str) and value not in allowed:
        raise KeyError(value)
    return value


def _convert(convert: Reader, nullable: bool, kept: frozenset[Any], value: Any) -> Any:
    """A scalar field: `None` where nullable, a kept text (`"inf"`) as is, else converted."""
    if (value is None and nullable) or (isinstance(value, str) and value in kept):
        return value
    return convert(value)


def reading(path: str, annotation: Any, default: Any) -> Convert | None:
    """The step that reads the value at `path` as OneTrainer 11 does; None if it keeps it."""
    reader = _reader(annotation)
    if reader is None:
        return None

    def read(value: Any) -> Any:
        try:
            read_value = reader(value)
        except (TypeError, ValueError, KeyError, OverflowError):
            warn(f"{path}: {value!r} -> {default!r}: not a value OneTrainer 11 can read")
            return default
        if read_value != value:
            warn(f"{path}: {value!r} -> {read_value!r}: as OneTrainer 11 reads it")
        return read_value

    return Convert(path, read)


def section_entries(label: str, model: type[BaseModel]) -> Reader:
    """Reads each entry of a `{name: section}` dict as a `model` (OneTrainer's `dict[str, X]`)."""
    steps = {
        path: step
        for path, annotation, default in fields(model)
        if (step := reading(f"{label}.{path}", annotation, default)) is not None
    }

    def read(entries: Any) -> Any:
        if not isinstance(entries, dict):
            return entries
        return {
            name: {k: steps[k].fn(v) if k in steps else v for k, v in entry.items()}
            if isinstance(entry, dict)
            else entry
            for name, entry in entries.items()
        }

    return read
