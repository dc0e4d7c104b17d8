"""Benchmarks of `store` against the baselines a user would pick, measured in the same run.

    python benchmarks/run.py                 # full run on SQLite (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick         # smoke run, smaller sizes
    python benchmarks/run.py --url postgresql+psycopg://postgres@127.0.0.1/test

Baselines: Python's `sqlite3` doing the same work with no framework (the ceiling), a JSON
file read plus pydantic validation (what a trainer does today), and the `eventsourcing`
library storing and rebuilding the same field events in SQLite (the nearest peer). Every
figure is a median; ratios come from one run. With `--url`, store runs on a throwaway
database created on that server (and dropped); the baselines stay local.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from trainer import trainer_rows  # benchmarks/ is on the path when run as a script

import store

HERE = Path(__file__).resolve().parent
ONETRAINER = "onetrainer"


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does."""

    replay_events: int
    revisions: tuple[int, ...]
    reads: int
    updates: int
    configs: int
    history_revisions: int
    memory_events: int
    repeat: int


FULL = Sizes(100_000, (10, 1_000, 10_000), 300, 300, 1_000, 100_000, 1_000_000, 3)
QUICK = Sizes(5_000, (10, 100, 1_000), 50, 50, 50, 5_000, 20_000, 1)


@dataclass
class Row:
    """One line of the results table."""

    key: str
    work: str
    figure: str
    target: str
    met: bool | None


def median(fn: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def us(seconds: float) -> str:
    """Seconds as microseconds or milliseconds, for people."""
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.1f} ms"


class Databases:
    """Fresh store databases: SQLite files in a temporary folder, or throwaway PostgreSQL ones."""

    def __init__(self, folder: Path, server: str | None) -> None:
        self.folder = folder
        self.server = server
        self.created: list[str] = []

    def url(self, name: str) -> str:
        """The URL of a new empty database for one benchmark."""
        if self.server is None:
            return f"sqlite:///{self.folder / name}.db"
        database = f"store_bench_{uuid.uuid4().hex[:8]}_{name}"
        with self._admin() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return sa.make_url(self.server).set(database=database).render_as_string(False)

    def size(self, url: str) -> int:
        """Bytes the store's tables take, indexes included."""
        if self.server is None:
            path = url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return os.path.getsize(path)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            size = conn.exec_driver_sql(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).scalar_one()
        engine.dispose()
        return int(size)

    def drop(self) -> None:
        """Drop every database this run created."""
        with self._admin() as conn:
            for database in self.created:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    @contextlib.contextmanager
    def _admin(self) -> Iterator[sa.Connection]:
        assert self.server is not None
        engine = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            yield conn
        engine.dispose()


def count_events(url: str) -> int:
    """How many events the store at `url` holds."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    engine.dispose()
    return int(count)


def drop_snapshots(url: str) -> None:
    """Delete every snapshot (they are a cache): the next read replays the whole log."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM snapshots")
    engine.dispose()


# -- the work -------------------------------------------------------------------------------


def v1_changesets(count: int) -> Iterator[dict[str, Any]]:
    """`training` v1 assignments that change all nine fields every time."""
    for i in range(count):
        yield {
            "model": f"model-{i % 3}",
            "learning_rate": 1e-4 * (1 + i % 5),
            "optimizer": ("ADAMW", "SGD")[i % 2],
            "batch_size": 1 + i % 7,
            "epochs": i,
            "gradient_checkpointing": bool(i % 2),
            "save_after": i % 4,
            "resolution": 512 + 64 * (i % 3),
            "seed": i + 1,
        }


def latest_changesets(count: int) -> Iterator[dict[str, Any]]:
    """`training` v3 assignments that change ten fields every time."""
    for i in range(count):
        yield {
            "optimizer.learning_rate": 1e-4 * (1 + i % 5),
            "optimizer.name": ("ADAMW", "SGD")[i % 2],
            "optimizer.weight_decay": 0.01 * (1 + i % 3),
            "batch_size": 1 + i % 7,
            "epochs": i,
            "gradient_checkpointing": ("ON", "OFF")[i % 2],
            "save_every": i % 4,
            "resolution": str(512 + 64 * (i % 3)),
            "ema": bool(i % 2),
            "seed": i + 1,
        }


def history_change(i: int) -> dict[str, Any]:
    """Revision i+1 of the history run: the learning rate every tenth time, else the epochs."""
    if i % 10 == 0:
        return {"optimizer.learning_rate": 1e-4 * (1 + i // 10 % 5)}
    return {"epochs": i}


def onetrainer_file(i: int) -> dict[str, Any]:
    """A complete OneTrainer config as its JSON file holds it (all ~500 leaves)."""
    schema = store.get_schema(ONETRAINER)
    config = schema.model().model_dump(mode="json")
    config.update(learning_rate=1e-5 * (1 + i % 9), epochs=10 + i, batch_size=1 + i % 4)
    return {"__version": schema.latest, **config}


def create_onetrainer_run(db: store.Store, run: str, revisions: int) -> None:
    """A run imported from a full OneTrainer file, then one field changed per revision."""
    db.import_config(run, onetrainer_file(0), schema=ONETRAINER)
    if revisions > 1:
        db.update_many(run, ({"epochs": 1000 + i} for i in range(revisions - 1)))


class RawLog:
    """The ceiling: the same events in one plain `sqlite3` table, no framework."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE revisions (id INTEGER PRIMARY KEY, run TEXT, number INT, "
            "schema_version INT, created_at TEXT, author TEXT, message TEXT, kind TEXT, "
            "hash TEXT, UNIQUE (run, number))"
        )
        self.conn.execute(
            "CREATE TABLE events (revision_id INT, position INT, op TEXT, path TEXT, value TEXT, "
            "PRIMARY KEY (revision_id, position)) WITHOUT ROWID"
        )
        self.number = 0

    def write(self, changesets: Iterator[dict[str, Any]]) -> None:
        """Store change sets as revisions, in one transaction."""
        with self.conn:
            self.conn.execute("BEGIN")
            for changes in changesets:
                self.insert(changes)

    def insert(self, changes: dict[str, Any]) -> None:
        """Insert one revision with its events (no commit)."""
        self.number += 1
        cursor = self.conn.execute(
            "INSERT INTO revisions (run, number, schema_version, created_at, author, message, "
            "kind, hash) VALUES ('run', ?, 1, ?, 'bench', '', 'update', ?)",
            (self.number, "2026-01-01T00:00:00.000000Z", "0" * 64),
        )
        self.conn.executemany(
            "INSERT INTO events VALUES (?, ?, 'set', ?, ?)",
            [(cursor.lastrowid, i, p, json.dumps(v)) for i, (p, v) in enumerate(changes.items())],
        )

    def fold(self) -> dict[str, Any]:
        """Select every event of the run in order and fold them into a dict."""
        values: dict[str, Any] = {}
        for path, value in self.conn.execute(
            "SELECT e.path, e.value FROM revisions r JOIN events e ON e.revision_id = r.id "
            "WHERE r.run = 'run' ORDER BY r.number, e.position"
        ):
            values[path] = json.loads(value)
        return values


def eventsourcing_app(path: Path) -> Any:
    """The peer: an `eventsourcing` Application on SQLite whose aggregate's events set fields."""
    os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
    os.environ["SQLITE_DBNAME"] = str(path)
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Config(Aggregate):
        """A run's config: one event per field set."""

        @event("Created")
        def __init__(self, name: str) -> None:
            self.name = name
            self.values: dict[str, Any] = {}

        @event("FieldSet")
        def set_field(self, path: str, value: Any) -> None:
            self.values[path] = value

    class Configs(Application):
        """Runs kept by `eventsourcing`."""

        def create(self, name: str, changesets: Iterator[dict[str, Any]]) -> Any:
            run = Config(name)
            for changes in changesets:
                for path, value in changes.items():
                    run.set_field(path, value)
            self.save(run)
            return run.id

        def current(self, run_id: Any) -> dict[str, Any]:
            values: dict[str, Any] = self.repository.get(run_id).values
            return values

    return Configs()


# -- the benchmarks -------------------------------------------------------------------------


def b1_replay(sizes: Sizes, dbs: Databases, folder: Path) -> list[Row]:
    """Full replay of one run of v1 events, upcast to today, against sqlite3 and eventsourcing."""
    revisions = sizes.replay_events // 9
    url = dbs.url("b1")
    with store.open(url) as db:
        changesets = v1_changesets(revisions + 1)
        db.create("b1", next(changesets), schema_version=1)
        db.update_many("b1", changesets, schema_version=1)
        events = count_events(url)

        def replay() -> None:
            drop_snapshots(url)
            db.current("b1")

        ours = median(replay, sizes.repeat)
    raw = RawLog(folder / "raw-b1.db")
    raw.write(v1_changesets(revisions + 1))
    ceiling = median(raw.fold, sizes.repeat)
    app = eventsourcing_app(folder / "es-b1.db")
    run_id = app.create("b1", v1_changesets(revisions + 1))
    peer = median(lambda: app.current(run_id), sizes.repeat)
    rate, raw_rate, peer_rate = events / ours, events / ceiling, events / peer
    return [
        Row(
            "B1",
            f"full replay of {events:,} v1 events, upcast to v3 (no snapshot)",
            f"{rate:,.0f} ev/s; sqlite3 {raw_rate:,.0f} ev/s = {rate / raw_rate:.2f}x",
            "≥ 0.6 x sqlite3",
            rate / raw_rate >= 0.6,
        ),
        Row(
            "B1",
            "same, against eventsourcing (Application.repository.get)",
            f"eventsourcing {peer_rate:,.0f} ev/s = {rate / peer_rate:.1f}x",
            "≥ 8 x eventsourcing",
            rate / peer_rate >= 8,
        ),
    ]


def b2_read(sizes: Sizes, dbs: Databases, folder: Path) -> list[Row]:
    """`current()` of a OneTrainer-size config after many revisions, against a JSON file."""
    schema = store.get_schema(ONETRAINER)
    path = folder / "config.json"
    path.write_text(json.dumps(onetrainer_file(0), indent=4))

    def json_read() -> None:
        with path.open() as f:
            data = json.load(f)
        data.pop("__version")
        schema.model.model_validate(data)

    baseline = median(json_read, sizes.reads)
    url = dbs.url("b2")
    times = {}
    with store.open(url) as db:
        for n in sizes.revisions:
            create_onetrainer_run(db, f"r{n}", n)
            db.current(f"r{n}")
            times[n] = median(lambda n=n: db.current(f"r{n}"), sizes.reads)
    leaves = len(schema.version(schema.latest).leaves)
    rows = [
        Row(
            "B2",
            f"current(), {leaves} leaves, {n:,} revisions",
            f"{us(t)}; JSON+validate {us(baseline)} = {t / baseline:.2f}x",
            "≤ 1.5 x JSON",
            t / baseline <= 1.5,
        )
        for n, t in times.items()
    ]
    first, last = sizes.revisions[0], sizes.revisions[-1]
    rows.append(
        Row(
            "B2",
            f"current() after {last:,} vs {first} revisions",
            f"{times[last] / times[first]:.2f}x",
            "≤ 1.2x",
            times[last] / times[first] <= 1.2,
        )
    )
    return rows


def b3_update(sizes: Sizes, dbs: Databases, folder: Path) -> list[Row]:
    """One committed `update()` of one field, against sqlite3 inserting the same rows."""
    raw = RawLog(folder / "raw-b3.db")
    counter = iter(range(10**9))

    def raw_update() -> None:
        with raw.conn:
            raw.conn.execute("BEGIN")
            raw.insert({"epochs": next(counter)})

    baseline = median(raw_update, sizes.updates)
    rows = []
    url = dbs.url("b3")
    with store.open(url) as db:
        db.create("training")
        create_onetrainer_run(db, "onetrainer", 1)
        for run in ("training", ONETRAINER):
            t = median(lambda run=run: db.update(run, {"epochs": next(counter)}), sizes.updates)
            rows.append(
                Row(
                    "B3",
                    f"update() of one field, committed ({run} schema)",
                    f"{us(t)}; sqlite3 insert+commit {us(baseline)} = {t / baseline:.1f}x",
                    "≤ 2.5 x sqlite3",
                    t / baseline <= 2.5,
                )
            )
    return rows


def b4_import(sizes: Sizes, dbs: Databases) -> tuple[list[Row], str]:
    """Bulk import of full OneTrainer configs into new runs."""
    files = [(f"config-{i}", onetrainer_file(i)) for i in range(sizes.configs)]
    url = dbs.url("b4")
    with store.open(url) as db:
        start = time.perf_counter()
        db.import_many(files, schema=ONETRAINER)
        elapsed = time.perf_counter() - start
    events = count_events(url)
    rate = events / elapsed
    row = Row(
        "B4",
        f"import_many() of {sizes.configs:,} full OneTrainer configs ({events:,} events)",
        f"{rate:,.0f} ev/s ({elapsed:.2f} s)",
        "≥ 150,000 ev/s",
        rate >= 150_000,
    )
    return [row, b4_cli(files, elapsed, dbs)], url


def b4_cli(files: list[tuple[str, dict[str, Any]]], api: float, dbs: Databases) -> Row:
    """The same configs as files, kept in sync by the `store import --many` command."""
    folder = dbs.folder / "b4-files"
    folder.mkdir()
    for run, data in files:
        (folder / f"{run}.json").write_text(json.dumps(data), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    command = [sys.executable, "-m", "store", "--db", dbs.url("b4cli"), "import", "--many"]
    start = time.perf_counter()
    subprocess.run([*command, str(folder), "-q"], env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    return Row(
        "B4",
        f"CLI `import --many` of the same {len(files):,} files (a new process) vs import_many()",
        f"{elapsed:.2f} s vs {api:.2f} s = {elapsed / api:.2f}x",
        "≤ 1.3x",
        elapsed / api <= 1.3,
    )


def b5_history(sizes: Sizes, dbs: Databases) -> tuple[list[Row], str]:
    """One field's history over many revisions, and `verify` of as many events."""
    url = dbs.url("b5")
    n = sizes.history_revisions
    with store.open(url) as db:
        db.create("b5")
        db.update_many("b5", (history_change(i) for i in range(1, n)))
        history = median(
            lambda: db.history("b5", field="optimizer.learning_rate"), max(3, sizes.repeat)
        )
        shown = len(db.history("b5", field="optimizer.learning_rate"))
        timeline = median(
            lambda: db.timeline("b5", "optimizer.learning_rate"), max(3, sizes.repeat)
        )
        verify = median(lambda: db.verify("b5"), sizes.repeat)
    with store.open(dbs.url("b5_onetrainer")) as db:
        create_onetrainer_run(db, "full", sizes.configs)
        full = median(lambda: db.verify("full"), sizes.repeat)
    return [
        Row(
            "B5",
            f"history(field=...) over {n:,} revisions ({shown:,} shown)",
            us(history),
            "≤ 50 ms",
            history <= 0.05,
        ),
        Row(
            "B5",
            f"timeline(run, field) over {n:,} revisions ({shown:,} changes)",
            us(timeline),
            "≤ 50 ms",
            timeline <= 0.05,
        ),
        Row(
            "B5",
            f"verify() of {n:,} one-field revisions (chain, replay, config hashes)",
            us(verify),
            "≤ 2 s",
            verify <= 2.0,
        ),
        Row(
            "B5",
            f"verify() of {sizes.configs:,} revisions of a full OneTrainer config",
            us(full),
            "≤ 2 s",
            full <= 2.0,
        ),
    ], url


def b14_compare(sizes: Sizes, url: str) -> list[Row]:
    """`compare` of up to 60 imported OneTrainer runs, every field, side by side."""
    refs = [f"config-{i}" for i in range(min(60, sizes.configs))]
    with store.open(url) as db:
        db.compare(refs[:1])  # the schema is loaded once per process, not per comparison
        elapsed = median(lambda: db.compare(refs), sizes.repeat)
        fields = len(db.compare(refs[:1]).rows)
    return [
        Row(
            "B14",
            f"compare() of {len(refs)} OneTrainer runs x {fields} fields",
            us(elapsed),
            "≤ 2 s",
            elapsed <= 2.0,
        )
    ]


def b15_web(sizes: Sizes, url: str) -> list[Row]:
    """Pages of the web view over the B5 run (every page server-rendered, in-process)."""
    from starlette.testclient import TestClient

    from store import web

    n = sizes.history_revisions
    pages = {
        "run page, newest 50 revisions": "/runs/b5",
        "run page, 50 revisions from the middle": f"/runs/b5?before={n // 2}",
        "revision page, from the middle": f"/runs/b5/revisions/{n // 2}",
        "diff of two revisions": f"/diff?a=b5@{n // 3}&b=b5@{n // 2}",
        "timeline of a field never changed": "/runs/b5/fields/seed",
        "timeline of a field changed 10,000 times": "/runs/b5/fields/optimizer.learning_rate",
    }
    rows = []
    with warnings.catch_warnings():  # Starlette's test client warns that it still uses httpx
        warnings.simplefilter("ignore", DeprecationWarning)
        client = TestClient(web.app(url), base_url="http://127.0.0.1:8765")
    with client:
        for work, address in pages.items():
            assert client.get(address).status_code == 200, address
            took = median(lambda a=address: client.get(a), max(3, sizes.repeat))  # type: ignore[misc]
            work = f"web: {work} ({n:,} revisions)"
            rows.append(Row("B15", work, us(took), "≤ 100 ms", took <= 0.1))
    return rows


def b6_size(dbs: Databases, urls: dict[str, str]) -> list[Row]:
    """Database bytes per stored event, indexes and snapshots included."""
    rows = []
    for label, url in urls.items():
        per_event = dbs.size(url) / count_events(url)
        rows.append(
            Row("B6", f"database size, {label}", f"{per_event:.0f} B/event", "≤ 150 B", None)
        )
        rows[-1].met = per_event <= 150
    return rows


def peak_rss(url: str, run: str) -> int:
    """Peak RSS in KiB of a fresh process that opens the store and reads `current(run)`."""
    code = (
        "import resource, store\n"
        f"with store.open({url!r}) as db: db.current({run!r})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE.parent
    )
    return int(done.stdout.split()[-1])


def b7_memory(sizes: Sizes, dbs: Databases) -> list[Row]:
    """Peak RSS of `current()` on a run of many events against one of 1,000 events."""
    url = dbs.url("b7")
    rss = {}
    with store.open(url) as db:
        for events in (1_000, sizes.memory_events):
            run = f"e{events}"
            changesets = latest_changesets(events // 10 + 1)
            db.create(run, next(changesets))
            db.update_many(run, changesets)
    for events in (1_000, sizes.memory_events):
        rss[events] = peak_rss(url, f"e{events}")
    drop_snapshots(url)
    cold = peak_rss(url, f"e{sizes.memory_events}")
    ratio = rss[sizes.memory_events] / rss[1_000]
    return [
        Row(
            "B7",
            f"peak RSS, current() of {sizes.memory_events:,} vs 1,000 events",
            f"{rss[sizes.memory_events] / 1024:.0f} MiB vs {rss[1_000] / 1024:.0f} MiB "
            f"= {ratio:.2f}x (no snapshot: {cold / 1024:.0f} MiB)",
            "≤ 2x",
            ratio <= 2,
        )
    ]


# -- the report -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from importlib.metadata import version

    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{ram:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "SQLAlchemy": sa.__version__,
        "pydantic": version("pydantic"),
        "eventsourcing": version("eventsourcing"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = ["| # | work | measured | target | met |", "|---|---|---|---|---|"]
    for r in rows:
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.key} | {r.work} | {r.figure} | {r.target} | {met} |")
    return "\n".join(lines)


def report(rows: list[Row], backend: str, quick: bool, elapsed: float) -> str:
    """RESULTS.md: the machine, the table, and how to reproduce it."""
    facts = "\n".join(f"- {k}: {v}" for k, v in machine().items())
    command = "python benchmarks/run.py" + (" --quick" if quick else "")
    return (
        f"# Benchmark results ({backend})\n\n{facts}\n- store backend: {backend}\n"
        f"- total time: {elapsed:.0f} s\n\n{table(rows)}\n\n"
        f"Reproduce with `{command}`; figures are medians, ratios come from this one run.\n"
    )


def main() -> None:
    """Run every benchmark, print the table and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--url", help="run store on a throwaway database on this server")
    parser.add_argument("--output", type=Path, help="where to write the report")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    backend = sa.make_url(args.url).get_backend_name() if args.url else "sqlite"
    output = args.output
    if output is None and not args.quick:
        output = HERE / ("RESULTS.md" if args.url is None else f"RESULTS-{backend}.md")
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dbs = Databases(folder, args.url)
        try:
            for step in (b1_replay, b2_read, b3_update):
                print(f"{step.__name__} …", file=sys.stderr, flush=True)
                rows += step(sizes, dbs, folder)
            print("b4_import …", file=sys.stderr, flush=True)
            found, import_url = b4_import(sizes, dbs)
            rows += found
            print("b5_history …", file=sys.stderr, flush=True)
            found, history_url = b5_history(sizes, dbs)
            rows += found
            print("b15_web …", file=sys.stderr, flush=True)
            rows += b15_web(sizes, history_url)
            rows += b6_size(
                dbs,
                {
                    "B4 import (~500 events per revision)": import_url,
                    "B5 history (1 event per revision)": history_url,
                },
            )
            print("trainer (B8-B13) …", file=sys.stderr, flush=True)
            found_rows = trainer_rows(dbs.url("trainer"), history_url, folder, args.quick)
            rows += [Row(*row) for row in found_rows]  # type: ignore[arg-type]
            print("b7_memory …", file=sys.stderr, flush=True)
            rows += b7_memory(sizes, dbs)
            print("b8_compare …", file=sys.stderr, flush=True)
            rows += b14_compare(sizes, import_url)
        finally:
            if args.url:
                dbs.drop()
    elapsed = time.perf_counter() - started
    print(table(rows))
    print(f"\n{elapsed:.0f} s", file=sys.stderr)
    if output is not None:
        output.write_text(report(rows, backend, args.quick, elapsed))
        print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
