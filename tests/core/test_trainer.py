"""Issue 13: stamps, launch overrides, `find`, and the module-level calls a trainer makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import store
from tests.conftest import dump_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runs(db: store.Store) -> store.Store:
    """`a` and `b` reach the same config (batch_size 8) by different paths; `c` differs."""
    db.create("a", {"batch_size": 8})
    db.create("b")
    db.update("b", {"batch_size": 8})
    db.create("c", {"batch_size": 2})
    return db


def test_a_stamp_names_the_config_exactly(runs: store.Store) -> None:
    stamp = runs.read("a").stamp()
    assert stamp == {
        "run": "a",
        "revision": 1,
        "hash": runs.head("a").hash,
        "config_hash": runs.read("b").config_hash,
        "schema": "training",
        "schema_version": 3,
        "overrides": {},
    }
    json.dumps(stamp)  # plain data for a checkpoint's metadata


def test_find_goes_from_a_config_hash_to_every_revision_that_had_it(runs: store.Store) -> None:
    wanted = runs.read("a").config_hash
    found = runs.find(wanted)
    assert [(f.run, f.revision) for f in found] == [("b", 2), ("a", 1)]
    assert found[0].author == runs.head("b").author
    assert runs.find(runs.read("b@1").config_hash) == [
        store.Found("b", 1, runs.history("b")[-1].created_at, runs.head("b").author)
    ]
    assert runs.find("f" * 64) == []
    with pytest.raises(store.InvalidChange, match="64 hex digits"):
        runs.find("abc")


def test_find_sees_runs_written_at_older_versions_as_read_today(db: store.Store) -> None:
    db.create("old", {"learning_rate": 3e-4, "batch_size": 4}, schema_version=1)
    db.create("new", {"optimizer.learning_rate": 3e-4, "optimizer.weight_decay": 0.0})
    db.update("new", {"gradient_checkpointing": "OFF"})
    assert db.read("old").values == db.read("new").values
    found = db.find(db.read("old").config_hash)
    assert {(f.run, f.revision) for f in found} == {("old", 1), ("new", 2)}


def test_find_sees_revisions_written_before_config_hashes(
    db: store.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr("store._writes.config_hash", lambda values: None)
        db.create("legacy", {"seed": 5})
    db.create("today", {"seed": 5})
    found = db.find(db.read("today").config_hash)
    assert {(f.run, f.revision) for f in found} == {("legacy", 1), ("today", 1)}


@pytest.mark.parametrize(
    "overrides",
    [
        ["batch_size=16", "optimizer.learning_rate=1e-3"],
        {"batch_size": 16, "optimizer.learning_rate": 1e-3},
    ],
    ids=["texts", "mapping"],
)
def test_overrides_apply_to_the_read_and_are_never_written(
    runs: store.Store, db_url: str, overrides: list[str] | dict[str, float]
) -> None:
    before = dump_database(db_url)
    reading = runs.read("a", overrides=overrides)
    assert reading.config.batch_size == 16  # type: ignore[attr-defined]
    assert reading.overrides == {"batch_size": 16, "optimizer.learning_rate": 1e-3}
    assert reading.stamp()["overrides"] == reading.overrides
    assert reading.config_hash != runs.read("a").config_hash
    assert runs.current("a", overrides=overrides) == reading.config
    assert dump_database(db_url) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["batch_sise=2"], "did you mean batch_size"),
        (["batch_size=true"], "expected int"),
        (["batch_size"], "expected PATH=VALUE"),
        (["seed=1", "seed=2"], "seed is given twice"),
        ({"optimizer": 3}, "is a section"),
        ("batch_size=2", "PATH=VALUE texts or a mapping"),
    ],
)
def test_bad_overrides_are_refused_naming_the_path(
    runs: store.Store, overrides: object, message: str
) -> None:
    with pytest.raises(store.InvalidChange, match=message):
        runs.read("a", overrides=overrides)  # type: ignore[arg-type]


def test_the_module_level_calls_reuse_one_open_store(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.open(sqlite_url) as db:
        db.create("r", {"epochs": 3})
    opened: list[str] = []
    real = store._trainer.open_recorder
    monkeypatch.setattr(
        store._trainer, "open_recorder", lambda url, **kw: opened.append(url) or real(url, **kw)
    )
    first = store.read("r", url=sqlite_url)
    for _ in range(5):
        assert store.current("r", url=sqlite_url) == first.config
    assert store.current("r", sqlite_url, overrides={"epochs": 4}).epochs == 4  # type: ignore[attr-defined]
    assert opened == [sqlite_url]  # one engine and one migration check for seven calls


NOT_FOR_A_READ = {
    "alembic",
    "click",
    "psycopg",
    "rich",
    "sqlalchemy",
    "tomli_w",
    "tomllib",
    "yaml",
    *(
        f"store.{name}"
        for name in (
            "_audit",
            "_cli",
            "_compare",
            "_describe",
            "_files",
            "_filters",
            "_find",
            "_history",
            "_imports",
            "_log",
            "_names",
            "_onetrainer",
            "_runs",
            "_shapes",
            "_store",
            "_tables",
            "_transaction",
            "_verify",
            "_writes",
            "web",
        )
    ),
}
"""What a trainer's `import store; store.current(run)` of an up-to-date SQLite database never
loads: SQLAlchemy (the driver reads the head), the `Store` facade and the other calls'
modules, the table definitions and the migrations, the command line, other backends and
formats."""


def test_a_trainers_read_loads_only_what_it_needs(sqlite_url: str, tmp_path: Path) -> None:
    with store.open(sqlite_url) as db:
        db.create("r", {"epochs": 3})
    code = "import sys, store; store.current('r', sys.argv[1]); print(*sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code, sqlite_url],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        check=True,
    )
    loaded = {_package(name) for name in done.stdout.split()}
    assert "store._sqlite" in loaded
    assert loaded & NOT_FOR_A_READ == set()


@pytest.mark.parametrize(
    ("args", "printed"),
    [(["--help"], "Usage:"), (["show", "r"], "epochs"), (["show", "r", "--stamp"], "config_hash")],
)
def test_the_command_lines_help_and_show_load_no_sqlalchemy(
    sqlite_url: str, tmp_path: Path, args: list[str], printed: str
) -> None:
    with store.open(sqlite_url) as db:
        db.create("r", {"epochs": 3})
    code = "import sys; from store._cli import main; sys.argv[1:] = sys.argv[2:]\n"
    code += "try:\n    main()\nexcept SystemExit:\n    print('LOADED', *sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code, "--", "--db", sqlite_url, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        check=True,
    )
    shown, modules = done.stdout.split("LOADED")
    assert printed in shown
    loaded = {_package(name) for name in modules.split()}
    assert "click" in loaded
    assert loaded & {"sqlalchemy", "alembic", "psycopg", "rich", "store._transaction"} == set()


def _package(module: str) -> str:
    """`store.X` for a module of the package (`store._cli._files` -> `store._cli`), else the
    top-level package (`alembic.config` -> `alembic`)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "store" else parts[0]


def test_a_relative_database_path_is_fixed_when_the_store_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    with store.open("sqlite:///runs.db") as db:
        db.create("r", {"epochs": 3})
    with store.open("sqlite:///runs.db") as db:  # up to date: opening connects no engine
        monkeypatch.chdir(tmp_path / "elsewhere")
        db.update("r", {"epochs": 4})
        assert db.current("r").epochs == 4  # type: ignore[attr-defined]
        assert db.read("r").revision == db.history("r")[0].number == 2
    assert not (tmp_path / "elsewhere" / "runs.db").exists()


def test_the_module_level_calls_refuse_a_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    with pytest.raises(store.DatabaseError, match="no database at"):
        store.current("r", url)
    assert not (tmp_path / "none.db").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_reads_through_its_own_connections(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("r", {"epochs": 3})
    assert store.current("r", db_url).epochs == 3  # type: ignore[attr-defined]
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if the read works
        code = 0 if store.current("r", db_url).epochs == 3 else 1  # type: ignore[attr-defined]
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.current("r", db_url).epochs == 3  # type: ignore[attr-defined]
    assert store.read("r", url=db_url).revision == 1  # the parent's connections still work
    store._trainer._close_shared()  # before the test database is dropped


def test_the_trainer_example_runs_its_whole_loop(tmp_path: Path) -> None:
    env = {**os.environ, "STORE_URL": f"sqlite:///{tmp_path / 'runs.db'}"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "trainer.py"), "my_run", "batch_size=8"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    checkpoint, *found = done.stdout.splitlines()
    stamp = json.loads(Path(checkpoint).read_text())["store"]
    assert stamp["overrides"] == {"batch_size": 8} and stamp["revision"] == 1
    assert found == []  # nothing stored has the overridden config
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "trainer.py"), "my_run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert done.stdout.splitlines()[1:] == [json.dumps({"run": "my_run", "revision": 1})]
