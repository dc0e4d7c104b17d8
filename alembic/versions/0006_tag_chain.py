"""Hash chains beside the revisions' own: runs, tags and run events.

- `runs.hash`: SHA-256 over the run's name, schema and creation time and the hash of the run
  created before it (by id), so a run deleted out of band breaks the next run's hash.
- `tags.hash`, `run_events.hash`: SHA-256 over the row's content and the hash of the run's
  previous row of that table, so a tag moved or a run archived by a plain INSERT is seen.

Rows written before this migration keep a NULL hash: each chain starts with them, unhashed
(`verify` accepts NULL hashes only before the first hashed row of a chain).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("runs", "tags", "run_events")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(sa.Column("hash", sa.String(64), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("hash")
