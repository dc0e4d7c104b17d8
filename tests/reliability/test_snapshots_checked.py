"""Invariants 5 and 10: a damaged snapshot is never served, never crashes a read or a write,
is reported, and `verify` names it; the config hash in the chain proves what was read."""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Callable

import pytest

import store
from store._replay import snapshot_key
from tests.reliability.conftest import invoke, is_sqlite, raw_sql, sqlite_file

EIGHT, SIXTY_FOUR = '"batch_size":8', '"batch_size":64'
KEY = snapshot_key(store.get_schema("training"))
OTHER_KEY = "0" * 32


def seed(url: str) -> str:
    """The issue's run: `create r1; set r1 batch_size=8`, with its snapshot at revision 2."""
    with store.open(url) as db:
        db.create("r1")
        return db.update("r1", {"batch_size": 8}).config_hash or ""


def flip_a_byte(url: str) -> None:
    """Flip one byte of the snapshot's state (`"base"` becomes `"case"`): in the SQLite file
    itself; on PostgreSQL, the same byte through SQL."""
    if not is_sqlite(url):
        raw_sql(url, "UPDATE snapshots SET state = overlay(state placing 'c' from 3 for 1)")
        return
    raw_sql(url, "PRAGMA wal_checkpoint(TRUNCATE)")
    path = sqlite_file(url)
    data = bytearray(path.read_bytes())
    at = data.index(b'{"base":3,"version":3,') + 2
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def insert(revision: int, key: str, state: str) -> str:
    """SQL planting a snapshot of r1 at `revision`, under `key`."""
    return (
        "INSERT INTO snapshots (run_id, revision, fingerprint, schema_version, state, config) "
        f"SELECT id, {revision}, '{key}', 3, '{state}', NULL FROM runs WHERE name = 'r1'"
    )


def planted_state(batch_size: int) -> str:
    """A well-formed snapshot state of the training schema whose batch size is `batch_size`."""
    state = store._replay.RunState.new(store.get_schema("training"), 3)
    state.values["batch_size"] = batch_size
    state.explicit["batch_size"] = 2
    return state.dump()


DAMAGE: dict[str, Callable[[str], None]] = {
    "edited config": lambda url: raw_sql(
        url, f"UPDATE snapshots SET config = replace(config, '{EIGHT}', '{SIXTY_FOUR}')"
    ),
    "edited state": lambda url: raw_sql(
        url, f"UPDATE snapshots SET state = replace(state, '{EIGHT}', '{SIXTY_FOUR}')"
    ),
    "the issue's edit": lambda url: raw_sql(
        url,
        f"UPDATE snapshots SET config = replace(config, '{EIGHT}', '{SIXTY_FOUR}'), "
        f"state = replace(state, '{EIGHT}', '{SIXTY_FOUR}')",
    ),
    "flipped byte": flip_a_byte,
    "broken JSON": lambda url: raw_sql(url, "UPDATE snapshots SET state = '{\"base\":3,'"),
    "missing key": lambda url: raw_sql(
        url, "UPDATE snapshots SET state = replace(state, '\"batch_size\":8,', '')"
    ),
    "unknown base version": lambda url: raw_sql(
        url, "UPDATE snapshots SET state = replace(state, '\"base\":3', '\"base\":42')"
    ),
    "revision that does not exist": lambda url: raw_sql(url, insert(7, KEY, planted_state(64))),
    "another schema fingerprint": lambda url: raw_sql(
        url, "DELETE FROM snapshots", insert(2, OTHER_KEY, planted_state(64))
    ),
}
"""Each damage, and the revision `verify` names for it."""
NAMED = {"revision that does not exist": 7}
WARNED = set(DAMAGE) - {"revision that does not exist", "another schema fingerprint"}
"""Damage to the snapshot a read would start from: reported when read."""
STATE = WARNED - {"edited config"}
"""Damage to the state every read and write starts from (the config JSON kept beside it is
read only by `current()`)."""


def reads(url: str) -> list[object]:
    """Every way a trainer or a person reads r1's head: all must give the log's batch size 8."""
    with store.open(url) as db:
        return [
            db.current("r1").batch_size,  # type: ignore[attr-defined]
            db.read("r1").values["batch_size"],
            db.at("r1", 2).batch_size,  # type: ignore[attr-defined]
            db.export_config("r1")["batch_size"],
        ]


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_snapshots_are_never_served_and_verify_names_them(db_url: str, case: str) -> None:
    recorded = seed(db_url)
    DAMAGE[case](db_url)
    reported = (
        pytest.warns(store.StoreWarning, match=r"run 'r1': revision 2: the .*replayed")
        if case in WARNED
        else contextlib.nullcontext()
    )
    with reported, store.open(db_url) as db:
        assert reads(db_url) == [8, 8, 8, 8]
        assert db.read("r1").config_hash == recorded == db.head("r1").config_hash
    report = json.loads(invoke(db_url, "verify", "--json").stdout)
    revision = NAMED.get(case, 2)
    assert report["ok"] is False
    assert [(p["run"], p["revision"], p["kind"]) for p in report["problems"]] == [
        ("r1", revision, "snapshot")
    ], report


@pytest.mark.parametrize("case", sorted(STATE))
def test_a_read_of_a_damaged_head_warns_once(db_url: str, case: str) -> None:
    seed(db_url)
    DAMAGE[case](db_url)
    with store.open(db_url) as db, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert db.read("r1").values["batch_size"] == 8
        assert store.read("r1", url=db_url).values["batch_size"] == 8
    assert [str(w.message)[:30] for w in caught] == ["run 'r1': revision 2: the snap"] * 2


@pytest.mark.parametrize("case", sorted(STATE))
def test_the_command_line_warns_and_shows_the_log_s_value(db_url: str, case: str) -> None:
    seed(db_url)
    DAMAGE[case](db_url)
    shown = invoke(db_url, "show", "r1")
    assert shown.exit_code == 0, shown.output
    assert "batch_size               8" in shown.stdout.splitlines()
    warnings = shown.stderr.splitlines()
    assert warnings and all(w.startswith("Warning: run 'r1': revision 2: ") for w in warnings)
    assert "Traceback" not in shown.output


@pytest.mark.parametrize("case", sorted(STATE))
def test_a_write_never_carries_a_damaged_snapshot_forward(db_url: str, case: str) -> None:
    seed(db_url)
    DAMAGE[case](db_url)
    written = invoke(db_url, "set", "r1", "epochs=5")
    assert written.exit_code == 0, written.output
    assert written.stderr.startswith("Warning: run 'r1': revision 2: ")
    assert written.stdout.splitlines()[1:] == ["  epochs: 100 → 5"]
    assert invoke(db_url, "verify").exit_code == 0  # the write replaced the snapshot
    with store.open(db_url) as db:
        assert db.current("r1").batch_size == 8  # type: ignore[attr-defined]
        assert db.read("r1").config_hash == db.head("r1").config_hash


def test_the_issue_s_reproduction_on_the_command_line(db_url: str) -> None:
    seed(db_url)
    DAMAGE["the issue's edit"](db_url)
    verified = invoke(db_url, "verify")
    assert verified.exit_code == 1
    assert verified.stdout.splitlines()[1:] == [
        "r1   2    snapshot  the snapshot says batch_size=64, the log says 8"
    ]
    rebuilt = invoke(db_url, "verify", "--rebuild-snapshots")
    assert rebuilt.exit_code == 1  # reports what it found, then rebuilds
    assert invoke(db_url, "verify").exit_code == 0
    shown = invoke(db_url, "show", "r1")
    assert (shown.exit_code, shown.stderr) == (0, "")
    assert "batch_size               8" in shown.stdout.splitlines()
    with store.open(db_url) as db:
        assert db.current("r1").batch_size == 8  # type: ignore[attr-defined]


def test_a_config_edited_alone_is_named_with_its_field(db_url: str) -> None:
    seed(db_url)
    DAMAGE["edited config"](db_url)
    report = json.loads(invoke(db_url, "verify", "--json").stdout)
    assert report["problems"] == [
        {
            "run": "r1",
            "revision": 2,
            "kind": "snapshot",
            "detail": "the config kept with the snapshot says batch_size=64, the log says 8",
        }
    ]


def test_a_deleted_snapshot_is_a_pruned_cache(db_url: str) -> None:
    seed(db_url)
    raw_sql(db_url, "DELETE FROM snapshots")
    assert reads(db_url) == [8, 8, 8, 8]
    assert invoke(db_url, "verify").exit_code == 0
    assert invoke(db_url, "verify", "r1", "--rebuild-snapshots").exit_code == 0
    with store.open(db_url) as db, db._recorder.read() as tx:
        row = tx.run("r1")
        assert row is not None
        assert [(s.revision, s.key) for s in tx.snapshots(row)] == [(2, KEY)]


def test_rebuilding_touches_only_the_runs_it_checks(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.create("other", {"epochs": 3})
    DAMAGE["edited state"](db_url)
    assert invoke(db_url, "verify", "other", "--rebuild-snapshots").exit_code == 0
    assert invoke(db_url, "verify", "r1").exit_code == 1
    with store.open(db_url) as db:
        assert db.verify("r1", rebuild_snapshots=True).problems[0].kind == "snapshot"
        assert db.verify().ok


def spaced_run(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """r1 at revision 11, batch size 1..11, keeping snapshots at revisions 4, 8 and 11."""
    monkeypatch.setattr("store._reads.SNAPSHOT_SPACING", 4)
    with store.open(url) as db:
        db.create("r1", {"batch_size": 1})
        db.update_many("r1", ({"batch_size": n} for n in range(2, 12)))


def snapshot_revisions(url: str) -> list[int]:
    with store.open(url) as db, db._recorder.read() as tx:
        row = tx.run("r1")
        assert row is not None
        return [s.revision for s in tx.snapshots(row)]


def test_a_damaged_older_snapshot_falls_back_to_the_one_before_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spaced_run(db_url, monkeypatch)
    raw_sql(db_url, f"UPDATE snapshots SET state = replace(state, '{EIGHT}', '{SIXTY_FOUR}')")
    with store.open(db_url) as db, db._recorder.read() as tx:
        row = tx.run("r1")
        assert row is not None
        with pytest.warns(store.StoreWarning, match=r"run 'r1': revision 8: the snapshot does"):
            state, snapshot_at, _ = store._reads.load(tx, row, 10)
        assert (state.values["batch_size"], snapshot_at) == (10, 4)
    with store.open(db_url) as db:
        assert db.current("r1").batch_size == 11  # type: ignore[attr-defined]
        assert db.at("r1", 7).batch_size == 7  # type: ignore[attr-defined]
        with pytest.warns(store.StoreWarning, match="revision 8"):
            assert db.at("r1", 9).batch_size == 9  # type: ignore[attr-defined]
    problems = json.loads(invoke(db_url, "verify", "--json").stdout)["problems"]
    assert [(p["revision"], p["kind"]) for p in problems] == [(8, "snapshot")]


def test_rebuilding_restores_the_spaced_snapshots(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spaced_run(db_url, monkeypatch)
    raw_sql(db_url, "DELETE FROM snapshots")
    assert snapshot_revisions(db_url) == []
    assert invoke(db_url, "verify", "--rebuild-snapshots").exit_code == 0
    assert snapshot_revisions(db_url) == [4, 8, 11]
    assert invoke(db_url, "verify").exit_code == 0
    with store.open(db_url) as db:
        assert [db.at("r1", n).batch_size for n in range(1, 12)] == list(range(1, 12))  # type: ignore[attr-defined]
