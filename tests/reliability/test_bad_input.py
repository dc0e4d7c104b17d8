"""A corpus of malformed input: one `Error:` line, exit 1 (usage: 2), no traceback, no write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import store
from store import _registry
from store._schema import Schema, SchemaVersion, Upcaster
from tests.conftest import dump_database
from tests.reliability.conftest import assert_refused, installed, invoke, sqlite_file

DEEP = "[" * 1000 + "]" * 1000
BIG = "x" * (10 * 1024 * 1024)

FILES: dict[str, bytes] = {
    "invalid.json": b'{"epochs": ',
    "latin1.json": b'{"model": "caf\xe9"}',
    "array.json": b"[1, 2]",
    "string.json": b'"epochs"',
    "empty.json": b"",
    "nan.json": b'{"optimizer": {"learning_rate": NaN}}',
    "infinity.json": b'{"optimizer": {"learning_rate": Infinity}}',
    "minus-infinity.json": b'{"optimizer": {"learning_rate": -Infinity}}',
    "overflow.json": b'{"optimizer": {"learning_rate": 1e999}}',
    "nan-unknown.json": b'{"not_a_field": NaN}',
    "duplicate.json": b'{"epochs": 3, "epochs": 4}',
    "duplicate-nested.json": b'{"optimizer": {"name": "SGD", "name": "ADAMW"}}',
    "deep.json": b'{"model": ' + DEEP.encode() + b"}",
    "deep-object.json": b'{"x": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1001,
    "wrong-type.json": b'{"epochs": "many"}',
    "version-text.json": b'{"__version": "three"}',
    "version-newer.json": b'{"__version": 99}',
    "big.json": b'{"model": "' + BIG.encode() + b'"}',
}

# (id, arguments with {file} placeholders, exit status, a fragment of the error line)
CORPUS: list[tuple[str, list[str], int, str]] = [
    *[
        (name, ["import", "{" + name + "}", "run"], 1, fragment)
        for name, fragment in [
            ("invalid.json", "not valid JSON"),
            ("latin1.json", "not UTF-8"),
            ("array.json", "JSON object"),
            ("string.json", "JSON object"),
            ("empty.json", "not valid JSON"),
            ("nan.json", "NaN is refused"),
            ("infinity.json", "Infinity is refused"),
            ("minus-infinity.json", "-Infinity is refused"),
            ("overflow.json", "1e999 is refused"),
            ("nan-unknown.json", "NaN is refused"),
            ("duplicate.json", "'epochs' appears twice"),
            ("duplicate-nested.json", "'name' appears twice"),
            ("deep.json", "nested too deeply"),
            ("deep-object.json", "nested too deeply"),
            ("wrong-type.json", "expected int"),
            ("version-text.json", '"__version" must be an integer'),
            ("version-newer.json", "version 99 is newer"),
            ("big.json", "the limit is 1048576"),
        ]
    ],
    ("missing file", ["import", "{missing}", "run"], 1, "cannot read"),
    ("folder as file", ["import", "{folder}", "run"], 1, "cannot read"),
    ("create from duplicate", ["create", "new", "--from", "{duplicate.json}"], 1, "twice"),
    ("wrong type", ["set", "run", "epochs=many"], 1, "expected int"),
    ("NaN value", ["set", "run", "optimizer.learning_rate=NaN"], 1, "expected float"),
    ("Infinity value", ["set", "run", "optimizer.learning_rate=Infinity"], 1, "expected float"),
    ("-Infinity value", ["set", "run", "optimizer.learning_rate=-Infinity"], 1, "expected float"),
    ("1e999 value", ["set", "run", "optimizer.learning_rate=1e999"], 1, "NaN and Infinity"),
    ("unknown path", ["set", "run", "optimizer.learning_rat=1"], 1, "did you mean"),
    ("section", ["set", "run", "optimizer=SGD"], 1, "is a section"),
    ("10 MB value", ["set", "run", f"model={BIG}"], 1, "the limit is 1048576"),
    ("deep value", ["set", "run", f"epochs={DEEP}"], 1, "expected int"),
    ("out of range", ["set", "run", "batch_size=0"], 1, "batch_size: 0 is invalid"),
    ("unchanged", ["set", "run", "epochs=3"], 1, "nothing changed"),
    ("stale expectation", ["set", "run", "epochs=9", "--expect-revision", "1"], 1, "expected 1"),
    ("unknown unset", ["unset", "run", "nope"], 1, "unknown path"),
    ("no equals", ["set", "run", "epochs"], 2, "expected PATH=VALUE"),
    ("no path", ["set", "run", "=3"], 2, "expected PATH=VALUE"),
    ("no assignment", ["set", "run"], 2, "Missing argument"),
    ("no run", ["show"], 2, "Missing argument"),
    ("bad run name", ["set", "bad name!", "epochs=3"], 1, "invalid run name"),
    ("dot run name", ["create", ".hidden"], 1, "invalid run name"),
    ("long run name", ["create", "r" * 129], 1, "invalid run name"),
    ("missing run", ["set", "ghost", "epochs=3"], 1, "no run named 'ghost'"),
    ("existing run", ["create", "run"], 1, "already exists"),
    ("unknown schema", ["create", "new", "--schema", "nope"], 1, "nope"),
    ("show rev 0", ["show", "run", "--rev", "0"], 1, "no revision 0"),
    ("show rev -1", ["show", "run", "--rev", "-1"], 1, "no revision -1"),
    ("show past end", ["show", "run", "--rev", "4"], 1, "no revision 4"),
    ("export past end", ["export", "run", "--rev", "99"], 1, "no revision 99"),
    ("diff rev 0", ["diff", "run", "0"], 1, "no revision 0"),
    ("rollback to 0", ["rollback", "run", "--to", "0"], 1, "no revision 0"),
    ("rollback to -1", ["rollback", "run", "--to", "-1"], 1, "no revision -1"),
    ("rollback past end", ["rollback", "run", "--to", "9"], 1, "no revision 9"),
    ("rollback to current", ["rollback", "run", "--to", "3"], 1, "nothing changed"),
    ("history unknown field", ["history", "run", "--field", "nope"], 1, "unknown path"),
    ("bad expectation", ["verify", "--expect", "run@3:zz"], 1, "RUN@N:HASH"),
]


@pytest.fixture
def database(sqlite_url: str, tmp_path: Path) -> str:
    """A run at revision 3 (epochs 1, 2, 3), and every malformed file beside it."""
    with store.open(sqlite_url) as db:
        db.create("run", {"epochs": 1})
        db.update("run", {"epochs": 2})
        db.update("run", {"epochs": 3})
    for name, content in FILES.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "folder").mkdir()
    return sqlite_url


def arguments(template: list[str], folder: Path) -> list[str]:
    """Fill `{file}` placeholders with paths in `folder`."""
    return [str(folder / a[1:-1]) if a.startswith("{") else a for a in template]


@pytest.mark.parametrize(
    ("args", "status", "fragment"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_the_cli_refuses_malformed_input_cleanly(
    database: str, tmp_path: Path, args: list[str], status: int, fragment: str
) -> None:
    before = dump_database(database)
    result = invoke(database, *arguments(args, tmp_path))
    line = assert_refused(result.exit_code, result.stdout, result.stderr, status)
    assert fragment in line
    assert dump_database(database) == before


@pytest.mark.parametrize("index", [0, 1, 10, 19, 22, 29, 40, 46])
def test_the_installed_executable_refuses_the_same(
    database: str, tmp_path: Path, index: int
) -> None:
    _, template, status, fragment = CORPUS[index]
    before = dump_database(database)
    done = installed(database, *arguments(template, tmp_path))
    assert fragment in assert_refused(done.returncode, done.stdout, done.stderr, status)
    assert dump_database(database) == before


class Old(BaseModel):
    """Version 1 of a schema that this program's newer self extended."""

    x: int = 1


class New(BaseModel):
    """Version 2: what a newer program wrote."""

    x: int = 1
    y: int = 2


@pytest.mark.parametrize("args", [["show", "run"], ["set", "run", "x=5"], ["export", "run"]])
def test_a_run_written_by_a_newer_schema_version_is_refused_by_the_cli(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setitem(
        _registry._registered,
        "evolving",
        Schema("evolving", [SchemaVersion(1, Old), SchemaVersion(2, New)], [Upcaster(1, [])]),
    )
    with store.open(sqlite_url) as db:
        db.create("run", {"y": 7}, schema="evolving")
    older = Schema("evolving", [SchemaVersion(1, Old)])
    monkeypatch.setitem(_registry._registered, "evolving", older)
    before = dump_database(sqlite_url)
    result = invoke(sqlite_url, *args)
    line = assert_refused(result.exit_code, result.stdout, result.stderr)
    assert "version 2" in line and "up to version 1" in line
    assert dump_database(sqlite_url) == before


def not_a_database(path: Path) -> None:
    """A text file where the database should be."""
    path.write_text("these are my notes, not a database\n" * 200)


def truncated_database(path: Path) -> None:
    """A real store database cut to half its size."""
    with store.open(f"sqlite:///{path}") as db:
        db.create("run", {"epochs": 1})
        for epochs in range(2, 60):
            db.update("run", {"epochs": epochs, "model": "m" * 2000})
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


BROKEN: dict[str, tuple[Callable[[Path], None] | None, str, str]] = {
    "missing folder": (None, "nowhere/store.db", "does not exist"),
    "folder": (lambda p: p.mkdir(), "store.db", "is a folder"),
    "not a database": (not_a_database, "notes.db", "not a database"),
    "truncated": (truncated_database, "cut.db", "malformed"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_database_that_cannot_be_used_is_one_error_line(tmp_path: Path, case: str) -> None:
    make, name, fragment = BROKEN[case]
    path = tmp_path / name
    if make is not None:
        make(path)
    before = path.read_bytes() if path.is_file() else None
    url = f"sqlite:///{path}"
    for args in (["runs"], ["set", "run", "epochs=2"], ["verify"]):
        result = invoke(url, *args)
        assert fragment in assert_refused(result.exit_code, result.stdout, result.stderr)
    assert (path.read_bytes() if path.is_file() else None) == before
    with pytest.raises(store.DatabaseError, match=fragment):
        store.open(url)


@pytest.mark.parametrize("url", ["nonsense", "mysql://u@h/db", "sqlite:////dev/null/x.db"])
def test_a_url_store_cannot_use_is_one_error_line(url: str) -> None:
    result = invoke(url, "runs")
    assert_refused(result.exit_code, result.stdout, result.stderr)


API_CALLS: dict[str, Callable[[store.Store], Any]] = {
    "not a mapping": lambda db: db.import_config("run", [1, 2]),  # type: ignore[arg-type]
    "NaN": lambda db: db.update("run", {"optimizer.learning_rate": float("nan")}),
    "Infinity": lambda db: db.update("run", {"optimizer": {"learning_rate": float("inf")}}),
    "NaN in a list": lambda db: db.update("run", {"model": [1.0, float("-inf")]}),
    "deep value": lambda db: db.update("run", {"model": nested(1000)}),
    "deep unknown path": lambda db: db.update("run", {"x": deep_object(1000)}),
    "deep import": lambda db: db.import_config("run", {"model": nested(1000)}),
    "10 MB": lambda db: db.update("run", {"model": BIG}),
    "not JSON": lambda db: db.update("run", {"model": object()}),
    "bad name": lambda db: db.create("a/b"),
    "empty name": lambda db: db.create(""),
    "name not text": lambda db: db.create(3),  # type: ignore[arg-type]
    "revision 0": lambda db: db.at("run", 0),
    "revision -1": lambda db: db.at("run", -1),
    "revision past end": lambda db: db.at("run", 4),
    "revision True": lambda db: db.at("run", True),
    "rollback to 0": lambda db: db.rollback("run", to=0),
    "rollback to current": lambda db: db.rollback("run", to=3),
    "unknown schema": lambda db: db.create("new", schema="nope"),
    "newer writer version": lambda db: db.update("run", {"epochs": 9}, schema_version=9),
    "import newer version": lambda db: db.import_config("run", {"__version": 9}),
    "diff past end": lambda db: db.diff("run", 1, 99),
}


def nested(depth: int) -> Any:
    """A list nested `depth` deep, built without recursion."""
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def deep_object(depth: int) -> Any:
    """A JSON object nested `depth` deep."""
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("call", list(API_CALLS))
def test_the_api_refuses_malformed_input_with_a_store_error(database: str, call: str) -> None:
    before = dump_database(database)
    with store.open(database) as db, pytest.raises(store.StoreError):
        API_CALLS[call](db)
    assert dump_database(database) == before


def test_the_corpus_is_at_least_forty_inputs() -> None:
    assert len(CORPUS) + len(BROKEN) + len(API_CALLS) >= 40
    assert sqlite_file("sqlite:///x.db") == Path("x.db")
