"""Issue 23, a new user's second hour: each friction point through the installed `store`
command, on every backend of `db_url` (the database is checked through the library)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import store
from store import _writes
from tests.conftest import dump_database


def run_store(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`store --db URL ARGS…` as a subprocess, author `ana`."""
    executable = shutil.which("store")
    assert executable, "the console script `store` is not installed"
    env = {**os.environ, "STORE_AUTHOR": "ana"}
    env.pop("STORE_URL", None)
    return subprocess.run(
        [executable, "--db", url, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def refused(url: str, *args: str) -> str:
    """The one `Error: …` line of a refused command (exit 1, nothing written)."""
    before = dump_database(url)
    done = run_store(url, *args)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert dump_database(url) == before
    assert done.stderr.count("\n") == 1
    return done.stderr.removesuffix("\n")


@pytest.fixture
def tagged(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run `r`: 1 create, 2 batch_size=8 seed=7 tagged `good`, 3 batch_size=16 epochs=3,
    each written half a second into a second of its own from 2026-12-04T01:41:20."""
    times = (f"2026-12-04T01:41:{s}.500000Z" for s in range(20, 30))
    monkeypatch.setattr(_writes, "now", lambda: next(times))
    with store.open(db_url) as opened:
        opened.create("r")
        opened.update("r", {"batch_size": 8, "seed": 7})
        opened.tag("r@2", "good")
        opened.update("r", {"batch_size": 16, "epochs": 3})
    return db_url


TIME = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z(?= |$)", re.M)


def printed_times(url: str) -> list[str]:
    """The times of the revisions of `r`, newest first, as tables print them."""
    with store.open(url) as opened:
        return [f"{r.created_at[:19]}Z" for r in opened.history("r")]


# -- 1. rollback --to REF, rollback --field ------------------------------------------------


@pytest.mark.parametrize("to", ["good", "@good", "r@good", "head~1", "2"])
def test_rollback_to_any_reference_of_the_run(tagged: str, to: str) -> None:
    done = run_store(tagged, "rollback", "r", "--to", to)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("r: revision 4 (rollback) ")
    with store.open(tagged) as opened:
        assert opened.current("r") == opened.at("r", 2)
        assert opened.head("r").detail == {
            "rollback_to": 2,
            "rollback_hash": opened.read("r@2").hash,
        }
        assert opened.head("r").message == "rollback to revision 2"


def test_rollback_to_a_time_copied_from_history(tagged: str) -> None:
    second = printed_times(tagged)[1]
    done = run_store(tagged, "rollback", "r", "--to", second.replace("T", " ").rstrip("Z"))
    assert done.returncode == 0, done.stderr
    with store.open(tagged) as opened:
        assert opened.head("r").detail["rollback_to"] == 2  # type: ignore[index]


def test_rollback_to_a_reference_that_does_not_resolve(tagged: str) -> None:
    assert (
        refused(tagged, "rollback", "r", "--to", "nope")
        == "Error: r@nope: run 'r' has no tag 'nope'"
    )
    assert (
        refused(tagged, "rollback", "r", "--to", "other@good")
        == "Error: --to 'other@good' names run 'other'; give a reference of 'r'"
    )
    assert (
        refused(tagged, "rollback", "r", "--to", "9")
        == "Error: run 'r' has revisions 1..3; there is no revision 9"
    )


def test_rollback_of_one_field_keeps_the_rest(tagged: str) -> None:
    done = run_store(tagged, "rollback", "r", "--field", "batch_size", "--to", "good")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["  batch_size: 16 → 8"]
    history = run_store(tagged, "history", "r", "--limit", "1")
    assert "rollback of batch_size to 2" in history.stdout
    with store.open(tagged) as opened:
        config = opened.current("r")
        assert (config.batch_size, config.epochs, config.seed) == (8, 3, 7)  # type: ignore[attr-defined]
        head = opened.head("r")
        assert (head.kind, head.message) == ("rollback", "rollback of batch_size to revision 2")
        assert head.detail == {
            "rollback_to": 2,
            "rollback_hash": opened.read("r@2").hash,
            "rollback_fields": ["batch_size"],
        }
    again = refused(tagged, "rollback", "r", "--field", "batch_size", "--to", "good")
    assert again == "Error: nothing changed: run 'r' already has those values"
    typo = refused(tagged, "rollback", "r", "--field", "batch_sise", "--to", "1")
    assert typo == "Error: unknown path 'batch_sise'; did you mean batch_size?"


def test_rollback_in_the_api_takes_a_reference(db: store.Store) -> None:
    db.create("r")
    db.update("r", {"batch_size": 8, "seed": 7})
    db.tag("r@2", "good")
    db.update("r", {"batch_size": 16, "seed": 9})
    rolled = db.rollback("r", to="good", fields=["seed"])
    assert rolled.detail is not None and rolled.detail["rollback_to"] == 2
    assert (db.current("r").batch_size, db.current("r").seed) == (16, 7)  # type: ignore[attr-defined]
    db.rollback("r", to="head~3")
    assert db.current("r") == db.at("r", 1)
    with pytest.raises(store.InvalidReference):
        db.rollback("r", to=2.5)  # type: ignore[arg-type]


# -- 2. times that paste back ---------------------------------------------------------------


def test_tables_print_times_that_paste_back_into_a_reference(tagged: str) -> None:
    with store.open(tagged) as opened:
        tag_time = opened.tags("r")[0].time[:19] + "Z"
    printed = printed_times(tagged)
    assert TIME.findall(run_store(tagged, "history", "r").stdout) == printed
    assert TIME.findall(run_store(tagged, "log").stdout) == printed
    assert TIME.findall(run_store(tagged, "runs").stdout) == printed[:1]
    assert TIME.findall(run_store(tagged, "tags", "r").stdout) == [tag_time]
    for n, time in zip((3, 2, 1), printed, strict=True):
        for pasted in (time, time.replace("T", " ").removesuffix("Z")):
            shown = run_store(tagged, "show", f"r@{pasted}")
            assert shown.returncode == 0, shown.stderr
            assert shown.stdout.startswith(f"r @ revision {n} ")
    until = run_store(tagged, "log", "--until", printed[1], "--json")
    assert [r["revision"] for r in json.loads(until.stdout)] == [2, 1]
