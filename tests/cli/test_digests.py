"""Issue 25: anchors outside the database (`store digest`, `verify --digests`, `verify
--stamp`) and a keyed chain (`STORE_CHAIN_KEY`, `store.open(..., chain_key=...)`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

import store
from tests.reliability.conftest import unprotect

HASH = "[0-9a-f]{64}"


def run_store(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `store` executable, with `STORE_CHAIN_KEY` set to `key` (or unset)."""
    executable = shutil.which("store")
    assert executable, "the console script `store` is not installed"
    env = {**os.environ, "STORE_AUTHOR": "ana"}
    env.pop("STORE_CHAIN_KEY", None)
    env.update({"STORE_CHAIN_KEY": key} if key else {})
    return subprocess.run([executable, *args], env=env, capture_output=True, text=True, check=False)


def seed(url: str, chain_key: str | None = None) -> None:
    """Two runs, `a` (two revisions) and `b` (one)."""
    with store.open(url, chain_key=chain_key) as db:
        db.create("a")
        db.update("a", {"batch_size": 8})
        db.create("b")


def rewrite(url: str, run: str, values: dict[str, int], scratch: Path) -> None:
    """Rewrite a run's whole chain, as an attacker with the owner's rights and no chain key
    can: its revisions, events and snapshots replaced by a chain store itself writes."""
    with store.open(f"sqlite:///{scratch}") as forger:
        forger.create(run, values)
    source, target = sa.create_engine(f"sqlite:///{scratch}"), sa.create_engine(url)
    with source.connect() as conn:
        revisions = conn.exec_driver_sql(
            "SELECT number, schema_version, created_at, author, message, kind, hash, "
            "config_hash, detail FROM revisions"
        ).all()
        events = conn.exec_driver_sql(
            "SELECT r.number, e.position, e.op, e.path, e.value FROM events e "
            "JOIN revisions r ON r.id = e.revision_id"
        ).all()
    unprotect(url)
    run_id = f"(SELECT id FROM runs WHERE name = '{run}')"
    with target.begin() as conn:
        for table in ("events", "snapshots"):
            where = "revision_id IN (SELECT id FROM revisions WHERE run_id = "
            where = f"{where}{run_id})" if table == "events" else f"run_id = {run_id}"
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE {where}")
        conn.exec_driver_sql(f"DELETE FROM revisions WHERE run_id = {run_id}")
        for row in revisions:
            conn.execute(
                sa.text(
                    "INSERT INTO revisions (run_id, number, schema_version, created_at, author, "
                    f"message, kind, hash, config_hash, detail) VALUES ({run_id}, :n, :v, :t, "
                    ":a, :m, :k, :h, :c, :d)"
                ),
                dict(zip("nvtamkhcd", row, strict=True)),
            )
        for number, position, op, path, value in events:
            conn.execute(
                sa.text(
                    "INSERT INTO events (revision_id, position, op, path, value) VALUES ("
                    f"(SELECT id FROM revisions WHERE run_id = {run_id} AND number = :n), "
                    ":p, :o, :a, :v)"
                ),
                {"n": number, "p": position, "o": op, "a": path, "v": value},
            )
    source.dispose()
    target.dispose()


def test_digest_and_verify_digests_through_the_installed_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    seed(url)
    printed = run_store("--db", url, "digest")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert [line.split("@")[0] for line in lines] == ["a", "b"]
    with store.open(url) as db:
        head = db.read("a")
        assert lines[0].split()[0] == f"a@2:{head.hash}"
        assert [d.line() for d in db.digest()] == lines
    kept = tmp_path / "digests.txt"
    kept.write_text(printed.stdout)
    ok = run_store("--db", url, "verify", "--digests", str(kept))
    assert (ok.returncode, ok.stdout) == (
        0,
        "ok: 2 run(s) verified, every chain holds and replays\n",
    )
    with store.open(url) as db:
        db.update("a", {"epochs": 3})  # the log grew: the digests still hold
    assert run_store("--db", url, "verify", "--digests", str(kept)).returncode == 0
    as_json = json.loads(run_store("--db", url, "digest", "--run", "a", "--json").stdout)
    assert [(d["run"], d["revision"]) for d in as_json] == [("a", 3)]
    assert set(as_json[0]) == {"run", "revision", "hash", "time"}


def test_a_rewritten_chain_and_a_deleted_run_are_both_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    seed(url)
    kept = tmp_path / "digests.txt"
    kept.write_text(run_store("--db", url, "digest").stdout)
    rewrite(url, "a", {"batch_size": 64}, tmp_path / "forger.db")
    assert run_store("--db", url, "verify").returncode == 0  # the forged chain holds
    with open(kept, "a") as file:
        file.write(f"gone@1:{'0' * 64} 2026-12-04T00:00:00.000000Z\n")
    checked = run_store("--db", url, "verify", "--digests", str(kept), "--json")
    assert checked.returncode == 1
    problems = json.loads(checked.stdout)["problems"]
    assert [(p["run"], p["revision"], p["kind"]) for p in problems] == [
        ("a", 2, "missing"),
        ("gone", 1, "missing"),
    ]


def test_verify_stamp_through_the_installed_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    seed(url)
    stamp = tmp_path / "stamp.json"
    stamp.write_text(run_store("--db", url, "show", "a", "--stamp").stdout)
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(json.dumps({"step": 100, "store": json.loads(stamp.read_text())}))
    for path in (stamp, checkpoint):
        checked = run_store("--db", url, "verify", "--stamp", str(path))
        assert checked.returncode == 0, checked.stderr
    rewrite(url, "a", {"batch_size": 64, "epochs": 2}, tmp_path / "forger.db")
    checked = run_store("--db", url, "verify", "--stamp", str(checkpoint))
    assert checked.returncode == 1
    assert "a    2    missing" in checked.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    refused = run_store("--db", url, "verify", "--stamp", str(bad))
    assert (refused.returncode, refused.stderr) == (
        1,
        f"Error: {bad}: not a stamp: expected an object with run, revision and hash\n",
    )


def test_digests_and_stamps_through_the_api(db_url: str, tmp_path: Path) -> None:
    seed(db_url)
    kept = tmp_path / "digests.json"
    with store.open(db_url) as db:
        kept.write_text(json.dumps([d.data() for d in db.digest()]))
        stamp = tmp_path / "stamp.json"
        stamp.write_text(json.dumps(db.read("a").stamp()))
        assert db.verify(digests=kept, stamp=stamp).ok
        wrong = tmp_path / "wrong.txt"
        wrong.write_text(f"# kept by CI\na@1:{'f' * 64}\n")
        report = db.verify(digests=wrong)
    assert [(p.run, p.revision, p.kind) for p in report.problems] == [("a", 1, "expectation")]
    wrong.write_text("a@1:xyz\n")
    with store.open(db_url) as db, pytest.raises(store.StoreError, match=r"not a digest file"):
        db.verify(digests=wrong)


def test_a_keyed_chain_refuses_a_rewrite_without_the_key(db_url: str, tmp_path: Path) -> None:
    seed(db_url, chain_key="secret")
    with store.open(db_url, chain_key="secret") as db:
        assert db.read("a").values["batch_size"] == 8
        assert db.verify().ok
    rewrite(db_url, "a", {"batch_size": 64}, tmp_path / "forger.db")
    with store.open(db_url, chain_key="secret") as db:
        for read in (lambda: db.current("a"), lambda: db.read("a"), lambda: db.at("a", 1)):
            with pytest.raises(store.Unproven, match=r"run 'a': revision 1: it carries no chain"):
                read()
        with pytest.raises(store.Unproven):
            db.update("a", {"epochs": 3})  # a write never signs a forged chain
        problems = [(p.run, p.revision, p.kind) for p in db.verify().problems]
    assert problems == [("a", 1, "chain")]
    with store.open(db_url) as db:  # without the key nothing changes
        assert db.read("a").values["batch_size"] == 64


def test_runs_written_before_the_key_and_a_wrong_key_are_refused(db_url: str) -> None:
    seed(db_url)  # written before the key was set
    with store.open(db_url, chain_key="secret") as db:
        with pytest.raises(store.Unproven, match=r"run 'b': revision 1: it carries no chain MAC"):
            db.read("b")
        with pytest.raises(store.Unproven, match=r"run 'b': revision 1: it carries no chain MAC"):
            db.update("b", {"epochs": 3})
        assert [(p.run, p.kind) for p in db.verify().problems] == [("a", "chain"), ("b", "chain")]
        db.import_config("c", {"epochs": 3})
        assert db.read("c").values["epochs"] == 3
    with store.open(db_url, chain_key="other") as db:
        with pytest.raises(store.Unproven, match=r"run 'c': revision 1: its chain MAC is wrong"):
            db.current("c")
        assert [p.run for p in db.verify().problems] == ["a", "b", "c"]


def test_the_chain_key_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert run_store("--db", url, "create", "r", key="secret").returncode == 0
    assert run_store("--db", url, "show", "r", key="secret").returncode == 0
    refused = run_store("--db", url, "show", "r", key="other")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: run 'r': revision 1: its chain MAC is wrong")
    assert run_store("--db", url, "verify", key="other").returncode == 1
    assert run_store("--db", url, "verify").returncode == 0
