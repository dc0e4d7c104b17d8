"""History read a page at a time (`limit` + `before`) equals the same slice of the whole."""

from __future__ import annotations

import pytest

import store


def _changes(revisions: list[store.Revision]) -> list[tuple[int, tuple[store.Change, ...]]]:
    return [(r.number, r.changes) for r in revisions]


def _busy_run(db: store.Store, run: str, schema_version: int | None = None) -> None:
    """A run whose fields are set, unset, set again and rolled back."""
    lr = "learning_rate" if schema_version == 1 else "optimizer.learning_rate"
    db.create(run, {lr: 3e-4, "epochs": 5}, schema_version=schema_version)
    db.update_many(
        run,
        ({"epochs": i % 4, "seed": i // 3} for i in range(12)),
        schema_version=schema_version,
    )
    db.unset(run, ["epochs", "seed"])
    db.update(run, {"optimizer.learning_rate": 1e-3, "batch_size": 16})
    db.rollback(run, to=4)
    db.update(run, {"batch_size": 2}, message="<b>last</b>")


@pytest.mark.parametrize("schema_version", [None, 1])
def test_every_page_is_the_same_slice_of_the_whole_history(
    db: store.Store, schema_version: int | None
) -> None:
    _busy_run(db, "r", schema_version)
    whole = _changes(db.history("r"))
    head = whole[0][0]
    for limit in (1, 3, 50):
        for before in range(1, head + 3):
            page = db.history("r", limit=limit, before=before)
            expected = [item for item in whole if item[0] < before][:limit]
            assert _changes(page) == expected, (limit, before)


def test_before_alone_and_with_a_field(db: store.Store) -> None:
    _busy_run(db, "r")
    assert [r.number for r in db.history("r", before=4)] == [3, 2, 1]
    epochs = [r.number for r in db.history("r", field="epochs")]
    assert [r.number for r in db.history("r", field="epochs", before=5)] == [
        n for n in epochs if n < 5
    ]


def test_before_below_one_is_refused(db: store.Store) -> None:
    db.create("r")
    with pytest.raises(store.RevisionNotFound, match="numbered from 1"):
        db.history("r", before=0)


@pytest.mark.parametrize("schema_version", [None, 1])
def test_a_timeline_is_the_field_s_history_oldest_first(
    db: store.Store, schema_version: int | None
) -> None:
    _busy_run(db, "r", schema_version)
    for path in ("optimizer.learning_rate", "epochs", "seed", "batch_size", "ema"):
        expected = [
            (r.number, r.created_at, r.changes[0].old, r.changes[0].new)
            for r in reversed(db.history("r", field=path))
        ]
        assert [tuple(step) for step in db.timeline("r", path)] == expected, path


def test_a_timeline_names_an_unknown_path_or_run(db: store.Store) -> None:
    db.create("r")
    with pytest.raises(store.InvalidChange, match="unknown path"):
        db.timeline("r", "no.such")
    with pytest.raises(store.RunNotFound):
        db.timeline("nope", "epochs")


def test_a_field_s_history_and_timeline_leave_out_other_runs(db: store.Store) -> None:
    db.create("a")
    db.create("b", {"epochs": 10})
    for epochs in range(1, 6):
        db.update("a", {"epochs": epochs})
        db.update("b", {"epochs": 10 + epochs})
    db.create("c", {"epochs": 99})
    assert [(s.revision, s.new) for s in db.timeline("a", "epochs")] == [
        (n, n - 1) for n in range(2, 7)
    ]
    assert [r.number for r in db.history("b", field="epochs")] == [6, 5, 4, 3, 2, 1]
    assert [s.new for s in db.timeline("c", "epochs")] == [99]
