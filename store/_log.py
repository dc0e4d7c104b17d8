"""The audit views of the log: a run's history, every run's revisions, where each value of a
config comes from, and configs side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from store._compare import Comparison
from store._compare import compare as compare_configs
from store._element_paths import base_path, check_any_path, narrowed
from store._errors import InvalidChange
from store._history import (
    Origin,
    Step,
    element_origins,
    element_steps,
    field_steps,
    field_timeline,
    newest_changes,
    only_field,
    origins,
    with_changes,
)
from store._persistence import Recorder
from store._reads import load, require_head, require_run, target, values_at
from store._records import Revision
from store._refs import require_time
from store._registry import get_schema
from store._rows import RunRow, Tag

if TYPE_CHECKING:  # a transaction's statements (and SQLAlchemy) load when one opens
    from store._transaction import Transaction


def compare(
    recorder: Recorder, refs: Sequence[str], only_changed: bool, fields: Sequence[str] | None
) -> Comparison:
    """The configs of several references side by side, read in one transaction."""
    with recorder.read() as tx:
        configs = [values_at(tx, ref) for ref in refs]
    return compare_configs(refs, configs, only_changed, fields)


def history(
    recorder: Recorder, run: str, field: str | None, limit: int | None, before: int | None = None
) -> list[Revision]:
    """The run's revisions (before revision `before`), newest first, with their changes and
    their tags."""
    with recorder.read() as tx:
        row = require_run(tx, run)
        newest = require_head(tx, row).number
        upto = newest if before is None else min(before - 1, newest)
        schema = get_schema(row.schema)
        named = tx.current_tags(row)
        latest_only = tx.base_version(row) == schema.latest
        if field is not None:
            check_any_path(schema.version(schema.latest).leaves, field)
        if field is not None and latest_only:
            stored = base_path(field)
            touching = list(tx.revisions(row, upto=upto, path=stored))
            moved = field_timeline(schema, stored, touching)[::-1]
            return with_tags(only_field(moved, field)[:limit], named)
        if field is None and latest_only and limit is not None:
            return with_tags(_page(tx, row, upto, limit), named)
        revisions = list(tx.revisions(row, upto=upto))
    result = list(reversed(with_changes(schema, revisions)))
    if field is not None:
        result = only_field(result, field)
    return with_tags(result[:limit] if limit is not None else result, named)


def timeline(recorder: Recorder, run: str, field: str) -> list[Step]:
    """One field's changes over the run, oldest first: from the field's own events alone when
    the run was written only at the newest schema version, else from its whole history."""
    with recorder.read() as tx:
        row = require_run(tx, run)
        require_head(tx, row)
        schema = get_schema(row.schema)
        if check_any_path(schema.version(schema.latest).leaves, field) is None:
            raise InvalidChange(f"{field}: a timeline follows one value; name a field inside it")
        if tx.base_version(row) == schema.latest:
            stored = base_path(field)
            steps = field_steps(schema, stored, tx.path_events(row, stored))
            return steps if stored == field else element_steps(steps, field)
    revisions = history(recorder, run, field, None)
    return [Step(r.number, r.created_at, *narrowed(r.changes, field)) for r in reversed(revisions)]


def log(
    recorder: Recorder,
    pattern: str | None,
    author: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
) -> list[Revision]:
    """Every revision of every run whose name matches `pattern`, newest first, filtered; with
    a `limit`, only the newest revisions that meet the filters are read (and their ties)."""
    start = None if since is None else require_time(since)
    end = None if until is None else require_time(until, end=True)
    with recorder.read() as tx:
        rows = [r for r in tx.all_runs() if pattern is None or fnmatchcase(r.name, pattern)]
        for row in rows:
            require_head(tx, row)
        wanted: dict[int, set[int]] | None = None
        if limit is not None:
            ids = None if pattern is None else [row.id for row in rows]
            wanted = {}
            for run_id, number in tx.newest_revisions(ids, author, start, end, limit):
                wanted.setdefault(run_id, set()).add(number)
        found = [
            revision
            for row in rows
            if wanted is None or row.id in wanted
            for revision in _logged(tx, row, None if wanted is None else wanted[row.id])
        ]
    kept = [
        r
        for r in found
        if (author is None or r.author == author)
        and (start is None or r.created_at >= start)
        and (end is None or r.created_at <= end)
    ]
    kept.sort(key=lambda r: (r.created_at, r.run, r.number), reverse=True)
    return kept[:limit]


def _logged(tx: Transaction, row: RunRow, numbers: set[int] | None) -> list[Revision]:
    """The run's revisions (or only `numbers`) with their changes and tags; each of `numbers`
    is read alone where the run was written only at the newest schema version."""
    schema = get_schema(row.schema)
    if numbers is not None and tx.base_version(row) == schema.latest:
        revisions = [_page(tx, row, number, 1)[0] for number in sorted(numbers)]
    else:
        every = with_changes(schema, list(tx.revisions(row)))
        revisions = [r for r in every if numbers is None or r.number in numbers]
    return with_tags(revisions, tx.current_tags(row))


def with_tags(revisions: Iterable[Revision], named: Iterable[Tag]) -> list[Revision]:
    """The revisions, each with the names of the tags that name it now."""
    by_number: dict[int, tuple[str, ...]] = {}
    for tag in named:
        by_number[tag.revision] = (*by_number.get(tag.revision, ()), tag.name)
    if not by_number:
        return list(revisions)
    return [r.with_tags(by_number[r.number]) if r.number in by_number else r for r in revisions]


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
    found = origins(state, authors)
    lists = {base_path(o.path) for o in found if o.source == "set" and o.path != base_path(o.path)}
    moved = [r for field in lists for r in history(recorder, row.name, field, None, number + 1)]
    return element_origins(found, moved)
