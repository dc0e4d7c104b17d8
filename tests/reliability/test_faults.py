"""Issue 12: every fault found by trying to break `store` is one clean line and changes nothing.

Each test also checks that the database is unchanged (`dump_database` before and after).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, field_validator

import store
from store import _registry
from store._schema import Schema, SchemaVersion
from tests.conftest import dump_database
from tests.reliability.conftest import assert_refused, installed, invoke, sqlite_file

HASH = "0" * 64


@pytest.fixture
def seeded(db_url: str) -> str:
    """A run `r1` at revision 2 (batch_size 8)."""
    with store.open(db_url) as db:
        db.create("r1")
        db.update("r1", {"batch_size": 8})
    return db_url


def refused_by_cli(url: str, *args: str, status: int = 1) -> str:
    """Run the CLI, assert a clean refusal and an unchanged database; the error line."""
    before = dump_database(url)
    result = invoke(url, *args)
    line = assert_refused(result.exit_code, result.stdout, result.stderr, status)
    assert dump_database(url) == before
    return line


def refused_by_api(url: str, call: Callable[[store.Store], Any]) -> str:
    """Make an API call; assert a `StoreError` and an unchanged database; its message."""
    before = dump_database(url)
    with store.open(url) as db, pytest.raises(store.StoreError) as caught:
        call(db)
    assert dump_database(url) == before
    return str(caught.value)


# -- text that is not valid Unicode ------------------------------------------------------------

SURROGATE = "\udcff"  # what Python makes of the byte 0xff in a command-line argument


@pytest.mark.parametrize(
    "args",
    [
        ["set", "r1", f"model={SURROGATE}"],
        ["set", "r1", "epochs=3", "-m", f"why{SURROGATE}"],
        ["set", "r1", "epochs=3", "--author", f"me{SURROGATE}"],
    ],
)
def test_invalid_unicode_on_the_command_line_is_refused(seeded: str, args: list[str]) -> None:
    assert "not valid Unicode" in refused_by_cli(seeded, *args)


def test_invalid_utf8_bytes_through_the_installed_executable(seeded: str) -> None:
    before = dump_database(seeded)
    done = installed(seeded, "set", "r1", "model=caf\udcff")
    assert "not valid Unicode" in assert_refused(done.returncode, done.stdout, done.stderr)
    assert dump_database(seeded) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda db: db.update("r1", {"model": "\ud800"}),
        lambda db: db.update("r1", {"model": ["\ud800"]}),
        lambda db: db.update("r1", {"epochs": 3}, message="\ud800"),
        lambda db: db.import_config("r1", {"model": "x\ud800"}),
    ],
)
def test_a_lone_surrogate_through_the_api_is_refused(
    seeded: str, call: Callable[[store.Store], Any]
) -> None:
    assert "not valid Unicode" in refused_by_api(seeded, call)


def test_a_lone_surrogate_in_a_file_is_refused(seeded: str, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"model": "\\ud800"}')
    assert "not valid Unicode" in refused_by_cli(seeded, "import", str(path), "r1")


# -- files and numbers -------------------------------------------------------------------------


def test_export_to_a_missing_folder_is_one_line(seeded: str, tmp_path: Path) -> None:
    line = refused_by_cli(seeded, "export", "r1", "-o", str(tmp_path / "nope" / "x.json"))
    assert "cannot write" in line


def test_an_expectation_past_any_revision_says_the_revision_does_not_exist(seeded: str) -> None:
    result = invoke(seeded, "verify", "--expect", f"r1@99999999999999999999999:{HASH}")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "revision 99999999999999999999999 is missing (the run ends at 2)" in result.stdout


# -- URLs and timeouts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg2://u@h/d", "postgresql+asyncpg://u@h/d", "sqlite+aiosqlite:///x.db"],
)
def test_a_driver_store_does_not_use_is_named_with_the_supported_forms(url: str) -> None:
    result = invoke(url, "runs")
    line = assert_refused(result.exit_code, result.stdout, result.stderr)
    assert "sqlite:///PATH or postgresql+psycopg://" in line
    with pytest.raises(store.DatabaseError, match="unsupported database"):
        store.open(url)


@pytest.mark.postgres
def test_postgres_and_postgresql_urls_mean_psycopg(pg_url: str) -> None:
    for scheme in ("postgres://", "postgresql://"):
        plain = scheme + pg_url.split("://", 1)[1]
        with store.open(plain) as db:
            db.create(f"r{len(scheme)}")
    with store.open(pg_url) as db:
        assert [r.name for r in db.runs()] == ["r11", "r13"]


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_server_that_never_answers_times_out(silent_listener: int) -> None:
    url = f"postgresql+psycopg://u@127.0.0.1:{silent_listener}/x"
    started = time.monotonic()
    with pytest.raises(store.DatabaseError, match="did not answer in time"):
        store.open(url, timeout=2)
    assert time.monotonic() - started < 20


# -- API misuse ----------------------------------------------------------------------------------

MISUSE: dict[str, Callable[[store.Store], Any]] = {
    "update None": lambda db: db.update("r1", None),  # type: ignore[arg-type]
    "update_many None": lambda db: db.update_many("r1", [None]),  # type: ignore[list-item]
    "create list": lambda db: db.create("r2", [1]),  # type: ignore[arg-type]
    "expect not text": lambda db: db.verify(expect=[1]),  # type: ignore[list-item]
    "version as text": lambda db: db.update("r1", {"epochs": 3}, schema_version="3"),  # type: ignore[arg-type]
    "negative retries": lambda db: db.update("r1", {"epochs": 3}, retries=-1),
    "expected as text": lambda db: db.update("r1", {"epochs": 3}, expected_revision="2"),  # type: ignore[arg-type]
    "unset a string": lambda db: db.unset("r1", "epochs"),
    "limit zero": lambda db: db.history("r1", limit=0),
    "author not text": lambda db: db.update("r1", {"epochs": 3}, author=5),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", list(MISUSE))
def test_api_misuse_is_a_store_error(seeded: str, call: str) -> None:
    refused_by_api(seeded, MISUSE[call])


@pytest.mark.parametrize("timeout", [float("nan"), -1, 0, "3"])
def test_a_bad_timeout_is_a_store_error(sqlite_url: str, timeout: Any) -> None:
    with pytest.raises(store.DatabaseError, match="timeout"):
        store.open(sqlite_url, timeout=timeout)


def test_a_schema_plugin_that_fails_to_import_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        name = "broken"
        value = "broken_plugin:SCHEMA"

        def load(self) -> Any:
            raise ImportError("No module named 'torch'")

    monkeypatch.setattr(_registry, "entry_points", lambda **_: [Broken()])
    with pytest.raises(store.SchemaError) as caught:
        store.get_schema("broken")
    assert str(caught.value) == (
        "schema plugin 'broken' (broken_plugin:SCHEMA) failed to load: "
        "ImportError: No module named 'torch'"
    )


# -- accepted before, refused now ----------------------------------------------------------------


def test_a_field_given_twice_in_a_file_is_refused(seeded: str, tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    twice = {"__version": 3, "optimizer.learning_rate": 0.5, "optimizer": {"learning_rate": 0.7}}
    path.write_text(json.dumps(twice))
    line = refused_by_cli(seeded, "import", str(path), "r1")
    assert "optimizer.learning_rate is given twice" in line


def test_a_path_given_twice_on_the_command_line_is_refused(seeded: str) -> None:
    assert refused_by_cli(seeded, "set", "r1", "seed=1", "seed=2") == "Error: seed is given twice"


def test_an_empty_db_option_is_refused(seeded: str) -> None:
    result = invoke("", "runs")
    assert result.exit_code == 2 and "--db" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["show", "r1"], ["history", "r1"], ["verify"], ["export", "r1"], ["runs"], ["db", "current"]],
)
def test_commands_that_only_read_create_no_database(tmp_path: Path, args: list[str]) -> None:
    path = tmp_path / "store.db"
    result = invoke(f"sqlite:///{path}", *args)
    assert assert_refused(result.exit_code, result.stdout, result.stderr) == (
        f"Error: no database at {path}"
    )
    assert not path.exists()


def test_open_with_create_false_refuses_a_missing_database(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with pytest.raises(store.DatabaseError, match="no database at"):
        store.open(f"sqlite:///{path}", create=False)
    assert not path.exists()
    invoke(f"sqlite:///{path}", "create", "r1")  # a write makes it
    assert path.exists()


def test_upgrade_false_refuses_to_write_to_a_newer_database(seeded: str) -> None:
    from tests.reliability.conftest import raw_sql

    raw_sql(seeded, "UPDATE alembic_version SET version_num = '9999'")
    before = dump_database(seeded)
    with store.open(seeded, upgrade=False) as db:
        assert db.read("r1").values["batch_size"] == 8  # reading goes on
        with pytest.raises(store.DatabaseTooNew, match="only reads it"):
            db.update("r1", {"epochs": 3})
    assert dump_database(seeded) == before


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        ("batch_size=true", "expected int"),
        ('batch_size="8"', "expected int"),
        ("batch_size=١٢", "expected int"),
        ("seed=99999999999999999999", "beyond 64 bits"),
        ("optimizer.learning_rate=false", "expected float"),
    ],
)
def test_values_are_checked_strictly(seeded: str, assignment: str, fragment: str) -> None:
    assert fragment in refused_by_cli(seeded, "set", "r1", assignment)


def test_an_int_is_fine_for_a_float_field(seeded: str) -> None:
    with store.open(seeded) as db:
        db.update("r1", {"optimizer.learning_rate": 1})
        assert db.read("r1").values["optimizer.learning_rate"] == 1.0
    for call in (
        lambda db: db.update("r1", {"batch_size": True}),
        lambda db: db.update("r1", {"seed": 2**64}),
        lambda db: db.update("r1", {"model": ["x", 2**70]}),
    ):
        refused_by_api(seeded, call)


def test_diff_with_a_negative_revision_exits_1(seeded: str) -> None:
    assert "no revision -1" in refused_by_cli(seeded, "diff", "r1", "-1")


@pytest.mark.parametrize("option", ["-m", "--author"])
def test_nul_in_a_message_or_author_is_refused(seeded: str, option: str) -> None:
    assert "NUL" in refused_by_cli(seeded, "set", "r1", "epochs=3", option, "a\x00b")


def test_control_characters_are_stored_but_shown_escaped(seeded: str) -> None:
    message = "fake\n3  2026-01-01  mallory\x1b[31m red\r"
    assert invoke(seeded, "set", "r1", "epochs=3", "-m", message).exit_code == 0
    with store.open(seeded) as db:
        assert db.history("r1")[0].message == message
    shown = invoke(seeded, "history", "r1").stdout
    assert "\x1b" not in shown and "\r" not in shown
    assert "fake\\n3  2026-01-01  mallory\\x1b[31m red\\r" in shown
    assert json.loads(invoke(seeded, "history", "r1", "--json").stdout)[0]["message"] == message


# -- secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [SecretStr | None, list[SecretStr], dict[str, SecretStr]],
    ids=["optional", "list", "dict"],
)
def test_a_schema_with_a_secret_inside_another_type_is_refused(annotation: Any) -> None:
    namespace = {"__annotations__": {"token": annotation}, "token": None}
    model = type("Tokens", (BaseModel,), namespace)
    with pytest.raises(store.SchemaError, match="must be typed exactly SecretStr"):
        Schema("tokens", [SchemaVersion(1, model)])


class Guarded(BaseModel):
    """A secret whose validator would echo the value."""

    token: SecretStr = SecretStr("")
    short: str = ""

    @field_validator("token")
    @classmethod
    def long_enough(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and len(secret) > 5:
            raise ValueError(f"{secret!r} is too long")
        return value


def test_no_message_shows_a_secrets_value(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        _registry._registered, "guarded", Schema("guarded", [SchemaVersion(1, Guarded)])
    )
    monkeypatch.setenv("TOKEN", "ENVSECRETVALUE444")
    with store.open(sqlite_url) as db:
        db.create("g", schema="guarded")
    result = invoke(sqlite_url, "set", "g", "token=env:TOKEN")
    line = assert_refused(result.exit_code, result.stdout, result.stderr)
    assert "ENVSECRETVALUE444" not in result.output and "token" in line


def test_importing_a_plain_credential_keeps_the_runs_reference(
    sqlite_url: str, secretive: Schema, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with store.open(sqlite_url) as db:
        db.create("s", {"api_key": "env:HF_TOKEN"}, schema="secretive")
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"__version": 1, "api_key": "hf_plain", "name": "renamed"}))
    result = invoke(sqlite_url, "import", str(path), "s")
    assert result.exit_code == 0, result.output
    assert "api_key was not imported" in result.stderr
    with store.open(sqlite_url) as db:
        values = db.read("s").values
    assert values["api_key"] == "env:HF_TOKEN" and values["name"] == "renamed"
    assert b"hf_plain" not in sqlite_file(sqlite_url).read_bytes()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"__version": 0, "optimizer": [1]}, "optimizer: [1] is not a value version 0 holds"),
        ({"__version": 1, "embedding_model_names": 5}, "embedding_model_names: 5 is not"),
        ({"__version": 2, "embeddings": {}}, None),
        ({"__version": 3, "noising_bias": "abc"}, "noising_bias: 'abc' is not a value version 3"),
    ],
)
def test_an_old_onetrainer_file_with_a_wrongly_typed_value_is_no_traceback(
    sqlite_url: str, tmp_path: Path, data: dict[str, Any], field: str | None
) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    with store.open(sqlite_url) as db:
        db.create("other")
    before = dump_database(sqlite_url)
    result = invoke(sqlite_url, "import", str(path), "old", "--schema", "onetrainer")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if field is None:  # what OneTrainer itself reads from such a file (an unknown key)
        assert result.exit_code == 0, result.output
        return
    assert field in assert_refused(result.exit_code, result.stdout, result.stderr)
    assert dump_database(sqlite_url) == before
