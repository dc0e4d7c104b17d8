"""Helpers of the issue-15 tests: the installed `store` executable running this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import store

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
