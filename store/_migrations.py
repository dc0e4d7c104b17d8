"""Alembic, driven from code: the migrations ship in the package and run when a store opens."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from store._errors import DatabaseTooNew

if TYPE_CHECKING:  # Alembic and SQLAlchemy are imported only when a database is created or migrated
    import sqlalchemy as sa
    from alembic.config import Config

HEAD = "0007"
"""The newest migration; `tests/test_migrations.py` keeps it equal to Alembic's head."""


def script_location() -> str:
    """The migrations folder: inside the installed package, or `alembic/` in a checkout."""
    from importlib import resources  # only to create or migrate a database

    packaged = resources.files("store") / "_alembic"
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parent.parent / "alembic")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic `Config` built in code, sharing the caller's connection when given."""
    from alembic.config import Config

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
    from sqlalchemy import create_engine

    from store._persistence import supported_url  # a plain path is a SQLite file's, as there

    url = os.environ.get("STORE_URL") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(supported_url(url or "sqlite:///store.db"))
    with engine.begin() as own:
        _migrate(own)
    engine.dispose()


def _migrate(connection: sa.Connection) -> None:
    from alembic import context

    from store._tables import metadata

    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


VERSIONS = "SELECT version_num FROM alembic_version"
"""The migration a database is at, as Alembic records it (one row)."""


def current_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at (None for an empty database), read without Alembic."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table("alembic_version"):
        return None
    return single_version(connection.execute(text(VERSIONS)).scalars().all())


def single_version(found: Sequence[str]) -> str | None:
    """The one migration `alembic_version` names (None if it names none); several heads are
    refused."""
    if len(found) > 1:
        raise DatabaseTooNew(f"the database has several migration heads: {', '.join(found)}")
    return found[0] if found else None


def upgrade(connection: sa.Connection) -> str | None:
    """Bring the database to `HEAD` inside the caller's transaction; return where it was."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

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
