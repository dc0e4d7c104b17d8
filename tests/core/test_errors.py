"""Bad input to the API raises the package's own error, names the problem and changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import store
from tests.conftest import dump_database

CASES: list[tuple[str, Callable[[store.Store], object], type[store.StoreError], str]] = [
    (
        "unknown path",
        lambda s: s.update("run", {"optimiser.name": "SGD"}),
        store.InvalidChange,
        "did you mean optimizer.name",
    ),
    (
        "section as a field",
        lambda s: s.update("run", {"optimizer": "SGD"}),
        store.InvalidChange,
        "optimizer is a section",
    ),
    (
        "wrong type",
        lambda s: s.update("run", {"epochs": [1]}),
        store.InvalidChange,
        "epochs: [1] is invalid",
    ),
    (
        "bad run name",
        lambda s: s.create("no spaces"),
        store.InvalidRunName,
        "invalid run name 'no spaces'",
    ),
    (
        "bad run name on read",
        lambda s: s.current("../etc"),
        store.InvalidRunName,
        "invalid run name",
    ),
    ("missing run", lambda s: s.current("ghost"), store.RunNotFound, "no run named 'ghost'"),
    (
        "missing run on write",
        lambda s: s.update("ghost", {"epochs": 1}),
        store.RunNotFound,
        "ghost",
    ),
    ("revision 0", lambda s: s.at("run", 0), store.RevisionNotFound, "no revision 0"),
    ("revision -1", lambda s: s.at("run", -1), store.RevisionNotFound, "no revision -1"),
    ("revision past the end", lambda s: s.at("run", 9), store.RevisionNotFound, "revisions 1..2"),
    (
        "rollback past the end",
        lambda s: s.rollback("run", to=3),
        store.RevisionNotFound,
        "no revision 3",
    ),
    ("duplicate create", lambda s: s.create("run"), store.RunExists, "run 'run' already exists"),
    (
        "unknown schema",
        lambda s: s.create("other", schema="nope"),
        store.UnknownSchema,
        "unknown schema 'nope'",
    ),
    (
        "unknown schema version",
        lambda s: s.create("other", schema_version=0),
        store.InvalidChange,
        "has no version 0",
    ),
    (
        "newer schema version",
        lambda s: s.create("other", schema_version=7),
        store.SchemaVersionTooNew,
        "version 7 is newer",
    ),
    (
        "infinite value",
        lambda s: s.update("run", {"optimizer.learning_rate": float("inf")}),
        store.InvalidChange,
        "NaN and Infinity",
    ),
    (
        "bad expectation",
        lambda s: s.verify(expect="run@x:abc"),
        store.StoreError,
        "expected RUN@N:HASH",
    ),
    (
        "unset unknown path",
        lambda s: s.unset("run", ["epoch"]),
        store.InvalidChange,
        "did you mean epochs",
    ),
]


@pytest.mark.parametrize(
    ("action", "error", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_a_named_error_and_changes_nothing(
    db_url: str,
    action: Callable[[store.Store], object],
    error: type[store.StoreError],
    message: str,
) -> None:
    with store.open(db_url) as db:
        db.create("run", {"epochs": 3})
        db.update("run", {"epochs": 4})
        before = dump_database(db_url)
        with pytest.raises(error) as caught:
            action(db)
        assert message in str(caught.value)
    assert dump_database(db_url) == before


def test_no_driver_error_escapes_for_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(store.DatabaseError, match="file is not a database"):
        store.open(f"sqlite:///{bogus}")
    assert bogus.read_text().startswith("these are my notes")


def test_a_database_in_a_missing_folder_or_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(store.DatabaseError, match="does not exist"):
        store.open(f"sqlite:///{tmp_path / 'missing' / 'store.db'}")
    with pytest.raises(store.DatabaseError, match="is a folder"):
        store.open(f"sqlite:///{tmp_path}")
    assert not (tmp_path / "missing").exists()


def test_an_unsupported_url_is_refused() -> None:
    with pytest.raises(store.DatabaseError, match="unsupported database 'mysql'"):
        store.open("mysql://localhost/x")
    with pytest.raises(store.DatabaseError, match="not a database URL"):
        store.open("")


def test_a_driver_error_while_replaying_is_translated(sqlite_url: str) -> None:
    with store.open(sqlite_url) as db:
        db.create("run", {"epochs": 3})
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    conn.execute("DELETE FROM snapshots")
    conn.execute("ALTER TABLE events RENAME TO lost")
    conn.commit()
    conn.close()
    with store.open(sqlite_url) as db, pytest.raises(store.DatabaseError, match="no such table"):
        db.current("run")
