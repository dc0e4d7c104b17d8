"""Values of a write: paths checked, values checked and normalised, text from the command line,
secrets kept as references, and the messages that say what is wrong (domain; no SQL)."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from store._element_paths import (
    check_any_path,
    check_elements,
    element_leaves,
    with_elements,
)
from store._errors import InvalidChange, InvalidRunName
from store._leaves import Leaf
from store._paths import check_path, flatten, unflatten
from store._records import encode, is_finite
from store._schema import Flat, Schema, SchemaVersion

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_VALUE_BYTES = 1024 * 1024
"""The largest JSON text one stored value may have."""
INT64 = (-(2**63), 2**63 - 1)
"""The integers a value may hold: what every JSON reader and database can keep exactly."""
NOT_UNICODE = "not valid Unicode text (undecodable bytes or a lone surrogate)"
Overrides = Sequence[str] | Mapping[str, Any] | None
"""Launch overrides: `["batch_size=8", …]` as typed on a command line, or `{"batch_size": 8}`."""


def check_run_name(run: str) -> str:
    """Refuse a run name outside `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`."""
    if not isinstance(run, str) or not RUN_NAME.fullmatch(run):
        raise InvalidRunName(
            f"invalid run name {run!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 128 characters"
        )
    return run


def run_name_from(text: str) -> str:
    """A valid run name made from free text such as a file name (`#sdxl 1.0` -> `sdxl_1.0`)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).lstrip("._-")[:128].rstrip("_")
    return check_run_name(name or text)


def parse_value(text: str) -> Any:
    """A command-line VALUE: JSON where it parses (NaN and Infinity do not), else the text."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return text


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def from_text(shape: SchemaVersion, changes: Mapping[str, Any]) -> Flat:
    """Values typed on a command line: text for a string field (also inside an element),
    else JSON where it parses."""
    parsed = {}
    for path, text in changes.items():
        leaf = check_any_path(shape.leaves, path)
        parsed[path] = text if leaf is not None and leaf.text else parse_value(text)
    return parsed


def overridden(schema: Schema, values: Flat, overrides: Overrides) -> tuple[Flat, Flat]:
    """Launch overrides applied to an effective config, checked as `set` checks a write:
    the config and the overrides in stored form. Nothing is written."""
    if not overrides:
        return values, {}
    shape = schema.version(schema.latest)
    if isinstance(overrides, Mapping):
        given: Mapping[str, Any] = overrides
    elif isinstance(overrides, str) or not all(isinstance(o, str) for o in overrides):
        raise InvalidChange(f"overrides are PATH=VALUE texts or a mapping, not {overrides!r}")
    else:
        given = from_text(shape, assignments(overrides))
    applied = normalise(schema, schema.latest, with_elements(shape.leaves, values, given))
    return {**values, **applied}, applied


def assignments(texts: Iterable[str]) -> dict[str, str]:
    """`PATH=VALUE` texts as a map; a malformed one or a path given twice is refused."""
    parsed: dict[str, str] = {}
    for text in texts:
        path, sep, value = text.partition("=")
        if not sep or not path:
            raise InvalidChange(f"expected PATH=VALUE, got {text!r}")
        if path in parsed:
            raise InvalidChange(f"{path} is given twice")
        parsed[path] = value
    return parsed


def normalise(
    schema: Schema, version: int, changes: Mapping[str, Any], *, from_file: bool = False
) -> Flat:
    """Check paths and values of a write and bring each value to its stored JSON form; an
    element's unknown key is refused (a file's is dropped with a warning by its upcast)."""
    shape = schema.version(version)
    flat = flatten(changes, shape.leaves)
    result: Flat = {}
    for path, value in flat.items():
        leaf = check_path(path, shape.leaves)
        if leaf.secret and not is_reference(value):
            raise InvalidChange(
                f'{path} is a secret: store a reference such as "env:HF_TOKEN", never the value'
            )
        check_value(path, value)
        if not from_file:
            check_elements(path, leaf, value)
        if leaf.adapter is not None and not leaf.secret:
            try:  # strict, as JSON: a bool is not an int, a string is not a number
                valid = leaf.adapter.validate_json(encode(value), strict=True)
            except ValidationError as exc:
                raise InvalidChange(_describe_error(path, value, leaf, exc)) from None
            value = leaf.adapter.dump_python(valid, mode="json")
        check_value(path, value)
        result[path] = value
    return result


def check_value(path: str, value: Any) -> None:
    """Refuse a value that is not finite JSON, valid Unicode, 64-bit integers, or that is
    larger than `MAX_VALUE_BYTES`."""
    if _plain(value):
        return
    try:
        if not is_finite(value):
            raise InvalidChange(f"{path}: NaN and Infinity are refused (got {value!r})")
        if _has_big_int(value):
            raise InvalidChange(f"{path}: integers beyond 64 bits are refused")
        size = len(encode(value).encode())
    except RecursionError:
        raise InvalidChange(f"{path}: the value is nested too deeply to store") from None
    except UnicodeEncodeError:
        raise InvalidChange(f"{path}: {NOT_UNICODE}") from None
    except (TypeError, ValueError) as exc:
        raise InvalidChange(f"{path}: {value!r} is not a JSON value") from exc
    if size > MAX_VALUE_BYTES:
        raise InvalidChange(
            f"{path}: the value is {size} bytes of JSON; the limit is {MAX_VALUE_BYTES}"
        )


def _plain(value: Any) -> bool:
    """A value that is always storable: a short valid text, a finite number, a flag, null."""
    if isinstance(value, str):  # JSON spends at most 6 bytes on a character
        return len(value) <= MAX_VALUE_BYTES // 6 and (value.isascii() or _is_unicode(value))
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or (isinstance(value, int) and INT64[0] <= value <= INT64[1])


def _is_unicode(text: str) -> bool:
    """Whether text is valid Unicode: no lone surrogate (undecodable bytes become those)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _has_big_int(value: Any) -> bool:
    """Whether a JSON value holds an integer outside the 64-bit range anywhere."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not INT64[0] <= item <= INT64[1]:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_text(label: str, text: Any) -> str:
    """A message, author or name: text, valid Unicode and without NUL (no database keeps it)."""
    if not isinstance(text, str):
        raise InvalidChange(f"{label} must be text, not {text!r}")
    if not _is_unicode(text):
        raise InvalidChange(f"{label}: {NOT_UNICODE}")
    if "\x00" in text:
        raise InvalidChange(f"{label}: the NUL character is refused")
    return text


def is_reference(value: Any) -> bool:
    """Whether a secret's value is a reference (`env:NAME`) or empty, never a credential."""
    return value == "" or (isinstance(value, str) and value.startswith("env:"))


def _describe_error(path: str, value: Any, leaf: Leaf, exc: ValidationError) -> str:
    """The first error, at the finest path it names (`concepts[1].balancing`)."""
    error = exc.errors()[0]
    parts = [p for p in error["loc"] if isinstance(p, int) or p.isidentifier()]
    type_name = leaf.type_name
    if parts:
        inner = ".".join(str(p) for p in parts[1:])
        if isinstance(parts[0], int):
            path += f"[{parts[0]}]" + (f".{inner}" if inner else "")
        value = error.get("input")
        field = element_leaves(leaf).get(inner)
        type_name = field.type_name if field is not None else ""
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    expected = f" (expected {type_name})" if type_name else ""
    return f"{path}: {shown} is invalid: {error['msg']}{expected}"


def validate(schema: Schema, values: Flat) -> BaseModel:
    """The effective config as the newest model; an error names the first bad path and never
    shows a secret's resolved value."""
    secrets = schema.version(schema.latest).secrets
    plain = {
        p: os.environ.get(v[4:], "")
        for p in secrets
        if isinstance(v := values[p], str) and v.startswith("env:")
    }
    try:
        return schema.model.model_validate(unflatten({**values, **plain}))
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(part) for part in error["loc"])
        leaf = schema.version(schema.latest).leaves.get(path)
        expected = f" (expected {leaf.type_name})" if leaf else ""
        shown = "**********" if path in secrets else repr(error.get("input"))
        message = f"{path}: {shown} is invalid: {error['msg']}{expected}"
        for value in filter(None, plain.values()):
            message = message.replace(value, "**********")
        raise InvalidChange(message) from None


def config_json(schema: Schema, effective: Flat) -> str | None:
    """The effective config as canonical JSON for the read fast path (its SHA-256 is its config
    hash); None where a secret needs resolving."""
    secrets = schema.version(schema.latest).secrets
    if any(str(effective[path]).startswith("env:") for path in secrets):
        return None
    return encode(unflatten(effective))
