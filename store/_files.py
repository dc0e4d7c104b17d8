"""Config files: reading one, the version it was written at, and the fields it holds
that the schema knows at that version (domain; no SQL)."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from store._errors import InvalidConfigFile
from store._notes import collect_notes
from store._paths import flatten, unflatten
from store._schema import Flat, Schema, SchemaVersion
from store._values import is_reference
from store._versions import writer_version

FORMATS = ("json", "toml", "yaml")
"""The file formats a config is read from and written to."""
SUFFIXES = {".json": "json", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}
MAX_FILE_SIZE = 16 * 2**20
"""The largest config file read, in bytes (`$STORE_MAX_FILE_SIZE` sets another): a file
that large is no config, and reading it whole could exhaust memory."""


def max_file_size() -> int:
    """`$STORE_MAX_FILE_SIZE` (bytes) where it is a whole number, else `MAX_FILE_SIZE`."""
    given = os.environ.get("STORE_MAX_FILE_SIZE", "")
    return int(given) if given.isdigit() else MAX_FILE_SIZE


def file_format(name: str, given: str | None = None) -> str:
    """The format of a file: `given`, else by its extension; JSON for `-` and the rest."""
    return given or SUFFIXES.get(Path(name).suffix.lower(), "json")


def config_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and every config file (any known extension) below the folders named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


def is_preset(path: Path) -> bool:
    """A trainer's built-in preset (`#name.json`): partial, always at the newest version."""
    return path.name.startswith("#")


def read_config(path: Path, fmt: str | None = None) -> Any:
    """A config file's content; a file that cannot be read or parsed is an `InvalidConfigFile`."""
    return parse_config(read_file(path), str(path), file_format(path.name, fmt))


def read_file(path: Path) -> bytes:
    """The bytes of a regular file (a symlink is followed) of at most `max_file_size()`
    bytes: a device, FIFO or socket is refused before it is read (opened without blocking)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InvalidConfigFile(f"{path}: cannot read: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InvalidConfigFile(f"{path}: cannot read: it is a folder")
        if not stat.S_ISREG(mode):
            raise InvalidConfigFile(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as file:
            return read_limited(file, str(path))
    finally:
        os.close(fd)


def read_limited(stream: Any, name: str) -> bytes:
    """All of `stream`, refused (naming `name`) when it holds more than `max_file_size()`."""
    limit = max_file_size()
    try:
        raw: bytes = stream.read(limit + 1)
    except OSError as exc:
        raise InvalidConfigFile(f"{name}: cannot read: {exc.strerror}") from None
    if len(raw) > limit:
        raise InvalidConfigFile(
            f"{name}: larger than {limit} bytes, the limit for a config file "
            "($STORE_MAX_FILE_SIZE sets another)"
        )
    return raw


def read_unnamed(stream: Any, name: str, fmt: str | None) -> Any:
    """The config in a stream without a file name (standard input): in `fmt`, else in the
    format its content shows (an error then says so, and that `--format` decides)."""
    raw = read_limited(stream, name)
    if fmt is not None:
        return parse_config(raw, name, fmt)
    guessed = guess_format(raw)
    try:
        return parse_config(raw, name, guessed)
    except InvalidConfigFile as exc:
        raise InvalidConfigFile(
            f"{exc} (read as {guessed.upper()}, by its content: --format json, toml or yaml "
            "says which)"
        ) from None


def guess_format(raw: bytes) -> str:
    """The format of a config without a name (standard input): JSON where it parses as JSON,
    else TOML where it parses as TOML, else YAML where it holds a mapping; JSON otherwise
    (YAML reads almost any text, so it is taken last and only for a mapping)."""
    try:
        text = raw.decode("utf-8")
        json.loads(text)
        return "json"
    except (UnicodeDecodeError, RecursionError):  # the JSON parse says what is wrong
        return "json"
    except ValueError:
        pass
    import tomllib

    import yaml

    try:
        tomllib.loads(text)
        return "toml"
    except (tomllib.TOMLDecodeError, RecursionError):
        pass
    try:
        return "yaml" if isinstance(yaml.safe_load(text), dict) else "json"
    except (yaml.YAMLError, RecursionError):
        return "json"


def parse_config(raw: bytes, name: str, fmt: str) -> Any:
    """The content of a config in `fmt` (JSON, TOML or YAML), as plain JSON values."""
    try:
        text = raw.decode("utf-8")
        if fmt == "toml":
            return _plain(_load_toml(text, name))
        if fmt == "yaml":
            return _plain(_load_yaml(text))
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_refuse_number,
            parse_float=_finite_float,
        )
    except UnicodeDecodeError as exc:
        reason = f"{exc.reason} at byte {exc.start}"
        raise InvalidConfigFile(f"{name}: not UTF-8 text ({reason})") from None
    except json.JSONDecodeError as exc:
        raise InvalidConfigFile(f"{name}: not valid {fmt.upper()}: {exc}") from None
    except ValueError as exc:
        raise InvalidConfigFile(f"{name}: {exc}") from None
    except RecursionError:
        raise InvalidConfigFile(f"{name}: {fmt.upper()} nested too deeply") from None


def _load_toml(text: str, name: str) -> Any:
    """TOML through the standard library's `tomllib` (imported only for a TOML file)."""
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidConfigFile(f"{name}: not valid TOML: {exc}") from None


def _load_yaml(text: str) -> Any:
    """YAML through PyYAML's safe loader, a repeated key refused as in JSON, no aliases."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):  # a few aliases can expand without bound
                raise ValueError("YAML aliases (*name) are refused in a config file")
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise ValueError(f"key {key!r} appears twice in one mapping")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {' '.join(str(exc).split())}") from None


def _plain(value: Any) -> Any:
    """`value` if it holds only what JSON can (string keys, finite numbers); else ValueError."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"key {key!r} is not a string")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is refused (not a finite number)")
    if value is None or isinstance(value, str | int | float):
        return value
    raise ValueError(f"{value!r} is a {type(value).__name__}, which a config cannot hold")


def config_text(data: dict[str, Any], fmt: str, schema: Schema) -> str:
    """An exported config as the text of a file in `fmt` (writers imported when needed)."""
    if fmt == "toml":
        import tomli_w

        return tomli_w.dumps(_without_default_nulls(data, schema.version(schema.latest), ""))
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _without_default_nulls(data: dict[str, Any], shape: SchemaVersion, prefix: str) -> Any:
    """`data` for TOML, which has no null: a null that is its field's default is left out
    (a file lacking the key reads the default); any other null is refused."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in shape.leaves:
            out[key] = _without_default_nulls(value, shape, f"{path}.")
        elif value is None and path in shape.leaves and shape.leaves[path].default is None:
            continue
        elif _holds_null(value):
            raise InvalidConfigFile(
                f"{path} is null (or holds one), which TOML cannot hold; export as JSON or YAML"
            )
        else:
            out[key] = value
    return out


def _holds_null(value: Any) -> bool:
    """Whether a value is or contains a JSON null."""
    if isinstance(value, dict):
        return any(_holds_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_null(v) for v in value)
    return value is None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a repeated key is refused, not overwritten
    (the dict is built in one step; the keys are walked only to name a repeated one)."""
    found = dict(pairs)
    if len(found) < len(pairs):
        raise ValueError(f"key {_first_repeated(pairs)!r} appears twice in one object")
    return found


def _first_repeated(pairs: list[tuple[str, Any]]) -> str:
    """The first key of a JSON object's pairs that an earlier pair already had."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no key is repeated")  # pragma: no cover - called only when one is


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
    content, notes = _content(schema, data)
    found = content.pop("__version", None)
    version = _file_version(schema, found, override)
    shape = schema.version(version)
    values, skipped = _known_fields(shape, content, strict)
    if skipped and found is None and override is None:
        _refuse_misfit(schema, version, content, skipped)
    secrets = tuple(p for p, v in values.items() if p in shape.secrets and not is_reference(v))
    for path in secrets:
        del values[path]
    return version, values, skipped + secrets, notes


def _content(schema: Schema, data: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A file's content as the schema reads it (its import hook applied), and the hook's notes."""
    if not isinstance(data, Mapping):
        raise InvalidConfigFile("a config file must hold a JSON object")
    with collect_notes() as notes:
        content = dict(schema.import_hook(dict(data)) if schema.import_hook else data)
    return content, tuple(notes)


def _refuse_misfit(
    schema: Schema, version: int, content: Mapping[str, Any], unknown: Sequence[str]
) -> None:
    """A file without `"__version"` whose keys only later versions know is refused, naming them."""
    fits = [k for k in range(version + 1, schema.latest + 1) if _knows_all(schema, k, content)]
    if not fits:
        return
    if len(fits) == 1:
        which = f"version {fits[0]} knows"
    elif fits == list(range(fits[0], fits[-1] + 1)):
        which = f"versions {fits[0]} to {fits[-1]} know"
    else:
        which = f"versions {', '.join(map(str, fits))} know"
    raise InvalidConfigFile(
        f'the file has no "__version" and keys version {version} does not know '
        f"({', '.join(unknown[:3])}), but {which} them all: say which with --schema-version N"
    )


def _knows_all(schema: Schema, version: int, content: Mapping[str, Any]) -> bool:
    """Whether every field of `content` is a leaf of `version`."""
    leaves = schema.version(version).leaves
    return all(p in leaves for p in flatten(content, leaves))


def known_share(schema: Schema, data: Mapping[str, Any]) -> float:
    """The share of a file's fields that the schema knows at its best-fitting version (0..1)."""
    content = _content(schema, data)[0]
    content.pop("__version", None)
    best = 0.0
    for shape in schema.versions:
        flat = flatten(content, shape.leaves)
        if flat:
            best = max(best, sum(p in shape.leaves for p in flat) / len(flat))
    return best


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
