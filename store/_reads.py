"""Reading runs: a run's state from its newest snapshot plus the tail of the log, the
effective config at a revision, its history and the origin of every value."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from store._compare import Comparison
from store._compare import compare as compare_configs
from store._errors import InvalidReference, RevisionNotFound, RunNotFound
from store._history import (
    Origin,
    field_timeline,
    newest_changes,
    only_field,
    origins,
    with_changes,
)
from store._persistence import Head, Recorder, RunRow, Transaction
from store._records import Revision
from store._refs import Ref, parse_ref
from store._registry import get_schema
from store._replay import RunState, snapshot_key
from store._schema import Flat
from store._values import check_path, check_run_name, validate
from store._versions import known_version


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


def read(recorder: Recorder, ref: str, revision: int | None) -> Reading:
    """The effective config at a reference (or `revision` of a run), with its number and hash."""
    with recorder.read() as tx:
        return _reading(tx, ref, revision)


def compare(
    recorder: Recorder, refs: Sequence[str], only_changed: bool, fields: Sequence[str] | None
) -> Comparison:
    """The configs of several references side by side, read in one transaction."""
    with recorder.read() as tx:
        configs = [_reading(tx, ref, None).values for ref in refs]
    return compare_configs(refs, configs, only_changed, fields)


def _reading(tx: Transaction, ref: str, revision: int | None) -> Reading:
    """`read` inside an open transaction."""
    row, head, number = target(tx, ref, revision)
    state, _, _ = load(tx, row, number)
    digest = (
        head.hash if number == head.number else next(tx.revisions(row, number - 1, number)).hash
    )
    values = state.effective()
    config = validate(state.schema, values)
    return Reading(row.name, row.schema, number, digest, config, values, tuple(state.notes))


def resolve(recorder: Recorder, ref: str) -> tuple[str, int]:
    """The run and revision number a reference names."""
    with recorder.read() as tx:
        row, _, number = target(tx, ref, None)
    return row.name, number


def target(tx: Transaction, ref: str, revision: int | None) -> tuple[RunRow, Head, int]:
    """The run, its head and the revision number named by `ref` (or by `revision`)."""
    parsed = parse_ref(ref)
    row = require_run(tx, parsed.run)
    head = require_head(tx, row)
    if revision is not None:
        if parsed.run != ref:
            raise InvalidReference(f"give either {ref!r} or a revision number, not both")
        return row, head, check_revision(row.name, revision, head.number)
    return row, head, _number(tx, row, head, parsed)


def _number(tx: Transaction, row: RunRow, head: Head, ref: Ref) -> int:
    """The revision number a parsed reference names in its run."""
    if ref.number is not None:
        return check_revision(row.name, ref.number, head.number)
    if ref.back is not None:
        if ref.back >= head.number:
            raise InvalidReference(
                f"{ref.text}: run {row.name!r} has {head.number} revision(s); "
                f"there is nothing {ref.back} before the head"
            )
        return head.number - ref.back
    if ref.time is not None:
        found = tx.revision_at(row, ref.time)
        if found is None:
            raise InvalidReference(f"{ref.text}: run {row.name!r} had no revision yet at that time")
        return found
    if ref.tag is not None:
        found = tx.tag_position(row, ref.tag)
        if found is None:
            raise InvalidReference(f"{ref.text}: run {row.name!r} has no tag {ref.tag!r}")
        return found
    return head.number


def current(recorder: Recorder, run: str) -> BaseModel:
    """The run's effective config; the fast path validates the JSON kept with the head."""
    found = recorder.head_configs(check_run_name(run))
    if found:
        schema = get_schema(found[0].schema)
        key = snapshot_key(schema)
        for row in found:
            if row.config and row.revision == row.head and row.fingerprint == key:
                with contextlib.suppress(ValidationError):  # the replay says what is wrong
                    return schema.model.model_validate_json(row.config)
    return read(recorder, run, None).config


def head(recorder: Recorder, run: str) -> Revision:
    """The run's newest revision."""
    with recorder.read() as tx:
        row = require_run(tx, run)
        newest = require_head(tx, row)
        return next(tx.revisions(row, newest.number - 1))


def history(
    recorder: Recorder, run: str, field: str | None, limit: int | None, before: int | None = None
) -> list[Revision]:
    """The run's revisions (before revision `before`), newest first, with their changes."""
    with recorder.read() as tx:
        row = require_run(tx, run)
        newest = require_head(tx, row).number
        upto = newest if before is None else min(before - 1, newest)
        schema = get_schema(row.schema)
        latest_only = tx.base_version(row) == schema.latest
        if field is not None:
            check_path(field, schema.version(schema.latest).leaves)
        if field is not None and latest_only:
            timeline = field_timeline(schema, field, tx.revisions(row, upto=upto, path=field))
            return timeline[::-1][:limit]
        if field is None and latest_only and limit is not None:
            return _page(tx, row, upto, limit)
        revisions = list(tx.revisions(row, upto=upto))
    result = list(reversed(with_changes(schema, revisions)))
    if field is not None:
        result = only_field(result, field)
    return result[:limit] if limit is not None else result


def _page(tx: Transaction, row: RunRow, upto: int, limit: int) -> list[Revision]:
    """The `limit` revisions up to `upto`, newest first: a page read alone, at any depth."""
    after = max(0, upto - limit)
    page = list(tx.revisions(row, after, upto))
    touched = {e.path for r in page for e in r.events}
    last = tx.last_events(row, touched, after) if after else {}
    return newest_changes(get_schema(row.schema), page, last)[::-1]


def explain(recorder: Recorder, ref: str, revision: int | None) -> list[Origin]:
    """For every field of the effective config, where its value comes from."""
    with recorder.read() as tx:
        row, _, number = target(tx, ref, revision)
        state, _, _ = load(tx, row, number)
        state.upcast_to(state.schema.latest)
        authors = tx.authors(row, state.explicit.values())
    return origins(state, authors)


def require_run(tx: Transaction, run: str) -> RunRow:
    """The run called `run`; `RunNotFound` if there is none."""
    row = tx.run(check_run_name(run))
    if row is None:
        raise RunNotFound(f"no run named {run!r}")
    return row


def require_head(tx: Transaction, row: RunRow) -> Head:
    """The run's newest revision, refused if a newer program wrote it (invariant 8)."""
    newest = tx.head(row)
    if newest is None:
        raise RevisionNotFound(f"run {row.name!r} has no revisions")
    known_version(get_schema(row.schema), row.name, newest.schema_version)
    return newest


def check_revision(run: str, revision: int, head: int) -> int:
    """Refuse a revision number outside 1..head."""
    if isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= head:
        raise RevisionNotFound(
            f"run {run!r} has revisions 1..{head}; there is no revision {revision}"
        )
    return revision


def load(tx: Transaction, row: RunRow, upto: int) -> tuple[RunState, int, int]:
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
        state = RunState.new(schema, known_version(schema, row.name, base))
    tail = tx.replay_rows(row, state.revision, upto) if state.revision < upto else ()
    tail_events = state.fold(tail)
    return state, snapshot[0] if snapshot else 0, tail_events


def replay(row: RunRow, revisions: Sequence[Revision], upto: int | None = None) -> RunState:
    """A full replay of already-read revisions, up to `upto`."""
    schema = get_schema(row.schema)
    state = RunState.new(schema, known_version(schema, row.name, revisions[0].schema_version))
    for revision in revisions:
        if upto is not None and revision.number > upto:
            break
        version = known_version(schema, row.name, revision.schema_version)
        state.apply(revision.number, version, revision.events)
    return state
