"""The fields of OneTrainer config versions 0..10 as its own dumps have them (package data)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

OLDEST, NEWEST = 0, 11


LATE_V9_SECTIONS = ("quantization.",)
"""Sections v9 files had on the branch that led to v10 (e.g. presets at 7c255ac4, where
`config_version` was still 9) before the last v9 dump: v9 has them, with v10's values."""


@functools.cache
def dumped(version: int) -> dict[str, Any]:
    """The flat `{path: value}` of a model-less version's full dump (`defaults/v<k>.json`)."""
    loaded: dict[str, Any] = json.loads(_read(version))
    if version == 9:
        late = json.loads(_read(10))
        loaded.update((p, v) for p, v in late.items() if p.startswith(LATE_V9_SECTIONS))
    return loaded


def _read(version: int) -> str:
    return resources.files(__package__).joinpath("defaults", f"v{version}.json").read_text()


def paths(version: int, prefix: str = "", exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The leaf paths of a model-less version starting with `prefix`, minus `exclude`."""
    return tuple(p for p in dumped(version) if p.startswith(prefix) and p not in exclude)
