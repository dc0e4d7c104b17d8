"""OneTrainer HEAD as the oracle: random configs written by each version's own code.

`tests/data/onetrainer/oracle/<version>.json.gz` (see NOTICE.md) holds, per config version,
the version's default dump, HEAD's `to_dict()` of it, and 30 cases (full dumps, partial
files, files as the UI saves them): the input, HEAD's output or its error, and for a file
HEAD crashes on, HEAD's output for the file completed with its version's defaults.
"""

from __future__ import annotations

import functools
import gzip
import json
from typing import Any

import pytest

from store._onetrainer import ONETRAINER
from store._paths import flatten
from tests.onetrainer.conftest import DATA, as_onetrainer_loads, effective_from_file

ORACLE = DATA / "oracle"
SETS = {p.name.removesuffix(".json.gz"): p for p in sorted(ORACLE.glob("*.json.gz"))}
# Not OneTrainer's: its random uuid, and credentials, which the store never keeps (SPEC 11).
NOT_COMPARED = {
    "embedding.uuid",
    "secrets.huggingface_token",
    "secrets.cloud.api_key",
    "secrets.cloud.password",
}
FAST = 4  # cases per version outside `-m slow` (one of each kind)
MADE_FROM = {"transformer": "prior"}  # migration 8 copies the (completed) prior
# v0-v2 embedding settings OneTrainer loses and the store keeps (a documented deviation).
KEPT_EMBEDDING = {
    "embedding.model_name",
    "embedding.token_count",
    "embedding.initial_embedding_text",
}


@functools.cache
def oracle(label: str) -> dict[str, Any]:
    """One version's generated set."""
    loaded: dict[str, Any] = json.loads(gzip.decompress(SETS[label].read_bytes()))
    return loaded


CASES = [
    pytest.param(label, n, id=f"{label}-{n:02d}", marks=[pytest.mark.slow] if n >= FAST else [])
    for label in SETS
    for n in range(len(oracle(label)["cases"]))
]


def version_of(data: dict[str, Any]) -> int:
    return int(data.get("__version", 0))


def leaves(config: dict[str, Any]) -> dict[str, str]:
    """A v11 dump as `{path: JSON text}`, so that `100` and `100.0` differ."""
    flat = flatten(as_onetrainer_loads(config), ONETRAINER.version(ONETRAINER.latest).leaves)
    return {path: json.dumps(value, sort_keys=True) for path, value in flat.items()}


def differences(ours: dict[str, str], head: dict[str, str], paths: set[str]) -> dict[str, Any]:
    return {p: (ours.get(p), head.get(p)) for p in sorted(paths) if ours.get(p) != head.get(p)}


def landing_differences(generated: dict[str, Any], n: int, ours: dict[str, str]) -> Any:
    """For a file HEAD crashes on: where the store's values differ from HEAD's for the file
    completed with its version's defaults, at the paths the file's own values reach."""
    case = generated["cases"][n]
    data = case["input"]
    empty = leaves(effective_from_file({}, version_of(data)))
    repaired, default = leaves(case["head_repaired"]), leaves(generated["head_default"])
    touched = {p for p in ours if ours[p] != empty.get(p)}
    # Completing the file adds keys; only those the file had or a migration made from them.
    made = {p.split(".")[0] for p in repaired} - generated["default"].keys()
    kept = data.keys() | {key for key in made if MADE_FROM.get(key, key) in data.keys() | made}
    touched |= {p for p in repaired if repaired[p] != default.get(p) and p.split(".")[0] in kept}
    rebuilt = {p for p in touched if p.startswith("optimizer_defaults")}  # from the flat keys
    return differences(ours, repaired, touched - NOT_COMPARED - KEPT_EMBEDDING - rebuilt)


@pytest.mark.parametrize(("label", "n"), CASES)
def test_export_is_what_onetrainer_makes_of_the_file(label: str, n: int) -> None:
    generated = oracle(label)
    case = generated["cases"][n]
    data = case["input"]
    ours = leaves(effective_from_file(data, version_of(data)))
    if case["head"] is None:  # OneTrainer crashes: its values land where migrations put them
        assert not landing_differences(generated, n, ours)
        return
    head = leaves(case["head"])
    excepted = NOT_COMPARED | (KEPT_EMBEDDING if version_of(data) <= 2 else set())
    assert not differences(ours, head, (ours.keys() | head.keys()) - excepted)
