"""The flat defaults of OneTrainer config versions 0..10, shipped as package data."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

OLDEST, NEWEST = 0, 11


@functools.cache
def defaults(version: int) -> dict[str, Any]:
    """The flat `{path: default}` of a model-less version, read once from `defaults/v<k>.json`."""
    text = resources.files(__package__).joinpath("defaults", f"v{version}.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def paths(version: int, prefix: str = "", exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The leaf paths of a model-less version starting with `prefix`, minus `exclude`."""
    return tuple(p for p in defaults(version) if p.startswith(prefix) and p not in exclude)
