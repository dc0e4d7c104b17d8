"""Issues 22, 23 and 28: OneTrainer files people publish keep every value or are refused,
secret references survive, and a file meets only a run of its own schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import store
from tests.files.conftest import invoke

DATA = Path(__file__).parent.parent / "data" / "onetrainer"
SDXL_PRESET = DATA / "training_presets" / "SDXL" / "#sdxl 1.0 LoRA.json"
HEAD_DEFAULT = DATA / "generated" / "default_TrainConfig@v11.json"

# The shape of a community preset saved by hand: no "__version", a layer filter (v8+), the
# top-level weight_dtype OneTrainer removed in v10, gradient checkpointing as v5-v10 wrote it.
COMMUNITY_PRESET: dict[str, Any] = {
    "base_model_name": "stabilityai/stable-diffusion-xl-base-1.0",
    "model_type": "STABLE_DIFFUSION_XL_10_BASE",
    "training_method": "LORA",
    "learning_rate": 0.0004,
    "batch_size": 2,
    "resolution": "1024",
    "weight_dtype": "BFLOAT_16",
    "gradient_checkpointing": "CPU_OFFLOADED",
    "layer_filter": "attentions",
    "layer_filter_preset": "attn-only",
    "text_encoder": {"train": False, "weight_dtype": "FLOAT_8"},
    "lora_rank": 32,
}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def runs(url: str) -> dict[str, int]:
    with store.open(url) as opened:
        return {r.name: r.revisions for r in opened.runs()}


def current(url: str, run: str) -> dict[str, Any]:
    with store.open(url) as opened:
        config: dict[str, Any] = opened.current(run).model_dump(mode="json")
        return config


# -- a file without "__version" (issue 28) ---------------------------------------------------


def test_a_community_preset_is_read_at_the_newest_version_that_holds_it(
    db_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "my sdxl.json", COMMUNITY_PRESET)
    result = invoke(db_url, "import", str(path), "mine")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        'Warning: the file has no "__version" and versions 8 to 9 hold every key and value it '
        "has: read at version 9\n"
        "Warning: weight_dtype: 'BFLOAT_16' dropped: OneTrainer 10 gives it only to parts of "
        "dtype NONE\n"
    )
    config = current(db_url, "mine")
    assert (config["layer_filter"], config["layer_filter_preset"]) == ("attentions", "attn-only")
    assert config["text_encoder"]["train"] is False
    assert config["text_encoder"]["weight_dtype"] == "FLOAT_8"  # set: migration 9 keeps it
    assert config["text_encoder"]["activation_offloading"] is True  # as migration 10
    assert (config["learning_rate"], config["lora_rank"]) == (0.0004, 32)


def test_a_copied_preset_is_read_as_its_own_version(db_url: str, tmp_path: Path) -> None:
    data = json.loads(SDXL_PRESET.read_text())
    path = write(tmp_path / "copy.json", data)
    assert invoke(db_url, "import", str(path), "copy").exit_code == 0
    assert invoke(db_url, "import", str(SDXL_PRESET), "preset").exit_code == 0
    with store.open(db_url) as opened:
        assert opened.read("copy").config_hash == opened.read("preset").config_hash


def test_a_file_no_version_holds_is_refused_naming_the_keys(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "fork.json", {**COMMUNITY_PRESET, "video_config": {"frames": 16}})
    result = invoke(db_url, "import", str(path), "fork")
    assert result.exit_code == 1
    assert result.stderr == (
        'Error: the file has no "__version", version 0 cannot hold gradient_checkpointing, '
        "layer_filter, layer_filter_preset, …, and no version of schema 'onetrainer' holds "
        "every key and value it has (no version holds video_config.frames): say which version "
        "it is with --schema-version N (keys that version does not know are then skipped with "
        "a warning)\n"
    )
    assert runs(db_url) == {}
    told = invoke(db_url, "import", str(path), "fork", "--schema-version", "9")
    assert told.exit_code == 0
    assert "video_config.frames was not imported" in told.stderr


def test_a_badly_typed_value_is_refused_even_with_quiet(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    signature = {"base_model_name": "a", "model_type": "SANA", "training_method": "LORA"}
    write(folder / "x.json", {**signature, "batch_size": "x"})
    result = invoke(db_url, "import", "--many", str(folder), "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")  # the sync's own wording around the file's
    error = f"{folder}/x.json: batch_size: 'x' is not a value version 0 holds (expected int)"
    assert error in result.stderr
    assert runs(db_url) == {}
    versioned = write(tmp_path / "v3.json", {"__version": 3, **signature, "batch_size": "x"})
    refused = invoke(db_url, "import", str(versioned), "v3")
    assert refused.stderr == (
        "Error: batch_size: 'x' is not a value version 3 holds (expected int)\n"
    )


def test_an_old_preset_named_as_a_preset_is_refused_naming_its_version(
    db_url: str, tmp_path: Path
) -> None:
    """The October-2023 shape: a full flat TrainArgs dump, `resolution` a number."""
    old = json.loads((DATA / "fulldumps" / "v0-trainargs" / "default.json").read_text())
    del old["__version"]
    path = write(tmp_path / "#sd 1.5 LoRA.json", {**old, "resolution": 512})
    result = invoke(db_url, "import", str(path), "old")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: resolution: 512 is not a value version 11 holds")
    assert result.stderr.endswith(
        'the file has no "__version" and version 0 holds every key and value it has: '
        "say which with --schema-version N\n"
    )
    told = invoke(db_url, "import", str(path), "old", "--schema-version", "0")
    assert told.exit_code == 0, told.stderr
    assert current(db_url, "old")["resolution"] == "512"


def test_a_training_file_of_a_later_shape_is_refused_naming_it(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path / "t.json", {"optimizer": {"learning_rate": 0.001}, "batch_size": 4})
    result = invoke(db_url, "import", str(path), "t")
    assert result.exit_code == 1
    assert result.stderr == (
        'Error: the file has no "__version" and version 1 cannot hold optimizer, but version 3 '
        "holds every key and value it has: say which with --schema-version N\n"
    )


def test_a_wan_model_type_onetrainer_head_lacks_is_refused_naming_its_members(
    db_url: str, tmp_path: Path
) -> None:
    """OneTrainer 23df3832 has no Wan model type (its `from_dict` would make it SD 1.5)."""
    wan = json.loads(HEAD_DEFAULT.read_text())
    wan.update(model_type="WAN_I2V_A14B", training_method="LORA", lora_rank=32)
    wan["base_model_name"] = "Wan-AI/Wan2.2-I2V-A14B-Diffusers"
    wan["transformer"] = {**wan["transformer"], "weight_dtype": "FLOAT_8"}
    path = write(tmp_path / "wan.json", wan)
    result = invoke(db_url, "import", str(path), "wan")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: model_type: 'WAN_I2V_A14B' is not a value version 11 holds (expected one of: "
        "STABLE_DIFFUSION_15, "
    )
    assert result.stderr.endswith(", Z_IMAGE, ERNIE, IDEOGRAM_4)\n")
    assert runs(db_url) == {}
    write(path, {**wan, "model_type": "QWEN"})  # every other value of the file is kept
    assert invoke(db_url, "import", str(path), "qwen").exit_code == 0
    assert current(db_url, "qwen")["transformer"]["weight_dtype"] == "FLOAT_8"


# -- secret references (issue 22) --------------------------------------------------------------

SECRETS = {"huggingface_token": "env:HF_TOKEN", "cloud": {"api_key": "env:RUNPOD", "port": 22}}


@pytest.mark.parametrize("fmt", ["json", "yaml", "toml"])
def test_a_secret_reference_is_stored_from_every_format(
    db_url: str, tmp_path: Path, fmt: str
) -> None:
    assert invoke(db_url, "create", "src", "--schema", "onetrainer").exit_code == 0
    path = tmp_path / "with-secrets.json"
    write(path, {"__version": 11, "secrets": SECRETS})
    assert invoke(db_url, "import", str(path), "src").exit_code == 0
    out = tmp_path / f"src.{fmt}"
    assert invoke(db_url, "export", "src", "-o", str(out)).exit_code == 0
    file_import = invoke(db_url, "import", str(out), "copy")
    piped = invoke(db_url, "import", "-", "piped", "--format", fmt, stdin=out.read_text())
    many = tmp_path / "many"
    many.mkdir()
    (many / f"synced.{fmt}").write_text(out.read_text())
    synced = invoke(db_url, "import", "--many", str(many))
    assert [file_import.exit_code, piped.exit_code, synced.exit_code] == [0, 0, 0]
    assert "credential" not in file_import.stderr + piped.stderr + synced.stderr
    for run in ("copy", "piped", "synced"):
        with store.open(db_url) as opened:
            values = opened.read(run).values
        assert values["secrets.huggingface_token"] == "env:HF_TOKEN"
        assert values["secrets.cloud.api_key"] == "env:RUNPOD"
        assert values["secrets.cloud.port"] == "22"


def test_a_plain_credential_is_still_dropped_with_a_warning(db_url: str, tmp_path: Path) -> None:
    secrets = {"huggingface_token": "hf_plain", "cloud": {"password": "env:PW"}}
    signature = {"base_model_name": "a", "model_type": "SANA", "training_method": "LORA"}
    path = write(tmp_path / "plain.json", {"__version": 11, **signature, "secrets": secrets})
    result = invoke(db_url, "import", str(path), "plain")
    assert result.exit_code == 0
    assert "secrets.huggingface_token: a credential is never stored" in result.stderr
    with store.open(db_url) as opened:
        values = opened.read("plain").values
    assert values["secrets.huggingface_token"] == ""
    assert values["secrets.cloud.password"] == "env:PW"


# -- a file and a run of another schema (issue 23) ---------------------------------------------


def test_a_onetrainer_file_into_a_training_run_is_refused_naming_both(
    db_url: str, tmp_path: Path
) -> None:
    assert invoke(db_url, "create", "t", "--schema", "training").exit_code == 0
    assert invoke(db_url, "create", "o", "--schema", "onetrainer").exit_code == 0
    export = tmp_path / "o.json"
    assert invoke(db_url, "export", "o", "-o", str(export)).exit_code == 0
    expected = (
        "Error: the file is a config of schema 'onetrainer' and run 't' uses schema "
        "'training': import it into a run of schema 'onetrainer'\n"
    )
    for path in (export, SDXL_PRESET):
        result = invoke(db_url, "import", str(path), "t")
        assert (result.exit_code, result.stderr) == (1, expected)
    assert runs(db_url) == {"t": 1, "o": 1}


def test_a_file_that_is_no_config_needs_the_schema_named(db_url: str, tmp_path: Path) -> None:
    package = write(tmp_path / "package.json", {"name": "x", "version": "1.0.0", "private": True})
    result = invoke(db_url, "import", str(package), "p")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no schema claims the file and schema 'training' knows 0% of its keys: is it a "
        "config? Name the schema with --schema training to import it\n",
    )
    assert invoke(db_url, "create", "t", "--schema", "training").exit_code == 0
    into = invoke(db_url, "import", str(package), "t")
    assert into.stderr == result.stderr
    assert runs(db_url) == {"t": 1}
    named = invoke(db_url, "import", str(package), "p", "--schema", "training")
    assert named.exit_code == 0, named.stderr
