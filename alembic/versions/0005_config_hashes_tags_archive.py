"""Config hashes in the chain, revision details, tags and run events (archive, unarchive).

- `revisions.config_hash`: SHA-256 of the canonical JSON of the effective config right
  after the revision, at the writer's schema version (covered by the revision hash);
  indexed, so "which config made this?" is a lookup. NULL for revisions written before.
- `revisions.detail`: canonical JSON of facts a revision records besides its events
  (`rollback_to`, `forked_from`, …), also covered by the revision hash; NULL when none.
- `tags`: names of revisions, append-only; a tag's position is its newest row.
- `run_events`: archive and unarchive of runs, append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "store: the log is append-only"
TABLES = ("tags", "run_events")

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: {verb} on {table} refused'); END"""
    for table in TABLES
    for verb in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
        WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: a row of {table} cannot be replaced'); END"""
    for table in TABLES
]

POSTGRES_TRIGGERS = [
    statement
    for table in TABLES
    for statement in (
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION store_refuse_rewrite()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION store_refuse_rewrite()""",
    )
]


def upgrade() -> None:
    with op.batch_alter_table("revisions", recreate="never") as batch:
        batch.add_column(sa.Column("config_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text, nullable=True))
    op.create_index("ix_revisions_config_hash", "revisions", ["config_hash"])
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Index("ix_tags_run_name", "run_id", "name", "id"),
    )
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Index("ix_run_events_run", "run_id", "id"),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("run_events")
    op.drop_table("tags")
    op.drop_index("ix_revisions_config_hash", "revisions")
    with op.batch_alter_table("revisions", recreate="never") as batch:
        batch.drop_column("detail")
        batch.drop_column("config_hash")
