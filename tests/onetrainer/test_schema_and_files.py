"""Cases where OneTrainer loses or crashes, the current presets, and the schema itself."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest

from store._onetrainer import ONETRAINER
from store._paths import flatten
from tests.onetrainer.conftest import (
    DATA,
    FULLDUMPS,
    effective,
    file_values,
    implicit_version,
    load,
)

PRESETS = sorted(p.relative_to(DATA) for p in (DATA / "training_presets").rglob("*.json"))
CRASHING = [
    name
    for name in sorted(p.name.removesuffix(".json") for p in (DATA / "historical").glob("*.json"))
    if not (DATA / "generated" / "migrated_by_head" / f"{name}__to_v11.json").exists()
]


def flat(config: dict[str, Any]) -> dict[str, Any]:
    """A nested effective config as dotted paths."""
    return flatten(config, ONETRAINER.version(ONETRAINER.latest).leaves)


@pytest.mark.parametrize("probe", ["v0-trainargs_embedding", "v2_embedding"])
def test_embedding_settings_are_kept(probe: str) -> None:
    source = load(FULLDUMPS / "probes" / f"{probe}.json")
    config = effective(source, source["__version"])[0]
    assert config["embedding"]["model_name"] == "embeddings/my_concept.pt"
    assert config["embedding"]["token_count"] == 3
    assert config["embedding"]["initial_embedding_text"] == "a photo of a dog"
    assert config["training_method"] == "EMBEDDING"


@pytest.mark.parametrize("case", ["default", "edit-a", "edit-b"])
def test_v0_trainconfig_shape_loads(case: str) -> None:
    source = load(FULLDUMPS / "v0" / f"{case}.json")
    config = effective(source, 0)[0]
    optimizer = source["optimizer"]
    assert config["optimizer"]["optimizer"] == optimizer["optimizer"]
    assert config["optimizer"]["weight_decay"] == optimizer["weight_decay"]
    assert config["optimizer_defaults"] == source["optimizer_defaults"]
    assert config["learning_rate"] == source["learning_rate"]
    assert config["model_type"] == source["model_type"]
    assert config["unet"]["train"] == source["train_unet"]
    assert config["text_encoder"]["train"] == source["train_text_encoder"]


def test_a_partial_old_file_reads_missing_keys_as_onetrainer_does() -> None:
    config = effective({"train_unet_epochs": 5, "gradient_checkpointing": False}, 0)[0]
    unet, prior = config["unet"], config["prior"]
    assert (unet["stop_training_after"], unet["stop_training_after_unit"]) == (5, "EPOCH")
    assert (prior["stop_training_after"], prior["stop_training_after_unit"]) == (0, "NEVER")
    created = ("unet", "prior", "text_encoder_2", "vae", "effnet_encoder", "decoder_vqgan")
    assert not any(config[part]["gradient_checkpointing"] for part in created)  # by migration 1
    assert config["text_encoder_3"]["gradient_checkpointing"]
    assert config["output_model_format"] == "SAFETENSORS"


# Values a migration is meant to transform; everything else a file sets must survive.
TRANSFORMED = {"noising_bias", "output_model_format", "attention_mechanism", "lora_layer_preset"}
RENAMED = {
    "lora_layers": "layer_filter",
    "lora_layer_preset": "layer_filter_preset",
    "save_after": "save_every",
    "save_after_unit": "save_every_unit",
}


@pytest.mark.parametrize("name", CRASHING)
def test_crashing_historical_preset_keeps_explicit_values(name: str) -> None:
    source = load(DATA / "historical" / f"{name}.json")
    version = implicit_version(name)
    config = flat(effective(source, version)[0])
    for path, value in file_values(source, version).items():
        target = RENAMED.get(path, path)
        if path in TRANSFORMED or target not in config or isinstance(value, dict):
            continue
        expected = str(value) if isinstance(config[target], str) else value  # OneTrainer str()s
        assert config[target] == expected, path


@pytest.mark.parametrize("preset", PRESETS, ids=str)
def test_current_preset_overlays_v11_defaults(preset: Any) -> None:
    source = load(DATA / preset)
    config = flat(effective(source, ONETRAINER.latest)[0])
    expected = {**ONETRAINER.version(ONETRAINER.latest).default_values, **file_values(source, 11)}
    assert config == expected
    assert ("weight_dtype" in source) == (
        "weight_dtype" not in file_values(source, 11) and "weight_dtype" in source
    )


def test_schema_constructs_and_fingerprint_is_stable() -> None:
    first = ONETRAINER.fingerprint
    for module in [m for m in sys.modules if m.startswith("store._onetrainer")]:
        del sys.modules[module]
    again = importlib.import_module("store._onetrainer").ONETRAINER
    assert again.fingerprint == first
    assert len(again.version(11).leaves) == 480
    assert again.version(11).secrets == {
        "secrets.huggingface_token",
        "secrets.cloud.api_key",
        "secrets.cloud.password",
    }
