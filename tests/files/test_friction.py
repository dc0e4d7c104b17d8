"""Issue 23 (a new user's second hour) and 27.7: dry runs that create nothing, every failing
file in one run, runs whose file left a synced folder, stdin in any format, `store backup`,
`--db PATH`, the trainer example's usage, and only regular files of a bounded size read.
Through the installed `store` executable, on SQLite and PostgreSQL where the database is
involved."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import store
from tests.files.conftest import CHECKOUT

PRESETS = Path(__file__).parent.parent / "data" / "onetrainer" / "training_presets"


def run_store(
    *args: str, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """The installed console script on this checkout, with standard input and extra settings."""
    executable = shutil.which("store")
    assert executable, "the console script `store` is not installed"
    environ = {**os.environ, "STORE_AUTHOR": "ana", "PYTHONPATH": str(CHECKOUT), **env}
    if "STORE_URL" not in env:
        environ.pop("STORE_URL", None)
    return subprocess.run(
        [executable, *args], cwd=cwd, env=environ, input=stdin, capture_output=True,
        text=True, check=False, timeout=120,
    )  # fmt: skip


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def tables(url: str) -> list[str]:
    """The tables of the database at `url` (none: nothing was created in it)."""
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def sizes(url: str) -> dict[str, int]:
    with store.open(url) as opened:
        return {r.name: r.revisions for r in opened.runs(archived=True)}


# -- 1. a dry run creates nothing ------------------------------------------------------------


def test_a_dry_run_creates_no_database(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.json", {"seed": 1})
    write(folder / "b.json", {"__version": 3, "epochs": 2})
    done = run_store("import", "--many", "in", "--dry-run", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "new        a  revision 1  in/a.json",
        "new        b  revision 1  in/b.json",
        "2 files: 2 new, 0 updated, 0 unchanged (dry run: nothing written)",
    ]
    assert sorted(os.listdir(tmp_path)) == ["in"]  # no store.db, no -wal, no -shm


def test_a_dry_run_writes_nothing_into_an_empty_database(db_url: str, tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.json", {"seed": 1})
    done = run_store("--db", db_url, "import", "--many", "in", "--dry-run", "-q", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (
        0,
        "1 files: 1 new, 0 updated, 0 unchanged (dry run: nothing written)\n",
    )
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "store.db").exists()
    else:
        assert tables(db_url) == []
    broken = write(tmp_path / "in" / "b.json", {"seed": "x"})
    failed = run_store("--db", db_url, "import", "--many", "in", "--dry-run", cwd=tmp_path)
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr.startswith(f"Error: in/{broken.name}: seed: 'x' is not a value")


# -- 2. every failing file in one run ----------------------------------------------------------


def test_every_failing_file_is_named_in_one_run_and_nothing_is_written(
    db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder / "a.json", {"seed": 1})
    (folder / "b.json").write_text("{nope", encoding="utf-8")
    write(folder / "c.json", {"__version": 3, "seed": 2})
    write(folder / "d.json", {"seed": "many"})
    write(folder / "e.json", {"__version": "3"})
    done = run_store("--db", db_url, "import", "--many", "in", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "Error: in/b.json: not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        "Error: in/d.json: seed: 'many' is not a value version 1 holds (expected int)",
        "Error: in/e.json: \"__version\" must be an integer, not '3'",
    ]
    assert sizes(db_url) == {}
    with store.open(db_url) as opened, pytest.raises(store.FilesRefused) as refused:
        opened.import_files([folder])
    assert [e.split(":")[0] for e in refused.value.errors] == [
        f"{folder}/b.json", f"{folder}/d.json", f"{folder}/e.json"
    ]  # fmt: skip
    assert sizes(db_url) == {}


# -- 3. runs whose file left the folder ------------------------------------------------------


def test_a_run_whose_file_was_deleted_is_listed_then_archived_on_request(
    db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    for name in ("a", "b", "c"):
        write(folder / f"{name}.json", {"seed": 1})
    write(tmp_path / "elsewhere" / "x.json", {"seed": 2})
    first = run_store("--db", db_url, "import", "--many", "in", "elsewhere", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (folder / "b.json").unlink()
    listed = run_store("--db", db_url, "import", "--many", "in", cwd=tmp_path)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout.splitlines() == [
        "unchanged  a              in/a.json",
        "unchanged  c              in/c.json",
        f"missing    b              {folder}/b.json",
        "2 files: 0 new, 0 updated, 2 unchanged; without their file: b "
        "(--archive-missing archives them)",
    ]  # x's file is not in the folder synced: not missing
    assert sizes(db_url) == {"a": 1, "b": 1, "c": 1, "x": 1}  # nothing deleted or archived
    with store.open(db_url) as opened:
        assert [r.name for r in opened.runs()] == ["a", "b", "c", "x"]
        (b,) = opened.history("b")
        assert (b.detail or {})["source"] == str(folder / "b.json")
    archived = run_store("--db", db_url, "import", "--many", "in", "-q", "--archive-missing",
                         "-m", "preset removed", "--author", "bo", cwd=tmp_path)  # fmt: skip
    assert (archived.returncode, archived.stdout) == (
        0,
        "2 files: 0 new, 0 updated, 2 unchanged; archived, their file gone: b\n",
    )
    with store.open(db_url) as opened:
        assert [r.name for r in opened.runs()] == ["a", "c", "x"]
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT action, author, message FROM run_events").all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("archive", "bo", "preset removed")]
    again = run_store("--db", db_url, "import", "--many", "in", "-q", cwd=tmp_path)
    assert again.stdout == "2 files: 0 new, 0 updated, 2 unchanged\n"  # archived: dealt with


def test_the_presets_folder_reports_a_deleted_preset(tmp_path: Path) -> None:
    folder = shutil.copytree(PRESETS, tmp_path / "presets")
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    first = run_store("--db", url, "import", "--many", str(folder), "-q", cwd=tmp_path)
    assert first.stdout == "60 files: 60 new, 0 updated, 0 unchanged\n"
    (folder / "SD1.5" / "#sd 1.5 LoRA.json").unlink()  # as the README shows
    again = run_store("--db", url, "import", "--many", str(folder), "-q", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (
        0,
        "59 files: 0 new, 0 updated, 59 unchanged; without their file: sd_1.5_LoRA "
        "(--archive-missing archives them)\n",
    )
    gone = run_store("--db", url, "import", "--many", str(folder), "-q", "--archive-missing",
                     "-m", "preset removed", cwd=tmp_path)  # fmt: skip
    assert (
        gone.stdout
        == "59 files: 0 new, 0 updated, 59 unchanged; archived, their file gone: sd_1.5_LoRA\n"
    )
    with store.open(url) as opened:
        assert len(opened.runs()) == 59 and len(opened.runs(archived=True)) == 60


# -- 4. standard input in any format ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "toml", "yaml"])
def test_stdin_is_read_in_the_format_its_content_shows(
    db_url: str, tmp_path: Path, fmt: str
) -> None:
    assert run_store("--db", db_url, "create", "a", cwd=tmp_path).returncode == 0
    assert run_store("--db", db_url, "set", "a", "batch_size=8", cwd=tmp_path).returncode == 0
    text = run_store("--db", db_url, "export", "a", "--format", fmt, cwd=tmp_path).stdout
    done = run_store("--db", db_url, "import", "-", "b", cwd=tmp_path, stdin=text)
    assert done.returncode == 0, done.stderr
    with store.open(db_url) as opened:
        assert opened.current("b") == opened.current("a")


def test_stdin_that_is_no_config_names_the_format_option(tmp_path: Path) -> None:
    for text in ("hello\n", "batch_size: [\n"):
        done = run_store("import", "-", "b", cwd=tmp_path, stdin=text)
        assert (done.returncode, done.stderr) == (
            1,
            "Error: stdin: not valid JSON: Expecting value: line 1 column 1 (char 0) "
            "(read as JSON, by its content: --format json, toml or yaml says which)\n",
        )
    told = run_store("import", "-", "b", "--format", "yaml", cwd=tmp_path, stdin="seed: [\n")
    assert told.stderr.startswith("Error: stdin: not valid YAML: ")
    assert not (tmp_path / "store.db").exists() or sizes(f"sqlite:///{tmp_path}/store.db") == {}


# -- 5. backup ----------------------------------------------------------------------------------


def test_backup_copies_what_only_the_wal_holds_and_verifies_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with store.open(url) as writer:  # held open: its revisions stay in the WAL
        writer.create("r")
        for i in range(1, 15):
            writer.update("r", {"seed": i})
        writer.create("s")
        wal = tmp_path / "store.db-wal"
        assert wal.stat().st_size > 0
        # what a plain copy gets (by another process: closing a file this process opened
        # would drop the writer's SQLite locks on it)
        subprocess.run(["cp", tmp_path / "store.db", tmp_path / "naive.db"], check=True)
        naive = sqlite3.connect(tmp_path / "naive.db")
        assert naive.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
        naive.close()
        done = run_store("--db", url, "backup", "copy.db", cwd=tmp_path)
        assert (done.returncode, done.stdout, done.stderr) == (
            0,
            "copy.db: 2 run(s), 16 revision(s), verified\n",
            "",
        )
        assert wal.stat().st_size > 0  # the writer still holds it: nothing was checkpointed
        again = run_store("--db", url, "backup", "copy.db", cwd=tmp_path)
        assert (again.returncode, again.stderr) == (
            1,
            "Error: cannot back up to copy.db: it exists (give a new file)\n",
        )
    with store.open(f"sqlite:///{tmp_path / 'copy.db'}", create=False) as copy:
        assert copy.verify().ok
        assert [r.revisions for r in copy.runs()] == [15, 1]
        assert copy.current("r").seed == 14  # type: ignore[attr-defined]


def test_backup_of_postgresql_says_to_use_pg_dump(db_url: str, tmp_path: Path) -> None:
    with store.open(db_url) as opened:
        opened.create("r")
    done = run_store("--db", db_url, "backup", "copy.db", cwd=tmp_path)
    if db_url.startswith("sqlite"):
        assert done.returncode == 0 and done.stdout.startswith("copy.db: 1 run(s), 1 revision")
        nowhere = run_store("--db", db_url, "backup", "no/copy.db", cwd=tmp_path)
        assert (nowhere.returncode, nowhere.stderr) == (
            1,
            f"Error: cannot back up to no/copy.db: folder {tmp_path}/no does not exist\n",
        )
        return
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("Error: store backup copies a SQLite database; back up ")
    assert done.stderr.endswith(" with pg_dump (pg_dump --format=custom --file=FILE DATABASE)\n")
    assert not (tmp_path / "copy.db").exists()


# -- 6. --db PATH ---------------------------------------------------------------------------


def test_a_plain_path_names_a_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    made = run_store("--db", "runs.db", "create", "r", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    absolute = tmp_path / "sub" / "my runs%.db"
    assert run_store("--db", str(absolute), "create", "s", cwd=tmp_path).returncode == 0
    from_env = run_store("runs", "--json", cwd=tmp_path / "sub", STORE_URL="../runs.db")
    assert [r["name"] for r in json.loads(from_env.stdout)] == ["r"]
    assert sorted(os.listdir(tmp_path / "sub")) == ["my runs%.db"]
    with store.open(str(absolute)) as opened:
        assert [r.name for r in opened.runs()] == ["s"]
    missing = run_store("--db", "other.db", "runs", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (1, "Error: no database at other.db\n")
    nowhere = run_store("--db", "nowhere/runs.db", "runs", cwd=tmp_path)
    assert nowhere.stderr == (
        f"Error: cannot open database sqlite:///nowhere/runs.db: folder {tmp_path}/nowhere "
        "does not exist\n"
    )


# -- 7. the trainer example without arguments --------------------------------------------------


def test_the_trainer_example_prints_its_usage(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(CHECKOUT / "examples" / "trainer.py")],
        capture_output=True, text=True, cwd=tmp_path, check=False, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "usage: python examples/trainer.py RUN [PATH=VALUE...]\n",
    )
    assert not (tmp_path / "store.db").exists()


# -- 8. only regular files, of a bounded size -----------------------------------------------


def test_devices_fifos_and_large_files_are_refused_by_name(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.json", {"seed": 1})
    (folder / "z.json").symlink_to("/dev/zero")
    os.mkfifo(folder / "p.json")
    write(folder / "big.json", {"seed": 1, "pad": "x" * 100})
    done = run_store("--db", db_url, "import", "--many", "in", cwd=tmp_path,
                     STORE_MAX_FILE_SIZE="64")  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "Error: in/big.json: larger than 64 bytes, the limit for a config file "
        "($STORE_MAX_FILE_SIZE sets another)",
        "Error: in/p.json: not a regular file",
        "Error: in/z.json: not a regular file",
    ]
    one = run_store("--db", db_url, "import", "in/z.json", "z", cwd=tmp_path)
    assert (one.returncode, one.stderr) == (1, "Error: in/z.json: not a regular file\n")
    fifo = run_store("--db", db_url, "import", "in/p.json", "p", cwd=tmp_path)
    assert (fifo.returncode, fifo.stderr) == (1, "Error: in/p.json: not a regular file\n")
    big = run_store("--db", db_url, "import", "-", "big", cwd=tmp_path,
                    stdin=(folder / "big.json").read_text(), STORE_MAX_FILE_SIZE="64")  # fmt: skip
    assert big.stderr.startswith("Error: stdin: larger than 64 bytes")
    piped = run_store("--db", db_url, "import", "-", "a", cwd=tmp_path, stdin='{"seed": 3}')
    assert piped.returncode == 0, piped.stderr
    (folder / "z.json").unlink()
    (folder / "p.json").unlink()
    (folder / "big.json").unlink()
    assert run_store("--db", db_url, "import", "--many", "in", cwd=tmp_path).returncode == 0
    assert sizes(db_url) == {"a": 2}
