"""Helpers of the issue-15 tests: the CLI in-process, and the installed `store` executable
running this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import store
from store._cli import cli

CHECKOUT = Path(store.__file__).parent.parent


def run_store(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, importing the `store` package this test suite tests."""
    executable = shutil.which("store")
    assert executable, "the console script `store` is not installed"
    env = {**os.environ, "STORE_AUTHOR": "ana", "PYTHONPATH": str(CHECKOUT)}
    env.pop("STORE_URL", None)
    return subprocess.run(
        [executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed author, and no `$STORE_URL` leaking in from the shell."""
    monkeypatch.setenv("STORE_AUTHOR", "ana")
    monkeypatch.delenv("STORE_URL", raising=False)


def invoke(db_url: str, *args: str, stdin: str | None = None) -> Result:
    """`store --db URL ARGS…` in-process, stdout and stderr kept apart."""
    return CliRunner().invoke(cli, ["--db", db_url, *args], input=stdin)
