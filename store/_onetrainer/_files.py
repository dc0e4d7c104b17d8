"""Reading and writing OneTrainer's own JSON shape (`import_hook` / `export_hook`)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from store._onetrainer._model import OptimizerConfig, TrainConfig
from store._schema import warn

CONFIG_VERSION = 11
CONCEPT_VERSION = 2
CREDENTIALS = ("huggingface_token", "cloud.api_key", "cloud.password")
# List/dict leaves that hold OneTrainer config objects, and those objects' `__version`.
OBJECT_LISTS = {"concepts": CONCEPT_VERSION, "samples": 0, "additional_embeddings": 0}
CONCEPT_PARTS = ("image", "text")


def _strip_versions(value: Any) -> Any:
    """`value` without the `__version` keys of the config objects nested in it."""
    if isinstance(value, dict):
        return {k: _strip_versions(v) for k, v in value.items() if k != "__version"}
    if isinstance(value, list):
        return [_strip_versions(v) for v in value]
    return value


def _drop_credentials(data: dict[str, Any]) -> None:
    """Remove plain credentials from a file's `secrets`: they never enter the log."""
    secrets = data.get("secrets")
    for path in CREDENTIALS:
        *sections, name = path.split(".")
        node = secrets
        for section in sections:
            node = node.get(section) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(name):
            del node[name]
            warn(f"secrets.{path}: a credential is never stored; dropped from the file")


def import_hook(data: dict[str, Any]) -> dict[str, Any]:
    """OneTrainer file -> store shape: nested `__version` keys and credentials removed."""
    stripped = _strip_versions({k: v for k, v in data.items() if k != "__version"})
    _drop_credentials(stripped)
    if "__version" in data:
        stripped["__version"] = data["__version"]
    return typing.cast(dict[str, Any], stripped)


def _section_types(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The fields of `model` that are nested config objects."""
    found = {}
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            found[name] = info.annotation
    return found


def _versioned(model: type[BaseModel], data: dict[str, Any], version: int) -> dict[str, Any]:
    """`data` as OneTrainer writes `model`: `__version` first, nested objects likewise."""
    sections = _section_types(model)
    out: dict[str, Any] = {"__version": version}
    for key, value in data.items():
        section = sections.get(key)
        out[key] = _versioned(section, value, 0) if section else value
    return out


def _object(value: Any, version: int) -> Any:
    """One element of a list of OneTrainer config objects, tagged with its `__version`."""
    if not isinstance(value, dict):
        return value
    out = {"__version": version, **value}
    if version == CONCEPT_VERSION:
        out.update({k: {"__version": 0, **v} for k, v in value.items() if k in CONCEPT_PARTS})
    return out


def _complete_optimizer(settings: Any) -> Any:
    """An `optimizer_defaults` entry as OneTrainer saves it: every v11 optimizer field."""
    if not isinstance(settings, dict):
        return settings
    defaults = OptimizerConfig().model_dump(mode="json")
    return {"__version": 0, **{k: settings.get(k, v) for k, v in defaults.items()}}


def export_hook(data: dict[str, Any]) -> dict[str, Any]:
    """Effective config -> the file OneTrainer 11 loads (`__version` keys where it writes them)."""
    out = _versioned(TrainConfig, data, CONFIG_VERSION)
    for key, version in OBJECT_LISTS.items():
        if isinstance(out.get(key), list):
            out[key] = [_object(item, version) for item in out[key]]
    if isinstance(out.get("optimizer_defaults"), dict):
        out["optimizer_defaults"] = {
            name: _complete_optimizer(settings)
            for name, settings in out["optimizer_defaults"].items()
        }
    return out
