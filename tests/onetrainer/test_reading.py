"""Values as OneTrainer HEAD reads them: its enums, its conversions, its list elements."""

from __future__ import annotations

from typing import Any

import pytest

from tests.onetrainer.conftest import effective, effective_from_file


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("quantization.svd_dtype", "GGUF_A8_FLOAT"),
        ("attention_mechanism", "FLEX"),
        *(("optimizer.optimizer", o) for o in ("MUON", "MUON_ADV", "ADAMUON_ADV", "SIGNSGD_ADV")),
        ("timestep_distribution", "BETA"),
        ("output_model_format", "COMFY_TRANSFORMER"),
        ("output_model_format", "ORIGINAL_LORA"),
        *(("output_dtype", d) for d in ("FLOAT_W8A8", "FLOAT_W8A8_COMPRESSED")),
        *(("output_dtype", d) for d in ("INT_W8A8_COMPRESSED", "GGUF_A8_INT")),
    ],
)
def test_a_value_onetrainer_writes_is_accepted(path: str, value: str) -> None:
    section, _, name = path.rpartition(".")
    data: dict[str, Any] = {
        "__version": 11,
        **({section: {name: value}} if section else {name: value}),
    }
    config = effective_from_file(data, 11)
    assert (config[section] if section else config)[name] == value


def test_a_v10_value_onetrainer_keeps_is_kept_without_a_warning() -> None:
    config, notes = effective({"decoder_vqgan": {"weight_dtype": "GGUF_A8_INT"}}, 10)
    assert config["decoder_vqgan"]["weight_dtype"] == "GGUF_A8_INT"
    assert not notes


def test_a_value_onetrainer_drops_becomes_its_default_with_a_warning() -> None:
    config, notes = effective({"optimizer": {"optimizer": "LION_PRODIGY_ADV"}}, 10)
    assert config["optimizer"]["optimizer"] == "ADAMW"
    assert any("LION_PRODIGY_ADV" in note for note in notes)


def test_an_old_value_is_converted_as_onetrainer_converts_it() -> None:
    settings = {"optimizer": "ADAMW", "percentile_clipping": 0.25}
    data = {"optimizer": settings, "optimizer_defaults": {"ADAMW": {"percentile_clipping": 100.0}}}
    exported = effective_from_file(data, 1)
    assert exported["optimizer"]["percentile_clipping"] == 0
    clipping = exported["optimizer_defaults"]["ADAMW"]["percentile_clipping"]
    assert (clipping, type(clipping)) == (100, int)


def test_concepts_and_samples_are_filled_in_and_trimmed() -> None:
    concept = {"__version": 0, "name": "dog", "repeats": 3.0}
    sample = {"prompt": "a dog", "prior_attention_mask": True}  # no __version: 0
    config = effective_from_file({"concepts": [concept], "samples": [sample]}, 8)
    concept_out, sample_out = config["concepts"][0], config["samples"][0]
    assert (concept_out["__version"], concept_out["balancing"]) == (2, 3.0)
    assert concept_out["balancing_strategy"] == "REPEATS"
    assert concept_out["image"]["__version"] == 0
    assert (sample_out["prompt"], sample_out["frames"]) == ("a dog", 1)
    assert "prior_attention_mask" not in sample_out


def test_a_validation_concept_becomes_its_type() -> None:
    concept = {"__version": 1, "validation_concept": True}
    assert effective_from_file({"concepts": [concept]}, 9)["concepts"][0]["type"] == "VALIDATION"


def test_migration_10_reaches_every_part_migration_1_made() -> None:
    config = effective_from_file({"__version": 1, "gradient_checkpointing": False}, 1)
    assert config["decoder_vqgan"]["gradient_checkpointing"] is False
    assert config["effnet_encoder"]["gradient_checkpointing"] is False


@pytest.mark.parametrize(
    ("data", "port"),
    [({}, 0), ({"secrets": {"cloud": {"port": 0}}}, "0"), ({"secrets": {"cloud": {}}}, 0)],
)
def test_the_port_is_what_onetrainer_gives_for_the_file(data: dict[str, Any], port: Any) -> None:
    config, _ = effective({"__version": 11, **data}, 11)
    assert config["secrets"]["cloud"]["port"] == port


@pytest.mark.parametrize(("data", "port"), [({}, None), ({"port": 0}, "0"), ({"port": 22}, "22")])
def test_the_export_keeps_the_port_of_one_type_through_round_trips(
    data: dict[str, Any], port: Any
) -> None:
    exported = effective_from_file({"__version": 11, "secrets": {"cloud": data}}, 11)
    for _ in range(3):
        assert exported["secrets"]["cloud"].get("port") == port  # the untouched int 0: left out
        exported = effective_from_file(exported, 11)
