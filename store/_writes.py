"""The write path: load the run, take its lock, check the expectation, build each revision
at the writer's schema version, validate, append, and keep a snapshot when one is due."""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from store._element_paths import with_elements, without_elements
from store._errors import (
    Conflict,
    InvalidReference,
    NoChange,
    RunArchived,
    RunExists,
    SchemaVersionTooNew,
)
from store._history import changes, touched_paths
from store._paths import check_path
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
    target,
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
)
from store._replay import RunState
from store._rows import Head, RunRow
from store._schema import Flat, Schema
from store._values import check_run_name, check_text, from_text, normalise, validate
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
    tx: Transaction,
    run: str,
    schema: Schema,
    version: int,
    values: Mapping[str, Any],
    how: Write,
    from_file: bool = False,
) -> Revision:
    """Create a run in an open write transaction, as revision 1 holding `values`."""
    check_run_name(run)
    shape = schema.version(version)
    given = values if from_file else with_elements(shape.leaves, shape.default_values, values)
    normalised = normalise(schema, version, given, from_file=from_file)
    events = [Event("set", p, v) for p, v in normalised.items()]
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
    facts = {**(how.detail or {}), **(loaded.detail or {}), **_upcast(state, loaded.effective)}
    loaded.detail = None
    detail = encode(facts) if facts else None
    unhashed = StoredRevision(
        number, version, created_at, who, text, how.kind, "", made, detail, tuple(encoded)
    )
    digest = unhashed.recomputed_hash(row.name, row.schema, head.hash if head else GENESIS)
    loaded.head = Head(number, version, digest)
    loaded.pending.append(unhashed._replace(hash=digest))
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
        facts or None,
    )


def _upcast(state: RunState, effective: Flat) -> dict[str, Any]:
    """For a revision written at an older version than the schema's newest: that version and
    the config hash of its config upcast to it, as read today, so `verify` sees an upcaster
    changed in place (`drift`); nothing at the newest version (its hash says it all)."""
    latest = state.schema.latest
    if state.version == latest:
        return {}
    return {"upcast_version": latest, "upcast_config_hash": config_hash(effective)}


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
        shape = schema.version(version)
        given = from_text(shape, changes_) if text else changes_
        wanted = normalise(schema, version, with_elements(shape.leaves, loaded.state.values, given))
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
        plain, lists = without_elements(leaves, state.values, wanted)
        for path in plain:
            check_path(path, leaves)
        edited = normalise(state.schema, version, lists)
        return [
            Event("unset", path)
            for path in dict.fromkeys(plain)
            if encode(state.values[path]) != encode(defaults[path])
        ] + [
            Event("set", path, value)
            for path, value in edited.items()
            if encode(value) != encode(state.values[path])
        ]

    return build


def rollback(
    recorder: Recorder,
    run: str,
    to: int | str,
    fields: Sequence[str],
    how: Write,
    expected_revision: int | None,
) -> Revision:
    """One revision after which the run (or only `fields`) is as at `to`: a revision number
    or any reference of the run (`good`, `@good`, `head~2`, a time), resolved under the lock."""
    with recorder.write() as tx:
        number = to if isinstance(to, int) else _target_number(tx, run, to)
        text = how.message or _rollback_message(number, fields)
        made = dataclasses.replace(how, message=text)
        build = rolling_back(run, number, fields)
        return write_in(tx, run, [build], made, expected_revision, full=True)


def _target_number(tx: Transaction, run: str, to: str) -> int:
    """The revision of `run` that the reference text `to` names (`3`, `good`, `run@good`)."""
    named, at, selector = to.rpartition("@")
    if at and named not in ("", run):
        raise InvalidReference(f"--to {to!r} names run {named!r}; give a reference of {run!r}")
    require_writable(tx, run)  # the lock first: a tag cannot move while it is read
    return target(tx, f"{run}@{selector}", None)[2]


def _rollback_message(number: int, fields: Sequence[str]) -> str:
    """`rollback to revision 3`, or `rollback of batch_size to revision 3`."""
    which = f"of {', '.join(fields)} " if fields else ""
    return f"rollback {which}to revision {number}"


def rolling_back(run: str, to: int, fields: Sequence[str] = ()) -> Build:
    """The events of a rollback: whatever turns the head (or only `fields`) into revision `to`."""

    def build(loaded: Loaded, version: int) -> list[Event]:
        if to == loaded.number:
            raise NoChange(f"nothing changed: run {run!r} is at revision {to} already")
        check_revision(run, to, loaded.number)
        leaves = loaded.state.schema.version(version).leaves
        for path in fields:
            check_path(path, leaves)
        target_state = replay(loaded.row, loaded.revisions, upto=to)
        target_state.upcast_to(version)
        loaded.detail = {"rollback_to": to, "rollback_hash": loaded.revisions[to - 1].hash}
        if fields:
            loaded.detail["rollback_fields"] = list(dict.fromkeys(fields))
        events = events_towards(loaded.state, target_state)
        return [e for e in events if not fields or e.path in fields]

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
