"""Fixtures of the CLI tests: `cli` runs a command against the database of `db_url`.

The database URL comes only from the project-wide `db_url` fixture (tests/conftest.py), so
these tests run on every backend it is parametrised over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

import store
from store._cli import cli

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed author, and no `$STORE_URL` leaking in from the shell."""
    monkeypatch.setenv("STORE_AUTHOR", "ana")
    monkeypatch.delenv("STORE_URL", raising=False)


@pytest.fixture
def invoke(db_url: str) -> Invoke:
    """Run `store --db URL ARGS…` in-process; stdout and stderr kept apart."""

    def run(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args], input=stdin)

    return run


def snapshot(url: str) -> list[Any]:
    """Everything a person can read from the store: runs, and each run's full history."""
    with store.open(url) as opened:
        runs = opened.runs()
        return [runs, *(opened.history(r.name) for r in runs)]
