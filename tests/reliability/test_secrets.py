"""Invariant 11: a secret's plain value never reaches the database file or its WAL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import store
from store._schema import Schema
from tests.conftest import dump_database
from tests.reliability.conftest import assert_refused, file_bytes, invoke

SECRET = "hf_PLAINTEXT_s3cr3t_7f1d"
"""The plain value every test tries to smuggle in; its bytes must never be on disk."""


def assert_not_on_disk(url: str) -> None:
    """Neither the database file nor its -wal/-shm holds the secret, in any common encoding."""
    raw = file_bytes(url)
    for form in (SECRET.encode(), SECRET.encode("utf-16-le"), json.dumps(SECRET).encode()):
        assert form not in raw


@pytest.fixture
def secret_db(
    sqlite_url: str, secretive: Schema, monkeypatch: pytest.MonkeyPatch
) -> Iterator[store.Store]:
    """A store (snapshots every 2 revisions) with a `secretive` run holding references."""
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setattr("store._writes.SNAPSHOT_EVERY", 2)
    with store.open(sqlite_url) as db:
        db.create(
            "run", {"api_key": "env:API_KEY", "hub.token": "env:HF_TOKEN"}, schema="secretive"
        )
        yield db


REFUSED = {
    "create": lambda db: db.create("new", {"api_key": SECRET}, schema="secretive"),
    "update": lambda db: db.update("run", {"api_key": SECRET}),
    "nested update": lambda db: db.update("run", {"hub": {"token": SECRET}, "name": "x"}),
    "typed update": lambda db: db.update("run", {"hub.token": SECRET}, from_text=True),
    "expected revision": lambda db: db.update("run", {"api_key": SECRET}, expected_revision=1),
}


@pytest.mark.parametrize("write", list(REFUSED))
def test_a_plain_secret_is_refused_and_never_written(secret_db: store.Store, write: str) -> None:
    before = dump_database(secret_db.url)
    with pytest.raises(store.InvalidChange, match="is a secret") as err:
        REFUSED[write](secret_db)
    assert SECRET not in str(err.value)
    assert dump_database(secret_db.url) == before
    assert_not_on_disk(secret_db.url)


def test_references_are_stored_and_resolved_only_when_read(secret_db: store.Store) -> None:
    secret_db.update("run", {"name": "second"})
    secret_db.update("run", {"hub.token": "env:OTHER_TOKEN"})
    secret_db.update("run", {"name": "fourth"})
    secret_db.rollback("run", to=1)
    config = secret_db.current("run")
    assert config.hub.token.get_secret_value() == SECRET  # type: ignore[attr-defined]
    assert secret_db.read("run").values["hub.token"] == "env:HF_TOKEN"
    assert_not_on_disk(secret_db.url)


def test_import_drops_plain_secrets_with_a_warning(secret_db: store.Store, tmp_path: Path) -> None:
    data = {"__version": 1, "name": "imported", "api_key": SECRET, "hub": {"token": SECRET}}
    result = secret_db.import_config("run", data)
    assert set(result.skipped) == {"api_key", "hub.token"}
    fresh = secret_db.import_config("fresh", data, schema="secretive")
    assert fresh.revision.number == 1
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**data, "name": "from the cli"}))
    shown = invoke(secret_db.url, "import", str(path), "run")
    assert shown.exit_code == 0, shown.output
    assert "Warning: api_key was not imported" in shown.stderr
    assert SECRET not in shown.output
    assert_not_on_disk(secret_db.url)


def test_the_cli_refuses_a_plain_secret_in_one_line(secret_db: store.Store) -> None:
    before = dump_database(secret_db.url)
    result = invoke(secret_db.url, "set", "run", f"hub.token={SECRET}")
    line = assert_refused(result.exit_code, result.stdout, result.stderr)
    assert "is a secret" in line and SECRET not in line
    assert dump_database(secret_db.url) == before
    assert_not_on_disk(secret_db.url)


def test_reads_show_the_reference_not_the_value(secret_db: store.Store) -> None:
    for args in (["show", "run"], ["show", "run", "--json"], ["history", "run"], ["export", "run"]):
        result = invoke(secret_db.url, *args)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output, args
