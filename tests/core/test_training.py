"""The built-in `training` schema: runs written at v1 and v2 read today as SPEC.md says."""

from __future__ import annotations

from typing import Any

import pytest

import store


def effective(db: store.Store, run: str) -> dict[str, Any]:
    return db.current(run).model_dump()


def test_a_v1_run_that_set_only_the_learning_rate_reads_as_the_spec_example(
    db: store.Store,
) -> None:
    db.create("old", {"learning_rate": 3e-4}, schema_version=1)
    assert effective(db, "old") == {
        "model": "stable-diffusion-1.5",
        "optimizer": {"name": "ADAMW", "learning_rate": 3e-4, "weight_decay": 0.0},
        "batch_size": 1,
        "epochs": 100,
        "gradient_checkpointing": "OFF",
        "save_every": 0,
        "resolution": "512",
        "ema": False,
        "seed": 42,
    }


def test_a_run_created_today_gets_todays_defaults(db: store.Store) -> None:
    db.create("new")
    config = effective(db, "new")
    assert config["optimizer"]["weight_decay"] == 0.01
    assert config["batch_size"] == 4
    assert config["gradient_checkpointing"] == "ON"


def test_a_v2_run_keeps_v2_defaults_and_its_values(db: store.Store) -> None:
    db.create("v2", {"learning_rate": 5e-5, "ema": True, "save_every": 3}, schema_version=2)
    assert effective(db, "v2") == {
        "model": "stable-diffusion-1.5",
        "optimizer": {"name": "ADAMW", "learning_rate": 5e-5, "weight_decay": 0.0},
        "batch_size": 1,
        "epochs": 100,
        "gradient_checkpointing": "ON",
        "save_every": 3,
        "resolution": "512",
        "ema": True,
        "seed": 42,
    }


def test_v1_checkpointing_true_reads_on_and_never_mentioned_reads_off(db: store.Store) -> None:
    db.create("on", {"gradient_checkpointing": True}, schema_version=1)
    db.create("silent", {"seed": 1}, schema_version=1)
    assert db.current("on").gradient_checkpointing == "ON"  # type: ignore[attr-defined]
    assert db.current("silent").gradient_checkpointing == "OFF"  # type: ignore[attr-defined]


def test_v1_save_after_reads_as_save_every(db: store.Store) -> None:
    db.create("saver", {"save_after": 5}, schema_version=1)
    assert db.current("saver").save_every == 5  # type: ignore[attr-defined]


def test_v1_resolution_becomes_text(db: store.Store) -> None:
    db.create("res", {"resolution": 768}, schema_version=1)
    assert db.current("res").resolution == "768"  # type: ignore[attr-defined]


def test_a_write_today_on_a_v1_run_keeps_its_pinned_defaults(db: store.Store) -> None:
    db.create("old", {"learning_rate": 3e-4}, schema_version=1)
    db.update("old", {"epochs": 5})
    config = effective(db, "old")
    assert config["batch_size"] == 1
    assert config["optimizer"]["weight_decay"] == 0.0
    assert config["epochs"] == 5


def test_unset_returns_to_the_runs_pinned_default_not_todays(db: store.Store) -> None:
    db.create("old", {"batch_size": 16}, schema_version=1)
    db.update("old", {"epochs": 5})
    db.unset("old", ["batch_size"])
    assert db.current("old").batch_size == 1  # type: ignore[attr-defined]


def test_history_shows_a_v1_write_under_todays_path(db: store.Store) -> None:
    db.create("old", {"seed": 7}, schema_version=1)
    db.update("old", {"learning_rate": 2e-4}, schema_version=1)
    [revision] = db.history("old", field="optimizer.learning_rate")
    assert revision.number == 2
    assert [(c.path, c.old, c.new) for c in revision.changes] == [
        ("optimizer.learning_rate", 1e-4, 2e-4)
    ]


def test_explain_names_where_each_value_comes_from(db: store.Store) -> None:
    db.create("old", {"learning_rate": 3e-4}, schema_version=1, author="ana")
    origins = {o.path: o for o in db.explain("old")}
    assert origins["optimizer.learning_rate"].describe() == "set at revision 1 by ana"
    assert origins["batch_size"].source == "pinned"
    assert origins["optimizer.weight_decay"].source == "legacy"
    assert origins["ema"].describe() == "default of schema version 3"
    assert origins["seed"].describe() == "default of schema version 3"


def test_importing_a_whole_config_into_a_run_records_only_what_differs(db: store.Store) -> None:
    db.create("run", {"epochs": 5, "seed": 1})
    result = db.import_config("run", {"__version": 3, "epochs": 5, "batch_size": 2})
    assert result.revision.kind == "import"
    assert [(e.op, e.path) for e in result.revision.events] == [
        ("set", "batch_size"),
        ("unset", "seed"),
    ]
    assert (effective(db, "run")["seed"], effective(db, "run")["batch_size"]) == (42, 2)
    with pytest.raises(store.NoChange):
        db.import_config("run", {"__version": 3, "epochs": 5, "batch_size": 2})


def test_an_older_file_imported_into_a_newer_run_keeps_the_meaning_of_its_time(
    db: store.Store,
) -> None:
    db.create("run", {"epochs": 5})
    db.import_config("run", {"__version": 1, "learning_rate": 3e-4, "epochs": 5})
    config = effective(db, "run")
    assert config["optimizer"] == {"name": "ADAMW", "learning_rate": 3e-4, "weight_decay": 0.0}
    assert (config["batch_size"], config["gradient_checkpointing"]) == (1, "OFF")
    assert db.head("run").schema_version == 3
