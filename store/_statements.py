"""The statements a `Transaction` runs, built once with SQLAlchemy Core (building one costs
more than SQLite takes to run it): reads of runs, revisions, events, tags, run events and
snapshots, and the appends (persistence)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from store._tables import events, revisions, run_events, runs, snapshots, tags

REVISION_COLUMNS = (
    revisions.c.id,
    revisions.c.number,
    revisions.c.schema_version,
    revisions.c.created_at,
    revisions.c.author,
    revisions.c.message,
    revisions.c.kind,
    revisions.c.hash,
    revisions.c.config_hash,
    revisions.c.detail,
)
EVENT_COLUMNS = ("revision_id", "position", "op", "path", "value")
FETCH = 1000
"""Rows fetched from the driver at a time when reading revisions."""

# Statements are built once: building one costs more than SQLite takes to run it.
RUN = sa.select(runs).where(runs.c.name == sa.bindparam("name"))
DENSE = revisions.c.number <= revisions.c.id
"""A revision's number never exceeds its row's id (the log's rows are numbered in order, and
a run's n-th revision is at least the database's n-th row): a row numbered past its id lies
outside the run's dense range (a plain INSERT), and is never taken for the head."""
HEAD = (
    sa.select(revisions.c.number, revisions.c.schema_version, revisions.c.hash)
    .where(revisions.c.run_id == sa.bindparam("run_id"), DENSE)
    .order_by(revisions.c.number.desc())
    .limit(1)
)
BASE = sa.select(revisions.c.schema_version).where(
    revisions.c.run_id == sa.bindparam("run_id"), revisions.c.number == 1
)


def _log_rows(*columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """A run's revisions joined to their events, revisions after..upto, in log order."""
    return (
        sa.select(*columns, events.c.op, events.c.path, events.c.value)
        .select_from(revisions)
        .outerjoin(events, events.c.revision_id == revisions.c.id)
        .where(
            revisions.c.run_id == sa.bindparam("run_id"),
            revisions.c.number > sa.bindparam("after", type_=sa.BigInteger),
            revisions.c.number <= sa.bindparam("upto", type_=sa.BigInteger),
        )
        .order_by(revisions.c.number, events.c.position)
    )


STORED = _log_rows(*REVISION_COLUMNS)
FIRST_ID = sa.select(revisions.c.id).where(
    revisions.c.run_id == sa.bindparam("run_id"), revisions.c.number == 1
)
LAST_ID = (
    sa.select(revisions.c.id)
    .where(revisions.c.run_id == sa.bindparam("run_id"))
    .order_by(revisions.c.number.desc())
    .limit(1)
)
ON_PATH = sa.and_(  # the run's events on a path: its revision ids lie between its first and last
    events.c.path == sa.bindparam("path"),
    events.c.revision_id >= FIRST_ID.scalar_subquery(),
    events.c.revision_id <= LAST_ID.scalar_subquery(),
)
STORED_TOUCHING = STORED.where(  # one probe of the path's index per revision: PostgreSQL
    # keeps this plan without statistics; bounds on revision_id there made it quadratic
    revisions.c.id.in_(sa.select(events.c.revision_id).where(events.c.path == sa.bindparam("path")))
)
REPLAY = _log_rows(revisions.c.number, revisions.c.schema_version)
LOG = _log_rows(*REVISION_COLUMNS[1:])
APPEND = revisions.insert().returning(revisions.c.id, sort_by_parameter_order=True)
SAVE_SNAPSHOT = snapshots.insert()
DROP_SNAPSHOTS = sa.delete(snapshots).where(snapshots.c.run_id == sa.bindparam("run_id"))
DROP_REPLACED = DROP_SNAPSHOTS.where(
    sa.or_(
        snapshots.c.revision > sa.bindparam("keep_upto"),
        snapshots.c.fingerprint != sa.bindparam("fingerprint"),
    )
)
FIRST = revisions.alias("first")
SNAPSHOT = (
    sa.select(
        snapshots.c.revision,
        snapshots.c.state,
        revisions.c.config_hash,
        revisions.c.schema_version,
        sa.select(FIRST.c.schema_version)
        .where(FIRST.c.run_id == snapshots.c.run_id, FIRST.c.number == 1)
        .scalar_subquery(),
    )
    .select_from(
        snapshots.join(
            revisions,
            sa.and_(
                revisions.c.run_id == snapshots.c.run_id,
                revisions.c.number == snapshots.c.revision,
            ),
        )
    )
    .where(
        snapshots.c.run_id == sa.bindparam("run_id"),
        snapshots.c.revision <= sa.bindparam("upto"),
        snapshots.c.fingerprint == sa.bindparam("fingerprint"),
    )
    .order_by(snapshots.c.revision.desc())
    .limit(1)
)
WITH_CONFIG_HASH = (  # a range of the index: every config hash that starts with a prefix
    sa.select(runs, revisions.c.number, revisions.c.schema_version, revisions.c.config_hash)
    .join(revisions, revisions.c.run_id == runs.c.id)
    .where(
        revisions.c.config_hash >= sa.bindparam("low"),
        revisions.c.config_hash < sa.bindparam("high"),
    )
)
WITH_HASH = (  # no index on revision hashes: only read when a config hash is not found
    sa.select(runs.c.name, revisions.c.number, revisions.c.hash)
    .join(revisions, revisions.c.run_id == runs.c.id)
    .where(revisions.c.hash >= sa.bindparam("low"), revisions.c.hash < sa.bindparam("high"))
    .order_by(runs.c.name, revisions.c.number)
)
BASES = sa.select(  # a lookup per run on (run_id, number), never a scan of the log
    runs,
    sa.select(revisions.c.schema_version)
    .where(revisions.c.run_id == runs.c.id, revisions.c.number == 1)
    .scalar_subquery()
    .label("schema_version"),
)
UNHASHED = sa.select(revisions.c.run_id).where(revisions.c.config_hash.is_(None)).distinct()
REVISION_AT = sa.select(sa.func.max(revisions.c.number)).where(
    revisions.c.run_id == sa.bindparam("run_id"),
    revisions.c.created_at <= sa.bindparam("time"),
    DENSE,
)
REVISION_ID = sa.select(revisions.c.id).where(
    revisions.c.run_id == sa.bindparam("run_id"), revisions.c.number == sa.bindparam("number")
)
LAST_EVENT = (
    sa.select(events.c.op, events.c.value)
    .select_from(events.join(revisions, revisions.c.id == events.c.revision_id))
    .where(
        events.c.path == sa.bindparam("path"),
        events.c.revision_id <= sa.bindparam("upto_id"),
        revisions.c.run_id == sa.bindparam("run_id"),
    )
    .order_by(events.c.revision_id.desc(), events.c.position.desc())
    .limit(1)
)
PATH_EVENTS = (  # a range of the index on (path, revision_id): never a scan of the run
    sa.select(revisions.c.number, revisions.c.created_at, events.c.op, events.c.value)
    .select_from(events.join(revisions, revisions.c.id == events.c.revision_id))
    .where(ON_PATH, revisions.c.run_id == sa.bindparam("run_id"))
    .order_by(events.c.revision_id, events.c.position)
)
AUTHORS = sa.select(revisions.c.number, revisions.c.author).where(
    revisions.c.run_id == sa.bindparam("run_id"),
    revisions.c.number.in_(sa.bindparam("numbers", expanding=True)),
)
TAG = (
    sa.select(tags.c.revision)
    .where(tags.c.run_id == sa.bindparam("run_id"), tags.c.name == sa.bindparam("name"))
    .order_by(tags.c.id.desc())
    .limit(1)
)
TAGS = sa.select(
    tags.c.run_id, tags.c.name, tags.c.revision, tags.c.created_at, tags.c.author, tags.c.message
).order_by(tags.c.id)
RUN_TAGS = TAGS.where(tags.c.run_id == sa.bindparam("run_id"))
ACTIONS = sa.select(run_events.c.run_id, run_events.c.action).order_by(run_events.c.id)
LAST_ACTION = (
    sa.select(run_events.c.action)
    .where(run_events.c.run_id == sa.bindparam("run_id"))
    .order_by(run_events.c.id.desc())
    .limit(1)
)
RUN_EVENTS = (
    sa.select(
        run_events.c.action, run_events.c.created_at, run_events.c.author, run_events.c.message
    )
    .where(run_events.c.run_id == sa.bindparam("run_id"))
    .order_by(run_events.c.id)
)
LAST_RUN_HASH = sa.select(runs.c.hash).order_by(runs.c.id.desc()).limit(1)
RUN_CHAIN = sa.select(runs).order_by(runs.c.id)
TAG_CHAIN = RUN_TAGS.add_columns(tags.c.hash, tags.c.id)
RUN_EVENT_CHAIN = (
    sa.select(
        run_events.c.id,
        run_events.c.action,
        run_events.c.created_at,
        run_events.c.author,
        run_events.c.message,
        run_events.c.hash,
    )
    .where(run_events.c.run_id == sa.bindparam("run_id"))
    .order_by(run_events.c.id)
)
DETAIL = sa.select(revisions.c.detail).where(
    revisions.c.run_id == sa.bindparam("run_id"), revisions.c.number == sa.bindparam("number")
)
IMPORT_DETAILS = (
    sa.select(runs.c.id, runs.c.name, runs.c.schema, runs.c.created_at, revisions.c.detail)
    .join(runs, runs.c.id == revisions.c.run_id)
    .where(revisions.c.kind == "import", revisions.c.detail.is_not(None))
    .order_by(revisions.c.run_id, revisions.c.number)
)
PREVIOUS = revisions.alias("previous")
PROOF = (
    sa.select(
        *REVISION_COLUMNS[1:],
        sa.select(PREVIOUS.c.hash)
        .where(PREVIOUS.c.run_id == revisions.c.run_id, PREVIOUS.c.number == revisions.c.number - 1)
        .scalar_subquery(),
        revisions.c.mac,
        events.c.op,
        events.c.path,
        events.c.value,
    )
    .select_from(revisions)
    .outerjoin(events, events.c.revision_id == revisions.c.id)
    .where(
        revisions.c.run_id == sa.bindparam("run_id"), revisions.c.number == sa.bindparam("number")
    )
    .order_by(events.c.position)
)
MACS = (
    sa.select(revisions.c.number, revisions.c.hash, revisions.c.mac)
    .where(revisions.c.run_id == sa.bindparam("run_id"))
    .order_by(revisions.c.number)
)
FIRST_DETAILS = sa.select(revisions.c.run_id, revisions.c.detail).where(
    revisions.c.number == 1, revisions.c.detail.is_not(None)
)
