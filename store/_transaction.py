"""`Transaction`: one database transaction over the log, speaking in domain records; the
statements it runs are built once in `store/_statements.py`."""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from store import _statements as sql
from store._proof import Proof, mac
from store._records import (
    GENESIS,
    MAX_REVISION,
    MAX_STORED,
    Event,
    Revision,
    StoredRevision,
    decode_all,
    detail_facts,
    run_event_hash,
    run_hash,
    tag_hash,
)
from store._replay import Snapshot
from store._rows import Head, RunEvent, RunRow, RunSummary, StoredSnapshot, Tag
from store._tables import events, revisions, run_events, runs, snapshots, tags

if TYPE_CHECKING:
    from store._persistence import Recorder


def _events(rows: Sequence[Sequence[Any]]) -> tuple[Event, ...]:
    """A revision's events from its log rows, their values decoded by one `json.loads`."""
    if rows[0][10] is None:
        return ()
    values = iter(decode_all(row[12] for row in rows if row[12] is not None))
    return tuple(Event(row[10], row[11], None if row[12] is None else next(values)) for row in rows)


class Transaction:
    """One database transaction over the log; every method speaks in domain terms."""

    def __init__(self, connection: sa.Connection, recorder: Recorder) -> None:
        self._conn = connection
        self._recorder = recorder

    def run(self, name: str) -> RunRow | None:
        """The run called `name`, or None."""
        row = self._conn.execute(sql.RUN, {"name": name}).first()
        return RunRow(row.id, row.name, row.schema, row.created_at) if row else None

    def with_config_hash(self, prefix: str) -> list[tuple[RunRow, int, int, str]]:
        """Every revision recorded with a config hash starting with the hex digits `prefix`
        (all 64: that hash): its run, number, schema version and config hash."""
        rows = self._conn.execute(sql.WITH_CONFIG_HASH, {"low": prefix, "high": f"{prefix}g"})
        return [
            (
                RunRow(r.id, r.name, r.schema, r.created_at),
                r.number,
                r.schema_version,
                r.config_hash,
            )
            for r in rows
            if r.config_hash.startswith(prefix)
        ]

    def with_hash(self, prefix: str) -> list[tuple[str, int]]:
        """The revisions (run name, number) whose revision hash starts with `prefix`."""
        rows = self._conn.execute(sql.WITH_HASH, {"low": prefix, "high": f"{prefix}g"})
        return [(r.name, r.number) for r in rows if r.hash.startswith(prefix)]

    def base_versions(self) -> list[tuple[RunRow, int | None]]:
        """Every run with the schema version of its first revision (None: it has none)."""
        rows = self._conn.execute(sql.BASES)
        return [(RunRow(r.id, r.name, r.schema, r.created_at), r.schema_version) for r in rows]

    def unhashed_runs(self) -> set[int]:
        """Ids of the runs holding revisions written before config hashes were recorded."""
        return set(self._conn.execute(sql.UNHASHED).scalars())

    def all_runs(self) -> list[RunRow]:
        """Every run, by name."""
        rows = self._conn.execute(sa.select(runs).order_by(runs.c.name))
        return [RunRow(r.id, r.name, r.schema, r.created_at) for r in rows]

    def summaries(self) -> list[RunSummary]:
        """Every run with its head revision's number, time and author."""
        newest = (
            sa.select(revisions.c.run_id, sa.func.max(revisions.c.number).label("head"))
            .where(sql.DENSE)
            .group_by(revisions.c.run_id)
            .subquery()
        )
        query = (
            sa.select(
                runs.c.name,
                runs.c.schema,
                newest.c.head,
                revisions.c.created_at,
                revisions.c.author,
            )
            .select_from(runs)
            .outerjoin(newest, newest.c.run_id == runs.c.id)
            .outerjoin(
                revisions,
                sa.and_(revisions.c.run_id == runs.c.id, revisions.c.number == newest.c.head),
            )
            .order_by(runs.c.name)
        )
        rows = self._conn.execute(query.add_columns(runs.c.id)).all()
        archived = self._archived_ids()
        named = self._tag_names()
        origins = {
            r.run_id: (detail_facts(r.detail) or {}).get("forked_from")
            for r in self._conn.execute(sql.FIRST_DETAILS)
        }
        return [
            RunSummary(
                r.name,
                r.schema,
                r.head or 0,
                r.created_at,
                r.author,
                r.id in archived,
                tuple(sorted(named.get(r.id, {}))),
                origins.get(r.id),
            )
            for r in rows
        ]

    def _archived_ids(self) -> set[int]:
        """The ids of the runs whose newest run event is `archive`."""
        last = dict(tuple(r) for r in self._conn.execute(sql.ACTIONS))
        return {run_id for run_id, action in last.items() if action == "archive"}

    def _tag_names(self) -> dict[int, dict[str, int]]:
        """Every run's tags, each at its newest position."""
        found: dict[int, dict[str, int]] = {}
        for row in self._conn.execute(sql.TAGS):
            found.setdefault(row.run_id, {})[row.name] = row.revision
        return found

    def add_run(self, name: str, schema: str, created_at: str) -> RunRow:
        """Insert a new run row (the caller checked the name is free), chained to the run
        created before it."""
        self.lock_runs()
        previous = self._conn.execute(sql.LAST_RUN_HASH).scalar() or GENESIS
        digest = run_hash(name, schema, created_at, previous)
        result = self._conn.execute(
            runs.insert().values(name=name, schema=schema, created_at=created_at, hash=digest)
        )
        key = result.inserted_primary_key
        assert key is not None
        return RunRow(int(key[0]), name, schema, created_at)

    def lock(self, run: RunRow) -> None:
        """Hold the run's write lock until the transaction ends."""
        self._recorder.lock_run(self._conn, run.id)

    def lock_runs(self) -> None:
        """Hold the lock of the runs' chain (id 0, no run's) until the transaction ends: a
        transaction that creates runs and writes others takes it before any run's."""
        self._recorder.lock_run(self._conn, 0)

    def run_chain(self) -> list[tuple[RunRow, str | None]]:
        """Every run in the order of its id, with its hash (None: written before 0006, or
        forged where `legacy_below("runs")` says so)."""
        rows = self._conn.execute(sql.RUN_CHAIN)
        return [(RunRow(r.id, r.name, r.schema, r.created_at), r.hash) for r in rows]

    def tag_chain(self, run: RunRow) -> list[tuple[int, Tag, str | None]]:
        """Every tag row of the run, oldest first: its id, the tag and its hash."""
        rows = self._conn.execute(sql.TAG_CHAIN, {"run_id": run.id})
        return [(row.id, Tag(*row[1:6]), row.hash) for row in rows]

    def run_event_chain(self, run: RunRow) -> list[tuple[int, RunEvent, str | None]]:
        """Every archive and unarchive of the run, oldest first: its id, itself, its hash."""
        rows = self._conn.execute(sql.RUN_EVENT_CHAIN, {"run_id": run.id})
        return [(row.id, RunEvent(run.name, *row[1:5]), row.hash) for row in rows]

    def legacy_below(self, table: str) -> int:
        """The row ids of a side chain's table (`runs`, `tags`, `run_events`) below which a
        row may lack its hash, written before migration 0006: those below the first hashed
        row; none once every run has a hash (the database began at 0006)."""
        chosen = {"runs": runs, "tags": tags, "run_events": run_events}[table]
        first = self._conn.execute(
            sa.select(sa.func.min(chosen.c.id)).where(chosen.c.hash.is_not(None))
        ).scalar()
        if first is not None:
            return int(first)
        older = self._conn.execute(sa.select(runs.c.id).where(runs.c.hash.is_(None)).limit(1))
        return MAX_STORED if older.first() is not None else 0

    def head(self, run: RunRow) -> Head | None:
        """The run's newest revision, or None for a run without revisions."""
        row = self._conn.execute(sql.HEAD, {"run_id": run.id}).first()
        return Head(row.number, row.schema_version, row.hash) if row else None

    def revision_at(self, run: RunRow, time: str) -> int | None:
        """The newest revision written at or before `time` (stored form), or None."""
        number: int | None = self._conn.execute(
            sql.REVISION_AT, {"run_id": run.id, "time": time}
        ).scalar()
        return number

    def tag_position(self, run: RunRow, name: str) -> int | None:
        """The revision the tag `name` names now (its newest position), or None."""
        number: int | None = self._conn.execute(sql.TAG, {"run_id": run.id, "name": name}).scalar()
        return number

    def tags(self, run: RunRow) -> list[Tag]:
        """Every position the run's tags ever held, oldest first (a tag's newest row is its own)."""
        rows = self._conn.execute(sql.RUN_TAGS, {"run_id": run.id})
        return [Tag(*row[1:]) for row in rows]

    def current_tags(self, run: RunRow) -> list[Tag]:
        """The run's tags where they are now (each one's newest position), by name."""
        newest = {tag.name: tag for tag in self.tags(run)}
        return [newest[name] for name in sorted(newest)]

    def add_tag(self, run: RunRow, tag: Tag) -> None:
        """Append a tag position (a move is a new row; the old one stays), chained to the
        run's previous tag row."""
        previous = self._last_hash(tags, run)
        digest = tag_hash(
            run.name, tag.name, tag.revision, tag.time, tag.author, tag.message, previous
        )
        self._append_signed(tags, run, tag, name=tag.name, revision=tag.revision, hash=digest)

    def archived(self, run: RunRow) -> bool:
        """Whether the run's newest run event archived it."""
        action = self._conn.execute(sql.LAST_ACTION, {"run_id": run.id}).scalar()
        return action == "archive"

    def run_events(self, run: RunRow) -> list[RunEvent]:
        """The run's archives and unarchives, oldest first, with who, when and why."""
        rows = self._conn.execute(sql.RUN_EVENTS, {"run_id": run.id})
        return [RunEvent(run.name, r.action, r.created_at, r.author, r.message) for r in rows]

    def add_run_event(self, run: RunRow, event: RunEvent) -> None:
        """Append an archive or unarchive of the run, chained to its previous one."""
        previous = self._last_hash(run_events, run)
        digest = run_event_hash(
            run.name, event.action, event.time, event.author, event.message, previous
        )
        self._append_signed(run_events, run, event, action=event.action, hash=digest)

    def _last_hash(self, table: sa.Table, run: RunRow) -> str:
        """The hash of the run's newest row of a side chain (`GENESIS`: none, or unhashed)."""
        newest = sa.select(table.c.hash).where(table.c.run_id == run.id)
        found = self._conn.execute(newest.order_by(table.c.id.desc()).limit(1)).scalar()
        return found or GENESIS

    def _append_signed(
        self, table: sa.Table, run: RunRow, record: Tag | RunEvent, **values: Any
    ) -> None:
        """Insert a row of the run that records when, who and why (a tag, a run event)."""
        self._conn.execute(
            table.insert().values(
                run_id=run.id,
                created_at=record.time,
                author=record.author,
                message=record.message,
                **values,
            )
        )

    def detail(self, run: RunRow, number: int) -> dict[str, Any] | None:
        """The detail a revision recorded besides its events (None when it has none)."""
        text = self._conn.execute(sql.DETAIL, {"run_id": run.id, "number": number}).scalar()
        return detail_facts(text)

    def import_sources(self) -> list[tuple[RunRow, str]]:
        """Every run with the `source` file its newest import revision naming one recorded
        (what `import_files` records)."""
        found: dict[int, tuple[RunRow, str]] = {}
        for r in self._conn.execute(sql.IMPORT_DETAILS):
            detail = json.loads(r.detail)
            if isinstance(detail, dict) and isinstance(detail.get("source"), str):
                found[r.id] = (RunRow(r.id, r.name, r.schema, r.created_at), detail["source"])
        return list(found.values())

    def base_version(self, run: RunRow) -> int | None:
        """The schema version of the run's first revision (None for a run without revisions)."""
        version: int | None = self._conn.execute(sql.BASE, {"run_id": run.id}).scalar()
        return version

    def last_events(
        self, run: RunRow, paths: Iterable[str], upto: int
    ) -> dict[str, tuple[str, Any]]:
        """Each path's newest event `(op, value)` at or before revision `upto` (read by index)."""
        upto_id = self._conn.execute(sql.REVISION_ID, {"run_id": run.id, "number": upto}).scalar()
        found: dict[str, tuple[str, Any]] = {}
        if upto_id is None:
            return found
        for path in paths:
            row = self._conn.execute(
                sql.LAST_EVENT, {"path": path, "upto_id": upto_id, "run_id": run.id}
            ).first()
            if row is not None:
                found[path] = (row.op, None if row.value is None else json.loads(row.value))
        return found

    def path_events(self, run: RunRow, path: str) -> list[tuple[int, str, str, str | None]]:
        """The run's events on `path`, `(revision, time, op, JSON text)` in log order (read by
        its index; a revision's id grows with its number)."""
        batches = self._driver_batches(sql.PATH_EVENTS, {"path": path, "run_id": run.id})
        return [row for batch in batches for row in batch]

    def authors(self, run: RunRow, numbers: Iterable[int]) -> dict[int, str]:
        """The author of each of the given revisions."""
        rows = self._conn.execute(sql.AUTHORS, {"run_id": run.id, "numbers": sorted(set(numbers))})
        return {row.number: row.author for row in rows}

    def newest_revisions(
        self,
        run_ids: Sequence[int] | None,
        author: str | None,
        since: str | None,
        until: str | None,
        limit: int,
    ) -> list[tuple[int, int]]:
        """`(run_id, number)` of the `limit` newest revisions (of the runs `run_ids`, or all)
        by `author` written between `since` and `until`, and of any other written at the very
        time of the last of them: the caller breaks those ties."""
        conditions = [
            *([revisions.c.run_id.in_(run_ids)] if run_ids is not None else []),
            *([revisions.c.author == author] if author is not None else []),
            *([revisions.c.created_at >= since] if since is not None else []),
            *([revisions.c.created_at <= until] if until is not None else []),
        ]
        newest = sa.select(revisions.c.created_at).where(*conditions)
        cutoff = self._conn.execute(
            newest.order_by(revisions.c.created_at.desc()).offset(limit - 1).limit(1)
        ).scalar()
        if cutoff is not None:
            conditions.append(revisions.c.created_at >= cutoff)
        found = self._conn.execute(
            sa.select(revisions.c.run_id, revisions.c.number).where(*conditions)
        )
        return [(run_id, number) for run_id, number in found]

    def revisions(
        self,
        run: RunRow,
        after: int = 0,
        upto: int | None = None,
        path: str | None = None,
    ) -> Iterator[Revision]:
        """The run's revisions in order, with their events decoded (only those touching `path`)."""
        for rows in self._log(run, after, upto, path):
            first = rows[0]
            number, version, created_at, author, message, kind, digest = first[1:8]
            events = _events(rows)
            detail = detail_facts(first[9])
            yield Revision(
                run.name,
                number,
                version,
                created_at,
                author,
                message,
                kind,
                events,
                digest,
                config_hash=first[8],
                detail=detail,
            )

    def stored(
        self, run: RunRow, after: int = 0, upto: int | None = None
    ) -> Iterator[StoredRevision]:
        """The run's revisions after..upto in order, exactly as stored (for hashing them)."""
        for rows in self._log(run, after, upto, None):
            first = rows[0]
            events = () if first[10] is None else tuple((r[10], r[11], r[12]) for r in rows)
            yield StoredRevision._make((*first[1:10], events))

    def hash_of(self, run: RunRow, number: int) -> str | None:
        """The hash of the run's revision `number`, or None where the log has none."""
        if not 1 <= number <= MAX_STORED:
            return None
        return next((r.hash for r in self.stored(run, number - 1, number)), None)

    def proof(self, run: RunRow, number: int) -> Proof | None:
        """Revision `number` of the run as stored, with its predecessor's hash and its MAC:
        what proving it needs (None: no such revision)."""
        rows = self._conn.execute(sql.PROOF, {"run_id": run.id, "number": number}).all()
        if not rows:
            return None
        first = rows[0]
        events = () if first[11] is None else tuple((r[11], r[12], r[13]) for r in rows)
        return Proof(StoredRevision._make((*first[:9], events)), first[9], first[10])

    def macs(self, run: RunRow) -> list[tuple[int, str, str | None]]:
        """Every revision's `(number, hash, MAC)`, in order (`verify` under a chain key)."""
        rows = self._conn.execute(sql.MACS, {"run_id": run.id})
        return [(number, digest, mac) for number, digest, mac in rows]

    @property
    def chain_key(self) -> bytes | None:
        """The store's chain key (None: no key)."""
        return self._recorder.chain_key

    def _log(
        self, run: RunRow, after: int, upto: int | None, path: str | None
    ) -> Iterator[list[Sequence[Any]]]:
        """The rows of each revision after..upto (those with an event on `path`), in order:
        its columns, then one event's `(op, path, JSON text)` per row."""
        values = {"run_id": run.id, "after": after, "upto": MAX_REVISION if upto is None else upto}
        query = sql.STORED if path is None else sql.STORED_TOUCHING
        batches = self._driver_batches(query, values if path is None else {**values, "path": path})
        rows = itertools.chain.from_iterable(batches)
        for _, group in itertools.groupby(rows, key=operator.itemgetter(0)):
            yield list(group)

    def log_rows(self, run: RunRow) -> Generator[list[tuple[Any, ...]], None, None]:
        """The whole log of the run as stored, in batches of rows `(number, schema_version,
        created_at, author, message, kind, hash, config_hash, detail, op, path, JSON text)`:
        one per event (op None: a revision without events), in order (`verify`'s hot path);
        close it when done, or its cursor stays open until it is collected."""
        values = {"run_id": run.id, "after": 0, "upto": MAX_STORED}  # out-of-range rows too
        return self._driver_batches(sql.LOG, values, streamed=True)

    def append(self, run: RunRow, new: Sequence[StoredRevision]) -> None:
        """Append revisions and their events, in order (two statements however many); under
        a chain key each carries the MAC of its hash."""
        key = self._recorder.chain_key
        ids = self._conn.execute(
            sql.APPEND,
            [
                {
                    "run_id": run.id,
                    "number": r.number,
                    "schema_version": r.schema_version,
                    "created_at": r.created_at,
                    "author": r.author,
                    "message": r.message,
                    "kind": r.kind,
                    "hash": r.hash,
                    "config_hash": r.config_hash,
                    "detail": r.detail,
                    "mac": None if key is None else mac(key, r.hash),
                }
                for r in new
            ],
        ).scalars()
        rows = [
            (revision_id, i, op, path, value)
            for revision_id, r in zip(ids, new, strict=True)
            for i, (op, path, value) in enumerate(r.events)
        ]
        if rows:
            self._recorder.insert_rows(self._conn, events, sql.EVENT_COLUMNS, rows)

    def snapshot(self, run: RunRow, upto: int, fingerprint: str) -> StoredSnapshot | None:
        """The newest snapshot at or before `upto` made under `fingerprint`, if any."""
        row = self._conn.execute(
            sql.SNAPSHOT, {"run_id": run.id, "upto": upto, "fingerprint": fingerprint}
        ).first()
        return StoredSnapshot(*row) if row else None

    def snapshots(self, run: RunRow) -> list[Snapshot]:
        """Every snapshot of the run, whatever its key or revision (for `verify`)."""
        query = (
            sa.select(snapshots.c.revision, snapshots.c.fingerprint, snapshots.c.state)
            .add_columns(snapshots.c.config)
            .where(snapshots.c.run_id == run.id)
            .order_by(snapshots.c.revision)
        )
        return [Snapshot(*row) for row in self._conn.execute(query)]

    def drop_snapshots(self, run: RunRow) -> None:
        """Delete every snapshot of the run (a cache: the log is untouched)."""
        self._conn.execute(sql.DROP_SNAPSHOTS, {"run_id": run.id})

    def replay_rows(self, run: RunRow, after: int, upto: int) -> Iterator[Sequence[Any]]:
        """The run's events `(number, schema_version, op, path, JSON text)` in order, in batches.

        Replay's hot path: the rows come from the driver's cursor as plain tuples (a revision
        without events gives one row whose op is None), streamed, never all in memory.
        """
        values = {"run_id": run.id, "after": after, "upto": upto}
        return self._driver_batches(sql.REPLAY, values, streamed=True)

    def _driver_batches(
        self, statement: sa.Select[Any], values: dict[str, Any], streamed: bool = False
    ) -> Generator[list[tuple[Any, ...]], None, None]:
        """A statement's rows from the driver's cursor as plain tuples, in batches (`streamed`:
        fetched from the server as asked): cheaper than SQLAlchemy's rows, for big reads."""
        compiled = self._recorder.compiled(statement)
        given = compiled.construct_params(values)  # with the statement's own literals
        parameters: Any = (
            tuple(given[name] for name in compiled.positiontup or ())
            if compiled.positional
            else given
        )
        recorder = self._recorder
        cursor = recorder.streaming_cursor(self._conn) if streamed else recorder.cursor(self._conn)
        try:
            cursor.execute(str(compiled), parameters)
            while batch := cursor.fetchmany(sql.FETCH):
                yield batch
        finally:
            cursor.close()

    def save_snapshot(
        self,
        run: RunRow,
        revision: int,
        fingerprint: str,
        schema_version: int,
        state: str,
        config: str | None,
        keep_upto: int,
    ) -> None:
        """Store a snapshot of the run's state at `revision`; the run's snapshots after
        `keep_upto`, and those made under another fingerprint, are dropped (older ones stay)."""
        self._conn.execute(
            sql.DROP_REPLACED,
            {"run_id": run.id, "keep_upto": keep_upto, "fingerprint": fingerprint},
        )
        self._conn.execute(
            sql.SAVE_SNAPSHOT,
            {
                "run_id": run.id,
                "revision": revision,
                "fingerprint": fingerprint,
                "schema_version": schema_version,
                "state": state,
                "config": config,
            },
        )
