"""Alembic environment: runs store's migrations on the caller's connection or on $STORE_URL."""

from alembic import context

from store._migrations import run_migrations

run_migrations(context.config)
