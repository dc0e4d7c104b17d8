"""Wherever OneTrainer HEAD loads a file, the store exports exactly what HEAD produced."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.onetrainer.conftest import (
    DATA,
    FULLDUMPS,
    HISTORICAL_OK,
    as_onetrainer_loads,
    effective_from_file,
    implicit_version,
    load,
    round_trip,
)

# Not comparable, as the data README says: HEAD's stub machine has no CUDA (`cpu`), and
# uuid4 is random per call.
NONDETERMINISTIC = ("train_device", "embedding.uuid")

FULLDUMP_CASES = sorted(
    str(p.relative_to(FULLDUMPS)).removesuffix("__head_v11.json")
    for p in FULLDUMPS.glob("*/*__head_v11.json")
    if "embedding" not in p.name
)
HISTORICAL_CASES = sorted(
    p.name.removesuffix("__to_v11.json") for p in HISTORICAL_OK.glob("*.json")
)


def comparable(config: dict[str, Any], exclude: tuple[str, ...]) -> dict[str, Any]:
    """`config` without the excluded dotted paths, as JSON text (`0` is not `"0"` or `0.0`)."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for path in exclude:
        section, _, name = path.rpartition(".")
        (out[section] if section else out).pop(name, None)
    return {k: json.dumps(v, sort_keys=True) for k, v in out.items()}


def assert_same(ours: dict[str, Any], head: dict[str, Any], exclude: tuple[str, ...]) -> None:
    ours, head = comparable(as_onetrainer_loads(ours), exclude), comparable(head, exclude)
    diff = {
        k: (ours.get(k), head.get(k))
        for k in ours.keys() | head.keys()
        if ours.get(k) != head.get(k)
    }
    assert not diff


@pytest.mark.parametrize("case", FULLDUMP_CASES)
def test_full_dump_matches_head(case: str) -> None:
    source = load(FULLDUMPS / f"{case}.json")
    head = load(FULLDUMPS / f"{case}__head_v11.json")
    ours = effective_from_file(source, source.get("__version", 0))
    assert_same(ours, head, ())


@pytest.mark.parametrize("case", HISTORICAL_CASES)
def test_historical_preset_matches_head(case: str) -> None:
    source = load(DATA / "historical" / f"{case}.json")
    head = load(HISTORICAL_OK / f"{case}__to_v11.json")
    ours = effective_from_file(source, implicit_version(case))
    assert_same(ours, head, NONDETERMINISTIC)


def test_export_puts_versions_where_onetrainer_writes_them() -> None:
    head = load(FULLDUMPS / "v11" / "default__head_v11.json")
    ours = effective_from_file(load(FULLDUMPS / "v11" / "default.json"), 11)
    assert next(iter(ours)) == "__version"
    assert ours["__version"] == 11
    assert ours["unet"]["__version"] == ours["secrets"]["cloud"]["__version"] == 0
    assert list(ours) == list(head)


@pytest.mark.parametrize("case", FULLDUMP_CASES)
def test_export_then_import_then_export_is_identical(case: str) -> None:
    source = load(FULLDUMPS / f"{case}.json")
    first, second = round_trip(source, source.get("__version", 0))
    assert first == second
