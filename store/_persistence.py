"""Persistence: the log's tables behind one recorder interface, one recorder per backend.

Nothing above this module sees SQL or a driver exception: `Transaction` speaks in domain
records, and every SQLAlchemy error is translated into the package's own at this boundary.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from store import _proof as proof
from store._errors import (
    AppendOnlyViolation,
    DatabaseError,
    DatabaseTooNew,
    NoDatabase,
    StoreError,
)
from store._migrations import HEAD, current_revision, upgrade
from store._rows import HeadRow

if TYPE_CHECKING:  # SQLAlchemy is imported with the engine: reading the head needs neither
    import sqlalchemy as sa
    from sqlalchemy.sql.compiler import SQLCompiler

    from store._transaction import Transaction

DEFAULT_TIMEOUT = 60.0
"""Seconds a writer waits for another writer's lock before giving up."""

HEAD_ROW = """
SELECT runs.id, runs.schema, runs.created_at, snapshots.fingerprint, {config}, {state},
       first.schema_version, first.detail,
       head.number, head.schema_version, head.created_at, head.author, head.message, head.kind,
       head.hash, head.config_hash, head.detail, {events}, previous.hash, head.mac
FROM runs
JOIN revisions AS head
  ON head.run_id = runs.id
  AND head.number = (SELECT number FROM revisions WHERE revisions.run_id = runs.id
                     AND revisions.number <= revisions.id ORDER BY number DESC LIMIT 1)
JOIN snapshots ON snapshots.run_id = runs.id AND snapshots.revision = head.number
JOIN revisions AS first ON first.run_id = runs.id AND first.number = 1
LEFT JOIN revisions AS previous
  ON previous.run_id = runs.id AND previous.number = head.number - 1
WHERE runs.name = :name
"""
"""`current()`'s and `read()`'s one statement for a run's head: for each snapshot of the head
(those kept for older revisions are not read), the run, the snapshot's key and its config
JSON (`current()`) or its state (`read()`; the other is NULL), the first revision's schema
version and detail, and everything proving the head needs: its stored content, its events as
one JSON array of `[position, op, path, JSON text]` (`{events}`: the backend's aggregate),
its predecessor's hash and its MAC. No row: no such run, or no snapshot of its head. Plain
SQL that every backend and driver runs as it is: building and compiling it as a SQLAlchemy
select cost a fresh process 4-8 ms, and running it 0.2 ms."""


class Recorder(ABC):
    """A database holding store's log; subclasses set up one backend."""

    def __init__(
        self,
        url: str,
        timeout: float = DEFAULT_TIMEOUT,
        upgrade: bool = True,
        create: bool = True,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.proven: dict[str, tuple[Sequence[Any], Any]] = {}
        """`current()`'s last proven head row per run, with the schema it was proven under:
        proving is a function of the row's content alone, so the very same row is not proven
        again."""
        self.chain_key: bytes | None = None
        """The key of a keyed chain (`STORE_CHAIN_KEY`): every new revision carries the MAC
        of its hash under it, and reads and `verify` check it."""
        self._compiled: dict[int, SQLCompiler] = {}
        self._forget_readers()
        self.locate(create)
        found = self.migration()  # a read: opening takes no write lock
        if found is None and not create:
            self.close()
            raise NoDatabase(f"no database at {_redact(url)} (a write or `db upgrade` makes one)")
        if upgrade and found != HEAD:
            with self._connection(write=True) as conn:
                self.migrate(conn)
            found = HEAD
        self.writable = found == HEAD
        """Writes need the newest migration: an old or newer database is only read."""

    @abstractmethod
    def locate(self, create: bool) -> None:
        """Refuse, before connecting, a database the backend cannot open or, unless `create`,
        one that does not exist yet."""

    @functools.cached_property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, made on first use: a read of an up-to-date SQLite
        database's head goes through the driver and never imports SQLAlchemy."""
        with translated(self.url):
            return self.create_engine(self.url)

    @abstractmethod
    def create_engine(self, url: str) -> sa.Engine:
        """Create the SQLAlchemy engine with the backend's settings."""

    def migrate(self, connection: sa.Connection) -> None:
        """Bring the database schema to the newest migration (run when the store opens)."""
        upgrade(connection)

    @abstractmethod
    def lock_run(self, connection: sa.Connection, run_id: int) -> None:
        """Serialise writers of one run until the transaction ends."""

    def compiled(self, statement: sa.Select[Any]) -> SQLCompiler:
        """`statement` compiled once for this backend's driver."""
        key = id(statement)
        if key not in self._compiled:
            compiled = statement.compile(dialect=self.engine.dialect)
            self._compiled[key] = compiled
        return self._compiled[key]

    def cursor(self, connection: sa.Connection) -> Any:
        """A driver cursor on the transaction's connection (PostgreSQL's fetches the whole
        result at once, in one round trip)."""
        return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def streaming_cursor(self, connection: sa.Connection) -> Any:
        """A driver cursor on the transaction's connection that fetches rows as asked."""
        return self.cursor(connection)

    def insert_rows(
        self, connection: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[Any]
    ) -> None:
        """Insert many rows (tuples of `columns`) with SQLAlchemy's batched multi-row INSERT."""
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])

    @contextmanager
    def _connection(self, write: bool) -> Iterator[sa.Connection]:
        with translated(self.url), self.engine.connect() as conn:
            conn.execution_options(store_write=write)
            with conn.begin():
                yield conn

    def heads(self, name: str, config: bool) -> list[HeadRow]:
        """For the run `name`: the run and its head, one row per snapshot of the head (older
        snapshots are not read) with its config JSON (`config`, for `current()`) or its state
        (for `read()`), and what proving the head needs. The hot path of both."""
        return [HeadRow.of(row) for row in self.read_run(self.head_sql[config], name)]

    @functools.cached_property
    def head_sql(self) -> dict[bool, str]:
        """`HEAD_ROW` with this backend's aggregate of the head's events, reading the
        snapshot's config JSON (True) or its state (False)."""
        return {
            config: HEAD_ROW.format(
                events=self.EVENTS,
                config="snapshots.config" if config else "NULL",
                state="NULL" if config else "snapshots.state",
            )
            for config in (True, False)
        }

    EVENTS = (
        "(SELECT json_group_array(json_array(position, op, path, value)) FROM events "
        "WHERE events.revision_id = head.id)"
    )
    """The head's events as one JSON array text (SQLite's aggregate; PostgreSQL's differs)."""

    def read_run(self, statement: str, name: str) -> Sequence[Sequence[Any]]:
        """The rows of one plain-SQL statement about the run `name` (`:name` in it), read on
        its own through this thread's driver connection, in autocommit: one statement is one
        consistent read, so no transaction is opened for it."""
        reader = self._reader()
        with translated(self.url):
            try:
                rows: Sequence[Sequence[Any]] = reader.execute(
                    self.driver_sql(statement), {"name": name}
                ).fetchall()
            except Exception:  # a reader the server dropped fails this read, not the next
                self._drop_reader(reader)
                raise
        return rows

    def driver_sql(self, statement: str) -> str:
        """A plain-SQL statement written with `:name` in the driver's parameter style."""
        return statement

    def _reader(self) -> Any:
        """This thread's driver connection for single reads, opened on first use and kept."""
        found = getattr(self._local, "reader", None)
        if found is None:
            found = self._local.reader = self.open_reader()
            self._readers.append(found)
        return found

    def _drop_reader(self, reader: Any) -> None:
        """Close and forget this thread's reader: the next read opens another."""
        self._local.reader = None
        self._readers.remove(reader)
        with contextlib.suppress(Exception):
            reader.close()

    @abstractmethod
    def open_reader(self) -> Any:
        """A new driver connection in autocommit for single reads (closed with the store)."""

    def _forget_readers(self) -> None:
        """Keep no reader: each thread opens its own on its next read."""
        self._local = threading.local()
        self._readers: list[Any] = []

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A read-only transaction: one consistent view of the log."""
        from store._transaction import Transaction

        with self._connection(write=False) as conn:
            yield Transaction(conn, self)

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A write transaction: committed when the block ends, rolled back on any error."""
        if not self.writable:
            raise DatabaseTooNew(
                f"database {_redact(self.url)} is at migration {self.migration()!r}, not "
                f"{HEAD!r}: this store only reads it (open it with upgrade, or `store db upgrade`)"
            )
        from store._transaction import Transaction

        with self._connection(write=True) as conn:
            yield Transaction(conn, self)

    def backup(self, path: str) -> None:
        """Copy the database consistently to the new file `path`: SQLite's recorder does."""
        raise DatabaseError(
            f"store backup copies a SQLite database; back up {_redact(self.url)} with "
            "pg_dump (pg_dump --format=custom --file=FILE DATABASE)"
        )

    def migration(self) -> str | None:
        """The Alembic revision the database is at."""
        with translated(self.url), self.engine.connect() as conn:
            return current_revision(conn)

    def close(self) -> None:
        """Close the readers kept per thread, then release every pooled connection."""
        for reader in self._readers:
            reader.close()
        self._forget_readers()
        if "engine" in self.__dict__:
            self.engine.dispose()

    def forget_connections(self) -> None:
        """In a forked child: forget the parent's readers and pool without closing them."""
        self._forget_readers()
        if "engine" in self.__dict__:
            self.engine.dispose(close=False)


SUPPORTED_URLS = (
    "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE "
    "(postgres:// and postgresql:// mean postgresql+psycopg://; a plain PATH is a SQLite file)"
)


def default_url() -> str:
    """`$STORE_URL` (a URL or a SQLite file's path), else `store.db` in the working directory."""
    return os.environ.get("STORE_URL") or "sqlite:///store.db"


def open_recorder(
    url: str,
    timeout: float = DEFAULT_TIMEOUT,
    upgrade: bool = True,
    create: bool = True,
    chain_key: str | bytes | None = None,
) -> Recorder:
    """The recorder for a database URL (`sqlite:///…` or `postgresql+psycopg://…`), keyed by
    `chain_key` (default `$STORE_CHAIN_KEY`, else no key)."""
    url = supported_url(url)
    if not isinstance(timeout, int | float) or not 0 < timeout < 10**6:
        raise DatabaseError(f"timeout must be a number of seconds above 0, not {timeout!r}")
    key = proof.chain_key(chain_key)
    recorder: Recorder
    if url.startswith("sqlite"):
        from store._sqlite import SQLiteRecorder

        recorder = SQLiteRecorder(url, timeout, upgrade, create)
    else:
        from store._postgres import PostgresRecorder

        recorder = PostgresRecorder(url, timeout, upgrade, create)
    recorder.chain_key = key
    return recorder


def supported_url(url: str) -> str:
    """`url` with its driver made explicit (a plain path is a SQLite file's: `runs.db` is
    `sqlite:///runs.db`); a backend or driver store does not use is refused."""
    if not isinstance(url, str) or not url:
        raise DatabaseError(f"not a database URL: {url!r}; {SUPPORTED_URLS}")
    if "://" not in url:
        url = sqlite_path_url(url)
    if sqlite_file_url(url):
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r}; {SUPPORTED_URLS}") from None
    if parsed.drivername in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise DatabaseError(f"unsupported database {parsed.drivername!r}: {SUPPORTED_URLS}")
    return url


def sqlite_path_url(path: str) -> str:
    """The `sqlite:///PATH` URL of a file's path (relative or absolute), `%`, `?` and `#`
    escaped so that the URL names exactly that file."""
    return "sqlite:///" + quote(path, safe="/ :@!$&'()*+,;=~")


def sqlite_file_url(url: str) -> bool:
    """Whether `url` is `sqlite:///PATH` (no host part): SQLAlchemy reads such a URL's PATH,
    up to any `?`, percent-decoded, so it needs no SQLAlchemy to parse or redact."""
    return url.startswith(("sqlite:///", "sqlite+pysqlite:///"))


def _translated() -> tuple[type[Exception], ...]:
    """The drivers' and SQLAlchemy's error roots, each once it is in use."""
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    psycopg = sys.modules.get("psycopg")
    return (
        sqlite3.Error,
        *((sqlalchemy.SQLAlchemyError,) if sqlalchemy else ()),
        *((psycopg.Error,) if psycopg else ()),
    )


@contextmanager
def translated(url: str) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors into the package's own, naming the database."""
    try:
        yield
    except StoreError:
        raise
    except _translated() as exc:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if "append-only" in message:
            raise AppendOnlyViolation(message) from exc
        if "locked" in message:
            message += " (another writer held the lock past the timeout)"
        if "timeout expired" in message:
            message = "the server did not answer in time (connection timeout expired)"
        raise DatabaseError(f"database {_redact(url)}: {message}") from exc


def _redact(url: str) -> str:
    """`url` with any password hidden."""
    if sqlite_file_url(url):
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
