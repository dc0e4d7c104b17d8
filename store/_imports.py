"""Imports: a whole config file into a new run (stored as written, at the file's version) or
into an existing one (one revision holding exactly the fields whose value differs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from store._errors import InvalidChange, RunExists
from store._files import file_fields
from store._persistence import Recorder
from store._reads import read
from store._records import Event, Revision
from store._registry import get_schema
from store._replay import RunState
from store._schema import Flat, Schema
from store._values import check_run_name, normalise
from store._writes import Build, Loaded, Write, create_in, events_towards, write


@dataclass(frozen=True)
class ImportResult:
    """What an import appended, and what it skipped or an upcaster reported."""

    revision: Revision
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileOptions:
    """How to read an imported file: its schema and version, strictness, preset, exclusive."""

    schema: str | None = None
    schema_version: int | None = None
    strict: bool = False
    preset: bool = False
    exclusive: bool = False


def import_config(
    recorder: Recorder, run: str, data: Mapping[str, Any], options: FileOptions, how: Write
) -> ImportResult:
    """Import a whole config into a new run, or into an existing one as its differences."""
    check_run_name(run)
    with recorder.read() as tx:
        row = tx.run(run)
    if row is not None and options.exclusive:
        raise RunExists(f"run {run!r} already exists")
    found = get_schema(row.schema if row else (options.schema or "training"))
    if row is not None and options.schema is not None and options.schema != row.schema:
        raise InvalidChange(f"run {run!r} uses schema {row.schema!r}, not {options.schema!r}")
    schema_version = options.schema_version
    if options.preset and schema_version is None:
        schema_version = found.latest
    version, values, skipped, notes = file_fields(found, data, schema_version, options.strict)
    if row is None:
        with recorder.write() as tx:
            revision = create_in(tx, run, found, version, values, how)
    else:
        kept = frozenset(skipped) & found.version(version).secrets  # credentials dropped
        builds = [_importing(found, version, values, kept)]
        revision = write(recorder, run, builds, how, schema_version=version, catch_up=True)
    return ImportResult(revision, skipped, notes + read(recorder, run, None).notes)


def import_many(
    recorder: Recorder,
    configs: Iterable[tuple[str, Mapping[str, Any]]],
    schema: str,
    how: Write,
) -> list[ImportResult]:
    """Import whole configs `(run, data)` into new runs, in one transaction: all or nothing."""
    found = get_schema(schema)
    results = []
    with recorder.write() as tx:
        for run, data in configs:
            version, values, skipped, notes = file_fields(found, data, None, False)
            revision = create_in(tx, run, found, version, values, how)
            results.append(ImportResult(revision, skipped, notes))
    return results


def _importing(schema: Schema, version: int, values: Flat, kept: frozenset[str]) -> Build:
    """The events that make the run's config equal to a whole file read at `version`; the
    secrets in `kept` (a credential the file held, dropped) keep the run's reference."""
    normalised = normalise(schema, version, values)

    def build(loaded: Loaded, target_version: int) -> list[Event]:
        state = loaded.state
        if version >= state.base:
            start = dict(schema.run_defaults(state.base, version))
        else:
            start = dict(schema.version(version).default_values)
        target = RunState(schema, state.base, version, values=start)
        target.apply(
            loaded.number + 1, version, [Event("set", p, v) for p, v in normalised.items()]
        )
        target.upcast_to(target_version)
        for path in kept & state.values.keys():
            target.values[path] = state.values[path]
        return events_towards(state, target)

    return build
