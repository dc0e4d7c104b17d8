"""End to end: the installed `store` executable (and `python -m store`) on a real SQLite file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import store


def run_store(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("store")
    assert executable, "the console script `store` is not installed"
    env = {**os.environ, "STORE_AUTHOR": "ana"}
    env.pop("STORE_URL", None)
    return subprocess.run(
        [executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_a_session_with_the_installed_executable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert run_store("--db", url, "create", "r", "-m", "first", cwd=tmp_path).returncode == 0
    changed = run_store("--db", url, "set", "r", "batch_size=8", "model=FLUX_DEV_1", cwd=tmp_path)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.splitlines()[1:] == [
        '  model: "stable-diffusion-1.5" → "FLUX_DEV_1"',
        "  batch_size: 4 → 8",
    ]
    history = json.loads(run_store("--db", url, "history", "r", "--json", cwd=tmp_path).stdout)
    assert [(h["revision"], h["kind"]) for h in history] == [(2, "update"), (1, "create")]
    rolled = run_store("--db", url, "rollback", "r", "--to", "1", cwd=tmp_path)
    assert rolled.returncode == 0, rolled.stderr
    assert rolled.stdout.startswith("r: revision 3 (rollback) ")
    exported = tmp_path / "r.json"
    assert run_store("--db", url, "export", "r", "-o", str(exported), cwd=tmp_path).returncode == 0
    verified = run_store("--db", url, "verify", cwd=tmp_path)
    assert (verified.returncode, verified.stdout) == (
        0,
        "ok: 1 run(s) verified, every chain holds and replays\n",
    )
    failed = run_store("--db", url, "show", "r", "--rev", "7", cwd=tmp_path)
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr == "Error: run 'r' has revisions 1..3; there is no revision 7\n"
    with store.open(url) as opened:
        assert opened.current("r") == opened.at("r", 1)
        assert json.loads(exported.read_text(encoding="utf-8")) == opened.export_config("r")


def test_python_dash_m_and_the_default_database(tmp_path: Path) -> None:
    env = {**os.environ, "STORE_AUTHOR": "ana"}
    env.pop("STORE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "store", "create", "r"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with store.open(f"sqlite:///{tmp_path / 'store.db'}") as opened:
        assert [r.name for r in opened.runs()] == ["r"]
