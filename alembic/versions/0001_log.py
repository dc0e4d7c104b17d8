"""The append-only log: runs, revisions and events, with triggers that refuse rewrites.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "store: the log is append-only"

SQLITE_TRIGGERS = (
    [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: UPDATE on {table} refused'); END"""
        for table in ("revisions", "events")
    ]
    + [
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: DELETE on {table} refused'); END"""
        for table in ("revisions", "events")
    ]
    + [
        # INSERT OR REPLACE deletes a clashing row without firing delete triggers: refuse it.
        f"""CREATE TRIGGER revisions_no_replace BEFORE INSERT ON revisions
        WHEN EXISTS (SELECT 1 FROM revisions WHERE id = NEW.id
                     OR (run_id = NEW.run_id AND number = NEW.number))
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: a revision cannot be replaced'); END""",
        f"""CREATE TRIGGER events_no_replace BEFORE INSERT ON events
        WHEN EXISTS (SELECT 1 FROM events WHERE revision_id = NEW.revision_id
                     AND position = NEW.position)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: an event cannot be replaced'); END""",
    ]
)

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION store_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{REFUSED}: % on % refused', TG_OP, TG_TABLE_NAME;
        END $$""",
] + [
    stmt
    for table in ("revisions", "events")
    for stmt in (
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION store_refuse_rewrite()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION store_refuse_rewrite()""",
    )
]


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("schema", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
    )
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("run_id", "number", name="uq_revisions_run_number"),
    )
    op.create_table(
        "events",
        sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("op", sa.String(5), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_events_path", "events", ["path", "revision_id"])
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the log is append-only: its tables are never dropped")
