"""Invariant 9 under load: 8 writers x 250 updates to one run lose nothing, forge nothing."""

from __future__ import annotations

import threading
import time

import pytest

import store
from tests.reliability.conftest import (
    assert_nothing_lost,
    finish,
    hold_write_lock,
    start_worker,
)
from tests.reliability.workers import updates

WRITERS = 8
UPDATES = 250


def optimistic(writer: int) -> bool:
    """Half the writers pass `expected_revision` and retry; half write blindly."""
    return writer % 2 == 0


@pytest.mark.slow
def test_eight_processes_on_one_run_lose_nothing(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("shared")
    started = time.monotonic()
    workers = [
        start_worker("writer", db_url, "shared", str(w), str(UPDATES), str(int(optimistic(w))))
        for w in range(1, WRITERS + 1)
    ]
    finish(workers, timeout=600)
    print(f"{WRITERS} processes x {UPDATES} updates: {time.monotonic() - started:.1f}s")
    with store.open(db_url) as db:
        assert_nothing_lost(db, "shared", WRITERS, UPDATES)


@pytest.mark.slow
def test_eight_threads_sharing_one_store_lose_nothing(db_url: str) -> None:
    errors: list[BaseException] = []

    def write(db: store.Store, writer: int) -> None:
        try:
            updates(db, "shared", writer, UPDATES, optimistic(writer))
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    with store.open(db_url) as db:
        db.create("shared")
        threads = [threading.Thread(target=write, args=(db, w)) for w in range(1, WRITERS + 1)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"{WRITERS} threads x {UPDATES} updates: {time.monotonic() - started:.1f}s")
        assert errors == []
        assert_nothing_lost(db, "shared", WRITERS, UPDATES)


def test_retries_reapply_the_change_on_the_new_head(db: store.Store) -> None:
    db.create("run")
    db.update("run", {"epochs": 5})
    written = db.update("run", {"seed": 7}, expected_revision=1, retries=1)
    assert written.number == 3
    assert db.current("run").epochs == 5  # type: ignore[attr-defined]


def test_without_retries_a_stale_expectation_writes_nothing(db: store.Store) -> None:
    db.create("run")
    db.update("run", {"epochs": 5})
    with pytest.raises(store.Conflict, match="at revision 2, not the expected 1"):
        db.update("run", {"seed": 7}, expected_revision=1)
    assert db.head("run").number == 2


def test_a_writer_waits_for_a_held_lock_instead_of_failing(sqlite_url: str) -> None:
    with store.open(sqlite_url) as db:
        db.create("run")
    with hold_write_lock(sqlite_url, seconds=1.0), store.open(sqlite_url, timeout=30) as db:
        assert db.update("run", {"epochs": 2}).number == 2


def test_a_lock_held_past_the_timeout_is_one_clear_error(sqlite_url: str) -> None:
    with store.open(sqlite_url) as db:
        db.create("run")
    with store.open(sqlite_url, timeout=0.2) as db, hold_write_lock(sqlite_url, seconds=2.0):
        with pytest.raises(store.DatabaseError, match="held the lock past the timeout"):
            db.update("run", {"epochs": 2})
        assert db.head("run").number == 1
