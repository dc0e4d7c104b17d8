"""The store API: a thin facade; each method checks its arguments and calls one function of
the module named after the concept (reads, writes, imports, names, runs, audit)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from store import _audit, _backup, _describe, _find, _imports, _log, _names, _reads, _runs, _writes
from store._backup import Backup
from store._compare import Comparison
from store._describe import Field, StepChange
from store._digests import Digest, read_digests, read_stamp
from store._errors import InvalidChange, InvalidReference, RevisionNotFound
from store._files import config_text, export_data
from store._filters import parse_condition
from store._find import Found, StampCheck
from store._history import Origin, Step, differences
from store._imports import FileImport, FileOptions, ImportResult
from store._persistence import DEFAULT_TIMEOUT, Recorder, default_url, open_recorder
from store._reads import Reading
from store._records import Change, Revision
from store._registry import InstalledSchema, get_schema, installed_schemas
from store._rows import RunEvent, RunSummary, Tag
from store._schema import Schema
from store._values import Overrides
from store._verify import VerifyReport
from store._versions import writer_version
from store._writes import Write

__all__ = ["Store", "open", "schema_changes", "schema_fields", "schemas"]


class Store:
    """An open store: one database, every run in it."""

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        upgrade: bool = True,
        create: bool = True,
        chain_key: str | bytes | None = None,
    ) -> None:
        self.url = default_url() if url is None else url
        self._recorder: Recorder = open_recorder(self.url, timeout, upgrade, create, chain_key)

    def close(self) -> None:
        """Release the database connections."""
        self._recorder.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ---------------------------------------------------------------------------

    def create(
        self,
        run: str,
        values: Mapping[str, Any] | None = None,
        *,
        schema: str = "training",
        schema_version: int | None = None,
        author: str | None = None,
        message: str | None = None,
    ) -> Revision:
        """Create a run bound to `schema`, as revision 1 holding the given values."""
        found = get_schema(schema)
        version = writer_version(found, schema_version)
        how = Write("create", author, message)
        _check_mapping("values", values or {})
        with self._recorder.write() as tx:
            return _writes.create_in(tx, run, found, version, values or {}, how)

    def update(
        self,
        run: str,
        changes: Mapping[str, Any],
        *,
        expected_revision: int | None = None,
        author: str | None = None,
        message: str | None = None,
        schema_version: int | None = None,
        from_text: bool = False,
        retries: int = 0,
    ) -> Revision:
        """Set fields (dotted paths or nested dicts) in one revision.

        `from_text=True` takes every value as typed on a command line: JSON where it parses,
        text where it does not or where the field is a string. `retries` re-reads and
        re-applies the change that many times when `expected_revision` conflicts.
        """
        _check_mapping("changes", changes)
        _check_count("retries", retries, 0)
        if expected_revision is not None:
            _check_count("expected_revision", expected_revision, 0)
        builds = [_writes.setting(changes, from_text)]
        how = Write("update", author, message)
        return _writes.retrying(
            retries,
            expected_revision,
            lambda expected: _writes.write(
                self._recorder, run, builds, how, expected, schema_version
            ),
            lambda: self.head(run).number,
        )

    def update_many(
        self,
        run: str,
        changesets: Iterable[Mapping[str, Any]],
        *,
        author: str | None = None,
        message: str | None = None,
        schema_version: int | None = None,
    ) -> Revision:
        """Append one revision per change set, in one transaction: a bulk `update`.

        Each change set is checked as `update` checks it; if one fails or changes nothing,
        nothing at all is written. Returns the newest revision. Example: replaying a run's
        history kept elsewhere, `db.update_many("run", ({"epochs": e} for e in range(9)))`.
        """
        builds = (_writes.setting(_check_mapping("changes", c), False) for c in changesets)
        how = Write("update", author, message)
        return _writes.write(self._recorder, run, builds, how, None, schema_version)

    def unset(
        self,
        run: str,
        paths: Iterable[str],
        *,
        expected_revision: int | None = None,
        author: str | None = None,
        message: str | None = None,
    ) -> Revision:
        """Return fields to the run's own default, as if never set."""
        if isinstance(paths, str | bytes) or not isinstance(paths, Iterable):
            raise InvalidChange(f"paths must be a list of paths, not {paths!r}")
        builds = [_writes.unsetting(paths)]
        how = Write("update", author, message)
        return _writes.write(self._recorder, run, builds, how, expected_revision)

    def rollback(
        self,
        run: str,
        to: int | str,
        *,
        fields: Sequence[str] = (),
        expected_revision: int | None = None,
        author: str | None = None,
        message: str | None = None,
    ) -> Revision:
        """Append one revision after which `current(run) == at(run, to)`.

        `to` is a revision number or any reference of the run as text (`"good"`, `"@good"`,
        `"head~2"`, a time); `fields` limits the rollback to those paths (the rest stays).
        """
        if isinstance(to, bool) or not isinstance(to, int | str):
            raise InvalidReference(f"to is a revision number or a reference, not {to!r}")
        if isinstance(fields, str):
            fields = [fields]
        how = Write("rollback", author, message)
        return _writes.rollback(self._recorder, run, to, list(fields), how, expected_revision)

    def fork(
        self, source: str, new: str, *, author: str | None = None, message: str | None = None
    ) -> Revision:
        """Create `new` whose revision 1 holds exactly the config at the reference `source`.

        Revision 1 is a `create` whose `detail` records `forked_from` ("SRC@N") and
        `forked_hash`, so `diff(source, new)` is empty and the origin stays auditable.
        """
        how = Write("create", author, message or f"fork of {source}")
        return _runs.fork(self._recorder, source, new, how)

    def tag(
        self,
        ref: str,
        name: str,
        *,
        force: bool = False,
        author: str | None = None,
        message: str | None = None,
    ) -> Tag:
        """Name the revision `ref` names (`tag("a@3", "baseline")`); moving a tag needs `force`."""
        return _names.tag(self._recorder, ref, name, force, author, message)

    def archive(
        self, run: str, *, author: str | None = None, message: str | None = None
    ) -> RunEvent:
        """Hide the run from `runs()` and refuse writes to it; it stays readable and verifiable."""
        return _runs.set_archived(self._recorder, run, True, author, message)

    def unarchive(
        self, run: str, *, author: str | None = None, message: str | None = None
    ) -> RunEvent:
        """Undo `archive`: the run is listed and writable again."""
        return _runs.set_archived(self._recorder, run, False, author, message)

    def run_events(self, run: str) -> list[RunEvent]:
        """The run's archives and unarchives, oldest first, each with who, when and why
        (what `store history` shows between the revisions)."""
        return _runs.run_events(self._recorder, run)

    def archived(self, run: str) -> bool:
        """Whether the run is archived now (one run's state, without listing every run)."""
        return _runs.archived(self._recorder, run)

    def import_config(
        self,
        run: str,
        data: Mapping[str, Any],
        *,
        schema: str | None = None,
        schema_version: int | None = None,
        strict: bool = False,
        author: str | None = None,
        message: str | None = None,
        preset: bool = False,
        exclusive: bool = False,
    ) -> ImportResult:
        """Import a whole config (a JSON object with `"__version"`) into a new or existing run.

        Into a new run it is stored as written, at the file's version, with `schema` or else
        the one schema that claims the file (`training` when none does; `UnclearSchema` when
        two do, or another fits far better); into an existing run one revision holds exactly
        the fields whose value differs (a field the file lacks goes back to the run's
        default). A `preset` (a trainer's built-in partial config, always saved at the newest
        version) is read at the schema's latest version unless `schema_version` says
        otherwise; `exclusive` refuses an existing run (`RunExists`).
        """
        options = FileOptions(schema, schema_version, strict, preset, exclusive)
        how = Write("import", author, message)
        return _imports.import_config(self._recorder, run, data, options, how)

    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        schema: str | None = None,
        schema_version: int | None = None,
        strict: bool = False,
        author: str | None = None,
        message: str | None = None,
        dry_run: bool = False,
        progress: Callable[[Path], None] | None = None,
        archive_missing: bool = False,
    ) -> list[FileImport]:
        """Bring one run per file (every config file below a folder) up to date, in one step.

        Runs are named after the files (`#sdxl 1.0 LoRA.json` -> `sdxl_1.0_LoRA`); two files
        naming one run are refused before anything is written. A file equal to its run is
        `unchanged`, a changed one `updated` (one `import` revision of its differences), a new
        one `new`; all in one transaction, so a failure (its error names the file) or a kill
        leaves nothing half done and running it again resumes; every file that fails is named
        (several in one `FilesRefused`). A run whose file (recorded as its import's `source`)
        left a folder named is reported `missing`, or archived with `archive_missing`.
        `dry_run` writes nothing; `progress` is called after each file.
        """
        options = FileOptions(schema, schema_version, strict)
        how = Write("import", author, message)
        files = [Path(p) for p in paths]
        return _imports.import_files(
            self._recorder, files, options, how, dry_run, progress, archive_missing
        )

    def import_many(
        self,
        configs: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        schema: str = "training",
        author: str | None = None,
        message: str | None = None,
    ) -> list[ImportResult]:
        """Import whole configs `(run, data)` into new runs, in one transaction: a bulk import.

        Each is stored as `import_config` stores a new run; if one fails or its run exists,
        nothing at all is written.
        """
        how = Write("import", author, message)
        return _imports.import_many(self._recorder, configs, schema, how)

    # -- reads ----------------------------------------------------------------------------

    def read(
        self, ref: str, revision: int | None = None, *, overrides: Overrides = None
    ) -> Reading:
        """The effective config at a reference (`run`, `run@3`, `run@baseline`, …) or at
        `revision` of a run, with the revision's number and hash; `overrides` as `current`."""
        return _reads.read(self._recorder, ref, revision, overrides)

    def resolve(self, ref: str) -> tuple[str, int]:
        """The run and revision number a reference names (`run@head~1` -> `("run", 4)`)."""
        return _reads.resolve(self._recorder, ref)

    def compare(
        self,
        refs: Sequence[str],
        *,
        only_changed: bool = False,
        fields: Sequence[str] | None = None,
    ) -> Comparison:
        """Several configs side by side: a row per field, a column per reference."""
        if isinstance(refs, str) or not refs:
            raise InvalidReference("compare takes a list of one or more references")
        return _log.compare(self._recorder, list(refs), only_changed, fields)

    def current(self, run: str, *, overrides: Overrides = None) -> BaseModel:
        """The run's effective config: a validated model of its schema's newest version.

        The fast path validates the config JSON a write kept with the head's snapshot.
        `overrides` (`["batch_size=8"]` or `{"batch_size": 8}`) are checked as `set` checks
        them and applied to what is returned, never written.
        """
        return _reads.current(self._recorder, run, overrides)

    def at(self, run: str, revision: int) -> BaseModel:
        """The effective config as it was right after `revision`."""
        return self.read(run, revision).config

    def head(self, run: str) -> Revision:
        """The run's newest revision."""
        return _reads.head(self._recorder, run)

    def runs(
        self,
        *,
        archived: bool = False,
        where: Sequence[str] = (),
        schema: str | None = None,
    ) -> list[RunSummary]:
        """The runs with their schema, revision count, last change, author, tags and origin.

        Archived runs only with `archived=True`; `where` keeps the runs whose current config
        meets every condition (`"batch_size>=4"`, `"model=sd"`: =, !=, <, <=, >, >=); `schema`
        those of one schema.
        """
        if isinstance(where, str):
            where = [where]
        conditions = [parse_condition(text) for text in where]
        return _runs.runs(self._recorder, archived, conditions, schema)

    def tags(self, run: str, *, history: bool = False) -> list[Tag]:
        """The run's tags where they are now, by name; `history=True`: every position ever held."""
        return _names.tags(self._recorder, run, history)

    def log(
        self,
        *,
        run: str | None = None,
        author: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> list[Revision]:
        """Every revision of every run (or of the runs matching the glob `run`), newest first.

        `since` and `until` are ISO 8601 UTC times (inclusive); each revision has its changes.
        """
        return _log.log(self._recorder, run, author, since, until, limit)

    def history(
        self,
        run: str,
        *,
        field: str | None = None,
        limit: int | None = None,
        before: int | None = None,
    ) -> list[Revision]:
        """The run's revisions, newest first, each with its changes to the effective config.

        `field` keeps only revisions that changed that path (matched as it is today and as
        it was written by older versions); `before=N` starts below revision N, so
        `limit=50, before=N` is one page of a long history, read alone.
        """
        if limit is not None:
            _check_count("limit", limit, 1)
        if field is not None and not isinstance(field, str):
            raise InvalidChange(f"field must be a path, not {field!r}")
        if before is not None and (isinstance(before, bool) or before < 1):
            raise RevisionNotFound(f"before={before!r}: revisions are numbered from 1")
        return _log.history(self._recorder, run, field, limit, before)

    def timeline(self, run: str, field: str) -> list[Step]:
        """One field's changes over the run, oldest first: each revision that moved it, when,
        and its value before and after (what `history(run, field=…)` lists, without the rest)."""
        if not isinstance(field, str):
            raise InvalidChange(f"field must be a path, not {field!r}")
        return _log.timeline(self._recorder, run, field)

    def diff(
        self, run: str, a: int | str, b: int | None = None, *, other: str | None = None
    ) -> list[Change]:
        """Fields whose effective value differs between two revisions, as old → new.

        `diff("a@2", "b")` compares two references; `diff(run, a, b)` revisions `a` and
        `b` (default: the head) of a run, or of `other` for `b`.
        """
        if isinstance(a, str):
            if b is not None or other is not None:
                raise InvalidReference("give two references, or a run and revision numbers")
            left, right = self.read(run), self.read(a)
        else:
            left, right = self.read(run, a), self.read(other or run, b)
        schema = get_schema(left.schema)
        return differences(left.values, right.values, schema.version(schema.latest).leaves)

    def find(self, config_hash: str) -> list[Found]:
        """Every run and revision whose effective config, as read today, has `config_hash`
        (newest first): "which config made this checkpoint?". A unique prefix of 8 or more
        hex digits stands for the whole hash, as in git."""
        if not isinstance(config_hash, str) or not CONFIG_HASH.fullmatch(config_hash):
            raise InvalidChange(
                f"a config hash is 64 hex digits (or a unique prefix of 8 or more), "
                f"not {config_hash!r}"
            )
        return _find.find(self._recorder, config_hash.lower())

    def check_stamp(self, stamp: Mapping[str, Any]) -> StampCheck:
        """Rebuild exactly the config a stamp names (its revision read with its overrides)
        and compare its revision hash and config hash with the stamp's; `stamp` is what
        `Reading.stamp()` returned, or a checkpoint's metadata holding it under `"store"`."""
        return _find.check_stamp(self._recorder, stamp)

    def explain(self, run: str, revision: int | None = None) -> list[Origin]:
        """For every field of the effective config at a reference, where its value comes from."""
        return _log.explain(self._recorder, run, revision)

    def export_config(self, run: str, revision: int | None = None) -> dict[str, Any]:
        """The complete effective config as a file would hold it, with `"__version"`."""
        return self._exported(run, revision)[1]

    def export_text(self, run: str, revision: int | None = None, *, format: str = "json") -> str:
        """The exported config as a JSON, TOML or YAML file's text (TOML refuses a null)."""
        schema, data = self._exported(run, revision)
        return config_text(data, format, schema)

    def _exported(self, run: str, revision: int | None) -> tuple[Schema, dict[str, Any]]:
        """The run's schema and its config at `revision` as a file holds it."""
        reading = self.read(run, revision)
        schema = get_schema(reading.schema)
        config = reading.config.model_dump(mode="json")
        return schema, export_data(schema, config, reading.values)

    def verify(
        self,
        run: str | None = None,
        *,
        expect: str | Sequence[str] | None = None,
        rebuild_snapshots: bool = False,
        digests: str | os.PathLike[str] | None = None,
        stamp: str | os.PathLike[str] | None = None,
    ) -> VerifyReport:
        """Recompute the hash chains and replay every run (or one) against the config hashes
        they record and their snapshots; check expected hashes, a digest file's and a stamp
        file's; optionally rebuild snapshots."""
        expected = [expect] if isinstance(expect, str) else list(expect or [])
        anchors = [
            *(read_digests(digests) if digests is not None else []),
            *([read_stamp(stamp)] if stamp is not None else []),
        ]
        return _audit.verify(self._recorder, run, expected, rebuild_snapshots, anchors)

    def digest(self, run: str | None = None) -> list[Digest]:
        """Every run's (or one run's) head revision, hash and time, to keep outside the
        database (`Digest.line()`: `RUN@N:HASH TIME`); `verify(digests=FILE)` checks them."""
        return _audit.digests(self._recorder, run)

    def backup(self, path: str | Path) -> Backup:
        """Copy the (SQLite) database consistently to the new file `path` and verify the copy;
        PostgreSQL is refused (use `pg_dump`)."""
        return _backup.backup(self._recorder, str(path))

    def migration(self) -> str | None:
        """The Alembic revision the database is at (it is upgraded when the store opens)."""
        return self._recorder.migration()


def _check_mapping(name: str, value: Any) -> Mapping[str, Any]:
    """Refuse API misuse such as `update(run, None)` with a `StoreError`, not a `TypeError`."""
    if not isinstance(value, Mapping):
        raise InvalidChange(f"{name} must be a mapping of paths to values, not {value!r}")
    return value


def _check_count(name: str, value: Any, least: int) -> None:
    """Refuse a count that is not a whole number of at least `least`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InvalidChange(f"{name} must be a whole number of at least {least}, not {value!r}")


def open(
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    upgrade: bool = True,
    create: bool = True,
    chain_key: str | bytes | None = None,
) -> Store:
    """Open the store at `url` (default `$STORE_URL`, else `sqlite:///store.db`).

    The database is migrated to the newest schema unless `upgrade=False` (then it is only
    read unless it is already at the newest); `create=False` refuses a missing database.
    `chain_key` (default `$STORE_CHAIN_KEY`) keys the chain: new revisions carry the MAC of
    their hash under it, and reads and `verify` check it.
    """
    return Store(url, timeout=timeout, upgrade=upgrade, create=create, chain_key=chain_key)


CONFIG_HASH = re.compile(r"[0-9a-fA-F]{8,64}")


def schemas() -> list[InstalledSchema]:
    """Every installed schema with where it comes from (built in, code, an entry point)."""
    return installed_schemas()


def schema_fields(name: str, version: int | None = None) -> list[Field]:
    """The fields of schema `name` at `version` (default: the newest): type, default, secret."""
    found = get_schema(name)
    return _describe.schema_fields(found, writer_version(found, version))


def schema_changes(name: str) -> list[StepChange]:
    """What each upcaster of schema `name` does: renames, conversions, additions, removals."""
    return _describe.schema_changes(get_schema(name))
