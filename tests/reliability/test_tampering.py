"""Invariants 1 and 10 attacked from outside store: raw SQL on the log, triggers on and off."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlalchemy as sa

import store
from tests.conftest import dump_database
from tests.reliability.conftest import (
    assert_refused,
    invoke,
    is_sqlite,
    raw_sql,
    revision_id,
    unprotect,
)

REV3 = revision_id("run", 3)
FORGED = (
    "INSERT INTO revisions (run_id, number, schema_version, created_at, author, message, kind, "
    "hash) SELECT run_id, {number}, 3, created_at, 'mallory', '', 'update', '{hash}' "
    "FROM revisions WHERE id = {source}"
)

SQLITE_REFUSED = [
    "REPLACE INTO events SELECT * FROM events",
    "INSERT OR REPLACE INTO events (revision_id, position, op, path, value) "
    f"VALUES ({REV3}, 0, 'set', 'epochs', '99')",
    "UPDATE OR REPLACE revisions SET number = 1 WHERE number = 2",
    "UPDATE OR IGNORE events SET value = '99'",
    f"DELETE FROM events WHERE revision_id = {REV3}",
    "INSERT OR REPLACE INTO revisions SELECT id, run_id, number, schema_version, created_at, "
    "'mallory', message, kind, hash, config_hash, detail, mac FROM revisions WHERE number = 2",
]
POSTGRES_REFUSED = [
    "UPDATE revisions SET number = number + 100",
    "DELETE FROM revisions WHERE number = 5",
    "TRUNCATE events",
    "TRUNCATE revisions CASCADE",
    "INSERT INTO events SELECT * FROM events ON CONFLICT (revision_id, position) "
    "DO UPDATE SET value = '99'",
]

TAMPERING = {
    "changed value": [f"UPDATE events SET value = '777' WHERE revision_id = {REV3}"],
    "changed author": ["UPDATE revisions SET author = 'mallory' WHERE number = 3"],
    "deleted revision": [
        f"DELETE FROM events WHERE revision_id = {REV3}",
        "DELETE FROM revisions WHERE number = 3 AND run_id = (SELECT id FROM runs "
        "WHERE name = 'run')",
    ],
    "deleted event": [f"DELETE FROM events WHERE revision_id = {REV3} AND position = 1"],
    "swapped pair": [
        f"UPDATE revisions SET number = -1 WHERE id = {REV3}",
        f"UPDATE revisions SET number = 3 WHERE id = {revision_id('run', 4)}",
        f"UPDATE revisions SET number = 4 WHERE id = {revision_id('run', -1)}",
    ],
    "forged revision": [FORGED.format(number=6, hash="f" * 64, source=revision_id("run", 5))],
}


def seed(url: str) -> str:
    """A run of five revisions (revision 3 sets two fields) beside an untouched run; the hash
    of revision 5, as a trainer would keep it in a checkpoint."""
    with store.open(url) as db:
        db.create("run", {"epochs": 1})
        db.update("run", {"epochs": 2})
        db.update("run", {"epochs": 3, "seed": 3})
        db.update("run", {"epochs": 4})
        db.create("other", {"epochs": 1})
        return db.update("run", {"epochs": 5}).hash


def refused(url: str, statement: str) -> BaseException:
    """Run one statement around store; it must raise (the database refuses it)."""
    with pytest.raises((sqlite3.DatabaseError, sa.exc.DBAPIError)) as err:
        raw_sql(url, statement)
    return err.value


@pytest.mark.parametrize("index", range(max(len(SQLITE_REFUSED), len(POSTGRES_REFUSED))))
def test_the_database_refuses_every_rewrite_of_the_log(db_url: str, index: int) -> None:
    statements = SQLITE_REFUSED if is_sqlite(db_url) else POSTGRES_REFUSED
    if index >= len(statements):
        pytest.skip("fewer statements for this backend")
    seed(db_url)
    before = dump_database(db_url)
    assert "append-only" in str(refused(db_url, statements[index]))
    assert dump_database(db_url) == before


def test_a_rewrite_through_store_s_own_connection_is_an_append_only_violation(
    db_url: str,
) -> None:
    seed(db_url)
    with (
        store.open(db_url) as db,
        pytest.raises(store.AppendOnlyViolation),
        db._recorder.write() as tx,
    ):
        tx._conn.exec_driver_sql("UPDATE revisions SET author = 'mallory'")


@pytest.mark.parametrize("case", list(TAMPERING))
def test_store_verify_names_the_tampered_run_and_revision(db_url: str, case: str) -> None:
    seed(db_url)
    unprotect(db_url)
    raw_sql(db_url, *TAMPERING[case])
    result = invoke(db_url, "verify")
    assert result.exit_code == 1, result.output
    reported = {tuple(line.split()[:2]) for line in result.stdout.splitlines()[1:]}
    assert reported and all(run == "run" for run, _ in reported), result.stdout
    first = 6 if case == "forged revision" else 3
    assert min(int(number) for _, number in reported) == first, result.stdout
    assert "Traceback" not in result.output


def test_a_cut_off_tail_is_caught_only_by_an_expected_hash(db_url: str) -> None:
    kept = seed(db_url)
    unprotect(db_url)
    raw_sql(
        db_url,
        "DELETE FROM events WHERE revision_id IN (SELECT id FROM revisions WHERE number >= 4)",
        "DELETE FROM revisions WHERE number >= 4",
    )
    left = invoke(db_url, "verify")  # the head's snapshot outlived the cut
    assert left.exit_code == 1
    assert left.stdout.splitlines()[1:] == [
        "run  5    snapshot  a snapshot of a revision the log does not have"
    ]
    raw_sql(db_url, "DELETE FROM snapshots")
    assert invoke(db_url, "verify").exit_code == 0
    result = invoke(db_url, "verify", "--expect", f"run@5:{kept}")
    assert result.exit_code == 1
    assert "run  5" in result.stdout and "missing" in result.stdout


def test_a_forged_chain_with_recomputed_hashes_is_caught_by_an_expected_hash(
    db_url: str,
) -> None:
    kept = seed(db_url)
    unprotect(db_url)
    raw_sql(db_url, f"UPDATE events SET value = '777' WHERE revision_id = {REV3} AND position = 0")
    rehash(db_url, "run")
    replayed = invoke(db_url, "verify")  # the recorded config hash of revision 3 still holds 3
    assert replayed.exit_code == 1
    assert [line.split()[:3] for line in replayed.stdout.splitlines()[1:]] == [
        ["run", "3", "forged"]  # revision 2 replays, 3 only sets: no schema change explains it
    ]
    rehash(db_url, "run", config_hashes=True)
    assert invoke(db_url, "verify").exit_code == 0  # a hash chain is no signature
    result = invoke(db_url, "verify", "--expect", f"run@5:{kept}")
    assert result.exit_code == 1
    assert "is not the expected" in result.stdout


def rehash(url: str, run: str, config_hashes: bool = False) -> None:
    """Recompute every hash of a run (and its config hashes), as an attacker who knows the
    algorithm can."""
    with store.open(url) as db, db._recorder.read() as tx:
        row = tx.run(run)
        assert row is not None
        stored = list(tx.stored(row))
    if config_hashes:
        with store.open(url) as db:
            replayed = [db.read(run, r.number).config_hash for r in stored]
        stored = [r._replace(config_hash=h) for r, h in zip(stored, replayed, strict=True)]
    previous = store._records.GENESIS
    for revision in stored:
        previous = store._records.revision_hash(
            run,
            row.schema,
            revision.number,
            revision.schema_version,
            revision.created_at,
            revision.author,
            revision.message,
            revision.kind,
            revision.events,
            previous,
            revision.config_hash,
            revision.detail,
        )
        raw_sql(
            url,
            f"UPDATE revisions SET hash = '{previous}', config_hash = '{revision.config_hash}' "
            f"WHERE id = {revision_id(run, revision.number)}",
        )


def stored_text(position: int, text: str, revision: int = 3) -> str:
    """SQL giving the event at `position` of a revision of `run` the stored text `text`."""
    where = f"revision_id = {revision_id('run', revision)} AND position = {position}"
    return f"UPDATE events SET value = '{text}' WHERE {where}"


FORGERIES = {
    "a value that is not canonical JSON": [stored_text(0, " 3")],
    "a value that is not JSON": [stored_text(0, "[3")],
    "a value that is not a finite number": [stored_text(0, "NaN")],
    "values that decode only together": [stored_text(0, "[3"), stored_text(1, "3]")],
    "values that decode only together, one per text": [
        stored_text(0, "[3"),
        stored_text(1, "3]"),
        stored_text(0, "4,5", revision=4),
    ],
}
"""Event values rewritten under a chain recomputed to match (with the head's snapshot edited,
so that how far the replay got shows)."""
REPLAYED = {
    "a value that is not canonical JSON": [["run", 3, "forged"], ["run", 5, "snapshot"]],
    "a value that is not JSON": [["run", 3, "chain"]],
    "a value that is not a finite number": [["run", 3, "chain"]],
    "values that decode only together": [["run", 3, "chain"]],
    "values that decode only together, one per text": [["run", 3, "chain"]],
}
"""What `verify --json` reports for each forgery: a value that does not decode on its own is
a revision the chain proves but the log cannot replay, where the replay ends."""


@pytest.mark.parametrize("case", [*TAMPERING, *FORGERIES])
def test_verify_reports_the_same_whatever_batches_the_log_is_read_in(
    db_url: str, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_url)
    unprotect(db_url)
    if case in TAMPERING:
        raw_sql(db_url, *TAMPERING[case])
    else:
        edited = "UPDATE snapshots SET state = replace(state, '\"epochs\":5', '\"epochs\":55')"
        raw_sql(db_url, *FORGERIES[case], edited)
        rehash(db_url, "run")
    reports = []
    for size in (1, 2, 1000):
        monkeypatch.setattr(store._statements, "FETCH", size)
        result = invoke(db_url, "verify", "--json")
        reports.append((result.exit_code, result.stdout, result.stderr))
    assert reports[0] == reports[1] == reports[2]
    if case in REPLAYED:
        problems = json.loads(reports[0][1])["problems"]
        assert [[p["run"], p["revision"], p["kind"]] for p in problems] == REPLAYED[case]


def test_a_forged_value_that_is_not_json_fails_verify_naming_the_revision(db_url: str) -> None:
    seed(db_url)
    unprotect(db_url)
    raw_sql(db_url, stored_text(0, "NaN"))
    rehash(db_url, "run")
    result = invoke(db_url, "verify")
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == (
        "run  3    chain  its events cannot be replayed (a stored value is not JSON), though its "
        "hash matches: written so, or forged with the hashes recomputed; the log is not checked "
        "past it"
    )
    with store.open(db_url) as opened:
        assert not opened.verify().ok


def test_a_refused_expectation_is_one_error_line(db_url: str) -> None:
    seed(db_url)
    result = invoke(db_url, "verify", "--expect", "run@5:not-a-hash")
    assert_refused(result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM runs WHERE name = 'run'",
        "UPDATE runs SET name = 'other'",
        "INSERT OR REPLACE INTO runs SELECT * FROM runs",
    ],
)
def test_a_whole_run_can_be_neither_deleted_nor_changed(sqlite_url: str, statement: str) -> None:
    seed(sqlite_url)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw_sql(sqlite_url, statement)
