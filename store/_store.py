"""The store API: a thin facade; each method checks its arguments and calls one function of
the module named after the concept (reads, writes, imports, files, history, audit)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from store import _audit, _imports, _reads, _writes
from store._compare import Comparison
from store._errors import InvalidReference, RevisionNotFound
from store._files import export_data
from store._history import Origin, differences
from store._imports import FileOptions, ImportResult
from store._persistence import DEFAULT_TIMEOUT, Recorder, RunSummary, open_recorder
from store._reads import Reading
from store._records import Change, Revision
from store._registry import get_schema
from store._verify import VerifyReport
from store._versions import writer_version
from store._writes import Write

__all__ = ["ImportResult", "Origin", "Reading", "Store", "current", "default_url", "open"]


def default_url() -> str:
    """`$STORE_URL`, else `store.db` in the working directory."""
    return os.environ.get("STORE_URL") or "sqlite:///store.db"


class Store:
    """An open store: one database, every run in it."""

    def __init__(
        self, url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, upgrade: bool = True
    ) -> None:
        self.url = url or default_url()
        self._recorder: Recorder = open_recorder(self.url, timeout, upgrade)

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
        builds = (_writes.setting(changes, False) for changes in changesets)
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
        builds = [_writes.unsetting(paths)]
        how = Write("update", author, message)
        return _writes.write(self._recorder, run, builds, how, expected_revision)

    def rollback(
        self,
        run: str,
        to: int,
        *,
        expected_revision: int | None = None,
        author: str | None = None,
        message: str | None = None,
    ) -> Revision:
        """Append one revision after which `current(run) == at(run, to)`."""
        builds = [_writes.rolling_back(run, to)]
        how = Write("rollback", author, message or f"rollback to revision {to}")
        return _writes.write(self._recorder, run, builds, how, expected_revision, full=True)

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

        Into a new run it is stored as written, at the file's version; into an existing run
        one revision holds exactly the fields whose value differs (a field the file lacks
        goes back to the run's default). A `preset` (a trainer's built-in partial config,
        always saved at the newest version) is read at the schema's latest version unless
        `schema_version` says otherwise; `exclusive` refuses an existing run (`RunExists`).
        """
        options = FileOptions(schema, schema_version, strict, preset, exclusive)
        how = Write("import", author, message)
        return _imports.import_config(self._recorder, run, data, options, how)

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

    def read(self, ref: str, revision: int | None = None) -> Reading:
        """The effective config at a reference (`run`, `run@3`, `run@baseline`, …) or at
        `revision` of a run, with the revision's number and hash."""
        return _reads.read(self._recorder, ref, revision)

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
        return _reads.compare(self._recorder, list(refs), only_changed, fields)

    def current(self, run: str) -> BaseModel:
        """The run's effective config: a validated model of its schema's newest version.

        The fast path validates the config JSON a write kept with the head's snapshot.
        """
        return _reads.current(self._recorder, run)

    def at(self, run: str, revision: int) -> BaseModel:
        """The effective config as it was right after `revision`."""
        return self.read(run, revision).config

    def head(self, run: str) -> Revision:
        """The run's newest revision."""
        return _reads.head(self._recorder, run)

    def runs(self) -> list[RunSummary]:
        """Every run with its schema, revision count, last change and author."""
        with self._recorder.read() as tx:
            return list(tx.summaries())

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
        if before is not None and (isinstance(before, bool) or before < 1):
            raise RevisionNotFound(f"before={before!r}: revisions are numbered from 1")
        return _reads.history(self._recorder, run, field, limit, before)

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
            return differences(self.read(run).values, self.read(a).values)
        return differences(self.read(run, a).values, self.read(other or run, b).values)

    def explain(self, run: str, revision: int | None = None) -> list[Origin]:
        """For every field of the effective config, where its value comes from."""
        return _reads.explain(self._recorder, run, revision)

    def export_config(self, run: str, revision: int | None = None) -> dict[str, Any]:
        """The complete effective config as a file would hold it, with `"__version"`."""
        reading = self.read(run, revision)
        config = reading.config.model_dump(mode="json")
        return export_data(get_schema(reading.schema), config, reading.values)

    def verify(
        self, run: str | None = None, *, expect: str | Sequence[str] | None = None
    ) -> VerifyReport:
        """Recompute every revision hash chain (or one run's) and check expected hashes."""
        expected = [expect] if isinstance(expect, str) else list(expect or [])
        return _audit.verify(self._recorder, run, expected)

    def migration(self) -> str | None:
        """The Alembic revision the database is at (it is upgraded when the store opens)."""
        return self._recorder.migration()


def open(
    url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, upgrade: bool = True
) -> Store:
    """Open the store at `url` (default `$STORE_URL`, else `sqlite:///store.db`).

    The database is created or migrated to the newest schema unless `upgrade=False`.
    """
    return Store(url, timeout=timeout, upgrade=upgrade)


def current(run: str, url: str | None = None) -> BaseModel:
    """The effective config of `run` in the default store: one call for a trainer."""
    with open(url) as store:
        return store.current(run)
