"""Generate the `onetrainer` schema's data files from OneTrainer's own dumps.

Writes `store/_onetrainer/_model.py` (the v11 pydantic models) and
`store/_onetrainer/defaults/v<k>.json` (the flat values OneTrainer dumped for versions 0..10;
the defaults are worked out from them).

    python tools/generate_onetrainer.py /work/shared/onetrainer-presets [ONETRAINER_TREE]

Field types are inferred from every v11-shaped file in the data (defaults, HEAD outputs,
presets); enum-like fields get a `Literal` of HEAD's enum members, and the elements of
`concepts` and `samples` their own models (`generated/list_element_defaults@23df3832.json`).
Given a work tree of OneTrainer (e.g. `git archive HEAD` of github:Nerogar/OneTrainer), the
enum members are read from its source (`modules/util/enum/*.py`, names and values only,
with `ast`: nothing is executed or copied) and every field its config classes declare
(`modules/util/config/*.py`) must be in the model, else the data needs regenerating;
without one, from `generated/enums@23df3832.json`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from store._paths import flatten

VERSION = "__version"
ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "store" / "_onetrainer"
VERSIONS = ["v0-trainargs", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10"]

ENUM_FIELDS = {
    "training_method": "TrainingMethod",
    "model_type": "ModelType",
    "include_train_config": "ConfigPart",
    "gradient_reduce_precision": "GradientReducePrecision",
    "output_model_format": "ModelFormat",
    "learning_rate_scheduler": "LearningRateScheduler",
    "ema": "EMAMode",
    "attention_mechanism": "AttentionMechanism",
    "loss_weight_fn": "LossWeight",
    "loss_scaler": "LossScaler",
    "learning_rate_scaler": "LearningRateScaler",
    "timestep_distribution": "TimestepDistribution",
    "peft_type": "PeftType",
    "optimizer.optimizer": "Optimizer",
    "sample_image_format": "ImageFormat",
    "sample_video_format": "VideoFormat",
    "sample_audio_format": "AudioFormat",
    "cloud.type": "CloudType",
    "cloud.file_sync": "CloudFileSync",
    "concepts.type": "ConceptType",
    "concepts.balancing_strategy": "BalancingStrategy",
    "samples.noise_scheduler": "NoiseScheduler",
}
ENUM_SUFFIXES = {"_unit": "TimeUnit", "dtype": "DataType", "on_finish": "CloudAction"}
ENUM_SUFFIXES.update({"on_error": "CloudAction"})

# Fields OneTrainer declares nullable although their v11 default is not null.
NULLABLE = {
    "clip_grad_norm",
    "text_encoder_sequence_length",
    "text_encoder_2_sequence_length",
    "token_count",
    "scheduler_params",
}
# Fields whose v11 default is null: their OneTrainer type (float unless listed).
NULL_TYPES = {
    "int": "initial_accumulator_value log_every min_8bit_size quant_block_size optim_bits "
    "percentile_clipping k n_sma_threshold slice_p prodigy_steps beta1_warmup ns_steps "
    "ortho_rank stop_training_after token_count text_encoder_1_sequence_length "
    "text_encoder_2_sequence_length",
    "str": "muon_hidden_layers custom_learning_rate_scheduler cache_dir",
}
# List fields whose elements are OneTrainer config objects: element class, `SectionList`.
ELEMENT_LISTS = {
    "concepts": ("ConceptConfig", "CONCEPTS"),
    "samples": ("SampleConfig", "SAMPLES"),
    "additional_embeddings": ("EmbeddingConfig", "EMBEDDINGS"),
}
ELEMENT_SCHEMAS = {
    "CONCEPTS": "concept_schema(ConceptConfig)",
    "SAMPLES": 'element_schema("sample", SampleConfig)',
    "EMBEDDINGS": 'element_schema("embedding", EmbeddingConfig)',
}
SECRETS = {"huggingface_token", "api_key", "password"}
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

CLASS_NAMES = {
    "": "TrainConfig",
    "optimizer": "OptimizerConfig",
    "quantization": "QuantizationConfig",
    "embedding": "EmbeddingConfig",
    "cloud": "CloudConfig",
    "secrets": "SecretsConfig",
    "secrets.cloud": "CloudSecretsConfig",
    "concepts": "ConceptConfig",
    "concepts.image": "ConceptImageConfig",
    "concepts.text": "ConceptTextConfig",
    "samples": "SampleConfig",
}
PART_CLASS = "ModelPartConfig"
PART_TEMPLATE = "vae"
# Parts whose defaults differ from TrainModelPartConfig's own, named by their first part.
SUBCLASS_NAMES = {
    "unet": "DenoiserPartConfig",
    "unconditional_transformer": "UnconditionalTransformerConfig",
    "text_encoder": "TextEncoderPartConfig",
}  # the part whose values are TrainModelPartConfig's own defaults


def is_section(value: Any) -> bool:
    """A nested OneTrainer config object (it carries its own `__version`)."""
    return isinstance(value, dict) and "__version" in value


def strip_versions(value: Any) -> Any:
    """`value` without the `__version` keys of the config objects nested in it."""
    if isinstance(value, dict):
        return {k: strip_versions(v) for k, v in value.items() if k != "__version"}
    if isinstance(value, list):
        return [strip_versions(v) for v in value]
    return value


def dump_leaves(dump: dict[str, Any], prefix: str = "") -> set[str]:
    """The dicts of a dump that are leaves: all but nested config objects (with `__version`)."""
    found = set()
    for key, value in dump.items():
        if is_section(value):
            found |= dump_leaves(value, f"{prefix}{key}.")
        elif isinstance(value, dict):
            found.add(f"{prefix}{key}")
    return found


def dump_values(dump: dict[str, Any], leaves: set[str]) -> dict[str, Any]:
    """The flat `{path: value}` of a dump, without `__version` keys."""
    return {
        path: strip_versions(value)
        for path, value in flatten(dump, leaves).items()
        if path.rpartition(".")[2] != VERSION
    }


def class_of(section: str) -> str:
    """The model class name of a section path."""
    return CLASS_NAMES.get(section, PART_CLASS)


def observed_values(data: Path) -> dict[tuple[str, str], list[Any]]:
    """Every value seen per (class, field) in the v11-shaped files of the data."""
    files = [
        *data.glob("fulldumps/**/*__head_v11.json"),
        *data.glob("generated/migrated_by_head/*.json"),
        *data.glob("training_presets/**/*.json"),
        data / "generated" / "default_TrainConfig@v11.json",
    ]
    leaves = dump_leaves(json.loads(files[-1].read_text()))
    seen: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for file in files:
        for path, value in dump_values(json.loads(file.read_text()), leaves).items():
            section, _, name = path.rpartition(".")
            seen[(class_of(section), name)].append(value)
    for name, element in element_defaults(data).items():
        for path, value in dump_values(element, dump_leaves(element)).items():
            section, _, field = f"{name}.{path}".rpartition(".")
            seen[(class_of(section), field)].append(value)
    return seen


def element_defaults(data: Path) -> dict[str, dict[str, Any]]:
    """HEAD's defaults of the config objects in `concepts` and `samples`, by list field."""
    found = json.loads((data / "generated" / "list_element_defaults@23df3832.json").read_text())
    return {"concepts": found["ConceptConfig"], "samples": found["SampleConfig"]}


def enum_of(path: str) -> str | None:
    """The OneTrainer enum behind a field, by path or name suffix."""
    if path in ENUM_FIELDS:
        return ENUM_FIELDS[path]
    name = path.rpartition(".")[2]
    return next((enum for suffix, enum in ENUM_SUFFIXES.items() if name.endswith(suffix)), None)


def scalar_type(name: str, values: list[Any]) -> str:
    """The Python type of a non-enum field from the values seen."""
    present = [v for v in values if v is not None]
    if not present:
        return next((t for t, names in NULL_TYPES.items() if name in names.split()), "float")
    kinds = {type(v) for v in present}
    if bool in kinds:
        return "bool"
    if float in kinds:
        return "float"
    if kinds == {int}:
        return "int"
    if kinds <= {list}:
        return "list[Any]"
    if kinds <= {dict}:
        return "dict[str, Any]"
    return "str"


def annotation(cls: str, path: str, values: list[Any], enums: set[str]) -> str:
    """The annotation of one field."""
    name = path.rpartition(".")[2]
    if name in SECRETS:
        return "SecretStr"
    if (cls, name) == ("CloudSecretsConfig", "port"):
        return "Port"
    if name in ELEMENT_LISTS:
        element, marker = ELEMENT_LISTS[name]
        nullable = " | None" if None in values else ""
        return f"Annotated[list[{element}]{nullable}, {marker}]"
    if name == "growth_rate":
        return "InfFloat | None"
    enum = enum_of(path)
    if enum is not None:
        enums.add(enum)
        base = enum
    else:
        base = scalar_type(name, values)
    nullable = None in values or name in NULLABLE or cls == "OptimizerConfig"
    return f"{base} | None" if nullable else base


def default_of(path: str, value: Any) -> Any:
    """A field's v11 default, made deterministic where OneTrainer's is not."""
    if path == "embedding.uuid":
        return ZERO_UUID
    if path == "train_device":
        return "cuda"
    if path == "concepts.seed":
        return 0
    return value


def py(value: Any, annotation_text: str) -> str:
    """A Python literal for a default value."""
    if annotation_text == "SecretStr":
        return f"SecretStr({value!r})"
    if (
        annotation_text.startswith("float")
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        return repr(float(value))
    return repr(value)


class ModelWriter:
    """Builds the text of `_model.py` from the v11 default dump."""

    def __init__(self, default: dict[str, Any], seen: dict[tuple[str, str], list[Any]]) -> None:
        self.default = default
        self.seen = seen
        self.enums: set[str] = set()
        self.classes: dict[str, tuple[str, list[str]]] = {}
        self.class_defaults: dict[str, dict[str, str]] = {}

    def field_lines(self, cls: str, section: str, dump: dict[str, Any]) -> list[str]:
        """The field lines of a class, registering nested classes first."""
        lines = []
        for key, value in dump.items():
            if key == "__version":
                continue
            path = f"{section}.{key}" if section else key
            if is_section(value):
                lines.append(f"    {key}: {self.section(path, value)}")
                continue
            ann = annotation(cls, path, self.seen[(cls, key)], self.enums)
            lines.append(f"    {key}: {ann} = {py(default_of(path, value), ann)}")
        return lines

    def section(self, path: str, dump: dict[str, Any]) -> str:
        """Register a section's class; return `Class = Class()` for the field line."""
        cls = class_of(path)
        if cls not in self.classes:
            template = self.default[PART_TEMPLATE] if cls == PART_CLASS else dump
            self.classes[cls] = ("BaseModel", self.field_lines(cls, path, template))
            self.class_defaults[cls] = dict(
                line.strip().split(": ", 1) for line in self.classes[cls][1]
            )
        base = self.class_defaults[cls]
        lines = [
            line
            for line in self.field_lines(cls, path, dump)
            if base[line.strip().split(": ", 1)[0]] != line.strip().split(": ", 1)[1]
        ]
        if lines:
            cls = self.subclass(cls, path, lines)
        return f"{cls} = {cls}()"

    def subclass(self, base: str, path: str, lines: list[str]) -> str:
        """A subclass of `base` with other defaults (the store keeps defaults per class)."""
        for name, (parent, existing) in self.classes.items():
            if parent == base and existing == lines:
                return name
        name = SUBCLASS_NAMES[path]
        self.classes[name] = (base, lines)
        return name

    def render(self, elements: dict[str, dict[str, Any]], enums: dict[str, list[str]]) -> str:
        """The whole module text; `elements` are the defaults of the list elements by field."""
        for name, dump in elements.items():
            self.section(name, dump)
        self.classes["TrainConfig"] = (
            "BaseModel",
            self.field_lines("TrainConfig", "", self.default),
        )
        out = [HEADER]
        for enum in sorted(self.enums):
            out.append(f"{enum} = Literal[{', '.join(repr(v) for v in enums[enum])}]")
        for cls, (base, lines) in self.classes.items():
            if cls == "TrainConfig":
                out.append("\n")
                out.extend(f"{name} = SectionList({fn})" for name, fn in ELEMENT_SCHEMAS.items())
            doc = DOCS.get(cls, f"OneTrainer's `{cls}`.")
            out.append(f'\n\nclass {cls}({base}):\n    """{doc}"""\n')
            if base == "BaseModel":
                out.append("    model_config = _STRICT")
            out.extend(lines)
        return "\n".join(out) + "\n"


DOCS = {
    "ConceptConfig": "OneTrainer's `ConceptConfig` (version 2); `seed` fixed here, random there.",
    "SampleConfig": "OneTrainer's `SampleConfig` (version 0), as a config without a model type.",
    "TrainConfig": "OneTrainer's `TrainConfig` at config version 11 (OneTrainer 23df3832).",
    "DenoiserPartConfig": "A denoiser part (unet, prior, transformer): no training limit.",
    "UnconditionalTransformerConfig": "The unconditional transformer: not trained by default.",
    "TextEncoderPartConfig": "A text encoder: trained for 30 epochs by default.",
    PART_CLASS: "A model part (vae, decoder, ...): OneTrainer's `TrainModelPartConfig`.",
    "OptimizerConfig": "OneTrainer's `TrainOptimizerConfig`; any field may be null (TrainArgs).",
    "EmbeddingConfig": "OneTrainer's `TrainEmbeddingConfig`; `uuid` is fixed here, random there.",
    "SecretsConfig": "OneTrainer's `SecretsConfig`: credentials are never stored.",
    "CloudSecretsConfig": "OneTrainer's `CloudSecretConfig`: how to reach a cloud machine.",
}

HEADER = '''"""The v11 models of the `onetrainer` schema (made by tools/generate_onetrainer.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from store._leaves import SectionList
from store._onetrainer._elements import concept_schema, element_schema

# OneTrainer str()s a number given for a text field (old presets: `"resolution": 512`).
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, coerce_numbers_to_str=True)

# OneTrainer saves an infinite float as the string "inf"; the store refuses real infinities.
InfFloat = float | Literal["inf", "-inf"]
# OneTrainer declares the port `str` but defaults it to the int 0; a port it reads is str()ed.
Port = Literal[0] | str
'''


def write_defaults(data: Path) -> None:
    """Write the flat values dumped for versions 0..10; v0 is the union of both v0 shapes."""
    out = PACKAGE / "defaults"
    out.mkdir(exist_ok=True)
    flat: dict[str, dict[str, Any]] = {}
    for folder in VERSIONS:
        dump = json.loads((data / "fulldumps" / folder / "default.json").read_text())
        flat[folder] = dump_values(dump, dump_leaves(dump))
    flat["v0"] = {**flat.pop("v0"), **flat.pop("v0-trainargs")}
    for name, values in flat.items():
        (out / f"{name}.json").write_text(json.dumps(values, indent=1) + "\n")


def source_enums(tree: Path) -> dict[str, list[str]]:
    """The members' values of every `Enum` class in OneTrainer's `modules/util/enum/`."""
    found = {}
    for path in sorted((tree / "modules" / "util" / "enum").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "Enum" for b in node.bases
            ):
                found[node.name] = [
                    str(item.value.value)
                    for item in node.body
                    if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant)
                ]
    return found


def source_fields(tree: Path) -> set[str]:
    """Every field name OneTrainer's config classes declare (`data.append(("name", …))`)."""
    found: set[str] = set()
    for path in (tree / "modules" / "util" / "config").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            first = node.args[0] if node.func.attr == "append" and node.args else None
            if isinstance(first, ast.Tuple) and isinstance(first.elts[0], ast.Constant):
                found.add(str(first.elts[0].value))
    return found


def model_fields(text: str) -> set[str]:
    """The field names the generated module declares."""
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def main(data: Path, tree: Path | None) -> None:
    """Regenerate everything, then format the model with ruff."""
    default = json.loads((data / "generated" / "default_TrainConfig@v11.json").read_text())
    model = PACKAGE / "_model.py"
    if tree is None:
        enums = json.loads((data / "generated" / "enums@23df3832.json").read_text())
        members = {name: enum["members"] for name, enum in enums.items()}
    else:
        members = source_enums(tree)
    writer = ModelWriter(default, observed_values(data))
    text = writer.render(element_defaults(data), members)
    missing = source_fields(tree) - model_fields(text) if tree else set()
    if missing:
        sys.exit(f"OneTrainer declares fields the dumps lack: {', '.join(sorted(missing))}")
    model.write_text(text)
    write_defaults(data)
    subprocess.run(["ruff", "format", str(model)], check=True)


if __name__ == "__main__":
    main(
        Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/onetrainer-presets"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
