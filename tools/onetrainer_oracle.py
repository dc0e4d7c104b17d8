"""Make the OneTrainer oracle data (`tests/data/onetrainer/oracle/`) from OneTrainer's own code.

OneTrainer is not part of this repository: give the path of a checkout (or `git archive` of
`modules/util`) of github.com/Nerogar/OneTrainer on the command line. torch, accelerate, tqdm
and the like are replaced by in-memory stubs so that its config code imports.

    # configs written by one version's own code (its commit from the data README)
    python tools/onetrainer_oracle.py generate /tmp/ot/7c4531d3 v1 30 1003 /tmp/ot/v1.json
    # what OneTrainer HEAD (23df3832) makes of them
    python tools/onetrainer_oracle.py load /tmp/ot/23df3832 /tmp/ot/v1.json oracle/v1.json.gz
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import random
import sys
import types
import uuid
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

STUBBED = {"torch", "accelerate", "tqdm", "torchvision", "diffusers", "transformers"}
WORDS = ["alpha", "models/x.safetensors", "a photo of sks", "1024", "0.5", "", "attn", "cuda:1"]
KINDS = ["full", "full", "partial", "ui"]


class Stub:
    """Any attribute, call or subscript of a stubbed library; `.type` is `"cuda"`."""

    def __init__(self, name: str = "stub") -> None:
        self._name = name

    def __getattr__(self, item: str) -> Any:
        if item == "type":
            return "cuda"
        if item.startswith("__") and item.endswith("__"):
            raise AttributeError(item)
        return Stub(f"{self._name}.{item}")

    def __call__(self, *args: Any, **kwargs: Any) -> Stub:
        return Stub(f"{self._name}()")

    def __getitem__(self, item: Any) -> Stub:
        return Stub(self._name)

    def __iter__(self) -> Any:
        return iter(())

    def __mro_entries__(self, bases: Any) -> tuple[type, ...]:
        return (object,)

    def __or__(self, other: Any) -> Stub:
        return Stub()

    __ror__ = __or__


class StubModule(types.ModuleType):
    """A stubbed library module."""

    def __getattr__(self, item: str) -> Any:
        if item == "__version__":
            return "2.8.0"
        if item.startswith("__") and item.endswith("__"):
            raise AttributeError(item)
        return Stub(f"{self.__name__}.{item}")


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of the stubbed libraries get a `StubModule`."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        module = StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run."""


def onetrainer(checkout: str) -> None:
    """Make OneTrainer's code at `checkout` importable, with the stubs and seeded uuids."""
    sys.meta_path.insert(0, StubFinder())
    sys.path.insert(0, checkout)
    uuid.uuid4 = lambda: uuid.UUID(int=random.getrandbits(128), version=4)


def root_class() -> Any:
    """`TrainConfig`, or `TrainArgs` before it existed."""
    try:
        return importlib.import_module("modules.util.config.TrainConfig").TrainConfig
    except ImportError:
        return importlib.import_module("modules.util.args.TrainArgs").TrainArgs


def optional_class(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def is_config(kind: Any) -> bool:
    return isinstance(kind, type) and hasattr(kind, "default_values") and not issubclass(kind, Enum)


def random_value(current: Any, kind: Any, nullable: bool) -> Any:
    """A random value of a field's own type (its own version's enum members)."""
    if nullable and random.random() < 0.15:
        return None
    if isinstance(kind, type) and issubclass(kind, Enum):
        return random.choice(list(kind))
    choices: dict[Any, list[Any]] = {
        bool: [True, False],
        int: [0, 1, 2, 3, 7, 16, 100, 512, random.randint(-5, 5000)],
        float: [0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 1e-4, 3e-6, round(random.uniform(-2, 10), 4)],
        str: [*WORDS, f"edit{random.randint(0, 999)}"],
    }
    return random.choice(choices[kind]) if kind in choices else current


def edit(config: Any, count: int, depth: int = 0) -> None:
    """Change `count` random plain fields of a config object, sometimes inside nested ones."""
    names = list(config.types)
    random.shuffle(names)
    done = 0
    for name in names:
        kind = config.types[name]
        if done >= count:
            break
        if is_config(kind):
            if depth < 2 and random.random() < 0.5:
                edit(getattr(config, name), random.randint(1, 4), depth + 1)
                done += 1
        elif get_origin(kind) not in (list, dict) and kind not in (list, dict):
            nullable = config.nullables.get(name, False)
            setattr(config, name, random_value(getattr(config, name), kind, nullable))
            done += 1


def element(cls: Any, field_type: Any) -> Any:
    """An edited list element; a dict where the version's list is not typed with it."""
    item = cls.default_values()
    edit(item, random.randint(1, 6))
    return item if any(is_config(a) for a in get_args(field_type)) else item.to_dict()


def make(root: Any, concept: Any, sample: Any, optimizer: Any) -> Any:
    """A default config with random edits, concepts, samples and optimizer defaults."""
    config = root.default_values()
    edit(config, random.randint(3, 25))
    kinds = config.types
    if concept is not None and "concepts" in kinds and random.random() < 0.6:
        config.concepts = [element(concept, kinds["concepts"]) for _ in range(random.randint(1, 3))]
    if sample is not None and "samples" in kinds and random.random() < 0.6:
        config.samples = [element(sample, kinds["samples"]) for _ in range(random.randint(1, 3))]
    if optimizer is not None and "optimizer_defaults" in kinds and random.random() < 0.5:
        settings = optimizer.default_values()
        edit(settings, random.randint(1, 6))
        name = str(settings.optimizer) if settings.optimizer is not None else "ADAMW"
        config.optimizer_defaults = {**(config.optimizer_defaults or {}), name: settings}
    return config


def dump(config: Any, kind: str) -> dict[str, Any]:
    """The file: `to_dict()`, part of it, or what the UI saves."""
    if kind == "ui":
        try:
            data = config.to_settings_dict(secrets=False)
        except TypeError:
            data = config.to_settings_dict()
    else:
        data = config.to_dict()
    if kind == "partial":
        data = {k: v for k, v in data.items() if k == "__version" or random.random() < 0.3}
    return json.loads(json.dumps(data))


def generate(checkout: str, label: str, count: int, seed: int, out: str) -> None:
    """Write `count` configs as OneTrainer at `checkout` writes them."""
    random.seed(seed)
    onetrainer(checkout)
    root = root_class()
    concept = optional_class("modules.util.config.ConceptConfig", "ConceptConfig")
    sample = optional_class("modules.util.config.SampleConfig", "SampleConfig")
    optimizer = optional_class("modules.util.config.TrainConfig", "TrainOptimizerConfig")
    cases = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        kind = kind if kind != "ui" or hasattr(root, "to_settings_dict") else "full"
        data = dump(make(root, concept, sample, optimizer), kind)
        cases.append({"name": f"{label}-{n:02d}-{kind}", "kind": kind, "input": data})
    default = json.loads(json.dumps(root.default_values().to_dict()))
    Path(out).write_text(json.dumps({"label": label, "default": default, "cases": cases}))


def load_with(train_config: Any, data: dict[str, Any]) -> tuple[Any, str | None, list[str]]:
    """What OneTrainer makes of a file, or its error, and what it printed."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            loaded = train_config.default_values().from_dict(copy.deepcopy(data)).to_dict()
    except Exception as exc:  # OneTrainer's crash is the result
        return None, f"{type(exc).__name__}: {exc}", printed.getvalue().splitlines()
    return json.loads(json.dumps(loaded)), None, printed.getvalue().splitlines()


def completed(data: dict[str, Any], default: dict[str, Any]) -> dict[str, Any]:
    """A file completed with its version's defaults (a v0 optimizer object made flat)."""
    full = {**default, **data}
    if full.get("__version", 0) == 0 and isinstance(full.get("optimizer"), dict):
        settings = full.pop("optimizer")
        full.pop("optimizer_defaults", None)
        full["optimizer"] = settings.get("optimizer")
        skip = ("optimizer", "__version")
        full.update({f"optimizer_{k}": v for k, v in settings.items() if k not in skip})
    return full


def load(checkout: str, source: str, out: str) -> None:
    """Add OneTrainer HEAD's outputs to generated configs; write them gzipped."""
    random.seed(0)  # what HEAD draws (uuids, concept seeds) for keys a file lacks
    onetrainer(checkout)
    train_config = importlib.import_module("modules.util.config.TrainConfig").TrainConfig
    generated = json.loads(Path(source).read_text())
    generated["head_default"] = load_with(train_config, completed(generated["default"], {}))[0]
    for case in generated["cases"]:
        case["head"], case["error"], case["messages"] = load_with(train_config, case["input"])
        if case["error"] is not None:
            repaired = completed(case["input"], generated["default"])
            case["head_repaired"] = load_with(train_config, repaired)[0]
    text = json.dumps(generated, separators=(",", ":")).encode()
    with Path(out).open("wb") as file, gzip.GzipFile(fileobj=file, mode="wb", mtime=0) as gz:
        gz.write(text)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "generate":
        generate(arguments[0], arguments[1], int(arguments[2]), int(arguments[3]), arguments[4])
    else:
        load(*arguments)
