"""Issue 25 (and 27.2): every read path proves what it serves. A snapshot of the head is
served only when the head's hash, recomputed from its stored content and its predecessor's
hash, is its stored hash, the snapshot's config hash is the one the head records, and the
snapshot agrees with the head's own events; a chain that does not prove the head is refused."""

from __future__ import annotations

import hashlib
import sqlite3
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

import store
from store._records import revision_hash
from tests.reliability.conftest import invoke, is_sqlite, raw_sql, sqlite_file, unprotect

EIGHT, SIXTY_FOUR = '"batch_size":8', '"batch_size":64'


def seed(url: str, chain_key: str | None = None) -> None:
    """The issue's run: `create r; set r epochs=7; set r batch_size=8`, the head's snapshot
    at revision 3."""
    with store.open(url, chain_key=chain_key) as db:
        db.create("r")
        db.update("r", {"epochs": 7})
        db.update("r", {"batch_size": 8})


def fetch(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of one query, read around store."""
    if is_sqlite(url):
        conn = sqlite3.connect(sqlite_file(url))
        try:
            return list(conn.execute(sql))
        finally:
            conn.close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def forge_snapshot(url: str) -> str:
    """Edit the head's snapshot (batch_size 8 -> 64) and write its config's SHA-256 into the
    head's config_hash column, triggers off: the issue's attack. The forged config hash."""
    unprotect(url)
    raw_sql(
        url,
        f"UPDATE snapshots SET config = replace(config, '{EIGHT}', '{SIXTY_FOUR}'), "
        f"state = replace(state, '{EIGHT}', '{SIXTY_FOUR}')",
    )
    [(config,)] = fetch(url, "SELECT config FROM snapshots")
    forged = hashlib.sha256(str(config).encode()).hexdigest()
    raw_sql(url, f"UPDATE revisions SET config_hash = '{forged}' WHERE number = 3")
    return forged


def forge_head_hash(url: str) -> None:
    """Also recompute the head's revision hash from its (forged) content: a forgery of the
    head only, its events untouched."""
    rows = fetch(
        url,
        "SELECT r.number, r.schema_version, r.created_at, r.author, r.message, r.kind, "
        "r.config_hash, r.detail, p.hash, e.op, e.path, e.value FROM revisions r "
        "JOIN revisions p ON p.run_id = r.run_id AND p.number = r.number - 1 "
        "JOIN events e ON e.revision_id = r.id WHERE r.number = 3 ORDER BY e.position",
    )
    first = rows[0]
    events = [
        (str(op), str(path), None if value is None else str(value)) for *_, op, path, value in rows
    ]
    digest = revision_hash(
        "r", "training", 3, int(first[1]), str(first[2]), str(first[3]), str(first[4]),
        str(first[5]), events, str(first[8]), str(first[6]), None,
    )  # fmt: skip
    raw_sql(url, f"UPDATE revisions SET hash = '{digest}' WHERE number = 3")


def served(url: str) -> list[object]:
    """What each read path gives for r's batch size (or the error it raises)."""
    results: list[object] = []
    readers = [
        lambda db: db.current("r").batch_size,
        lambda db: db.read("r").values["batch_size"],
        lambda db: db.read("r").stamp()["config_hash"],
        lambda db: db.export_config("r")["batch_size"],
        lambda db: db.at("r", 3).batch_size,
        lambda db: store.current("r", url).batch_size,  # type: ignore[attr-defined]
    ]
    with store.open(url) as db:
        for reader in readers:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", store.StoreWarning)
                    results.append(reader(db))
            except store.StoreError as exc:
                results.append(type(exc))
    return results


def test_the_issue_s_forgery_is_served_by_no_read_path(db_url: str) -> None:
    seed(db_url)
    forged = forge_snapshot(db_url)
    assert served(db_url) == [store.Unproven] * 6
    result = invoke(db_url, "show", "r")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: run 'r': revision 3: its hash does not match its content and predecessor; "
        "it is not served (altered out of band: `store verify` lists what)\n"
    )
    assert invoke(db_url, "export", "r").exit_code == 1
    assert invoke(db_url, "show", "r", "--stamp").exit_code == 1
    with store.open(db_url) as db:
        assert [f.revision for f in db.find(forged)] == []
        assert not db.verify().ok


def test_a_forged_head_with_its_hash_recomputed_is_not_served(db_url: str) -> None:
    seed(db_url)
    forge_snapshot(db_url)
    forge_head_hash(db_url)
    with store.open(db_url) as db, pytest.warns(store.StoreWarning, match="revision 3"):
        assert db.current("r").batch_size == 8  # type: ignore[attr-defined]
    assert served(db_url)[:2] == [8, 8]
    assert invoke(db_url, "show", "r", "--json").stdout.count('"batch_size": 8') == 1


def seed_untouched(url: str, chain_key: str | None = None) -> str:
    """A run whose head (revision 3) did not set batch_size; its digest before the forgery."""
    with store.open(url, chain_key=chain_key) as db:
        db.create("r")
        db.update("r", {"batch_size": 8})
        db.update("r", {"epochs": 7})
        return db.digest()[0].line()


def test_a_forged_head_is_caught_by_reads_under_a_chain_key(db_url: str) -> None:
    seed_untouched(db_url, chain_key="k")
    forge_snapshot(db_url)
    forge_head_hash(db_url)
    with store.open(db_url, chain_key="k") as db:
        with pytest.raises(store.Unproven, match=r"run 'r': revision 3: its chain MAC is wrong"):
            db.current("r")
        problems = [(p.revision, p.kind) for p in db.verify().problems]
    assert (3, "chain") in problems


def test_without_a_key_a_forged_head_of_an_untouched_field_is_caught_by_its_digest(
    db_url: str, tmp_path: Path
) -> None:
    kept = tmp_path / "digests.txt"
    kept.write_text(seed_untouched(db_url) + "\n")
    forge_snapshot(db_url)
    forge_head_hash(db_url)  # a rewrite from the head on: its chain holds, its events agree
    with store.open(db_url) as db:
        report = db.verify(digests=kept)
    assert ("r", 3, "expectation") in [(p.run, p.revision, p.kind) for p in report.problems]


def test_a_planted_snapshot_with_a_cleared_mark_is_never_served_nor_carried(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("r")
        db.update("r", {"batch_size": 8})  # the head sets the field whose mark is cleared
    raw_sql(db_url, "UPDATE snapshots SET state = replace(state, '[0,0,0,0,2,', '[0,0,0,0,0,')")
    with store.open(db_url) as db:
        with pytest.warns(store.StoreWarning, match="revision 2: the snapshot"):
            explained = {o.path: o.source for o in db.explain("r")}
        assert explained["batch_size"] == "set"
        with pytest.warns(store.StoreWarning, match="revision 2: the snapshot"):
            db.unset("r", ["batch_size"])
        assert db.verify().ok
        assert db.read("r").values["batch_size"] == 4


def test_the_web_view_serves_no_unproven_head(db_url: str) -> None:
    from starlette.testclient import TestClient

    import store.web

    seed(db_url)
    forge_snapshot(db_url)
    with TestClient(store.web.app(db_url), base_url="http://127.0.0.1:8765") as client:
        answer = client.get("/api/runs/r")
        page = client.get("/runs/r")
    assert answer.status_code == page.status_code == 400
    assert answer.json()["error"].startswith("run 'r': revision 3: its hash does not match")
    assert "revision 3: its hash does not match its content and predecessor" in page.text


def test_a_head_proven_once_is_proven_again_once_it_changes(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        assert db.current("r").batch_size == 8  # type: ignore[attr-defined]
        assert db.current("r").batch_size == 8  # type: ignore[attr-defined]  # the same row
        forge_snapshot(db_url)
        with pytest.raises(store.Unproven, match=r"run 'r': revision 3: its hash does not"):
            db.current("r")
