"""Values of a write: paths checked, values checked and normalised, text from the command line,
secrets kept as references, and the messages that say what is wrong (domain; no SQL)."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from store._errors import InvalidChange, InvalidRunName
from store._paths import flatten, sections_of, unflatten, unknown_path
from store._records import encode, is_finite
from store._schema import Flat, Leaf, Schema, SchemaVersion

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_VALUE_BYTES = 1024 * 1024
"""The largest JSON text one stored value may have."""


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
    """Values typed on a command line: text for a string field, else JSON where it parses."""
    parsed = {}
    for path, text in changes.items():
        leaf = check_path(path, shape.leaves)
        parsed[path] = text if leaf.text else parse_value(text)
    return parsed


def normalise(schema: Schema, version: int, changes: Mapping[str, Any]) -> Flat:
    """Check paths and values of a write and bring each value to its stored JSON form."""
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
        if leaf.adapter is not None and not leaf.secret:
            try:
                value = leaf.adapter.dump_python(leaf.adapter.validate_python(value), mode="json")
            except ValidationError as exc:
                raise InvalidChange(_describe_error(path, value, leaf.type_name, exc)) from None
        check_value(path, value)
        result[path] = value
    return result


def check_path(path: str, leaves: Mapping[str, Leaf]) -> Leaf:
    """The leaf at `path`; a section or an unknown path is refused with the nearest known one."""
    if path in leaves:
        return leaves[path]
    if path in sections_of(leaves):
        inside = sorted(p for p in leaves if p.startswith(f"{path}."))
        raise InvalidChange(f"{path} is a section, not a field; its fields: {', '.join(inside)}")
    raise InvalidChange(unknown_path(path, leaves))


def check_value(path: str, value: Any) -> None:
    """Refuse a value that is not finite JSON or is larger than `MAX_VALUE_BYTES`."""
    if _plain(value):
        return
    try:
        if not is_finite(value):
            raise InvalidChange(f"{path}: NaN and Infinity are refused (got {value!r})")
        size = len(encode(value).encode())
    except RecursionError:
        raise InvalidChange(f"{path}: the value is nested too deeply to store") from None
    except (TypeError, ValueError) as exc:
        raise InvalidChange(f"{path}: {value!r} is not a JSON value") from exc
    if size > MAX_VALUE_BYTES:
        raise InvalidChange(
            f"{path}: the value is {size} bytes of JSON; the limit is {MAX_VALUE_BYTES}"
        )


def _plain(value: Any) -> bool:
    """A value that is always storable: a short text, a number that is finite, a flag, null."""
    if isinstance(value, str):
        return len(value) <= MAX_VALUE_BYTES // 6  # JSON spends at most 6 bytes on a character
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, int)


def is_reference(value: Any) -> bool:
    """Whether a secret's value is a reference (`env:NAME`) or empty, never a credential."""
    return value == "" or (isinstance(value, str) and value.startswith("env:"))


def _describe_error(path: str, value: Any, type_name: str, exc: ValidationError) -> str:
    detail = exc.errors()[0]["msg"]
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return f"{path}: {shown} is invalid: {detail} (expected {type_name})"


def validate(schema: Schema, values: Flat) -> BaseModel:
    """The effective config as the newest model; an error names the first bad path."""
    secrets = schema.version(schema.latest).secrets
    resolved = {
        **values,
        **{
            p: os.environ.get(v[4:], "")
            for p in secrets
            if isinstance(v := values[p], str) and v.startswith("env:")
        },
    }
    try:
        return schema.model.model_validate(unflatten(resolved))
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(part) for part in error["loc"])
        leaf = schema.version(schema.latest).leaves.get(path)
        expected = f" (expected {leaf.type_name})" if leaf else ""
        raise InvalidChange(
            f"{path}: {error.get('input')!r} is invalid: {error['msg']}{expected}"
        ) from None


def config_json(schema: Schema, effective: Flat) -> str | None:
    """The effective config as JSON for the read fast path; None where a secret needs resolving."""
    secrets = schema.version(schema.latest).secrets
    if any(str(effective[path]).startswith("env:") for path in secrets):
        return None
    return json.dumps(unflatten(effective), separators=(",", ":"))
