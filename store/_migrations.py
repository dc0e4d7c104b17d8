"""Alembic, driven from code: the migrations ship in the package and run when a store opens."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from store._errors import DatabaseTooNew
from store._tables import metadata

HEAD = "0005"
"""The newest migration; `tests/test_migrations.py` keeps it equal to Alembic's head."""


def script_location() -> str:
    """The migrations folder: inside the installed package, or `alembic/` in a checkout."""
    packaged = resources.files("store") / "_alembic"
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parent.parent / "alembic")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic `Config` built in code, sharing the caller's connection when given."""
    config = Config()
    config.set_main_option("script_location", script_location())
    config.attributes["connection"] = connection
    return config


def run_migrations(config: Config) -> None:
    """Body of `env.py`: migrate the caller's connection, else `$STORE_URL`."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = os.environ.get("STORE_URL") or config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url or "sqlite:///store.db")
    with engine.begin() as own:
        _migrate(own)
    engine.dispose()


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def current_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: sa.Connection) -> str | None:
    """Bring the database to `HEAD` inside the caller's transaction; return where it was."""
    found = current_revision(connection)
    if found == HEAD:
        return found
    config = alembic_config(connection)
    if found is not None:
        try:
            ScriptDirectory.from_config(config).get_revision(found)
        except CommandError as exc:
            raise DatabaseTooNew(
                f"the database is at migration {found!r}, newer than this store knows "
                f"(newest: {HEAD!r}); upgrade store"
            ) from exc
    command.upgrade(config, "head")
    return found
