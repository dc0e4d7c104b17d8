"""Export → import is exact: a run's own export, in every format that can hold it, changes
nothing when imported back and makes a run of the same config hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import store
from store._files import parse_config
from tests.onetrainer.conftest import (
    _STORE,
    DATA,
    FULLDUMPS,
    implicit_version,
    imported,
    load,
)

DUMPS = sorted(FULLDUMPS.glob("*/*.json"))
PRESETS = sorted((DATA / "training_presets").rglob("*.json"))
HISTORICAL = sorted((DATA / "historical").glob("*.json"))


def texts(run: str) -> dict[str, str]:
    """The run's export in each format that can hold it (TOML has no null)."""
    found = {}
    for fmt in ("json", "yaml", "toml"):
        try:
            found[fmt] = _STORE.export_text(run, format=fmt)
        except store.InvalidConfigFile:
            assert fmt == "toml"
    return found


def assert_exact(run: str) -> None:
    """Each export of `run` imports into `run` as no change, and into a new run as its hash."""
    expected = _STORE.read(run).config_hash
    for fmt, text in texts(run).items():
        data = parse_config(text.encode(), f"export.{fmt}", fmt)
        with pytest.raises(store.NoChange):
            _STORE.import_config(run, data)
        again, _ = imported(data, data["__version"])
        assert _STORE.read(again).config_hash == expected, fmt


def file_run(path: Path, version: int | None, preset: bool = False) -> str:
    """A run made from a data file."""
    data: dict[str, Any] = load(path)
    if preset:
        run = f"preset-{abs(hash(path))}"
        _STORE.import_config(run, data, schema="onetrainer", preset=True)
        return run
    return imported(data, data.get("__version", version) if version is None else version)[0]


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_full_dump_round_trips_exactly(path: Path) -> None:
    assert_exact(file_run(path, 0 if "__version" not in load(path) else None))


@pytest.mark.parametrize("path", PRESETS[::6], ids=lambda p: p.stem)
def test_a_preset_round_trips_exactly(path: Path) -> None:
    assert_exact(file_run(path, None, preset=True))


@pytest.mark.parametrize("path", HISTORICAL, ids=lambda p: p.stem)
def test_a_historical_preset_round_trips_exactly(path: Path) -> None:
    assert_exact(file_run(path, implicit_version(path.name)))


def test_a_run_with_a_port_and_secret_references_round_trips_exactly() -> None:
    secrets = {"huggingface_token": "env:HF_TOKEN", "cloud": {"port": 2222, "api_key": "env:K"}}
    run, _ = imported({"__version": 11, "secrets": secrets}, 11)
    assert _STORE.export_config(run)["secrets"]["cloud"]["port"] == "2222"
    assert_exact(run)
