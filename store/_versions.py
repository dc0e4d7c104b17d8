"""Which schema versions this program may read and write (invariant 8; domain, no SQL)."""

from __future__ import annotations

from store._errors import InvalidChange, SchemaVersionTooNew
from store._schema import Schema


def known_version(schema: Schema, run: str, version: int) -> int:
    """Refuse data written with a schema version this program does not know (invariant 8)."""
    if not schema.knows(version):
        raise SchemaVersionTooNew(
            f"run {run!r} holds a revision written with schema {schema.name!r} version {version}, "
            f"but this program knows only up to version {schema.latest}; upgrade store"
        )
    return version


def writer_version(schema: Schema, requested: int | None) -> int:
    """The version a write or a file is read at: `requested`, else the newest."""
    if requested is None:
        return schema.latest
    if isinstance(requested, bool) or not isinstance(requested, int):
        raise InvalidChange(f"a schema version is a whole number, not {requested!r}")
    if requested > schema.latest:
        raise SchemaVersionTooNew(
            f"schema {schema.name!r} version {requested} is newer than this program knows "
            f"(newest: {schema.latest})"
        )
    if not schema.knows(requested):
        raise InvalidChange(f"schema {schema.name!r} has no version {requested}")
    return requested
