"""The database tables, as SQLAlchemy Core metadata; Alembic's migrations create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("schema", sa.String(128), nullable=False),
    sa.Column("created_at", sa.String(27), nullable=False),
    sa.Column("hash", sa.String(64), nullable=True),
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(27), nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("config_hash", sa.String(64), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("mac", sa.String(64), nullable=True),
    sa.UniqueConstraint("run_id", "number", name="uq_revisions_run_number"),
    sa.Index("ix_revisions_config_hash", "config_hash"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("revisions.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("op", sa.String(5), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Index("ix_events_path", "path", "revision_id"),
    sqlite_with_rowid=False,
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True),
    sa.Column("fingerprint", sa.String(32), primary_key=True),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("config", sa.Text, nullable=True),
    sqlite_with_rowid=False,
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(27), nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=True),
    sa.Index("ix_tags_run_name", "run_id", "name", "id"),
)

run_events = sa.Table(
    "run_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(27), nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=True),
    sa.Index("ix_run_events_run", "run_id", "id"),
)
