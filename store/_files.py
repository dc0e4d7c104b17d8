"""Config files: reading one, the version it was written at, and the fields it holds
that the schema knows at that version (domain; no SQL)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from store._errors import InvalidConfigFile
from store._paths import flatten, unflatten
from store._schema import Flat, Schema, SchemaVersion, collect_notes
from store._values import is_reference
from store._versions import writer_version


def read_config(path: Path) -> Any:
    """A config file's JSON content; a file that is not UTF-8 JSON is an `InvalidConfigFile`."""
    try:
        return json.loads(
            path.read_bytes().decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_constant=_refuse_number,
            parse_float=_finite_float,
        )
    except UnicodeDecodeError as exc:
        reason = f"{exc.reason} at byte {exc.start}"
        raise InvalidConfigFile(f"{path}: not UTF-8 text ({reason})") from None
    except json.JSONDecodeError as exc:
        raise InvalidConfigFile(f"{path}: not valid JSON: {exc}") from None
    except ValueError as exc:
        raise InvalidConfigFile(f"{path}: {exc}") from None
    except RecursionError:
        raise InvalidConfigFile(f"{path}: JSON nested too deeply") from None
    except OSError as exc:
        raise InvalidConfigFile(f"{path}: cannot read: {exc.strerror}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a repeated key is refused, not overwritten."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"key {key!r} appears twice in one object")
        found[key] = value
    return found


def _refuse_number(name: str) -> Any:
    """`NaN`, `Infinity` and `-Infinity` are not JSON: refused."""
    raise ValueError(f"{name} is refused (not a finite number)")


def _finite_float(text: str) -> float:
    """A JSON number too large for a float (`1e999`) is refused, not read as infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is refused (not a finite number)")
    return value


def file_fields(
    schema: Schema, data: Mapping[str, Any], override: int | None, strict: bool
) -> tuple[int, Flat, tuple[str, ...], tuple[str, ...]]:
    """A config file's version and fields to store, the keys skipped, and the hook's notes."""
    if not isinstance(data, Mapping):
        raise InvalidConfigFile("a config file must hold a JSON object")
    with collect_notes() as notes:
        content = dict(schema.import_hook(dict(data)) if schema.import_hook else data)
    version = _file_version(schema, content.pop("__version", None), override)
    shape = schema.version(version)
    values, skipped = _known_fields(shape, content, strict)
    secrets = tuple(p for p, v in values.items() if p in shape.secrets and not is_reference(v))
    for path in secrets:
        del values[path]
    return version, values, skipped + secrets, tuple(notes)


def _file_version(schema: Schema, found: Any, override: int | None) -> int:
    """The version a file is read at: `override`, its `"__version"`, else the schema's default."""
    if override is not None:
        return writer_version(schema, override)
    if found is None:
        default = schema.file_version_default
        return schema.first if default is None else default
    if not isinstance(found, int) or isinstance(found, bool):
        raise InvalidConfigFile(f'"__version" must be an integer, not {found!r}')
    return writer_version(schema, found)


def _known_fields(
    shape: SchemaVersion, content: Mapping[str, Any], strict: bool
) -> tuple[Flat, tuple[str, ...]]:
    """The fields of `content` that `shape` knows, and the unknown paths (refused if strict)."""
    flat = flatten(content, shape.leaves)
    unknown = tuple(p for p in flat if p not in shape.leaves)
    if unknown and strict:
        raise InvalidConfigFile(
            f"unknown keys for schema version {shape.number}: {', '.join(unknown)}"
        )
    return {p: v for p, v in flat.items() if p in shape.leaves}, unknown


def export_data(schema: Schema, config: dict[str, Any], stored: Flat) -> dict[str, Any]:
    """A complete config as a file holds it, with `"__version"`; secrets stay references."""
    shape = schema.version(schema.latest)
    values = flatten(config, shape.leaves)
    values.update((path, stored[path]) for path in shape.secrets)
    data: dict[str, Any] = {"__version": schema.latest, **unflatten(values)}
    return schema.export_hook(data) if schema.export_hook else data
