"""Runs as wholes: listing them (filtered), forking one into a new run, archiving and
unarchiving (recorded, never deleting anything)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from store._errors import NoChange
from store._filters import Condition, matching
from store._leaves import Leaf
from store._persistence import Recorder
from store._reads import reading_in, require_run, values_at
from store._records import Revision, encode
from store._registry import get_schema, installed
from store._rows import RunEvent, RunRow, RunSummary
from store._writes import Write, create_in, stamp

if TYPE_CHECKING:
    from store._transaction import Transaction


def runs(
    recorder: Recorder, archived: bool, where: Sequence[Condition], schema: str | None
) -> list[RunSummary]:
    """The runs (archived ones too if `archived`) of `schema` whose config meets `where`."""
    with recorder.read() as tx:
        found = [
            s for s in tx.summaries() if (archived or not s.archived) and schema in (None, s.schema)
        ]
        if not where:
            return found
        found = [s for s in found if installed(s.name, s.schema)]
        configs = {s.name: values_at(tx, s.name) for s in found}
    fields = {s.schema: _newest_leaves(s.schema) for s in found}
    kept = set(matching(configs, where, fields))
    return [s for s in found if s.name in kept]


def _newest_leaves(schema: str) -> Mapping[str, Leaf]:
    """The fields of a schema's newest version: what a run's current config holds."""
    found = get_schema(schema)
    return found.version(found.latest).leaves


def fork(recorder: Recorder, source: str, new: str, how: Write) -> Revision:
    """Create `new` whose revision 1 holds exactly the effective config at `source`.

    It is a `create` at the schema's newest version setting every field whose value differs
    from that version's default; its detail records `forked_from` (`RUN@N`) and `forked_hash`.
    """
    with recorder.write() as tx:
        reading = reading_in(tx, source)
        schema = get_schema(reading.schema)
        defaults = schema.run_defaults(schema.latest, schema.latest)
        values = {p: v for p, v in reading.values.items() if encode(v) != encode(defaults[p])}
        origin = {"forked_from": f"{reading.run}@{reading.revision}", "forked_hash": reading.hash}
        made = dataclasses.replace(how, detail=origin)
        return create_in(tx, new, schema, schema.latest, values, made)


def archived(recorder: Recorder, run: str) -> bool:
    """Whether the run is archived now (its newest run event archived it)."""
    with recorder.read() as tx:
        return tx.archived(require_run(tx, run))


def set_archived(
    recorder: Recorder, run: str, archived: bool, author: str | None, message: str | None
) -> RunEvent:
    """Archive (hide, make read-only) or unarchive a run, recorded with who, when and why."""
    with recorder.write() as tx:
        return archive_in(tx, require_run(tx, run), archived, author, message)


def archive_in(
    tx: Transaction, row: RunRow, archived: bool, author: str | None, message: str | None
) -> RunEvent:
    """`set_archived` in an open write transaction."""
    tx.lock(row)
    if tx.archived(row) == archived:
        state = "archived" if archived else "not archived"
        raise NoChange(f"nothing changed: run {row.name!r} is {state} already")
    action = "archive" if archived else "unarchive"
    event = RunEvent(row.name, action, *stamp(author, message))
    tx.add_run_event(row, event)
    return event


def run_events(recorder: Recorder, run: str) -> list[RunEvent]:
    """The run's archives and unarchives, oldest first: who, when and why."""
    with recorder.read() as tx:
        return tx.run_events(require_run(tx, run))
