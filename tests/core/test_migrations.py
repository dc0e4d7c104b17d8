"""The database schema is Alembic's: created on open, upgraded in place, shipped in the wheel."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import store
from store._migrations import HEAD, alembic_config
from store._tables import metadata

ROOT = Path(__file__).resolve().parents[2]


def migration_of(url: str) -> str | None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return found


def test_head_constant_is_alembics_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_an_empty_database_is_created_at_head(db_url: str) -> None:
    with store.open(db_url) as db:
        assert db.migration() == HEAD
        assert db.runs() == []


def test_the_tables_match_the_metadata_after_migrating(db_url: str) -> None:
    store.open(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_a_database_at_the_first_migration_is_upgraded_in_place(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 2)
    monkeypatch.setattr("store._writes.config_hash", lambda values: None)  # as before 0005
    monkeypatch.setattr("store._writes._upcast", lambda state, effective: {})  # no detail
    with store.open(db_url) as db:
        db.create("old", {"learning_rate": 3e-4}, schema_version=1)
        for epochs in range(1, 6):
            db.update("old", {"epochs": epochs})
        before = [db.at("old", n) for n in range(1, 7)]
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    engine.dispose()
    assert migration_of(db_url) == "0001"
    with store.open(db_url) as db:
        assert db.migration() == HEAD
        assert [db.at("old", n) for n in range(1, 7)] == before
        assert db.verify().ok


def test_a_database_newer_than_the_code_is_refused(sqlite_url: str) -> None:
    store.open(sqlite_url).close()
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(store.DatabaseTooNew, match="migration '9999', newer than this store knows"):
        store.open(sqlite_url)


def test_alembic_upgrade_head_works_from_a_checkout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'checkout.db'}"
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "STORE_URL": url},
        check=True,
        capture_output=True,
    )
    assert migration_of(url) == HEAD


def test_the_wheel_ships_the_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "store/_alembic/env.py",
        "store/_alembic/versions/0001_log.py",
        "store/py.typed",
    } <= names


def _open_and_create(url: str, run: str) -> None:
    with store.open(url) as db:
        db.create(run)


def test_processes_opening_an_empty_database_at_once_migrate_it_once(db_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_open_and_create, args=(db_url, f"run{n}")) for n in range(6)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * 6
    with store.open(db_url) as db:
        assert sorted(r.name for r in db.runs()) == [f"run{n}" for n in range(6)]
        assert db.migration() == HEAD
