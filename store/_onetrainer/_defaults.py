"""The fields of OneTrainer config versions 0..10 as its own dumps have them (package data)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

OLDEST, NEWEST = 0, 11


@functools.cache
def dumped(version: int) -> dict[str, Any]:
    """The flat `{path: value}` of a model-less version's full dump (`defaults/v<k>.json`)."""
    text = resources.files(__package__).joinpath("defaults", f"v{version}.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def paths(version: int, prefix: str = "", exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The leaf paths of a model-less version starting with `prefix`, minus `exclude`."""
    return tuple(p for p in dumped(version) if p.startswith(prefix) and p not in exclude)
