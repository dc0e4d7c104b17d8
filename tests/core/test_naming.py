"""Tags, rollback targets, forks, archives, the log across runs and filtered run lists,
through the library on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

import store
from store._registry import _registered
from tests.conftest import dump_database


@pytest.fixture
def runs(db: store.Store) -> store.Store:
    """Run `a` at revision 3 (batch size 8, then 7 epochs), run `b` at revision 1."""
    db.create("a", message="first")
    db.update("a", {"batch_size": 8})
    db.update("a", {"epochs": 7})
    db.create("b", {"seed": 1}, author="bo")
    return db


def test_a_tag_names_a_revision_wherever_one_is_read(runs: store.Store) -> None:
    made = runs.tag("a@2", "baseline", message="the baseline", author="bo")
    assert (made.name, made.revision, made.author, made.message) == (
        "baseline",
        2,
        "bo",
        "the baseline",
    )
    assert runs.resolve("a@baseline") == ("a", 2)
    assert runs.read("a@baseline").config == runs.at("a", 2)
    assert runs.diff("a@baseline", "a") == [store.Change("epochs", 100, 7)]
    assert runs.tags("a") == [made]
    assert runs.tag("a", "paper").revision == 3
    assert [t.name for t in runs.tags("a")] == ["baseline", "paper"]


def test_moving_a_tag_needs_force_and_keeps_its_old_position(
    runs: store.Store, db_url: str
) -> None:
    runs.tag("a@1", "baseline")
    before = dump_database(db_url)
    with pytest.raises(store.TagExists, match="names a@1; moving it to 3 needs --force"):
        runs.tag("a", "baseline")
    with pytest.raises(store.NoChange, match="names a@1 already"):
        runs.tag("a@1", "baseline", force=True)
    assert dump_database(db_url) == before
    runs.tag("a", "baseline", force=True)
    assert runs.resolve("a@baseline") == ("a", 3)
    assert [t.revision for t in runs.tags("a", history=True)] == [1, 3]
    assert [t.revision for t in runs.tags("a")] == [3]


@pytest.mark.parametrize("name", ["3", "head", "head~1", "2026-11-30T12:00:00Z", "a b"])
def test_a_tag_name_that_reads_as_another_reference_is_refused(
    runs: store.Store, name: str
) -> None:
    with pytest.raises(store.StoreError):
        runs.tag("a", name)
    assert runs.tags("a") == []


def test_tags_show_in_history_beside_their_revision(runs: store.Store) -> None:
    runs.tag("a@2", "baseline")
    runs.tag("a@2", "paper")
    assert [(r.number, r.tags) for r in runs.history("a")] == [
        (3, ()),
        (2, ("baseline", "paper")),
        (1, ()),
    ]
    assert runs.history("a", field="batch_size")[0].tags == ("baseline", "paper")


def test_a_rollback_records_its_target_in_the_hashed_chain(runs: store.Store) -> None:
    rolled = runs.rollback("a", to=1)
    target = runs.history("a")[-1]
    assert rolled.detail == {"rollback_to": 1, "rollback_hash": target.hash}
    assert runs.head("a").detail == rolled.detail
    assert runs.verify().ok


def test_a_fork_holds_exactly_the_config_at_the_reference(runs: store.Store) -> None:
    runs.tag("a@2", "baseline")
    forked = runs.fork("a@baseline", "c", author="bo")
    source = runs.read("a@2")
    assert (forked.run, forked.number, forked.kind, forked.author) == ("c", 1, "create", "bo")
    assert forked.detail == {"forked_from": "a@2", "forked_hash": source.hash}
    assert runs.diff("a@baseline", "c") == []
    assert runs.current("c") == source.config
    assert forked.config_hash == runs.history("a")[1].config_hash
    assert runs.read("c").forked_from == "a@2"
    assert {s.name: s.forked_from for s in runs.runs()} == {"a": None, "b": None, "c": "a@2"}
    assert runs.verify().ok


def test_a_fork_of_an_old_run_keeps_its_pinned_and_legacy_values(db: store.Store) -> None:
    db.create("old", {"learning_rate": 3e-4}, schema_version=1)
    db.fork("old", "new")
    assert db.diff("old", "new") == []
    assert db.current("new").batch_size == 1  # type: ignore[attr-defined]


def test_a_fork_refuses_an_existing_name_and_a_bad_reference(
    runs: store.Store, db_url: str
) -> None:
    before = dump_database(db_url)
    with pytest.raises(store.RunExists):
        runs.fork("a", "b")
    with pytest.raises(store.InvalidReference, match="has no tag 'nope'"):
        runs.fork("a@nope", "c")
    assert dump_database(db_url) == before


def run_events(url: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT action, author FROM run_events ORDER BY id").all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def test_an_archived_run_is_hidden_read_only_readable_and_verifiable(
    runs: store.Store, db_url: str
) -> None:
    event = runs.archive("b", author="bo", message="wrong run")
    assert (event.run, event.action, event.author, event.message) == (
        "b",
        "archive",
        "bo",
        "wrong run",
    )
    assert [s.name for s in runs.runs()] == ["a"]
    assert [(s.name, s.archived) for s in runs.runs(archived=True)] == [("a", False), ("b", True)]
    before = dump_database(db_url)
    for write in (
        lambda: runs.update("b", {"seed": 2}),
        lambda: runs.unset("b", ["seed"]),
        lambda: runs.rollback("b", to=1),
        lambda: runs.import_config("b", {"__version": 3, "seed": 5}),
        lambda: runs.tag("b", "baseline"),
    ):
        with pytest.raises(store.RunArchived, match="run 'b' is archived: unarchive it"):
            write()
    assert dump_database(db_url) == before
    assert runs.current("b").seed == 1  # type: ignore[attr-defined]
    assert runs.verify("b").ok
    runs.fork("b", "b2")
    with pytest.raises(store.NoChange, match="is archived already"):
        runs.archive("b")
    runs.unarchive("b", author="ana")
    assert runs.update("b", {"seed": 2}).number == 2
    assert run_events(db_url) == [("archive", "bo"), ("unarchive", "ana")]


def test_archived_says_whether_one_run_is_archived_now(runs: store.Store) -> None:
    assert (runs.archived("a"), runs.archived("b")) == (False, False)
    runs.archive("b")
    assert (runs.archived("a"), runs.archived("b")) == (False, True)
    runs.unarchive("b")
    assert runs.archived("b") is False
    with pytest.raises(store.RunNotFound):
        runs.archived("nope")


def test_the_log_lists_every_run_newest_first_filtered(runs: store.Store) -> None:
    everything = runs.log()
    assert [(r.run, r.number) for r in everything] == [("b", 1), ("a", 3), ("a", 2), ("a", 1)]
    assert everything[1].changes == (store.Change("epochs", 100, 7),)
    assert [(r.run, r.number) for r in runs.log(run="a*", limit=2)] == [("a", 3), ("a", 2)]
    assert [r.run for r in runs.log(author="bo")] == ["b"]
    middle = everything[2].created_at
    assert [r.number for r in runs.log(run="a", since=middle)] == [3, 2]
    assert [r.number for r in runs.log(run="a", until=middle)] == [2, 1]
    assert runs.log(since="2999-01-01T00:00:00Z") == []
    with pytest.raises(store.InvalidReference, match="'yesterday' is not a time"):
        runs.log(since="yesterday")


def test_a_limited_log_is_the_start_of_the_whole_log_and_reads_only_that(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.create("old", {"epochs": 1}, schema_version=1, author="ana")  # read by a whole replay
    db.create("a", author="bo")
    db.create("b2", {"seed": 0}, author="cy")
    for n in range(2, 6):
        db.update("a", {"epochs": n}, author="bo")
        db.update("old", {"epochs": n}, schema_version=1, author="ana")
        db.update("b2", {"seed": n}, author="cy")
    db.tag("a@3", "baseline")
    db.rollback("a", to=1, author="ana")
    whole = db.log()
    middle = whole[len(whole) // 2].created_at
    for filters in ({}, {"run": "a*"}, {"author": "ana"}, {"since": middle}, {"until": middle}):
        everything = db.log(**filters)  # type: ignore[arg-type]
        for limit in range(1, len(everything) + 2):
            assert db.log(limit=limit, **filters) == everything[:limit], (filters, limit)  # type: ignore[arg-type]
    read: list[int] = []
    real = store._log._page
    monkeypatch.setattr(store._log, "_page", lambda *args: read.append(args[2]) or real(*args))
    assert db.log(run="a", limit=2) == db.log(run="a")[:2]
    assert sorted(read) == [5, 6]  # the two newest of run a, each read alone


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (["batch_size=8"], ["a"]),
        (["batch_size!=8"], ["b"]),
        (["batch_size>4"], ["a"]),
        (["batch_size>=4"], ["a", "b"]),
        (["batch_size<8", "seed=1"], ["b"]),
        (["batch_size<=8", "epochs<100"], ["a"]),
        (["model=stable-diffusion-1.5"], ["a", "b"]),
        (["resolution=512"], ["a", "b"]),
        (['resolution="512"'], ["a", "b"]),
        (["gradient_checkpointing=ON", "ema=false"], ["a", "b"]),
    ],
)
def test_runs_filter_on_their_current_config(
    runs: store.Store, where: list[str], expected: list[str]
) -> None:
    assert [s.name for s in runs.runs(where=where)] == expected


def test_runs_filter_refuses_unknown_paths_and_ordering_non_numbers(runs: store.Store) -> None:
    with pytest.raises(store.InvalidChange, match="did you mean batch_size"):
        runs.runs(where=["batch_sise=8"])
    with pytest.raises(store.InvalidChange, match="compares numbers"):
        runs.runs(where=["model>abc"])
    with pytest.raises(store.InvalidChange, match=r"^model is text: > compares numbers$"):
        runs.runs(where=["model>1"])  # issue 23: refused, not `no runs`
    with pytest.raises(store.InvalidChange, match="expected PATH=VALUE"):
        runs.runs(where=["batch_size"])
    assert [s.name for s in runs.runs(schema="training")] == ["a", "b"]
    assert runs.runs(schema="onetrainer") == []


class V1(BaseModel):
    lr: float = 1e-4
    fp16: bool = False


class V2(BaseModel):
    lr: float = 1e-4
    precision: str = "bf16"


def precision_from_fp16(config: dict[str, object]) -> dict[str, object]:
    config["precision"] = "fp16" if config.pop("fp16") else "fp32"
    return config


def test_explain_reports_a_derived_value_as_derived(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("store._registry._registered", dict(_registered))
    store.register_schema(
        store.Schema(
            name="derive",
            versions=[store.SchemaVersion(1, V1), store.SchemaVersion(2, V2)],
            upcasters=[
                store.Upcaster(1, [store.Transform(precision_from_fp16, ("fp16", "precision"))])
            ],
        )
    )
    db.create("old", schema="derive", schema_version=1)
    db.create("new", schema="derive")
    old = {o.path: o for o in db.explain("old")}
    assert (old["precision"].value, old["precision"].source) == ("fp32", "derived")
    assert old["precision"].describe() == (
        "derived by the upcaster to version 2 from the run's other values"
    )
    assert old["lr"].describe() == "default of schema version 2"
    new = {o.path: o for o in db.explain("new")}
    assert (new["precision"].value, new["precision"].describe()) == (
        "bf16",
        "default of schema version 2",
    )


def test_explain_keeps_pinned_and_legacy_labels(db: store.Store) -> None:
    db.create("old", schema_version=1)
    found = {o.path: o.describe() for o in db.explain("old@head")}
    assert found["batch_size"] == "default pinned when the run crossed to version 3"
    assert found["optimizer.weight_decay"] == "legacy default of the upcaster to version 3"
    assert found["gradient_checkpointing"] == "default pinned when the run crossed to version 2"
