"""Property tests: random histories against a plain reference fold, on a real SQLite file."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store
from store._training import TRAINING

DEFAULTS = TRAINING.run_defaults(3, 3)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "epochs": st.integers(0, 5),
    "seed": st.integers(-3, 3),
    "batch_size": st.integers(1, 4),
    "optimizer.learning_rate": st.sampled_from([1e-4, 3e-4, 1e-3]),
    "optimizer.name": st.sampled_from(["ADAMW", "SGD"]),
    "ema": st.booleans(),
    "resolution": st.sampled_from(["512", "768", "512,768"]),
}
assignments = st.dictionaries(st.sampled_from(sorted(VALUES)), st.nothing(), min_size=1).flatmap(
    lambda keys: st.fixed_dictionaries({k: VALUES[k] for k in keys})
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("update"), assignments),
        st.tuples(
            st.just("unset"), st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=3)
        ),
        st.tuples(st.just("rollback"), st.integers(1, 30)),
    ),
    max_size=14,
)
names = (f"run{n}" for n in itertools.count())
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def flat(config: Any) -> dict[str, Any]:
    dumped = config.model_dump()
    return {
        **{k: v for k, v in dumped.items() if k != "optimizer"},
        **{f"optimizer.{k}": v for k, v in dumped["optimizer"].items()},
    }


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> store.Store:
    path: Path = tmp_path_factory.mktemp("props") / "props.db"
    return store.open(f"sqlite:///{path}")


@pytest.fixture(autouse=True)
def frequent_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 3)


@SETTINGS
@given(created=st.fixed_dictionaries({}, optional=VALUES), ops=operations)
def test_replay_equals_a_reference_fold(
    shared: store.Store, created: dict[str, Any], ops: list[Any]
) -> None:
    run = next(names)
    shared.create(run, created)
    expected = [{**DEFAULTS, **created}]
    for op, arg in ops:
        before = expected[-1]
        if op == "update":
            after = {**before, **arg}
        elif op == "unset":
            after = {**before, **{p: DEFAULTS[p] for p in arg}}
        else:
            arg = min(arg, len(expected))
            after = expected[arg - 1]
        if after == before:
            with pytest.raises(store.NoChange):
                apply(shared, run, op, arg)
            continue
        apply(shared, run, op, arg)
        expected.append(after)
        assert flat(shared.current(run)) == after
    for number, state in enumerate(expected, start=1):
        assert flat(shared.at(run, number)) == state
    assert shared.head(run).number == len(expected)


def apply(db: store.Store, run: str, op: str, arg: Any) -> None:
    if op == "update":
        db.update(run, arg)
    elif op == "unset":
        db.unset(run, arg)
    else:
        db.rollback(run, to=arg)


@SETTINGS
@given(ops=operations, target=st.integers(1, 20))
def test_past_revisions_never_change_and_rollback_is_exact(
    shared: store.Store, ops: list[Any], target: int
) -> None:
    run = next(names)
    shared.create(run, {"epochs": 1})
    seen: dict[int, Any] = {1: shared.at(run, 1)}
    for op, arg in ops:
        try:
            apply(shared, run, op, min(arg, shared.head(run).number) if op == "rollback" else arg)
        except store.NoChange:
            continue
        head = shared.head(run).number
        seen[head] = shared.current(run)
        assert all(shared.at(run, n) == config for n, config in seen.items())
    head = shared.head(run).number
    target = min(target, head)
    if target < head and shared.at(run, target) != shared.current(run):
        shared.rollback(run, to=target)
        assert shared.current(run) == shared.at(run, target)
    assert shared.verify(run).ok
