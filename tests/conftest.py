"""Fixtures shared by every suite: one database URL fixture, parametrised over the backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import store

PG_URL = os.environ.get("STORE_TEST_PG_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _fresh_pg_database(base_url: str) -> str:
    """A new empty database on the test server, named uniquely."""
    name = f"store_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(base_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the server of `STORE_TEST_PG_URL`, dropped afterwards."""
    if not PG_URL:
        pytest.skip("STORE_TEST_PG_URL is not set")
    url = _fresh_pg_database(PG_URL)
    yield url
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = sa.engine.make_url(url).database
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: a real SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of an empty SQLite file, for tests about SQLite itself."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[store.Store]:
    """An open store on an empty database."""
    with store.open(db_url) as opened:
        yield opened


def dump_database(url: str) -> list[tuple[object, ...]]:
    """Every row of the log's tables, in order: equal before and after a refused write."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = [
            row
            for table in ("runs", "revisions", "events")
            for row in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")
        ]
    engine.dispose()
    return [tuple(r) for r in rows]
