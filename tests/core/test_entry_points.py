"""A user's schema published as an entry point is found by the API and the CLI, unconfigured."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import store
from store import _registry

PACKAGE = textwrap.dedent(
    """
    from pydantic import BaseModel

    from store import Add, Rename, Schema, SchemaVersion, Upcaster


    class V1(BaseModel):
        lr: float = 1e-4


    class V2(BaseModel):
        learning_rate: float = 1e-4
        warmup: int = 100


    SCHEMA = Schema(
        "my_trainer",
        [SchemaVersion(1, V1), SchemaVersion(2, V2)],
        [Upcaster(1, [Rename("lr", "learning_rate"), Add("warmup", legacy_default=0)])],
    )
    """
)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path holding a tiny installed distribution that declares the schema."""
    folder = tmp_path / "site"
    (folder / "my_trainer_config").mkdir(parents=True)
    (folder / "my_trainer_config" / "__init__.py").write_text(PACKAGE)
    info = folder / "my_trainer_config-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-trainer-config\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[store.schemas]\nmy_trainer = my_trainer_config:SCHEMA\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(
        _registry,
        "_registered",
        {k: v for k, v in _registry._registered.items() if k != "my_trainer"},
    )
    return folder


def test_the_api_finds_a_schema_through_its_entry_point(site: Path, db: store.Store) -> None:
    assert "my_trainer" in store.schema_names()
    db.create("old", {"lr": 3e-4}, schema="my_trainer", schema_version=1)
    assert db.current("old").model_dump() == {"learning_rate": 3e-4, "warmup": 0}


def test_the_installed_command_finds_it_too(site: Path, tmp_path: Path) -> None:
    command = shutil.which("store")
    assert command is not None
    env = {**os.environ, "PYTHONPATH": str(site), "STORE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    for args in (["create", "r", "--schema", "my_trainer"], ["set", "r", "warmup=5"]):
        done = subprocess.run([command, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    shown = subprocess.run(
        [command, "show", "r", "--json"], env=env, capture_output=True, text=True
    )
    assert shown.stdout.strip().startswith("{") and '"warmup": 5' in shown.stdout
