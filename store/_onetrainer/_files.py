"""Reading and writing OneTrainer's own JSON shape (`import_hook` / `export_hook`)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from store._leaves import VERSION_KEY, SectionList
from store._notes import warn
from store._onetrainer._model import (
    CONCEPTS,
    EMBEDDINGS,
    SAMPLES,
    TrainConfig,
)
from store._values import is_reference

CONFIG_VERSION = 11
CREDENTIALS = ("huggingface_token", "cloud.api_key", "cloud.password")
# The lists of OneTrainer config objects; an element without `__version` is at version 0.
ELEMENT_LISTS = {"concepts": CONCEPTS, "samples": SAMPLES, "additional_embeddings": EMBEDDINGS}


def _strip_versions(value: Any) -> Any:
    """`value` without the `__version` keys of the config objects nested in it."""
    if isinstance(value, dict):
        return {k: _strip_versions(v) for k, v in value.items() if k != "__version"}
    if isinstance(value, list):
        return [_strip_versions(v) for v in value]
    return value


def _drop_credentials(data: dict[str, Any]) -> None:
    """Remove plain credentials from a file's `secrets`: they never enter the log (a reference
    such as `env:HF_TOKEN` is not a credential and stays)."""
    secrets = data.get("secrets")
    for path in CREDENTIALS:
        *sections, name = path.split(".")
        node = secrets
        for section in sections:
            node = node.get(section) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(name) and not is_reference(node[name]):
            del node[name]
            warn(f"secrets.{path}: a credential is never stored; dropped from the file")


def _element_in(item: Any) -> Any:
    """A list element as the store reads it: its own `__version` (missing: 0) kept."""
    if not isinstance(item, dict):
        return item
    return {VERSION_KEY: item.get(VERSION_KEY, 0), **_strip_versions(item)}


def _port_as_text(data: dict[str, Any]) -> None:
    """OneTrainer str()s a port it reads from a file (only its untouched default is the int 0)."""
    cloud = data.get("secrets", {}).get("cloud") if isinstance(data.get("secrets"), dict) else None
    if isinstance(cloud, dict) and "port" in cloud:
        cloud["port"] = str(cloud["port"])


def _untouched_port_left_out(out: dict[str, Any]) -> None:
    """The int `0` port (the default no file gave) is left out of an export: OneTrainer and
    the store then both keep the int, while a port a file holds becomes text."""
    cloud = out.get("secrets", {}).get("cloud") if isinstance(out.get("secrets"), dict) else None
    if isinstance(cloud, dict) and type(cloud.get("port")) is int and cloud["port"] == 0:
        del cloud["port"]


def import_hook(data: dict[str, Any]) -> dict[str, Any]:
    """OneTrainer file -> store shape: `__version` only where the store reads it, no credentials."""
    stripped = _strip_versions({k: v for k, v in data.items() if k != VERSION_KEY})
    for key in ELEMENT_LISTS.keys() & data.keys():
        if isinstance(data[key], list):
            stripped[key] = [_element_in(item) for item in data[key]]
    _drop_credentials(stripped)
    _port_as_text(stripped)
    if VERSION_KEY in data:
        stripped[VERSION_KEY] = data[VERSION_KEY]
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


def _element_out(elements: SectionList, item: Any) -> Any:
    """One element of a list of OneTrainer config objects, as OneTrainer writes it."""
    schema = elements.schema
    return _versioned(schema.model, item, schema.latest) if isinstance(item, dict) else item


def export_hook(data: dict[str, Any]) -> dict[str, Any]:
    """Effective config -> the file OneTrainer 11 loads as this config (`__version` keys where
    it writes them). What OneTrainer fills in on load is left as the store holds it: the
    untouched port, and `optimizer_defaults` entries without the settings a file lacked."""
    out = _versioned(TrainConfig, data, CONFIG_VERSION)
    for key, elements in ELEMENT_LISTS.items():
        if isinstance(out.get(key), list):
            out[key] = [_element_out(elements, item) for item in out[key]]
    _untouched_port_left_out(out)
    return out
