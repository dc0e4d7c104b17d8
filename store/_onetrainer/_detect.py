"""Recognising OneTrainer's own files (dumps of every version and the presets) by their keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SIGNATURE = frozenset({"base_model_name", "model_type", "training_method"})
"""Top-level keys every OneTrainer config has had, from the TrainArgs era to version 11."""


def looks_like_onetrainer(data: Mapping[str, Any]) -> bool:
    """Whether a file's content is a OneTrainer config: it has every key of the signature."""
    return data.keys() >= SIGNATURE
