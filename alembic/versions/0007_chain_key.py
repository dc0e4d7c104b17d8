"""A keyed chain: `revisions.mac`, the HMAC-SHA256 of a revision's hash under the chain key.

NULL for revisions written without a key (and for every revision written before this
migration); a store opened with a chain key (`STORE_CHAIN_KEY`, or `store.open(...,
chain_key=...)`) writes it for every new revision and checks it on reads and in `verify`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("revisions", recreate="never") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revisions", recreate="never") as batch:
        batch.drop_column("mac")
