"""The write path: load the run, take its lock, check the expectation, build each revision
at the writer's schema version, validate, append, and keep a snapshot when one is due."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from store._errors import Conflict, NoChange, RunArchived, RunExists, SchemaVersionTooNew
from store._history import changes, touched_paths
from store._persistence import Recorder
from store._reads import (
    check_revision,
    is_spaced,
    load,
    prove,
    replay,
    require_head,
    require_run,
    store_snapshot,
)
from store._records import (
    GENESIS,
    Event,
    Kind,
    Revision,
    StoredRevision,
    config_hash,
    encode,
    format_time,
    revision_hash,
)
from store._replay import RunState
from store._rows import Head, RunRow
from store._schema import Flat, Schema
from store._values import check_path, check_run_name, check_text, from_text, normalise, validate
from store._versions import writer_version

if TYPE_CHECKING:  # a transaction's statements (and SQLAlchemy) load when one opens
    from store._transaction import Transaction

SNAPSHOT_EVERY = 1
"""A write stores a snapshot once this many revisions follow the last one (1: every write,
so reading the head validates the config JSON kept with it, whatever the history)…"""
SNAPSHOT_EVENTS = 64
"""…or this many events: a snapshot reads faster than that many events from the log."""
BATCH = 1000
"""How many revisions a bulk write stores per statement."""

T = TypeVar("T")


def default_author() -> str:
    """`$STORE_AUTHOR`, else `user@host`."""
    return os.environ.get("STORE_AUTHOR") or _user_at_host()


@functools.cache
def _user_at_host() -> str:
    import getpass
    import socket

    return f"{getpass.getuser()}@{socket.gethostname()}"


def now() -> str:
    """The current UTC time in the stored form."""
    return format_time(datetime.now(UTC))


def stamp(author: str | None, message: str | None) -> tuple[str, str, str]:
    """When, who and why, for a record that is not a revision (a tag, an archive)."""
    return now(), author or default_author(), message or ""


@dataclass
class Loaded:
    """A run's state read for a write: the row, its head and where the last snapshot was."""

    row: RunRow
    head: Head | None
    state: RunState
    snapshot_at: int = 0
    revisions: list[Revision] = field(default_factory=list)
    tail_events: int = 0
    pending: list[StoredRevision] = field(default_factory=list)
    effective: Flat = field(default_factory=dict)
    detail: dict[str, Any] | None = None
    """What the build of the next revision learnt for its detail (a rollback's target)."""

    @property
    def number(self) -> int:
        """The head's revision number (0 before the first revision)."""
        return self.head.number if self.head else 0


Build = Callable[[Loaded, int], list[Event]]
"""Makes one revision's events from the loaded run at the writer's schema version."""


@dataclass(frozen=True)
class Write:
    """Who writes what kind of revision, and why (shared by every revision of one write)."""

    kind: Kind
    author: str | None = None
    message: str | None = None
    detail: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.author is not None:
            check_text("author", self.author)
        if self.message is not None:
            check_text("message", self.message)


def create_in(
    tx: Transaction, run: str, schema: Schema, version: int, values: Mapping[str, Any], how: Write
) -> Revision:
    """Create a run in an open write transaction, as revision 1 holding `values`."""
    check_run_name(run)
    events = [Event("set", p, v) for p, v in normalise(schema, version, values).items()]
    if tx.run(run) is not None:
        raise RunExists(f"run {run!r} already exists")
    loaded = Loaded(tx.add_run(run, schema.name, now()), None, RunState.new(schema, version))
    revision = _next(loaded, version, events, how)
    _commit(tx, loaded)
    return revision


def write(
    recorder: Recorder,
    run: str,
    builds: Iterable[Build],
    how: Write,
    expected_revision: int | None = None,
    schema_version: int | None = None,
    full: bool = False,
    catch_up: bool = False,
) -> Revision:
    """Lock the run, check the expectation, build each revision at the writer's version, append.

    Revisions are stored in batches of `BATCH`, so a bulk write holds few in memory.
    """
    with recorder.write() as tx:
        return write_in(tx, run, builds, how, expected_revision, schema_version, full, catch_up)


def write_in(
    tx: Transaction,
    run: str,
    builds: Iterable[Build],
    how: Write,
    expected_revision: int | None = None,
    schema_version: int | None = None,
    full: bool = False,
    catch_up: bool = False,
) -> Revision:
    """`write` inside an open write transaction (several runs written in one step)."""
    loaded = _load_for_write(tx, run, expected_revision, full)
    version = writer_version(loaded.state.schema, schema_version)
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
        newest = _next(loaded, version, events, how)
        if len(loaded.pending) == BATCH or is_spaced(loaded.number):
            _commit(tx, loaded)  # a full batch, or where the run keeps a snapshot
    _commit(tx, loaded)
    if newest is None:
        raise NoChange(f"nothing changed: no change sets for run {run!r}")
    return newest


def _load_for_write(tx: Transaction, run: str, expected_revision: int | None, full: bool) -> Loaded:
    """The run locked and loaded; `full` also reads every revision (for a rollback)."""
    row = require_writable(tx, run)
    head = require_head(tx, row)
    if expected_revision is not None and expected_revision != head.number:
        raise Conflict(
            f"run {run!r} is at revision {head.number}, not the expected "
            f"{expected_revision}; nothing was written"
        )
    if full:
        prove(tx, row, head.number)
        revisions = list(tx.revisions(row))
        return Loaded(row, head, replay(row, revisions), 0, revisions)
    state, snapshot_at, tail_events = load(tx, row, head.number)
    return Loaded(row, head, state, snapshot_at, tail_events=tail_events)


def require_writable(tx: Transaction, run: str) -> RunRow:
    """The run, locked for writing; `RunArchived` if it is archived."""
    row = require_run(tx, run)
    tx.lock(row)
    if tx.archived(row):
        raise RunArchived(f"run {run!r} is archived: unarchive it to write to it")
    return row


def _next(loaded: Loaded, version: int, events: list[Event], how: Write) -> Revision:
    """Apply `events` to the loaded state, validate it, and make the run's next revision.

    The revision waits in `loaded.pending` until `_commit` stores it.
    """
    row, head, state = loaded.row, loaded.head, loaded.state
    number = loaded.number + 1
    before = loaded.effective or state.effective()
    touched = touched_paths(state, version, events)
    state.apply(number, version, events)
    loaded.effective = state.effective()
    validate(state.schema, loaded.effective)
    moved = changes(state, before, loaded.effective, number, touched)
    created_at = now()
    who = how.author or default_author()
    text = how.message or ""
    encoded = [(e.op, e.path, None if e.op == "unset" else encode(e.value)) for e in events]
    made = config_hash(state.values)
    facts = {**(how.detail or {}), **(loaded.detail or {})} or None
    loaded.detail = None
    detail = None if facts is None else encode(facts)
    digest = revision_hash(
        row.name,
        row.schema,
        number,
        version,
        created_at,
        who,
        text,
        how.kind,
        encoded,
        head.hash if head else GENESIS,
        made,
        detail,
    )
    loaded.head = Head(number, version, digest)
    loaded.pending.append(
        StoredRevision(
            number, version, created_at, who, text, how.kind, digest, made, detail, tuple(encoded)
        )
    )
    return Revision(
        row.name,
        number,
        version,
        created_at,
        who,
        text,
        how.kind,
        tuple(events),
        digest,
        moved,
        made,
        facts,
    )


def _commit(tx: Transaction, loaded: Loaded) -> None:
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
        store_snapshot(tx, loaded.row, state, loaded.effective)
        loaded.snapshot_at = loaded.number
        loaded.tail_events = 0


def retrying(
    retries: int,
    expected: int | None,
    attempt: Callable[[int | None], T],
    reread: Callable[[], int],
) -> T:
    """`attempt(expected)`; on a conflict, retry against the re-read head, `retries` times."""
    for remaining in range(retries, -1, -1):
        try:
            return attempt(expected)
        except Conflict:
            if remaining == 0:
                raise
            import random  # only when writers collide

            time.sleep(random.uniform(0.0005, 0.005))
            expected = reread()
    raise AssertionError("unreachable")  # pragma: no cover


def setting(changes_: Mapping[str, Any], text: bool) -> Build:
    """The events of one `update`: the assignments that change a value."""

    def build(loaded: Loaded, version: int) -> list[Event]:
        schema = loaded.state.schema
        given = from_text(schema.version(version), changes_) if text else changes_
        wanted = normalise(schema, version, given)
        return [
            Event("set", path, value)
            for path, value in wanted.items()
            if encode(value) != encode(loaded.state.values[path])
        ]

    return build


def unsetting(paths: Iterable[str]) -> Build:
    """The events of one `unset`: the paths not already at the run's default."""
    wanted = list(paths)

    def build(loaded: Loaded, version: int) -> list[Event]:
        state = loaded.state
        defaults = state.schema.run_defaults(state.base, version)
        leaves = state.schema.version(version).leaves
        for path in wanted:
            check_path(path, leaves)
        return [
            Event("unset", path)
            for path in dict.fromkeys(wanted)
            if encode(state.values[path]) != encode(defaults[path])
        ]

    return build


def rolling_back(run: str, to: int) -> Build:
    """The events of a rollback: whatever turns the head into revision `to`."""

    def build(loaded: Loaded, version: int) -> list[Event]:
        if to == loaded.number:
            raise NoChange(f"nothing changed: run {run!r} is at revision {to} already")
        check_revision(run, to, loaded.number)
        target = replay(loaded.row, loaded.revisions, upto=to)
        target.upcast_to(version)
        loaded.detail = {"rollback_to": to, "rollback_hash": loaded.revisions[to - 1].hash}
        return events_towards(loaded.state, target)

    return build


def events_towards(state: RunState, target: RunState) -> list[Event]:
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
