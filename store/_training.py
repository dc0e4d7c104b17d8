"""The built-in `training` schema, versions 1-3: the reference example of schema evolution."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from store._schema import Add, Convert, Rename, Schema, SchemaVersion, Upcaster

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


class TrainingV1(BaseModel):
    """`training` as first released."""

    model_config = _STRICT
    model: str = "stable-diffusion-1.5"
    learning_rate: float = Field(1e-4, gt=0)
    optimizer: str = "ADAMW"
    batch_size: int = Field(1, ge=1)
    epochs: int = Field(100, ge=0)
    gradient_checkpointing: bool = False
    save_after: int = Field(0, ge=0)
    resolution: int = Field(512, ge=1)
    seed: int = 42


Checkpointing = Literal["OFF", "ON", "CPU_OFFLOADED"]


class TrainingV2(BaseModel):
    """v2: checkpointing becomes a mode, `save_after` is `save_every`, `ema` is new."""

    model_config = _STRICT
    model: str = "stable-diffusion-1.5"
    learning_rate: float = Field(1e-4, gt=0)
    optimizer: str = "ADAMW"
    batch_size: int = Field(1, ge=1)
    epochs: int = Field(100, ge=0)
    gradient_checkpointing: Checkpointing = "ON"
    save_every: int = Field(0, ge=0)
    resolution: int = Field(512, ge=1)
    ema: bool = False
    seed: int = 42


class Optimizer(BaseModel):
    """The optimizer section of `training` v3."""

    model_config = _STRICT
    name: str = "ADAMW"
    learning_rate: float = Field(1e-4, gt=0)
    weight_decay: float = Field(0.01, ge=0)


class TrainingV3(BaseModel):
    """v3 (current): an `optimizer` section, batch size 4 by default, text resolutions."""

    model_config = _STRICT
    model: str = "stable-diffusion-1.5"
    optimizer: Optimizer = Optimizer()
    batch_size: int = Field(4, ge=1)
    epochs: int = Field(100, ge=0)
    gradient_checkpointing: Checkpointing = "ON"
    save_every: int = Field(0, ge=0)
    resolution: str = Field("512", pattern=r"^\d+(,\d+)*$")
    ema: bool = False
    seed: int = 42


def _checkpointing_mode(enabled: bool) -> str:
    return "ON" if enabled else "OFF"


TRAINING = Schema(
    name="training",
    description="The built-in example schema: a small training config, versions 1-3.",
    versions=[
        SchemaVersion(1, TrainingV1),
        SchemaVersion(2, TrainingV2),
        SchemaVersion(3, TrainingV3),
    ],
    upcasters=[
        Upcaster(
            1,
            [
                Convert("gradient_checkpointing", _checkpointing_mode),
                Rename("save_after", "save_every"),
            ],
        ),
        Upcaster(
            2,
            [
                Rename("learning_rate", "optimizer.learning_rate"),
                Rename("optimizer", "optimizer.name"),
                Add("optimizer.weight_decay", legacy_default=0.0),
                Convert("resolution", str),
            ],
        ),
    ],
)
