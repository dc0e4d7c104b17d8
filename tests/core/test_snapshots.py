"""Snapshots are a cache (invariant 5): snapshot + tail gives exactly what a full replay gives."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store
from store import _reads, _replay
from store._tables import snapshots

VALUES: dict[int, dict[str, st.SearchStrategy[Any]]] = {
    1: {
        "epochs": st.integers(0, 5),
        "seed": st.integers(-3, 3),
        "batch_size": st.integers(1, 4),
        "learning_rate": st.sampled_from([1e-4, 3e-4]),
        "optimizer": st.sampled_from(["ADAMW", "SGD"]),
        "gradient_checkpointing": st.booleans(),
        "save_after": st.integers(0, 3),
        "resolution": st.sampled_from([512, 768]),
    },
    2: {
        "epochs": st.integers(0, 5),
        "batch_size": st.integers(1, 4),
        "learning_rate": st.sampled_from([1e-4, 3e-4]),
        "gradient_checkpointing": st.sampled_from(["OFF", "ON", "CPU_OFFLOADED"]),
        "save_every": st.integers(0, 3),
        "ema": st.booleans(),
    },
    3: {
        "epochs": st.integers(0, 5),
        "batch_size": st.integers(1, 4),
        "optimizer.learning_rate": st.sampled_from([1e-4, 3e-4]),
        "optimizer.weight_decay": st.sampled_from([0.0, 0.01, 0.1]),
        "optimizer.name": st.sampled_from(["ADAMW", "SGD"]),
        "resolution": st.sampled_from(["512", "768", "512,768"]),
        "ema": st.booleans(),
    },
}


def assignments(version: int) -> st.SearchStrategy[dict[str, Any]]:
    """A few assignments valid at `version`."""
    fields = VALUES[version]
    return st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=4, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({k: fields[k] for k in keys})
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, dict[str, Any], list[tuple[Any, ...]]]:
    """A base version, the created values, and writes whose versions never decrease."""
    base = draw(st.integers(1, 3))
    created = draw(assignments(base))
    version = base
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(0, 12))):
        version = draw(st.integers(version, 3))
        kind = draw(st.sampled_from(["update", "update", "unset", "rollback"]))
        if kind == "update":
            ops.append(("update", version, draw(assignments(version))))
        elif kind == "unset":  # unset and rollback write at the newest version
            version = 3
            ops.append(("unset", 3, draw(st.lists(st.sampled_from(sorted(VALUES[3])), min_size=1))))
        else:
            version = 3
            ops.append(("rollback", 3, draw(st.integers(1, 20))))
    return base, created, ops


names = (f"run{n}" for n in itertools.count())
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def build(db: store.Store, base: int, created: dict[str, Any], ops: list[tuple[Any, ...]]) -> str:
    """Write a random history into a new run; refused writes are skipped, as a user would."""
    run = next(names)
    db.create(run, created, schema_version=base)
    for kind, version, argument in ops:
        try:
            if kind == "update":
                db.update(run, argument, schema_version=version)
            elif kind == "unset":
                db.unset(run, argument)
            else:
                db.rollback(run, to=argument)
        except (store.NoChange, store.InvalidChange, store.RevisionNotFound):
            pass
    return run


def full_replays(db: store.Store, run: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`at(run, r)` for every revision, replaying the whole log each time."""
    head = db.head(run).number
    with monkeypatch.context() as patch:
        patch.setattr("store._reads.snapshot_key", lambda schema: "no-such-snapshot")
        return [db.at(run, r) for r in range(1, head + 1)]


@SETTINGS
@given(history=histories(), every=st.integers(1, 6), events=st.integers(1, 80))
def test_snapshot_plus_tail_equals_full_replay(
    db: store.Store,
    monkeypatch: pytest.MonkeyPatch,
    history: tuple[int, dict[str, Any], list[tuple[Any, ...]]],
    every: int,
    events: int,
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", every)
    monkeypatch.setattr("store._writes.SNAPSHOT_EVENTS", events)
    run = build(db, *history)
    head = db.head(run).number
    with_snapshots = [db.at(run, r) for r in range(1, head + 1)]
    assert with_snapshots == full_replays(db, run, monkeypatch)
    assert db.read(run).values == db.read(run, head).values
    assert db.verify(run).ok  # every recorded config hash and the snapshot replay exactly


@SETTINGS
@given(history=histories(), every=st.integers(1, 3))
def test_reading_the_head_from_its_snapshot_equals_reading_it_in_a_transaction(
    db: store.Store,
    monkeypatch: pytest.MonkeyPatch,
    history: tuple[int, dict[str, Any], list[tuple[Any, ...]]],
    every: int,
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", every)
    run = build(db, *history)
    with db._recorder.read() as tx:
        in_transaction = _reads.reading_in(tx, run)
    from_snapshot = _reads._head_reading(db._recorder, run, None)
    older = db.head(run).schema_version < 3  # upcast by set fields no hash covers: replayed
    assert from_snapshot == in_transaction or (from_snapshot is None and (every > 1 or older))
    assert db.read(run) == in_transaction


@SETTINGS
@given(history=histories(), points=st.lists(st.integers(1, 20), max_size=4))
def test_snapshots_at_any_revisions_equal_full_replay(
    db: store.Store,
    monkeypatch: pytest.MonkeyPatch,
    history: tuple[int, dict[str, Any], list[tuple[Any, ...]]],
    points: list[int],
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 10**9)
    monkeypatch.setattr("store._writes.SNAPSHOT_EVENTS", 10**9)
    run = build(db, *history)
    head = db.head(run).number
    expected = full_replays(db, run, monkeypatch)
    with db._recorder.write() as tx:
        row = tx.run(run)
        assert row is not None
        revisions = list(tx.revisions(row))
        for point in sorted({p for p in points if p <= head}):
            state = _reads.replay(row, revisions, upto=point)
            tx._conn.execute(
                snapshots.insert().values(
                    run_id=row.id,
                    revision=point,
                    fingerprint=_replay.snapshot_key(state.schema),
                    schema_version=state.version,
                    state=state.dump(),
                )
            )
    assert [db.at(run, r) for r in range(1, head + 1)] == expected


@SETTINGS
@given(created=assignments(3), ops=st.lists(assignments(3), max_size=12))
def test_one_fields_history_equals_the_full_history(
    db: store.Store, created: dict[str, Any], ops: list[dict[str, Any]]
) -> None:
    run = next(names)
    db.create(run, created)
    for changes in ops:
        with contextlib.suppress(store.NoChange):
            db.update(run, changes)
    full = db.history(run)
    for path in VALUES[3]:
        expected = [
            (r.number, r.events, [c for c in r.changes if c.path == path])
            for r in full
            if any(c.path == path for c in r.changes)
        ]
        found = [(r.number, r.events, list(r.changes)) for r in db.history(run, field=path)]
        assert found == expected
        steps = [(s.revision, [(path, s.old, s.new)]) for s in db.timeline(run, path)]
        assert steps == [(n, changes) for n, _, changes in reversed(expected)]


def snapshot_rows(url: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(snapshots.c.run_id, snapshots.c.revision)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_a_run_keeps_its_head_snapshot_and_one_every_spacing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._reads.SNAPSHOT_SPACING", 4)
    with store.open(db_url) as db:
        db.create("run", {"epochs": 1})
        for epochs in range(2, 11):
            db.update("run", {"epochs": epochs})
        assert snapshot_rows(db_url) == [(1, 4), (1, 8), (1, 10)]
        assert [db.at("run", r).epochs for r in range(1, 11)] == list(range(1, 11))  # type: ignore[attr-defined]


def test_a_snapshot_between_two_spaced_revisions_is_replaced(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 2)
    monkeypatch.setattr("store._reads.SNAPSHOT_SPACING", 5)
    with store.open(db_url) as db:
        db.create("run", {"epochs": 1})  # snapshots made at 2, 4, 6, 8 and 10
        for epochs in range(2, 11):
            db.update("run", {"epochs": epochs})
        assert snapshot_rows(db_url) == [(1, 4), (1, 10)]


def test_bulk_writes_keep_the_same_snapshots_as_single_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._reads.SNAPSHOT_SPACING", 4)
    monkeypatch.setattr("store._writes.BATCH", 3)
    single, bulk = (f"sqlite:///{tmp_path / name}.db" for name in ("single", "bulk"))
    with store.open(single) as db:
        db.create("run", {"epochs": 1})
        for epochs in range(2, 12):
            db.update("run", {"epochs": epochs})
    with store.open(bulk) as db:
        db.create("run", {"epochs": 1})
        db.update_many("run", ({"epochs": epochs} for epochs in range(2, 12)))
        assert db.current("run").epochs == 11  # type: ignore[attr-defined]
    assert snapshot_rows(bulk) == snapshot_rows(single) == [(1, 4), (1, 8), (1, 11)]


def test_reading_any_revision_replays_less_than_the_spacing(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._reads.SNAPSHOT_SPACING", 5)
    db.create("run", {"epochs": 0})
    db.update_many("run", ({"epochs": epochs} for epochs in range(1, 23)))
    with db._recorder.read() as tx:
        row = tx.run("run")
        assert row is not None
        for revision in range(1, 24):
            state, snapshot_at, _ = _reads.load(tx, row, revision)
            assert state.values["epochs"] == revision - 1
            assert 0 <= revision - snapshot_at < 5


def test_a_write_drops_the_snapshots_of_another_fingerprint(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._reads.SNAPSHOT_SPACING", 2)
    with store.open(db_url) as db:
        db.create("run", {"epochs": 1})
        db.update("run", {"epochs": 2})
        with db._recorder.write() as tx:  # planted: revision 1 under another schema's key
            tx._conn.execute(
                snapshots.insert().values(
                    run_id=1, revision=1, fingerprint="0" * 32, schema_version=3, state="{}"
                )
            )
        assert sorted(snapshot_rows(db_url)) == [(1, 1), (1, 2)]
        db.update("run", {"epochs": 3})
        assert snapshot_rows(db_url) == [(1, 2), (1, 3)]


def test_a_large_revision_is_snapshotted_at_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = {"epochs": 7, "seed": 1, "batch_size": 2, "ema": True, "resolution": "768"}
    monkeypatch.setattr("store._writes.SNAPSHOT_EVENTS", len(values))
    with store.open(db_url) as db:
        db.create("run", values)
        assert snapshot_rows(db_url) == [(1, 1)]
        assert db.current("run").epochs == 7  # type: ignore[attr-defined]


def test_a_snapshot_of_another_layout_is_ignored(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("run", {"epochs": 1})
        schema = store.get_schema("training")
        old_layout = '{"base":3,"version":3,"values":{"epochs":99},"explicit":{"epochs":1}}'
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(
                snapshots.insert().values(
                    run_id=1,
                    revision=1,
                    fingerprint=schema.fingerprint,
                    schema_version=3,
                    state=old_layout,
                )
            )
        engine.dispose()
        assert db.current("run").epochs == 1  # type: ignore[attr-defined]
