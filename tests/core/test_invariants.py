"""SPEC.md invariants 1-10, each attacked against a real database file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

import store
from store import _registry
from store._schema import Schema, SchemaVersion, Transform, Upcaster
from tests.conftest import dump_database


def sqlite_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


# 1. Append-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE revisions SET author = 'mallory'",
        "DELETE FROM revisions",
        "UPDATE events SET value = '1'",
        "DELETE FROM events",
        "INSERT OR REPLACE INTO revisions SELECT * FROM revisions",
        "INSERT OR REPLACE INTO events SELECT * FROM events",
        "REPLACE INTO revisions SELECT * FROM revisions WHERE number = 1",
    ],
)
def test_the_database_refuses_rewriting_the_log(sqlite_url: str, statement: str) -> None:
    with store.open(sqlite_url) as db:
        db.create("run", {"epochs": 3})
        db.update("run", {"epochs": 4})
    before = dump_database(sqlite_url)
    conn = sqlite3.connect(sqlite_file(sqlite_url))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    conn.close()
    assert dump_database(sqlite_url) == before


def test_rollback_and_unset_append_new_revisions(db: store.Store) -> None:
    db.create("run", {"epochs": 3})
    db.update("run", {"epochs": 4})
    db.unset("run", ["epochs"])
    db.rollback("run", to=2)
    assert [r.kind for r in db.history("run")] == ["rollback", "update", "update", "create"]
    assert db.at("run", 1).epochs == 3  # type: ignore[attr-defined]


# 2. Replay never fails on a missing field ---------------------------------------------------


class Before(BaseModel):
    lr: float = 0.1


class After(BaseModel):
    lr: float = 0.1
    warmup: int = 0


def _reads_every_field(config: dict[str, Any]) -> dict[str, Any]:
    config["warmup"] = int(config["lr"] * 100)  # a OneTrainer-style migration: reads a key directly
    return config


def test_an_upcaster_always_sees_a_complete_config(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = Schema(
        "complete",
        [SchemaVersion(1, Before), SchemaVersion(2, After)],
        [Upcaster(1, [Transform(_reads_every_field, paths=("lr", "warmup"))])],
    )
    monkeypatch.setitem(_registry._registered, "complete", schema)
    db.create("never-set-lr", {}, schema="complete", schema_version=1)
    assert db.current("never-set-lr").model_dump() == {"lr": 0.1, "warmup": 10}


# 4. Rollback is exact -----------------------------------------------------------------------


def test_rollback_makes_current_equal_the_old_revision(db: store.Store) -> None:
    db.create("run", {"learning_rate": 3e-4, "batch_size": 2}, schema_version=1)
    db.update("run", {"batch_size": 8, "ema": True})
    db.unset("run", ["batch_size"])
    db.update("run", {"optimizer.weight_decay": 0.2, "seed": 9})
    for target in (1, 2, 3):
        db.rollback("run", to=target)
        assert db.current("run") == db.at("run", target)
    assert db.head("run").number == 7


def test_rollback_to_the_current_revision_is_a_no_op(db: store.Store) -> None:
    db.create("run", {"epochs": 3})
    with pytest.raises(store.NoChange, match="nothing changed"):
        db.rollback("run", to=1)


# 5. Replay is deterministic; snapshots are a cache ------------------------------------------


def test_snapshot_plus_tail_equals_full_replay(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 3)
    with store.open(db_url) as db:
        db.create("run", {"epochs": 1}, schema_version=1)
        for i in range(2, 12):
            db.update("run", {"epochs": i, "seed": i % 3}, schema_version=1 if i < 6 else None)
        with_snapshots = [db.at("run", r) for r in range(1, 12)]
    monkeypatch.setattr("store.Schema.fingerprint", "another-schema")
    with store.open(db_url) as db:
        assert [db.at("run", r) for r in range(1, 12)] == with_snapshots


def test_a_snapshot_from_another_fingerprint_is_ignored(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 2)
    with store.open(sqlite_url) as db:
        db.create("run", {"epochs": 1})
        db.update("run", {"epochs": 2})
        expected = db.current("run")
    conn = sqlite3.connect(sqlite_file(sqlite_url))
    [(count,)] = conn.execute("SELECT count(*) FROM snapshots").fetchall()
    assert count == 1
    conn.execute("UPDATE snapshots SET state = replace(state, '\"epochs\":2', '\"epochs\":99')")
    conn.execute("UPDATE snapshots SET fingerprint = 'stale'")
    conn.commit()
    conn.close()
    with store.open(sqlite_url) as db:
        assert db.current("run") == expected


# 6. Validate before write ---------------------------------------------------------------------


def test_an_unknown_path_is_refused_with_the_nearest_known_one(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("run")
        before = dump_database(db_url)
        with pytest.raises(
            store.InvalidChange,
            match=r"'optimizer.learning_rat'; did you mean optimizer.learning_rate\?",
        ):
            db.update("run", {"optimizer.learning_rat": 1e-3})
    assert dump_database(db_url) == before


def test_a_value_of_the_wrong_type_names_path_value_and_type(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("run")
        before = dump_database(db_url)
        with pytest.raises(
            store.InvalidChange, match=r"batch_size: 'many' is invalid: .*\(expected int\)"
        ):
            db.update("run", {"batch_size": "many"})
        with pytest.raises(store.InvalidChange, match=r"batch_size: 0 is invalid"):
            db.update("run", {"batch_size": 0})
        with pytest.raises(store.InvalidChange, match="NaN and Infinity are refused"):
            db.update("run", {"optimizer.learning_rate": float("nan")})
    assert dump_database(db_url) == before


def test_a_value_over_the_size_limit_is_refused(db: store.Store) -> None:
    db.create("run")
    with pytest.raises(store.InvalidChange, match="the limit is 1048576"):
        db.update("run", {"model": "x" * (1024 * 1024 + 1)})


# 7. No silent no-ops -----------------------------------------------------------------------


def test_a_write_that_changes_nothing_appends_nothing(db: store.Store) -> None:
    db.create("run", {"epochs": 3})
    with pytest.raises(store.NoChange, match="nothing changed"):
        db.update("run", {"epochs": 3})
    with pytest.raises(store.NoChange):
        db.unset("run", ["seed"])
    assert db.head("run").number == 1


def test_unchanged_assignments_inside_a_write_are_not_stored(db: store.Store) -> None:
    db.create("run", {"epochs": 3})
    revision = db.update("run", {"epochs": 3, "seed": 5})
    assert [(e.path, e.value) for e in revision.events] == [("seed", 5)]


# 8. Never older code on newer data --------------------------------------------------------


class V1(BaseModel):
    x: int = 1


class V2(BaseModel):
    x: int = 1
    y: int = 2


def test_a_run_written_by_a_newer_schema_version_is_refused(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    newer = Schema("evolving", [SchemaVersion(1, V1), SchemaVersion(2, V2)], [Upcaster(1, [])])
    older = Schema("evolving", [SchemaVersion(1, V1)])
    monkeypatch.setitem(_registry._registered, "evolving", newer)
    db.create("run", {"x": 5}, schema="evolving", schema_version=1)
    db.update("run", {"y": 7})
    monkeypatch.setitem(_registry._registered, "evolving", older)
    message = r"version 2, but this program knows only up to version 1"
    with pytest.raises(store.SchemaVersionTooNew, match=message):
        db.current("run")
    with pytest.raises(store.SchemaVersionTooNew, match=message):
        db.update("run", {"x": 6})


def test_schema_versions_within_a_run_never_decrease(db: store.Store) -> None:
    db.create("run", {"epochs": 3})
    with pytest.raises(store.SchemaVersionTooNew, match="older version 1 is refused"):
        db.update("run", {"epochs": 4}, schema_version=1)


# 9. No lost updates -----------------------------------------------------------------------


def test_expected_revision_conflicts_write_nothing(db: store.Store) -> None:
    db.create("run")
    db.update("run", {"epochs": 1}, expected_revision=1)
    with pytest.raises(store.Conflict, match="at revision 2, not the expected 1"):
        db.update("run", {"epochs": 2}, expected_revision=1)
    assert db.head("run").number == 2


def test_threads_sharing_a_store_get_dense_revision_numbers(db: store.Store) -> None:
    db.create("run")
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        try:
            for i in range(15):
                db.update("run", {"seed": seed * 1000 + i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(r.number for r in db.history("run"))
    assert numbers == list(range(1, 62))
    assert db.verify().ok


# 10. Tamper-evident ------------------------------------------------------------------------


def test_every_read_exposes_revision_and_hash_and_verify_checks_an_expected_hash(
    db: store.Store,
) -> None:
    db.create("run", {"epochs": 3})
    head = db.update("run", {"epochs": 4})
    reading = db.read("run")
    assert (reading.revision, reading.hash) == (2, head.hash)
    assert db.verify(expect=f"run@2:{head.hash}").ok
    report = db.verify(expect=f"run@3:{head.hash}")
    assert not report.ok
    assert "revision 3 is missing (the run ends at 2)" in str(report.problems[0])


def test_verify_reports_an_altered_revision(sqlite_url: str, tmp_path: Path) -> None:
    with store.open(sqlite_url) as db:
        db.create("run", {"epochs": 3})
        db.update("run", {"epochs": 4})
        db.update("run", {"epochs": 5})
    conn = sqlite3.connect(sqlite_file(sqlite_url))
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET value = '40' WHERE value = '4'")
    conn.commit()
    conn.close()
    with store.open(sqlite_url) as db:
        report = db.verify()
    assert not report.ok
    assert [(p.run, p.revision) for p in report.problems] == [("run", 2)]


def test_the_cached_head_config_reads_exactly_as_a_replay(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("run", {"learning_rate": 3e-4, "gradient_checkpointing": True}, schema_version=1)
        db.update("run", {"resolution": "512,768"})
        cached = db.current("run")
        assert cached == db.read("run").config
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM snapshots")
    engine.dispose()
    with store.open(db_url) as db:
        assert db.current("run") == cached


class Parts(BaseModel):
    dtype: str = "FLOAT_32"


class Flat1(BaseModel):
    dtype: str = "FLOAT_32"
    unet: Parts = Parts()
    vae: Parts = Parts()


class Flat2(BaseModel):
    unet: Parts = Parts()
    vae: Parts = Parts()


def _fan_out(config: dict[str, Any], present: set[str]) -> dict[str, Any]:
    """A format's migration that copies the global dtype only into parts the file had."""
    dtype = config.pop("dtype")
    if "dtype" in present:
        for part in ("unet", "vae"):
            if f"{part}.dtype" in present:
                config[part]["dtype"] = dtype
    return config


def test_a_presence_transform_sees_the_whole_config_and_what_was_set(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = Schema(
        "fanout",
        [SchemaVersion(1, Flat1), SchemaVersion(2, Flat2)],
        [
            Upcaster(
                1, [Transform(_fan_out, paths=("dtype", "unet.dtype", "vae.dtype"), presence=True)]
            )
        ],
    )
    monkeypatch.setitem(_registry._registered, "fanout", schema)
    db.create("partial", {"dtype": "BF16", "unet.dtype": "NONE"}, schema="fanout", schema_version=1)
    assert db.current("partial").model_dump() == {
        "unet": {"dtype": "BF16"},
        "vae": {"dtype": "FLOAT_32"},
    }
    assert schema.run_defaults(1, 2) == {"unet.dtype": "FLOAT_32", "vae.dtype": "FLOAT_32"}
