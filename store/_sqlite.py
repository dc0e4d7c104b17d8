"""The SQLite recorder: one file in WAL mode, writers serialised by the database lock."""

from __future__ import annotations

import os
import sqlite3
import threading
import typing
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from store._errors import DatabaseError
from store._persistence import HEAD_CONFIG, Recorder, translated
from store._rows import HeadConfig


class SQLiteRecorder(Recorder):
    """SQLite in WAL mode; writers take the database lock up front (`BEGIN IMMEDIATE`)."""

    SINGLE_READ: typing.ClassVar[dict[str, Any]] = {"store_single": True}  # no BEGIN

    def head_configs(self, name: str) -> list[HeadConfig]:
        """`current()`'s hot path through the driver on a connection kept for this thread:
        one SELECT in autocommit is one consistent read, at a tenth of SQLAlchemy's cost."""
        with translated(self.url):
            rows = self._reader().execute(HEAD_CONFIG, {"name": name}).fetchall()
        return [HeadConfig(*row) for row in rows]

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for single reads (configured as every pooled one)."""
        found: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if found is None:
            proxied = self.engine.raw_connection()
            self._readers.append(proxied)
            found = self._local.reader = typing.cast(sqlite3.Connection, proxied.driver_connection)
        return found

    def close(self) -> None:
        """Return the readers kept per thread, then release every pooled connection."""
        while self._readers:
            self._readers.pop().close()
        self._local = threading.local()
        super().close()

    def forget_connections(self) -> None:
        """In a forked child: forget the parent's readers and pool without closing them."""
        self._readers.clear()
        self._local = threading.local()
        super().forget_connections()

    def create_engine(self, url: str, create: bool) -> sa.Engine:
        """An engine whose connections run in WAL mode with a busy timeout and foreign keys."""
        self._local = threading.local()
        self._readers: list[Any] = []
        database = make_url(url).database
        if not database:
            raise DatabaseError(f"no database file in {url!r}: use sqlite:///PATH")
        if database != ":memory:" and not database.startswith("file:"):
            folder = os.path.dirname(os.path.abspath(database))
            if not os.path.isdir(folder):
                raise DatabaseError(f"cannot open database {url}: folder {folder} does not exist")
            if os.path.isdir(database):
                raise DatabaseError(f"cannot open database {url}: {database} is a folder")
            if not create and not os.path.isfile(database):
                raise DatabaseError(f"no database at {database}")
        engine = sa.create_engine(url, connect_args={"timeout": self.timeout})

        @sa.event.listens_for(engine, "connect")
        def _configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            dbapi_connection.isolation_level = None
            for pragma in (
                "PRAGMA journal_mode=WAL",
                f"PRAGMA busy_timeout={int(self.timeout * 1000)}",
                "PRAGMA foreign_keys=ON",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA cache_size=-65536",
            ):
                dbapi_connection.execute(pragma)

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            options = connection.get_execution_options()
            if not options.get("store_single"):  # one SELECT is atomic on its own
                connection.exec_driver_sql(
                    "BEGIN IMMEDIATE" if options.get("store_write") else "BEGIN"
                )

        return engine

    def lock_run(self, connection: sa.Connection, run_id: int) -> None:
        """Nothing to do: `BEGIN IMMEDIATE` already holds the database's single write lock."""

    def insert_rows(
        self, connection: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[Any]
    ) -> None:
        """Insert many rows through the driver's `executemany`: a third of SQLAlchemy's cost."""
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        connection.exec_driver_sql(statement, rows)
