"""Imports: a whole config file into a new run (stored as written, at the file's version) or
into an existing one (one revision holding exactly the fields whose value differs)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from store._errors import (
    DatabaseError,
    FilesRefused,
    InvalidChange,
    InvalidRunName,
    NoChange,
    RunExists,
    StoreError,
)
from store._files import config_files, file_fields, is_preset, read_config
from store._notes import collect_notes
from store._persistence import Recorder
from store._reads import read
from store._records import Event, Revision
from store._registry import (
    check_share,
    claiming,
    detect_schema,
    get_schema,
    installed_schemas,
)
from store._replay import RunState
from store._rows import RunRow
from store._runs import archive_in
from store._schema import Flat, Schema
from store._values import check_run_name, normalise, run_name_from
from store._writes import Build, Loaded, Write, create_in, events_towards, write_in

if TYPE_CHECKING:  # a transaction's statements (and SQLAlchemy) load when one opens
    from store._transaction import Transaction

Status = Literal["new", "updated", "unchanged", "missing", "archived"]


@dataclass(frozen=True)
class ImportResult:
    """What an import appended, and what it skipped or an upcaster reported."""

    revision: Revision
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileImport:
    """What importing one file of many did to its run: `new`, `updated` or `unchanged`; or,
    for a run whose file (`path`, as recorded) left a folder synced, `missing` or `archived`."""

    path: Path
    run: str
    status: Status
    revision: Revision | None = None
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


class _DryRun(Exception):
    """Raised to roll back a dry run's transaction once everything was checked."""


def import_config(
    recorder: Recorder, run: str, data: Mapping[str, Any], options: FileOptions, how: Write
) -> ImportResult:
    """Import a whole config into a new run, or into an existing one as its differences."""
    check_run_name(run)
    with recorder.write() as tx:
        done = _import_into(tx, tx.run(run), run, data, options, how, None)
    if done.revision is None:
        raise NoChange(f"nothing changed: run {run!r} already has those values")
    notes = done.notes + tuple(n for n in read(recorder, run, None).notes if n not in done.notes)
    return ImportResult(done.revision, done.skipped, notes)


def import_files(
    recorder: Recorder,
    paths: Sequence[Path],
    options: FileOptions,
    how: Write,
    dry_run: bool = False,
    progress: Callable[[Path], None] | None = None,
    archive_missing: bool = False,
) -> list[FileImport]:
    """Bring runs named after files up to date with them, in one transaction (all or nothing).

    A file whose config equals its run's is `unchanged`, a changed one is one new `import`
    revision (its detail records the file as `source`), a new one a new run. Two files naming
    one run are refused before anything is read; every file that fails is named, all in one
    `FilesRefused` (a single one raises its own error). A run whose recorded source lies in a
    folder named but is no longer among its files is `missing` (`archived` with
    `archive_missing`). `dry_run` checks everything and writes nothing.
    """
    named = _run_names(config_files(paths))
    contents, errors = _read_all(named)
    installed = None if options.schema else [found.schema for found in installed_schemas()]
    results = []
    try:
        with recorder.write() as tx:
            existing = {row.name: row for row in tx.all_runs()}  # one query, not one per file
            if any(run not in existing for _, run, _ in contents):
                tx.lock_runs()  # before any run's lock, as every transaction creating runs
            for path, run, data in contents:
                read_as = replace(options, preset=is_preset(path))
                made = replace(how, detail={"source": os.path.abspath(path)})
                try:
                    done = _import_into(tx, existing.get(run), run, data, read_as, made, installed)
                except DatabaseError:
                    raise
                except StoreError as exc:  # the next files are checked too; nothing is kept
                    errors[path] = type(exc)(f"{path}: {exc}")
                    continue
                results.append(replace(done, path=path))
                if progress is not None:
                    progress(path)
            _refuse(named, errors)
            folders = [p for p in paths if p.is_dir()]
            results += _missing(tx, folders, {run for _, run in named}, archive_missing, how)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return results


def _read_all(
    named: Sequence[tuple[Path, str]],
) -> tuple[list[tuple[Path, str, Any]], dict[Path, StoreError]]:
    """Each file read, with its run; and the error of each file that cannot be read."""
    contents, errors = [], {}
    for path, run in named:
        try:
            contents.append((path, run, read_config(path)))
        except StoreError as exc:
            errors[path] = exc
    return contents, errors


def _refuse(named: Sequence[tuple[Path, str]], errors: Mapping[Path, StoreError]) -> None:
    """Raise the errors (each naming its file) of the files that failed, in the files' order:
    one as itself, several as one `FilesRefused`."""
    found = [errors[path] for path, _ in named if path in errors]
    if len(found) == 1:
        raise found[0]
    if found:
        raise FilesRefused(tuple(str(exc) for exc in found))


def _missing(
    tx: Transaction, folders: Sequence[Path], present: set[str], archive: bool, how: Write
) -> list[FileImport]:
    """The runs whose recorded source file lies below one of `folders` and that no file there
    names any more (archived, recorded with `how`'s author and message, when `archive`)."""
    roots = [os.path.join(os.path.abspath(folder), "") for folder in folders]
    found = []
    for row, source in tx.import_sources():
        if row.name in present or not source.startswith(tuple(roots)) or tx.archived(row):
            continue
        if archive:
            archive_in(tx, row, True, how.author, how.message)
        found.append(FileImport(Path(source), row.name, "archived" if archive else "missing"))
    return found


def _run_names(files: Sequence[Path]) -> list[tuple[Path, str]]:
    """Each file with the run named after it; two files naming one run are refused."""
    named = [(path, run_name_from(path.stem)) for path in files]
    by_run: dict[str, list[str]] = {}
    for path, run in named:
        by_run.setdefault(run, []).append(str(path))
    for run, names in by_run.items():
        if len(names) > 1:
            raise InvalidRunName(
                f"files {', '.join(names)} would all become run {run!r}: rename all but one"
            )
    return named


def _import_into(
    tx: Transaction,
    row: RunRow | None,
    run: str,
    data: Any,
    options: FileOptions,
    how: Write,
    installed: list[Schema] | None,
) -> FileImport:
    """A whole config into a new run or (as its differences) into the existing run `row`,
    in `tx`."""
    if row is not None and options.exclusive:
        raise RunExists(f"run {run!r} already exists")
    found = _schema_for(row, run, data, options, installed)
    version, values, skipped, notes = file_fields(
        found, data, options.schema_version, options.strict, options.preset
    )
    with collect_notes() as upcast:
        if row is None:
            revision = create_in(tx, run, found, version, values, how, from_file=True)
            status: Status = "new"
        else:
            try:
                kept = frozenset(skipped) & found.version(version).secrets  # credentials
                builds = [_importing(found, version, values, kept)]
                revision = write_in(tx, run, builds, how, schema_version=version, catch_up=True)
            except NoChange:
                return FileImport(Path(), run, "unchanged", None, skipped, notes)
            status = "updated"
    return FileImport(Path(), run, status, revision, skipped, notes + tuple(upcast))


def _schema_for(
    row: RunRow | None,
    run: str,
    data: Any,
    options: FileOptions,
    installed: list[Schema] | None,
) -> Schema:
    """An existing run's schema, else the one named, else the one the file is detected as;
    a file another schema claims, or one the run's schema knows almost nothing of, is
    refused for an existing run unless `--schema` names its schema."""
    if options.schema is not None and row is not None and options.schema != row.schema:
        raise InvalidChange(f"run {run!r} uses schema {row.schema!r}, not {options.schema!r}")
    if options.schema is not None:
        return get_schema(options.schema)
    if not isinstance(data, Mapping):
        return get_schema(row.schema if row else "training")  # file_fields says what is wrong
    found = installed if installed is not None else [s.schema for s in installed_schemas()]
    if row is None:
        return detect_schema(data, found)
    schema = get_schema(row.schema)
    others = [s for s in claiming(data, found) if s is not schema]
    if others:
        raise InvalidChange(
            f"the file is a config of schema {others[0].name!r} and run {run!r} uses schema "
            f"{schema.name!r}: import it into a run of schema {others[0].name!r}"
        )
    if schema.detect is None or not schema.detect(data):
        check_share(schema, data)
    return schema


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
            revision = create_in(tx, run, found, version, values, how, from_file=True)
            results.append(ImportResult(revision, skipped, notes))
    return results


def _importing(schema: Schema, version: int, values: Flat, kept: frozenset[str]) -> Build:
    """The events that make the run's config equal to a whole file read at `version`; the
    secrets in `kept` (a credential the file held, dropped) keep the run's reference."""
    normalised = normalise(schema, version, values, from_file=True)

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
