"""The store API: every operation on runs, built from the domain and one recorder."""

from __future__ import annotations

import contextlib
import functools
import getpass
import json
import math
import os
import random
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from store._errors import (
    Conflict,
    InvalidChange,
    InvalidConfigFile,
    InvalidRunName,
    NoChange,
    RevisionNotFound,
    RunExists,
    RunNotFound,
    SchemaVersionTooNew,
)
from store._paths import flatten, nearest, sections_of, unflatten
from store._persistence import (
    DEFAULT_TIMEOUT,
    Head,
    Recorder,
    RunRow,
    RunSummary,
    StoredRevision,
    Transaction,
    open_recorder,
)
from store._records import (
    GENESIS,
    Change,
    Event,
    Kind,
    Revision,
    encode,
    format_time,
    is_finite,
    revision_hash,
)
from store._registry import get_schema
from store._replay import RunState, snapshot_key
from store._schema import Flat, Schema, SchemaVersion, collect_notes
from store._verify import Problem, VerifyReport, parse_expectation, verify_chain

RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_VALUE_BYTES = 1024 * 1024
"""The largest JSON text one stored value may have."""
SNAPSHOT_EVERY = 1
"""A write stores a snapshot once this many revisions follow the last one (1: every write,
so reading the head validates the config JSON kept with it, whatever the history)…"""
SNAPSHOT_EVENTS = 64
"""…or this many events: a snapshot reads faster than that many events from the log."""
BATCH = 1000
"""How many revisions a bulk write stores per statement."""

T = TypeVar("T")


def default_url() -> str:
    """`$STORE_URL`, else `store.db` in the working directory."""
    return os.environ.get("STORE_URL") or "sqlite:///store.db"


def default_author() -> str:
    """`$STORE_AUTHOR`, else `user@host`."""
    return os.environ.get("STORE_AUTHOR") or _user_at_host()


@functools.cache
def _user_at_host() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


@dataclass(frozen=True)
class Reading:
    """A run's effective config at one revision, with that revision's number and hash."""

    run: str
    schema: str
    revision: int
    hash: str
    config: BaseModel
    values: Flat
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Origin:
    """Where one field's effective value comes from (`show --explain`)."""

    path: str
    value: Any
    source: str
    revision: int | None = None
    author: str | None = None
    version: int | None = None

    def describe(self) -> str:
        """One line for people: "set at revision 3 by ana", "default of version 3", …"""
        if self.source == "set":
            return f"set at revision {self.revision} by {self.author}"
        if self.source == "pinned":
            return f"default pinned when the run crossed to version {self.version}"
        if self.source == "legacy":
            return f"legacy default of the upcaster to version {self.version}"
        if self.source == "derived":
            return "derived by an upcaster from other fields"
        return f"default of schema version {self.version}"


@dataclass(frozen=True)
class ImportResult:
    """What an import appended, and what it skipped or an upcaster reported."""

    revision: Revision
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass
class _Loaded:
    """A run's state read for a write: the row, its head and where the last snapshot was."""

    row: RunRow
    head: Head | None
    state: RunState
    snapshot_at: int = 0
    revisions: list[Revision] = field(default_factory=list)
    tail_events: int = 0
    pending: list[StoredRevision] = field(default_factory=list)
    effective: Flat = field(default_factory=dict)

    @property
    def number(self) -> int:
        """The head's revision number (0 before the first revision)."""
        return self.head.number if self.head else 0


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
        version = _writer_version(found, schema_version)
        with self._recorder.write() as tx:
            return self._create(tx, run, found, version, values or {}, "create", author, message)

    def _create(
        self,
        tx: Transaction,
        run: str,
        schema: Schema,
        version: int,
        values: Mapping[str, Any],
        kind: Kind,
        author: str | None,
        message: str | None,
    ) -> Revision:
        check_run_name(run)
        events = [Event("set", p, v) for p, v in self._normalise(schema, version, values).items()]
        if tx.run(run) is not None:
            raise RunExists(f"run {run!r} already exists")
        loaded = _Loaded(tx.add_run(run, schema.name, _now()), None, RunState.new(schema, version))
        revision = self._next(loaded, version, events, kind, author, message)
        self._commit(tx, loaded)
        return revision

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

        return self._retrying(
            run,
            retries,
            expected_revision,
            lambda expected: self._write(
                run,
                [self._setting(changes, from_text)],
                "update",
                expected,
                author,
                message,
                schema_version,
            ),
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
        builds = (self._setting(changes, False) for changes in changesets)
        return self._write(run, builds, "update", None, author, message, schema_version)

    def _setting(
        self, changes: Mapping[str, Any], from_text: bool
    ) -> Callable[[_Loaded, int], list[Event]]:
        """The events of one `update`: the assignments that change a value."""

        def build(loaded: _Loaded, version: int) -> list[Event]:
            schema = loaded.state.schema
            given = self._from_text(schema.version(version), changes) if from_text else changes
            wanted = self._normalise(schema, version, given)
            return [
                Event("set", path, value)
                for path, value in wanted.items()
                if encode(value) != encode(loaded.state.values[path])
            ]

        return build

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
        wanted = list(paths)

        def build(loaded: _Loaded, version: int) -> list[Event]:
            state = loaded.state
            defaults = state.schema.run_defaults(state.base, version)
            leaves = state.schema.version(version).leaves
            for path in wanted:
                _check_path(path, leaves)
            return [
                Event("unset", path)
                for path in dict.fromkeys(wanted)
                if encode(state.values[path]) != encode(defaults[path])
            ]

        return self._write(run, [build], "update", expected_revision, author, message, None)

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

        def build(loaded: _Loaded, version: int) -> list[Event]:
            if to == loaded.number:
                raise NoChange(f"nothing changed: run {run!r} is at revision {to} already")
            _check_revision(run, to, loaded.number)
            target = self._replay(loaded.row, loaded.revisions, upto=to)
            target.upcast_to(version)
            return _events_towards(loaded.state, target)

        text = message or f"rollback to revision {to}"
        return self._write(
            run, [build], "rollback", expected_revision, author, text, None, full=True
        )

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
        check_run_name(run)
        with self._recorder.read() as tx:
            row = tx.run(run)
        if row is not None and exclusive:
            raise RunExists(f"run {run!r} already exists")
        found = get_schema(row.schema if row else (schema or "training"))
        if row is not None and schema is not None and schema != row.schema:
            raise InvalidChange(f"run {run!r} uses schema {row.schema!r}, not {schema!r}")
        if preset and schema_version is None:
            schema_version = found.latest
        version, values, skipped, notes = _file_fields(found, data, schema_version, strict)
        if row is None:
            with self._recorder.write() as tx:
                revision = self._create(tx, run, found, version, values, "import", author, message)
        else:
            revision = self._import_into(run, found, version, values, author, message)
        return ImportResult(revision, skipped, notes + self.read(run).notes)

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
        found = get_schema(schema)
        results = []
        with self._recorder.write() as tx:
            for run, data in configs:
                version, values, skipped, notes = _file_fields(found, data, None, False)
                revision = self._create(tx, run, found, version, values, "import", author, message)
                results.append(ImportResult(revision, skipped, notes))
        return results

    def _import_into(
        self,
        run: str,
        schema: Schema,
        version: int,
        values: Flat,
        author: str | None,
        message: str | None,
    ) -> Revision:
        normalised = self._normalise(schema, version, values)

        def build(loaded: _Loaded, target_version: int) -> list[Event]:
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
            return _events_towards(state, target)

        return self._write(run, [build], "import", None, author, message, version, catch_up=True)

    # -- reads ----------------------------------------------------------------------------

    def read(self, run: str, revision: int | None = None) -> Reading:
        """The effective config at `revision` (default: the newest), with its number and hash."""
        with self._recorder.read() as tx:
            row = _require_run(tx, run)
            head = _require_head(tx, row)
            number = (
                head.number if revision is None else _check_revision(run, revision, head.number)
            )
            state, _, _ = self._load(tx, row, number)
            revision_hash_ = (
                head.hash
                if number == head.number
                else next(tx.revisions(row, number - 1, number)).hash
            )
        values = state.effective()
        return Reading(
            run,
            row.schema,
            number,
            revision_hash_,
            _validate(state.schema, values),
            values,
            tuple(state.notes),
        )

    def current(self, run: str) -> BaseModel:
        """The run's effective config: a validated model of its schema's newest version.

        The fast path validates the config JSON a write kept with the head's snapshot.
        """
        found = self._recorder.head_configs(check_run_name(run))
        if found:
            schema = get_schema(found[0].schema)
            key = snapshot_key(schema)
            for row in found:
                if row.config and row.revision == row.head and row.fingerprint == key:
                    with contextlib.suppress(ValidationError):  # the replay says what is wrong
                        return schema.model.model_validate_json(row.config)
        return self.read(run).config

    def at(self, run: str, revision: int) -> BaseModel:
        """The effective config as it was right after `revision`."""
        return self.read(run, revision).config

    def head(self, run: str) -> Revision:
        """The run's newest revision."""
        with self._recorder.read() as tx:
            row = _require_run(tx, run)
            head = _require_head(tx, row)
            return next(tx.revisions(row, head.number - 1))

    def runs(self) -> list[RunSummary]:
        """Every run with its schema, revision count, last change and author."""
        with self._recorder.read() as tx:
            return list(tx.summaries())

    def history(
        self, run: str, *, field: str | None = None, limit: int | None = None
    ) -> list[Revision]:
        """The run's revisions, newest first, each with its changes to the effective config.

        `field` keeps only revisions that changed that path (matched as it is today and as
        it was written by older versions).
        """
        with self._recorder.read() as tx:
            row = _require_run(tx, run)
            _require_head(tx, row)
            schema = get_schema(row.schema)
            if field is not None:
                _check_path(field, schema.version(schema.latest).leaves)
            if field is not None and tx.base_version(row) == schema.latest:
                timeline = _field_timeline(schema, field, tx.revisions(row, path=field))
                return timeline[::-1][:limit]
            revisions = list(tx.revisions(row))
        result = list(reversed(_with_changes(schema, revisions)))
        if field is not None:
            result = [
                r.with_changes(c for c in r.changes if c.path == field)
                for r in result
                if any(c.path == field for c in r.changes)
            ]
        return result[:limit] if limit is not None else result

    def diff(
        self, run: str, a: int, b: int | None = None, *, other: str | None = None
    ) -> list[Change]:
        """Fields whose effective value differs between `run@a` and `other@b` (b: the head)."""
        left = self.read(run, a)
        right = self.read(other or run, b)
        paths = list(dict.fromkeys([*left.values, *right.values]))
        return [
            Change(p, left.values.get(p), right.values.get(p))
            for p in paths
            if encode(left.values.get(p)) != encode(right.values.get(p))
        ]

    def explain(self, run: str, revision: int | None = None) -> list[Origin]:
        """For every field of the effective config, where its value comes from."""
        with self._recorder.read() as tx:
            row = _require_run(tx, run)
            head = _require_head(tx, row)
            number = (
                head.number if revision is None else _check_revision(run, revision, head.number)
            )
            revisions = list(tx.revisions(row, 0, number))
        schema = get_schema(row.schema)
        state = self._replay(row, revisions, upto=number)
        state.upcast_to(schema.latest)
        authors = {r.number: r.author for r in revisions}
        defaults = schema.run_defaults(state.base, schema.latest)
        sources = schema.default_origins(state.base)
        origins = []
        for path, value in state.values.items():
            if path in state.explicit:
                n = state.explicit[path]
                origins.append(Origin(path, value, "set", n, authors.get(n)))
            elif encode(value) != encode(defaults[path]):
                origins.append(Origin(path, value, "derived"))
            else:
                source, version = sources[path]
                origins.append(Origin(path, value, source, version=version))
        return origins

    def export_config(self, run: str, revision: int | None = None) -> dict[str, Any]:
        """The complete effective config as a file would hold it, with `"__version"`."""
        reading = self.read(run, revision)
        schema = get_schema(reading.schema)
        shape = schema.version(schema.latest)
        values = flatten(reading.config.model_dump(mode="json"), shape.leaves)
        values.update((path, reading.values[path]) for path in shape.secrets)  # references only
        data: dict[str, Any] = {"__version": schema.latest, **unflatten(values)}
        return schema.export_hook(data) if schema.export_hook else data

    def verify(
        self, run: str | None = None, *, expect: str | Sequence[str] | None = None
    ) -> VerifyReport:
        """Recompute every revision hash chain (or one run's) and check expected hashes."""
        problems: list[Problem] = []
        expectations = [
            parse_expectation(e) for e in ([expect] if isinstance(expect, str) else expect or [])
        ]
        with self._recorder.read() as tx:
            rows = [_require_run(tx, run)] if run is not None else tx.all_runs()
            for row in rows:
                problems += verify_chain(row.name, row.schema, tx.stored(row))
            for name, number, expected in expectations:
                exp_row = _require_run(tx, name)
                found = list(tx.stored(exp_row, number - 1, number))
                if not found:
                    head = tx.head(exp_row)
                    problems.append(
                        Problem(
                            name,
                            number,
                            f"revision {number} is missing (the run ends at {head.number if head else 0})",  # noqa: E501
                        )
                    )
                elif found[0].hash != expected:
                    problems.append(
                        Problem(
                            name, number, f"hash {found[0].hash} is not the expected {expected}"
                        )
                    )
        return VerifyReport(not problems, problems, len(rows))

    def migration(self) -> str | None:
        """The Alembic revision the database is at (it is upgraded when the store opens)."""
        return self._recorder.migration()

    # -- the write path -------------------------------------------------------------------

    def _write(
        self,
        run: str,
        builds: Iterable[Callable[[_Loaded, int], list[Event]]],
        kind: Kind,
        expected_revision: int | None,
        author: str | None,
        message: str | None,
        schema_version: int | None,
        full: bool = False,
        catch_up: bool = False,
    ) -> Revision:
        """Lock the run, check the expectation, build each revision at the writer's version, append.

        Revisions are stored in batches of `BATCH`, so a bulk write holds few in memory.
        """
        with self._recorder.write() as tx:
            row = _require_run(tx, run)
            tx.lock(row)
            head = _require_head(tx, row)
            if expected_revision is not None and expected_revision != head.number:
                raise Conflict(
                    f"run {run!r} is at revision {head.number}, not the expected "
                    f"{expected_revision}; nothing was written"
                )
            if full:
                revisions = list(tx.revisions(row))
                loaded = _Loaded(row, head, self._replay(row, revisions), 0, revisions)
            else:
                state, snapshot_at, tail_events = self._load(tx, row, head.number)
                loaded = _Loaded(row, head, state, snapshot_at, tail_events=tail_events)
            schema = loaded.state.schema
            version = _writer_version(schema, schema_version)
            if catch_up:  # an older file is written at the run's version, after upcasting
                version = max(version, loaded.state.version)
            if version < loaded.state.version:
                raise SchemaVersionTooNew(
                    f"run {run!r} is at schema version {loaded.state.version}; "
                    f"a write at the older version {version} is refused"
                )
            loaded.state.upcast_to(version)
            newest = None
            for build in builds:
                events = build(loaded, version)
                if not events:
                    raise NoChange(f"nothing changed: run {run!r} already has those values")
                newest = self._next(loaded, version, events, kind, author, message)
                if len(loaded.pending) == BATCH:
                    self._commit(tx, loaded)
            self._commit(tx, loaded)
            if newest is None:
                raise NoChange(f"nothing changed: no change sets for run {run!r}")
            return newest

    def _next(
        self,
        loaded: _Loaded,
        version: int,
        events: list[Event],
        kind: Kind,
        author: str | None,
        message: str | None,
    ) -> Revision:
        """Apply `events` to the loaded state, validate it, and make the run's next revision.

        The revision waits in `loaded.pending` until `_commit` stores it.
        """
        row, head, state = loaded.row, loaded.head, loaded.state
        number = loaded.number + 1
        before = loaded.effective or state.effective()
        touched = _touched(state, version, events)
        state.apply(number, version, events)
        loaded.effective = state.effective()
        _validate(state.schema, loaded.effective)
        changes = _changes(state, before, loaded.effective, number, touched)
        created_at = _now()
        who = author or default_author()
        text = message or ""
        encoded = [(e.op, e.path, None if e.op == "unset" else encode(e.value)) for e in events]
        digest = revision_hash(
            row.name,
            row.schema,
            number,
            version,
            created_at,
            who,
            text,
            kind,
            encoded,
            head.hash if head else GENESIS,
        )
        loaded.head = Head(number, version, digest)
        loaded.pending.append(
            StoredRevision(number, version, created_at, who, text, kind, digest, tuple(encoded))
        )
        return Revision(
            row.name, number, version, created_at, who, text, kind, tuple(events), digest, changes
        )

    def _commit(self, tx: Transaction, loaded: _Loaded) -> None:
        """Store the pending revisions, and a snapshot when one is due."""
        if not loaded.pending:
            return
        tx.append(loaded.row, loaded.pending)
        loaded.tail_events += sum(len(r.events) for r in loaded.pending)
        loaded.pending = []
        state = loaded.state
        if (
            loaded.number - loaded.snapshot_at >= SNAPSHOT_EVERY
            or loaded.tail_events >= SNAPSHOT_EVENTS
        ):
            tx.save_snapshot(
                loaded.row,
                loaded.number,
                snapshot_key(state.schema),
                state.version,
                state.dump(),
                _config_json(state.schema, loaded.effective),
            )
            loaded.snapshot_at = loaded.number
            loaded.tail_events = 0

    def _retrying(
        self, run: str, retries: int, expected: int | None, attempt: Callable[[int | None], T]
    ) -> T:
        """`attempt(expected)`; on a conflict, retry against the re-read head, `retries` times."""
        for remaining in range(retries, -1, -1):
            try:
                return attempt(expected)
            except Conflict:
                if remaining == 0:
                    raise
                time.sleep(random.uniform(0.0005, 0.005))
                expected = self.head(run).number
        raise AssertionError("unreachable")  # pragma: no cover

    # -- replay -----------------------------------------------------------------------------

    def _load(self, tx: Transaction, row: RunRow, upto: int) -> tuple[RunState, int, int]:
        """The run's state at `upto` from the newest usable snapshot plus the tail of the log.

        Also where that snapshot was, and how many events the tail held.
        """
        schema = get_schema(row.schema)
        snapshot = tx.snapshot(row, upto, snapshot_key(schema))
        if snapshot:
            state = RunState.load(schema, *snapshot)
        else:
            base = tx.base_version(row)
            if base is None:  # pragma: no cover - a run always has revision 1
                raise RevisionNotFound(f"run {row.name!r} has no revisions")
            state = RunState.new(schema, _known_version(schema, row.name, base))
        tail = tx.replay_rows(row, state.revision, upto) if state.revision < upto else ()
        tail_events = state.fold(tail)
        return state, snapshot[0] if snapshot else 0, tail_events

    def _replay(
        self, row: RunRow, revisions: Sequence[Revision], upto: int | None = None
    ) -> RunState:
        """A full replay of already-read revisions, up to `upto`."""
        schema = get_schema(row.schema)
        state = RunState.new(schema, _known_version(schema, row.name, revisions[0].schema_version))
        for revision in revisions:
            if upto is not None and revision.number > upto:
                break
            state.apply(
                revision.number,
                _known_version(schema, row.name, revision.schema_version),
                revision.events,
            )
        return state

    # -- values ------------------------------------------------------------------------------

    def _normalise(self, schema: Schema, version: int, changes: Mapping[str, Any]) -> Flat:
        """Check paths and values of a write and bring each value to its stored JSON form."""
        shape = schema.version(version)
        flat = flatten(changes, shape.leaves)
        result: Flat = {}
        for path, value in flat.items():
            leaf = _check_path(path, shape.leaves)
            if leaf.secret and not _is_reference(value):
                raise InvalidChange(
                    f'{path} is a secret: store a reference such as "env:HF_TOKEN", never the value'
                )
            _check_value(path, value)
            if leaf.adapter is not None and not leaf.secret:
                try:
                    value = leaf.adapter.dump_python(
                        leaf.adapter.validate_python(value), mode="json"
                    )
                except ValidationError as exc:
                    raise InvalidChange(_describe_error(path, value, leaf.type_name, exc)) from None
            _check_value(path, value)
            result[path] = value
        return result

    def _from_text(self, shape: SchemaVersion, changes: Mapping[str, Any]) -> Flat:
        parsed = {}
        for path, text in changes.items():
            leaf = _check_path(path, shape.leaves)
            parsed[path] = text if leaf.text else parse_value(text)
        return parsed


def parse_value(text: str) -> Any:
    """A command-line VALUE: JSON where it parses (NaN and Infinity do not), else the text."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return text


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


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


def _now() -> str:
    return format_time(datetime.now(UTC))


def _require_run(tx: Transaction, run: str) -> RunRow:
    row = tx.run(check_run_name(run))
    if row is None:
        raise RunNotFound(f"no run named {run!r}")
    return row


def _require_head(tx: Transaction, row: RunRow) -> Head:
    head = tx.head(row)
    if head is None:
        raise RevisionNotFound(f"run {row.name!r} has no revisions")
    schema = get_schema(row.schema)
    _known_version(schema, row.name, head.schema_version)
    return head


def _known_version(schema: Schema, run: str, version: int) -> int:
    """Refuse data written with a schema version this program does not know (invariant 8)."""
    if not schema.knows(version):
        raise SchemaVersionTooNew(
            f"run {run!r} holds a revision written with schema {schema.name!r} version {version}, "
            f"but this program knows only up to version {schema.latest}; upgrade store"
        )
    return version


def _writer_version(schema: Schema, requested: int | None) -> int:
    if requested is None:
        return schema.latest
    if requested > schema.latest:
        raise SchemaVersionTooNew(
            f"schema {schema.name!r} version {requested} is newer than this program knows "
            f"(newest: {schema.latest})"
        )
    if not schema.knows(requested):
        raise InvalidChange(f"schema {schema.name!r} has no version {requested}")
    return requested


def _file_version(schema: Schema, found: Any, override: int | None) -> int:
    if override is not None:
        return _writer_version(schema, override)
    if found is None:
        default = schema.file_version_default
        return schema.first if default is None else default
    if not isinstance(found, int) or isinstance(found, bool):
        raise InvalidConfigFile(f'"__version" must be an integer, not {found!r}')
    return _writer_version(schema, found)


def _file_fields(
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
    secrets = tuple(p for p, v in values.items() if p in shape.secrets and not _is_reference(v))
    for path in secrets:
        del values[path]
    return version, values, skipped + secrets, tuple(notes)


def _check_revision(run: str, revision: int, head: int) -> int:
    if isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= head:
        raise RevisionNotFound(
            f"run {run!r} has revisions 1..{head}; there is no revision {revision}"
        )
    return revision


def _check_path(path: str, leaves: Mapping[str, Any]) -> Any:
    if path in leaves:
        return leaves[path]
    if path in sections_of(leaves):
        inside = sorted(p for p in leaves if p.startswith(f"{path}."))
        raise InvalidChange(f"{path} is a section, not a field; its fields: {', '.join(inside)}")
    hint = nearest(path, leaves)
    suggestion = f"; did you mean {hint}?" if hint else ""
    raise InvalidChange(f"unknown path {path!r}{suggestion}")


def _check_value(path: str, value: Any) -> None:
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


def _is_reference(value: Any) -> bool:
    return value == "" or (isinstance(value, str) and value.startswith("env:"))


def _describe_error(path: str, value: Any, type_name: str, exc: ValidationError) -> str:
    detail = exc.errors()[0]["msg"]
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return f"{path}: {shown} is invalid: {detail} (expected {type_name})"


def _validate(schema: Schema, values: Flat) -> BaseModel:
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


def _config_json(schema: Schema, effective: Flat) -> str | None:
    """The effective config as JSON for the read fast path; None where a secret needs resolving."""
    secrets = schema.version(schema.latest).secrets
    if any(str(effective[path]).startswith("env:") for path in secrets):
        return None
    return json.dumps(unflatten(effective), separators=(",", ":"))


def _known_fields(
    shape: SchemaVersion, content: Mapping[str, Any], strict: bool
) -> tuple[Flat, tuple[str, ...]]:
    flat = flatten(content, shape.leaves)
    unknown = tuple(p for p in flat if p not in shape.leaves)
    if unknown and strict:
        raise InvalidConfigFile(
            f"unknown keys for schema version {shape.number}: {', '.join(unknown)}"
        )
    return {p: v for p, v in flat.items() if p in shape.leaves}, unknown


def _events_towards(state: RunState, target: RunState) -> list[Event]:
    """Events that turn `state` into `target` (same version), unsetting back to defaults."""
    defaults = state.schema.run_defaults(state.base, state.version)
    events = []
    for path, value in target.values.items():
        if encode(value) == encode(state.values[path]):
            continue
        if path not in target.explicit and encode(value) == encode(defaults[path]):
            events.append(Event("unset", path))
        else:
            events.append(Event("set", path, value))
    return events


def _with_changes(schema: Schema, revisions: Sequence[Revision]) -> list[Revision]:
    """Each revision with its changes to the effective config (path, old, new)."""
    result = []
    state: RunState | None = None
    before: Flat = {}
    for revision in revisions:
        if state is None:
            state = RunState.new(schema, revision.schema_version)
        touched = _touched(state, revision.schema_version, revision.events)
        state.apply(revision.number, revision.schema_version, revision.events)
        after = state.effective()
        changes = _changes(state, before, after, revision.number, touched)
        result.append(revision.with_changes(changes))
        before = after
    return result


def _touched(state: RunState, version: int, events: Sequence[Event]) -> set[str] | None:
    """The paths a revision can change: its events' when no upcaster runs, else any (None)."""
    latest = state.schema.latest
    return {e.path for e in events} if state.version == version == latest else None


def _changes(
    state: RunState, before: Flat, after: Flat, number: int, touched: set[str] | None
) -> tuple[Change, ...]:
    """How revision `number` moved the effective config; the first lists what it set."""
    if number == 1:
        defaults = state.schema.run_defaults(state.base, state.schema.latest)
        explicit = _explicit_at(state)
        return tuple(Change(p, defaults[p], after[p]) for p, n in explicit.items() if n == 1)
    paths = after if touched is None else [p for p in after if p in touched]
    return tuple(
        Change(p, before.get(p), after[p])
        for p in paths
        if encode(before.get(p)) != encode(after[p])
    )


def _field_timeline(schema: Schema, field: str, revisions: Iterable[Revision]) -> list[Revision]:
    """`_with_changes` for one field of a run written only at the newest version.

    No upcaster runs in such a run, so the field's effective value moves only by its own
    events: the revisions touching it are all that need reading.
    """
    default = schema.run_defaults(schema.latest, schema.latest)[field]
    value = default
    result = []
    for revision in revisions:
        old = value
        for event in revision.events:
            if event.path == field:
                value = event.value if event.op == "set" else default
        if revision.number == 1:
            changed = any(e.op == "set" and e.path == field for e in revision.events)
        else:
            changed = encode(old) != encode(value)
        if changed:
            result.append(revision.with_changes([Change(field, old, value)]))
    return result


def _explicit_at(state: RunState) -> dict[str, int]:
    latest = state.copy()
    latest.upcast_to(state.schema.latest)
    return latest.explicit


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
