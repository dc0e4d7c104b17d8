"""PostgreSQL for teams: many writers on many connections, and a least-privilege role."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import store
from store._tables import snapshots
from tests.reliability.conftest import raw_sql

pytestmark = pytest.mark.postgres

APP_GRANTS = """
CREATE ROLE {role} LOGIN;
GRANT CONNECT ON DATABASE "{database}" TO {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT ON alembic_version TO {role};
GRANT SELECT, INSERT ON runs, revisions, events, tags, run_events TO {role};
GRANT SELECT, INSERT, DELETE ON snapshots TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
"""


def _writer(url: str, run: str, writer: int, count: int) -> None:
    with store.open(url) as db:
        for i in range(count):
            db.update(run, {"seed": writer * 1000 + i}, author=f"writer{writer}")


def _run_writers(url: str, runs: list[str], writers: int, count: int) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_writer, args=(url, runs[n % len(runs)], n, count))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=600)
    assert [p.exitcode for p in processes] == [0] * writers


def _assert_complete(db: store.Store, run: str, writers: list[int], count: int) -> None:
    history = db.history(run)
    assert sorted(r.number for r in history) == list(range(1, len(writers) * count + 2))
    seeds = {c.new for r in history for c in r.changes if c.path == "seed"}
    assert {w * 1000 + i for w in writers for i in range(count)} <= seeds
    assert db.verify(run).ok


@pytest.mark.slow
def test_sixteen_processes_on_one_run_lose_nothing(pg_url: str) -> None:
    with store.open(pg_url) as db:
        db.create("shared", {"seed": -1})
    _run_writers(pg_url, ["shared"], writers=16, count=200)
    with store.open(pg_url) as db:
        _assert_complete(db, "shared", list(range(16)), 200)


@pytest.mark.slow
def test_sixteen_processes_on_sixteen_runs_lose_nothing(pg_url: str) -> None:
    runs = [f"run{n}" for n in range(16)]
    with store.open(pg_url) as db:
        for run in runs:
            db.create(run, {"seed": -1})
    _run_writers(pg_url, runs, writers=16, count=200)
    with store.open(pg_url) as db:
        for n, run in enumerate(runs):
            _assert_complete(db, run, [n], 200)
        assert db.verify().ok


@pytest.fixture
def app_url(pg_url: str) -> Iterator[str]:
    """The URL of a role that may only read the log and append to it (the documented setup)."""
    store.open(pg_url).close()
    role = f"store_app_{uuid.uuid4().hex[:8]}"
    url = sa.engine.make_url(pg_url)
    owner = sa.create_engine(pg_url)
    with owner.begin() as conn:
        for statement in APP_GRANTS.format(role=role, database=url.database).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    yield url.set(username=role, password=None).render_as_string(hide_password=False)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"DROP OWNED BY {role}")
        conn.exec_driver_sql(f"DROP ROLE {role}")
    owner.dispose()


def test_an_application_role_with_select_and_insert_only_can_do_everything(app_url: str) -> None:
    with store.open(app_url) as db:
        db.create("team", {"epochs": 3})
        db.update("team", {"epochs": 4})
        db.unset("team", ["epochs"])
        db.rollback("team", to=2)
        assert db.current("team").epochs == 4  # type: ignore[attr-defined]
        assert db.verify().ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE revisions SET author = 'x'",
        "DELETE FROM events",
        "TRUNCATE revisions CASCADE",
        "UPDATE snapshots SET state = replace(state, '3', '4'), config = NULL",
        "TRUNCATE snapshots",
    ],
)
def test_the_application_role_cannot_rewrite_the_log(app_url: str, statement: str) -> None:
    with store.open(app_url) as db:
        db.create("team", {"epochs": 3})
    engine = sa.create_engine(app_url)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE revisions SET author = 'x'",
        "DELETE FROM events",
        "TRUNCATE revisions CASCADE",
        "INSERT INTO revisions SELECT * FROM revisions ON CONFLICT (id) DO UPDATE SET author = 'x'",
    ],
)
def test_even_the_owner_cannot_rewrite_the_log(pg_url: str, statement: str) -> None:
    with store.open(pg_url) as db:
        db.create("team", {"epochs": 3})
    engine = sa.create_engine(pg_url)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def test_the_application_role_rebuilds_snapshots_and_what_it_plants_is_never_served(
    app_url: str,
) -> None:
    with store.open(app_url) as db:
        db.create("team", {"epochs": 3})
        assert db.verify(rebuild_snapshots=True).ok
    engine = sa.create_engine(app_url)
    with engine.begin() as conn:  # what the role may do: delete a snapshot, insert another
        kept = dict(conn.execute(sa.select(snapshots)).mappings().one())
        conn.execute(sa.delete(snapshots))
        forged = {
            k: v.replace('"epochs":3', '"epochs":30')
            for k, v in kept.items()
            if k in {"state", "config"}
        }
        conn.execute(snapshots.insert().values({**kept, **forged}))
    engine.dispose()
    with pytest.warns(store.StoreWarning, match="revision 1"), store.open(app_url) as db:
        assert db.current("team").epochs == 3  # type: ignore[attr-defined]
    with store.open(app_url) as db:
        assert [p.kind for p in db.verify().problems] == ["snapshot"]


def test_a_reader_the_server_dropped_fails_one_read_and_is_replaced(pg_url: str) -> None:
    with store.open(pg_url) as db:
        db.create("r", {"epochs": 3})
        assert db.current("r").epochs == 3  # type: ignore[attr-defined]
        owner = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with owner.connect() as conn:  # end every other session on the database
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        owner.dispose()
        with pytest.raises(store.DatabaseError):
            db.current("r")
        assert db.current("r").epochs == 3  # type: ignore[attr-defined]
        assert db.read("r").revision == 1


def test_what_the_application_role_inserts_out_of_band_verify_reports(app_url: str) -> None:
    """Issue 27 with the least-privilege role's own rights: a tag moved, a run archived and a
    revision numbered 2**31 - 1, each by one plain INSERT."""
    with store.open(app_url) as db:
        db.create("run", {"epochs": 1})
        db.update("run", {"epochs": 2})
        db.tag("run@1", "baseline")
        db.create("other")
        assert db.verify().ok
    raw_sql(
        app_url,
        "INSERT INTO tags (run_id, name, revision, created_at, author, message) "
        "SELECT run_id, name, 2, created_at, 'ana', '' FROM tags WHERE name = 'baseline'",
        "INSERT INTO run_events (run_id, action, created_at, author, message) "
        "SELECT id, 'archive', created_at, 'ana', '' FROM runs WHERE name = 'other'",
        "INSERT INTO revisions (run_id, number, schema_version, created_at, author, message, "
        "kind, hash) SELECT run_id, 2147483647, schema_version, created_at, 'mallory', '', "
        "'update', repeat('f', 64) FROM revisions WHERE number = 2 AND run_id = "
        "(SELECT id FROM runs WHERE name = 'run')",
    )
    with store.open(app_url) as db:
        assert db.read("run").revision == 2  # the forged far revision is never the head
        problems = db.verify().problems
        found = [(p.run, p.revision, p.kind) for p in problems]
        assert ("run", 2147483647, "chain") in found
        assert {run for run, _, kind in found if kind == "chain"} == {"run", "other"}
        gaps = [p for p in problems if p.detail.startswith("numbered 2147483647")]
        assert len(gaps) == 1 and len(problems) < 10  # the gap once, never a problem per number
        assert db.update("run", {"epochs": 3}).number == 3  # later writes still work
