"""OneTrainer's migrations `__migration_0..10` (TrainConfig.py at 23df3832) as upcasters.

Each OneTrainer migration `n` is the upcaster `n -> n+1`. OneTrainer migrates only the keys
an old file has, then fills every missing key with today's default. The store upcasts a
complete config and reads a missing key as OneTrainer does: a field of versions 0..10
defaults to what its v11 field defaults to (followed through renames), or to what a
migration uses for a missing key (`defaults`); and the migrations that derive values from
the keys a file has (migration 1's epoch units, 8's prior -> transformer copy, 10's
offloading fan-out and legacy output format) act only on what the run set
(`Transform(presence=True)`).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from store._notes import warn
from store._onetrainer._defaults import NEWEST, dumped, paths
from store._onetrainer._model import OptimizerConfig, TrainConfig
from store._onetrainer._reading import fields, reading, section_entries
from store._schema import Convert, Rename, SchemaVersion, Step, Transform, Upcaster

Nested = dict[str, Any]

PARTS = (
    "unet", "prior", "transformer", "text_encoder", "text_encoder_2", "text_encoder_3",
    "text_encoder_4", "vae", "effnet_encoder", "decoder", "decoder_text_encoder", "decoder_vqgan",
)  # fmt: skip
WUERSTCHEN = ("STABLE_CASCADE_1", "WUERSTCHEN_2")
# What OneTrainer's migration `k` uses for a key the file lacks (`data.pop(key, default)`).
SUPPLIED: dict[int, dict[str, Any]] = {
    2: {"min_snr_gamma": 0.0},
    3: {"noising_weight": 0.0, "noising_bias": 0.5},
    4: {"gradient_checkpointing": True},
    10: {
        "gradient_checkpointing": "ON",
        "enable_activation_offloading": True,
        "layer_offload_fraction": 0.0,
        "enable_async_offloading": True,
    },
}


@functools.cache
def _v11_defaults() -> dict[str, Any]:
    """The flat defaults of the v11 model."""
    return SchemaVersion(NEWEST, TrainConfig).default_values


@functools.cache
def defaults(version: int) -> dict[str, Any]:
    """A model-less version's flat defaults: what OneTrainer gives a file that lacks the key."""
    # What migration `version` supplies, else the default of the field it becomes at
    # `version+1`; a field with no successor keeps its dump's value.
    later = _v11_defaults() if version + 1 == NEWEST else defaults(version + 1)
    supplied, moves = SUPPLIED.get(version, {}), _moves(version)
    return {
        path: supplied[path] if path in supplied else later.get(moves.get(path, path), value)
        for path, value in dumped(version).items()
    }


def _moves(source: int) -> dict[str, str]:
    """Where upcaster `source` puts a field under another path (renames, migration 0)."""
    renamed = {step.old: step.new for step in _chains()[source] if isinstance(step, Rename)}
    return {**renamed, **_OPTIMIZER_MOVES} if source == 0 else renamed


def _pop(data: Nested, path: str) -> Any:
    *sections, name = path.split(".")
    node = data
    for section in sections:
        node = node[section]
    return node.pop(name)


def _dropped(source: int, *dropped: str) -> Transform:
    """Fields version `source+1` no longer has: OneTrainer drops them silently, we warn."""
    before = dumped(source)

    def drop(data: Nested) -> Nested:
        for path in dropped:
            value = _pop(data, path)
            if value != before[path]:
                warn(f"{path}: {value!r} dropped: OneTrainer {source + 1} has no such setting")
        return data

    drop.__qualname__ = f"drop_v{source}"
    return Transform(drop, paths=dropped)


# --- migration 0: flat `optimizer_*` settings -> the `optimizer` section ------------------

_V0_FLAT_OPTIMIZER = paths(0, "optimizer_", exclude=("optimizer_defaults",))
_V1_OPTIMIZER = paths(1, "optimizer.")
_OPTIMIZER_MOVES = {
    "optimizer": "optimizer.optimizer",
    **{key: f"optimizer.{key.removeprefix('optimizer_')}" for key in _V0_FLAT_OPTIMIZER},
}


def _migration_0(data: Nested) -> Nested:
    """Build the optimizer section; v0 has two shapes (TrainArgs: a name, 2-day: a dict)."""
    chosen = data.pop("optimizer")
    flat = {key.removeprefix("optimizer_"): data.pop(key) for key in _V0_FLAT_OPTIMIZER}
    if isinstance(chosen, dict):
        settings = chosen
    else:
        settings = {"optimizer": chosen, **flat}
        data["optimizer_defaults"] = {chosen: copy.deepcopy(settings)}
    known = {path.removeprefix("optimizer.") for path in _V1_OPTIMIZER}
    for key in settings.keys() - known:
        warn(f"optimizer.{key}: {settings[key]!r} dropped: OneTrainer 1 has no such setting")
    # Dotted keys: `optimizer` is a leaf of v0, so a nested dict would not be split.
    data.update({f"optimizer.{key}": value for key, value in settings.items() if key in known})
    return data


# --- migration 1: flat per-part settings -> part sections ----------------------------------

_PART_KEYS = {
    "unet": ("train_unet", "train_unet_epochs", "unet_learning_rate", "unet_weight_dtype"),
    "prior": ("train_prior", "train_prior_epochs", "prior_learning_rate", "prior_weight_dtype"),
    "text_encoder": (
        "train_text_encoder",
        "train_text_encoder_epochs",
        "text_encoder_learning_rate",
        "text_encoder_weight_dtype",
    ),
    "text_encoder_2": (
        "train_text_encoder_2",
        "train_text_encoder_2_epochs",
        "text_encoder_2_learning_rate",
        "text_encoder_2_weight_dtype",
    ),
}
_PART_FIELDS = ("train", "stop_training_after", "learning_rate", "weight_dtype")
_EPOCH_LIMITS = tuple(
    f"{part}.{field}"
    for part in _PART_KEYS
    for field in ("stop_training_after", "stop_training_after_unit")
)
_MODEL_KEYS = {
    "vae_model_name": "vae.model_name",
    "vae_weight_dtype": "vae.weight_dtype",
    "effnet_encoder_model_name": "effnet_encoder.model_name",
    "effnet_encoder_weight_dtype": "effnet_encoder.weight_dtype",
    "decoder_model_name": "decoder.model_name",
    "decoder_weight_dtype": "decoder.weight_dtype",
    "decoder_text_encoder_weight_dtype": "decoder_text_encoder.weight_dtype",
    "decoder_vqgan_weight_dtype": "decoder_vqgan.weight_dtype",
}
_EMBEDDING_KEYS = ("embedding_model_names", "token_count", "initial_embedding_text")
# The parts migration 1 always creates, marked present by a field each has from v2 on.
_CREATED = tuple(
    f"{part}.weight_dtype"
    for part in (
        *_PART_KEYS,
        "vae",
        "effnet_encoder",
        "decoder",
        "decoder_text_encoder",
        "decoder_vqgan",
    )
)


def _part_steps() -> list[Step]:
    """Renames of migration 1: flat per-part and per-model keys into their sections."""
    steps: list[Step] = [
        Rename(key, f"{part}.{field}")
        for part, keys in _PART_KEYS.items()
        for key, field in zip(keys, _PART_FIELDS, strict=True)
    ]
    return steps + [Rename(old, new) for old, new in _MODEL_KEYS.items()]


def _epoch_limits(data: Nested, present: set[str]) -> Nested:
    """Migration 1 creates every part of `_CREATED`; a flat `train_*_epochs` counts in epochs."""
    for part in _PART_KEYS:
        if f"{part}.stop_training_after" in present:
            data[part]["stop_training_after_unit"] = "EPOCH"
            present.add(f"{part}.stop_training_after_unit")
    present.update(_CREATED)
    return data


def _migration_1_embeddings(data: Nested) -> Nested:
    """The single embedding's flat settings -> the `embeddings` list (as migration 1)."""
    names, token_count, text = (data.pop(key) for key in _EMBEDDING_KEYS)
    entry = copy.deepcopy(dumped(2)["embeddings"][0])
    entry.update(token_count=token_count, initial_embedding_text=text)
    if names:
        entry["model_name"] = names[0]
    data["embeddings"] = [entry]
    return data


# --- migration 2: min_snr_gamma -> loss weight; `embeddings` -> `embedding` (deviation) ----

_EMBEDDING_FIELDS = paths(3, "embedding.", exclude=("embedding.uuid", "embedding.placeholder"))


def _migration_2(data: Nested) -> Nested:
    """min_snr_gamma becomes the MIN_SNR_GAMMA loss weight; Wuerstchen models default to P2."""
    gamma = data.pop("min_snr_gamma")
    if gamma:
        data["loss_weight_fn"], data["loss_weight_strength"] = "MIN_SNR_GAMMA", gamma
    elif data["model_type"] in WUERSTCHEN:
        data["loss_weight_fn"], data["loss_weight_strength"] = "P2", 1.0
    return data


def _keep_embedding(data: Nested) -> Nested:
    """Deviation: OneTrainer drops `embeddings`; its first entry becomes `embedding`."""
    entries = data.pop("embeddings")
    first = entries[0] if entries else {}
    embedding = data.setdefault("embedding", {})
    for path in _EMBEDDING_FIELDS:
        name = path.removeprefix("embedding.")
        if name in first:
            embedding[name] = first[name]
    return data


# --- migrations 3..9 -----------------------------------------------------------------------


def _migration_3(data: Nested) -> Nested:
    """Noising bias is re-centred on 0 (bias - 0.5) and kept only with a noising weight."""
    weight, bias = data.pop("noising_weight"), data.pop("noising_bias")
    if weight != 0:
        data.update(timestep_distribution="SIGMOID", noising_weight=weight, noising_bias=bias - 0.5)
    else:
        data.update(timestep_distribution="UNIFORM", noising_weight=0.0, noising_bias=0.0)
    if bias != 0.5:
        warn(f"noising_bias: {bias!r} -> {data['noising_bias']!r}: OneTrainer 4 re-centres it")
    return data


def _checkpointing_mode(enabled: Any) -> str:
    """Migration 4: the boolean `gradient_checkpointing` becomes a mode."""
    return "ON" if enabled else "OFF"


def _full_preset(preset: Any) -> Any:
    """Migration 6: a null `lora_layer_preset` (a bug of old versions) means "full"."""
    return "full" if preset is None else preset


def _migration_8(data: Nested, present: set[str]) -> Nested:
    """Every model but Stable Cascade/Wuerstchen trains a `transformer`: the `prior` set."""
    if data["model_type"] not in WUERSTCHEN:
        transformer = data.setdefault("transformer", {})
        for name in sorted(p.removeprefix("prior.") for p in present if p.startswith("prior.")):
            transformer[name] = copy.deepcopy(data["prior"][name])
            present.add(f"transformer.{name}")
    return data


def _migration_9(data: Nested) -> Nested:
    """The global `weight_dtype` fills every part whose own dtype is NONE (a set one that
    fills none is reported: OneTrainer drops it in silence)."""
    weight_dtype = data.pop("weight_dtype")
    filled = [p for p in PARTS if p in data and data[p]["weight_dtype"] == "NONE"]
    for part in filled:
        data[part]["weight_dtype"] = weight_dtype
    if not filled and weight_dtype != "FLOAT_32":
        warn(
            f"weight_dtype: {weight_dtype!r} dropped: "
            "OneTrainer 10 gives it only to parts of dtype NONE"
        )
    return data


# --- migration 10 --------------------------------------------------------------------------

_GLOBAL_OFFLOADING = (
    "gradient_checkpointing",
    "enable_activation_offloading",
    "layer_offload_fraction",
)
_PART_OFFLOADING = ("gradient_checkpointing", "activation_offloading", "offload_fraction")


def _migration_10(data: Nested, present: set[str]) -> Nested:
    """Global checkpointing/offloading fans out to every part the file had."""
    mode, activation, fraction = (data.pop(key) for key in _GLOBAL_OFFLOADING)
    offloaded = mode == "CPU_OFFLOADED"
    values = (mode != "OFF", offloaded and activation, fraction if offloaded else 0.0)
    for part in PARTS:
        if any(path.startswith(f"{part}.") for path in present):
            data[part].update(zip(_PART_OFFLOADING, values, strict=True))
            present.update(f"{part}.{field}" for field in _PART_OFFLOADING)
    return data


def _legacy_format(data: Nested, present: set[str]) -> Nested:
    """SAFETENSORS is now the new format: old files that set it meant the legacy one."""
    method = data["training_method"]
    chosen = "output_model_format" in present and data["output_model_format"] == "SAFETENSORS"
    if chosen and method != "EMBEDDING":
        data["output_model_format"] = "LEGACY_LORA" if method == "LORA" else "LEGACY_SAFETENSORS"
    return data


def _readings() -> list[Step]:
    """OneTrainer 11 reads every value a v10 config hands it as its field's type (`_reading`)."""
    handed = {*dumped(10), "async_offloading"}
    steps = (
        reading(path, annotation, default) for path, annotation, default in fields(TrainConfig)
    )
    read = [step for step in steps if step is not None and step.path in handed]
    entries = section_entries("optimizer_defaults", OptimizerConfig)
    return [*read, Convert("optimizer_defaults", entries)]


def _part_paths(version: int, *fields: str) -> tuple[str, ...]:
    known = _v11_defaults() if version == NEWEST else dumped(version)
    return tuple(
        f"{part}.{field}" for part in PARTS for field in fields if f"{part}.{field}" in known
    )


def upcasters() -> list[Upcaster]:
    """The upcasters 0->1 ... 10->11."""
    return [Upcaster(source, steps) for source, steps in enumerate(_chains())]


@functools.cache
def _chains() -> tuple[list[Step], ...]:
    """The steps of each upcaster, by source version."""
    return (
        [
            Transform(
                _migration_0,
                paths=("optimizer", "optimizer_defaults", *_V0_FLAT_OPTIMIZER, *_V1_OPTIMIZER),
            )
        ],
        [
            *_part_steps(),
            Transform(_epoch_limits, paths=(*_EPOCH_LIMITS, *_CREATED), presence=True),
            Transform(_migration_1_embeddings, paths=(*_EMBEDDING_KEYS, "embeddings")),
        ],
        [
            Transform(
                _migration_2,
                paths=("min_snr_gamma", "model_type", "loss_weight_fn", "loss_weight_strength"),
            ),
            Transform(
                _keep_embedding,
                paths=("embeddings", *_EMBEDDING_FIELDS),
                note="embedding kept (OneTrainer loses it)",
            ),
            _dropped(2, "circular_mask_generation", "random_rotate_and_crop"),
        ],
        [
            Transform(
                _migration_3, paths=("noising_weight", "noising_bias", "timestep_distribution")
            )
        ],
        [Convert("gradient_checkpointing", _checkpointing_mode)],
        [
            Rename("save_after", "save_every"),
            Rename("save_after_unit", "save_every_unit"),
            _dropped(5, "attention_mechanism", *paths(5, "align_prop")),
        ],
        [Convert("lora_layer_preset", _full_preset)],
        [
            Rename("lora_layers", "layer_filter"),
            Rename("lora_layer_preset", "layer_filter_preset"),
            Rename("lora_layers_regex", "layer_filter_regex"),
            _dropped(7, "optimizer.use_focus", "optimizer.use_muon_pp"),
        ],
        [
            Transform(
                _migration_8,
                paths=("model_type", *paths(8, "prior."), *paths(9, "transformer.")),
                presence=True,
            ),
            _dropped(8, "sequential_model_setup"),
        ],
        [
            Transform(_migration_9, paths=("weight_dtype", *_part_paths(9, "weight_dtype"))),
            _dropped(
                9,
                "coft_eps",
                "oft_coft",
                "optimizer.cautious_mask",
                "optimizer.grams_moment",
                "optimizer.k_warmup_steps",
            ),
        ],
        [
            Transform(
                _migration_10,
                paths=(*_GLOBAL_OFFLOADING, *_part_paths(11, *_PART_OFFLOADING)),
                presence=True,
            ),
            Rename("enable_async_offloading", "async_offloading"),
            Transform(
                _legacy_format, paths=("output_model_format", "training_method"), presence=True
            ),
            *_readings(),
        ],
    )
