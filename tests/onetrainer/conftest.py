"""Helpers: a OneTrainer file imported into a real store (SQLite file), replayed and exported."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

import store
from store._onetrainer import ONETRAINER
from store._onetrainer._model import OptimizerConfig
from store._paths import flatten

DATA = Path(__file__).parent.parent / "data" / "onetrainer"
FULLDUMPS = DATA / "fulldumps"
HISTORICAL_OK = DATA / "generated" / "migrated_by_head"


def load(path: Path) -> dict[str, Any]:
    """A JSON file of the test data."""
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def file_values(data: dict[str, Any], version: int) -> dict[str, Any]:
    """The flat values a file sets at `version`: hook applied, unknown keys skipped."""
    imported = ONETRAINER.import_hook(data)  # type: ignore[misc]
    imported.pop("__version", None)
    leaves = ONETRAINER.version(version).leaves
    return {p: v for p, v in flatten(imported, leaves).items() if p in leaves}


_STORE = store.open(f"sqlite:///{tempfile.mkdtemp(prefix='onetrainer-tests-')}/store.db")
_RUNS = (f"case{n}" for n in itertools.count())


def imported(data: dict[str, Any], version: int) -> tuple[str, store.ImportResult]:
    """Import a file at `version` into a new run of a real store; the run and the result."""
    run = next(_RUNS)
    result = _STORE.import_config(run, data, schema="onetrainer", schema_version=version)
    return run, result


def effective(data: dict[str, Any], version: int) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The effective v11 config (nested, JSON mode) of a file imported at `version`, and notes."""
    run, result = imported(data, version)
    return _STORE.current(run).model_dump(mode="json"), result.notes


def effective_from_file(data: dict[str, Any], version: int) -> dict[str, Any]:
    """What `store export` writes for a file imported at `version`."""
    return _STORE.export_config(imported(data, version)[0])


def round_trip(data: dict[str, Any], version: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Export of an imported file, and the export of that export imported into a new run."""
    first = effective_from_file(data, version)
    return first, _STORE.export_config(imported(first, ONETRAINER.latest)[0])


def implicit_version(name: str) -> int:
    """The version in a historical file name `<name>@v<version>@<commit>.json`."""
    return int(name.split("@")[1].removeprefix("v"))


def as_onetrainer_loads(config: dict[str, Any]) -> dict[str, Any]:
    """An export as OneTrainer writes it once loaded (documented deviations, README): the
    untouched port the export leaves out is its default, the int 0, and each entry of
    `optimizer_defaults` is completed with the v11 optimizer's defaults."""
    out = dict(config)
    if "secrets" in out and "port" not in out["secrets"]["cloud"]:
        out["secrets"] = {**out["secrets"], "cloud": {**out["secrets"]["cloud"], "port": 0}}
    if isinstance(out.get("optimizer_defaults"), dict):
        defaults = OptimizerConfig().model_dump(mode="json")
        out["optimizer_defaults"] = {
            name: {"__version": 0, **{k: entry.get(k, v) for k, v in defaults.items()}}
            if isinstance(entry, dict)
            else entry
            for name, entry in out["optimizer_defaults"].items()
        }
    return out
