"""The SQLite recorder: one file in WAL mode, writers serialised by the database lock."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from store._errors import DatabaseError, NoDatabase
from store._migrations import VERSIONS, single_version
from store._persistence import Recorder, sqlite_file_url, translated

if TYPE_CHECKING:
    import sqlalchemy as sa

_HAS_VERSIONS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"


class SQLiteRecorder(Recorder):
    """SQLite in WAL mode; writers take the database lock up front (`BEGIN IMMEDIATE`).

    A file's migration check and the reads of a head (`current()`, `read()`) go through the
    driver on a connection kept per thread, configured as every pooled one: no SQLAlchemy
    until a transaction.
    """

    def locate(self, create: bool) -> None:
        """Refuse a URL without a file, a missing folder, a folder, and (unless `create`) a
        missing file, before any connection would make one; fix a plain file's path."""
        self._file: str | None = None
        """The database file's absolute path where the URL names a plain file (not in memory,
        no URI, no query): readers and engine open it by this path, fixed at open."""
        database = _database(self.url)
        if not database:
            raise DatabaseError(f"no database file in {self.url!r}: use sqlite:///PATH")
        if database == ":memory:" or database.startswith("file:"):
            return
        folder = os.path.dirname(os.path.abspath(database))
        if not os.path.isdir(folder):
            raise DatabaseError(f"cannot open database {self.url}: folder {folder} does not exist")
        if os.path.isdir(database):
            raise DatabaseError(f"cannot open database {self.url}: {database} is a folder")
        if not create and not os.path.isfile(database):
            raise NoDatabase(f"no database at {database}")
        if sqlite_file_url(self.url) and "?" not in self.url:
            self._file = os.path.abspath(database)

    def migration(self) -> str | None:
        """The migration the database is at, read through this thread's driver connection."""
        with translated(self.url):
            reader = self._reader()
            if reader.execute(_HAS_VERSIONS).fetchone() is None:
                return None
            return single_version([row[0] for row in reader.execute(VERSIONS)])

    def backup(self, path: str) -> None:
        """Copy the database to the new file `path` through SQLite's online backup API: one
        consistent state, what only the WAL holds included, while other connections write."""
        if self._file is None:
            raise DatabaseError(f"cannot back up {self.url}: only a database file can be")
        if os.path.lexists(path):
            raise DatabaseError(f"cannot back up to {path}: it exists (give a new file)")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise DatabaseError(f"cannot back up to {path}: folder {folder} does not exist")
        with translated(self.url):
            copy = sqlite3.connect(path)
            try:
                self._reader().backup(copy)
            except BaseException:
                copy.close()
                os.remove(path)  # no half-made copy is left to be mistaken for a backup
                raise
            copy.close()

    def open_reader(self) -> Any:
        """A connection of its own to a plain file, else (an in-memory or URI database is one
        per pooled connection) one borrowed from the engine's pool until the store closes."""
        if self._file is None:
            return self.engine.raw_connection()
        found = sqlite3.connect(self._file, timeout=self.timeout, check_same_thread=False)
        self._configure(found)
        return found

    def _configure(self, connection: sqlite3.Connection) -> None:
        """WAL mode, the busy timeout, foreign keys; autocommit, so BEGIN is ours to send."""
        connection.isolation_level = None
        for pragma in (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA busy_timeout={int(self.timeout * 1000)}",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA cache_size=-65536",
        ):
            connection.execute(pragma)

    def create_engine(self, url: str) -> sa.Engine:
        """An engine whose connections are configured as the readers are."""
        import sqlalchemy as sa

        target = url if self._file is None else sa.make_url(url).set(database=self._file)
        engine = sa.create_engine(target, connect_args={"timeout": self.timeout})

        @sa.event.listens_for(engine, "connect")
        def _connected(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            self._configure(dbapi_connection)

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            write = connection.get_execution_options().get("store_write")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

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


def _database(url: str) -> str | None:
    """The database a SQLite URL names, as SQLAlchemy reads it."""
    if sqlite_file_url(url):
        return unquote(url.split(":///", 1)[1].split("?", 1)[0])
    from sqlalchemy.engine import make_url

    return make_url(url).database
