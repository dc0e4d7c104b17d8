"""Helpers shared by the reliability suite: raw SQL on the log, the CLI, worker processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from pydantic import BaseModel, SecretStr

import store
from store import _registry
from store._cli import cli
from store._schema import Schema, SchemaVersion

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: worker processes run from here so `tests.reliability` imports."""

LOG_TABLES = ("revisions", "events")


def sqlite_file(url: str) -> Path:
    """The file of a `sqlite:///…` URL."""
    return Path(url.removeprefix("sqlite:///"))


def is_sqlite(url: str) -> bool:
    """Whether a URL names a SQLite database."""
    return url.startswith("sqlite")


def raw_sql(url: str, *statements: str) -> None:
    """Run statements in one transaction around store: sqlite3 on the file, else psycopg."""
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_file(url))
        try:
            with conn:
                for statement in statements:
                    conn.execute(statement)
        finally:
            conn.close()
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def unprotect(url: str) -> None:
    """Switch the append-only triggers off, as an attacker with the owner's rights can."""
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_file(url))
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
        conn.close()
        raw_sql(url, *(f"DROP TRIGGER {name}" for name in names))
        return
    raw_sql(url, *(f"ALTER TABLE {table} DISABLE TRIGGER ALL" for table in LOG_TABLES))


def revision_id(run: str, number: int) -> str:
    """SQL for the row id of `run`'s revision `number`."""
    return (
        "(SELECT r.id FROM revisions r JOIN runs u ON u.id = r.run_id "
        f"WHERE u.name = '{run}' AND r.number = {number})"
    )


def invoke(url: str, *args: str) -> Result:
    """`store --db URL ARGS…` in-process, stdout and stderr kept apart."""
    return CliRunner().invoke(cli, ["--db", url, *args])


def installed(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `store` executable, as a person runs it."""
    return subprocess.run(
        ["store", "--db", url, *args], capture_output=True, text=True, timeout=120, check=False
    )


def assert_refused(code: int, stdout: str, stderr: str, expected: int = 1) -> str:
    """A refusal as people see it: the exit status, an `Error: …` line, no traceback."""
    assert code == expected, (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    if expected == 1:
        assert len(lines) == 1, stderr
    assert lines[-1].startswith("Error: "), stderr
    return lines[-1]


def start_worker(*args: str) -> subprocess.Popen[str]:
    """A worker process (`tests/reliability/workers.py`), its stdout piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.workers", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(workers: Sequence[subprocess.Popen[str]], timeout: float) -> list[str]:
    """Wait for every worker; each must exit 0. Returns their standard outputs."""
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, err
        assert "locked" not in err
        outputs.append(out)
    return outputs


def seeds_written(db: store.Store, run: str) -> list[int]:
    """Every `seed` value the run's log holds, one per event, in revision order."""
    return [
        e.value
        for revision in reversed(db.history(run))
        for e in revision.events
        if e.path == "seed"
    ]


def intended_seeds(writers: int, updates: int) -> list[int]:
    """The distinct seeds writer w writes: w*1000 + i (writers count from 1)."""
    return [w * 1000 + i for w in range(1, writers + 1) for i in range(updates)]


def assert_nothing_lost(db: store.Store, run: str, writers: int, updates: int) -> None:
    """Dense numbers 1..n, every intended update present exactly once, chains intact."""
    numbers = sorted(r.number for r in db.history(run))
    assert numbers == list(range(1, writers * updates + 2))
    assert sorted(seeds_written(db, run)) == intended_seeds(writers, updates)
    assert db.verify().ok


class Hub(BaseModel):
    """A section holding a secret, to check nested secret paths."""

    token: SecretStr = SecretStr("")
    repo: str = "me/model"


class Secretive(BaseModel):
    """A small schema with secret fields (invariant 11)."""

    name: str = "run"
    api_key: SecretStr = SecretStr("")
    hub: Hub = Hub()


@pytest.fixture
def secretive(monkeypatch: pytest.MonkeyPatch) -> Iterator[Schema]:
    """The `secretive` schema, registered for one test."""
    schema = Schema("secretive", [SchemaVersion(1, Secretive)])
    monkeypatch.setitem(_registry._registered, "secretive", schema)
    yield schema


def file_bytes(url: str) -> bytes:
    """The SQLite file with its -wal and -shm files, as one byte string."""
    path = sqlite_file(url)
    parts = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@contextmanager
def hold_write_lock(url: str, seconds: float) -> Iterator[None]:
    """Another connection holds SQLite's write lock for `seconds`, from another thread."""
    blocker = sqlite3.connect(sqlite_file(url), check_same_thread=False)
    blocker.isolation_level = None
    blocker.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, blocker.execute, args=("ROLLBACK",))
    timer.start()
    try:
        yield
    finally:
        timer.join()
        blocker.close()
