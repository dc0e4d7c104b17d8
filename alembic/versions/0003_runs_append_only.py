"""Runs are append-only too: a run row can be neither changed nor deleted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "store: the log is append-only"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER runs_no_{verb.lower()} BEFORE {verb} ON runs
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: {verb} on runs refused'); END"""
    for verb in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER runs_no_replace BEFORE INSERT ON runs
        WHEN EXISTS (SELECT 1 FROM runs WHERE id = NEW.id OR name = NEW.name)
        BEGIN SELECT RAISE(ABORT, '{REFUSED}: a run cannot be replaced'); END""",
]

POSTGRES_TRIGGERS = [
    """CREATE TRIGGER runs_append_only BEFORE UPDATE OR DELETE ON runs
        FOR EACH ROW EXECUTE FUNCTION store_refuse_rewrite()""",
    """CREATE TRIGGER runs_no_truncate BEFORE TRUNCATE ON runs
        FOR EACH STATEMENT EXECUTE FUNCTION store_refuse_rewrite()""",
]

TRIGGER_NAMES = {
    "sqlite": ["runs_no_update", "runs_no_delete", "runs_no_replace"],
    "postgresql": ["runs_append_only", "runs_no_truncate"],
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    suffix = " ON runs" if dialect == "postgresql" else ""
    for name in TRIGGER_NAMES.get(dialect, []):
        op.execute(f"DROP TRIGGER {name}{suffix}")
