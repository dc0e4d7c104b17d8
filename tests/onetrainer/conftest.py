"""Domain-level helpers: what the store's import + replay + export does to a OneTrainer file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from store._onetrainer import ONETRAINER
from store._paths import flatten, unflatten
from store._schema import collect_notes

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


def effective(data: dict[str, Any], version: int) -> tuple[dict[str, Any], list[str]]:
    """The effective v11 config (nested, JSON mode) of a file at `version`, and the notes."""
    values = {**ONETRAINER.run_defaults(version, version), **file_values(data, version)}
    with collect_notes() as notes:
        ONETRAINER.upcast(values, {}, version, ONETRAINER.latest)
    model = ONETRAINER.model.model_validate(unflatten(values))
    return model.model_dump(mode="json"), notes


def effective_from_file(data: dict[str, Any], version: int) -> dict[str, Any]:
    """What `store export` writes for a file imported at `version`."""
    return ONETRAINER.export_hook(effective(data, version)[0])  # type: ignore[misc]


def implicit_version(name: str) -> int:
    """The version in a historical file name `<name>@v<version>@<commit>.json`."""
    return int(name.split("@")[1].removeprefix("v"))
