"""The PostgreSQL recorder: writers of one run serialise on that run's advisory lock."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from store._persistence import Recorder


class PostgresRecorder(Recorder):
    """PostgreSQL: writers of one run serialise on that run's advisory lock.

    Advisory locks need no UPDATE privilege (the application role may hold only SELECT and
    INSERT on the log) and leave writers of other runs free to go on in parallel.
    """

    LOCK_SPACE = 7231
    """First key of the two-key advisory locks taken per run."""
    MIGRATION_LOCK = 7231001
    """The single-key advisory lock that serialises migrations and first opens."""

    EVENTS = (
        "(SELECT json_agg(json_build_array(position, op, path, value))::text FROM events "
        "WHERE events.revision_id = head.id)"
    )
    """The head's events as one JSON array text."""

    def locate(self, create: bool) -> None:
        """Nothing to check before connecting: the server says what is missing."""

    def open_reader(self) -> Any:
        """A connection taken out of the engine's pool for good (closing the store closes
        it), in autocommit: a head read is one round trip, without SQLAlchemy's per-call
        checkout and reset."""
        borrowed = self.engine.raw_connection()
        borrowed.detach()
        reader = borrowed.dbapi_connection
        reader.autocommit = True  # type: ignore[union-attr]
        return reader

    def driver_sql(self, statement: str) -> str:
        """`:name` in psycopg's style."""
        return statement.replace(":name", "%(name)s")

    def create_engine(self, url: str) -> sa.Engine:
        """An engine with a lock timeout, so a stuck writer cannot hang others forever.

        No pre-ping: it costs a round trip on every call; a connection the server dropped
        fails one call with `DatabaseError` and the pool replaces it.
        """
        return sa.create_engine(
            url,
            connect_args={
                "options": f"-c lock_timeout={int(self.timeout * 1000)}",
                "connect_timeout": max(1, math.ceil(self.timeout)),
            },
        )

    def migrate(self, connection: sa.Connection) -> None:
        """Serialise processes that open (and so may migrate) the same database at once."""
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(self.MIGRATION_LOCK)))
        super().migrate(connection)

    def streaming_cursor(self, connection: sa.Connection) -> Any:
        """A server-side cursor: psycopg's default cursor would hold the whole result."""
        driver = connection.connection.driver_connection
        return driver.cursor(name=f"store_replay_{id(connection)}")  # type: ignore[union-attr]

    def lock_run(self, connection: sa.Connection, run_id: int) -> None:
        """Take the run's advisory lock until the transaction ends."""
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(self.LOCK_SPACE, run_id)))
