"""A writer killed with SIGKILL at random moments: nothing partial, nothing committed lost."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

import store
from tests.reliability.conftest import start_worker
from tests.reliability.workers import BIG_RUN, TRAIN_RUN

KILLS = 40
PRESETS = Path(__file__).resolve().parents[1] / "data" / "onetrainer" / "training_presets"
VARIANTS = ("Chroma/#chroma Finetune 16GB.json", "Chroma/#chroma LoRA 8GB.json")


def whole_configs(url: str) -> list[dict[str, Any]]:
    """Two complete OneTrainer configs (about 480 fields each) that differ in several."""
    with store.open(url) as db:
        for i, name in enumerate(VARIANTS):
            data = json.loads((PRESETS / name).read_text())
            db.import_config(f"preset{i}", data, schema="onetrainer", preset=True)
        return [db.export_config(f"preset{i}") for i in range(len(VARIANTS))]


def kill_at_random(url: str, log: Path, variants: Path, life: int, rng: random.Random) -> None:
    """Start the writer, let it write for a random while, SIGKILL it."""
    worker = start_worker("crash", url, str(log), str(life), str(variants))
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.0, 0.3))
    worker.send_signal(signal.SIGKILL)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL, err


def read_log(log: Path) -> tuple[dict[tuple[int, int], dict[str, Any]], list[dict[str, Any]]]:
    """The intents by (life, i), and the commits whose call returned."""
    intents: dict[tuple[int, int], dict[str, Any]] = {}
    done: list[dict[str, Any]] = []
    for line in log.read_text().splitlines():
        entry = json.loads(line)  # every line is whole: it was fsynced before the next write
        if "intent" in entry:
            intents[entry["intent"]["life"], entry["intent"]["i"]] = entry["intent"]
        else:
            done.append(entry)
    return intents, done


def check_updates(db: store.Store, intents: dict[tuple[int, int], dict[str, Any]]) -> int:
    """Each update revision holds exactly the events of one intended update; returns the count."""
    by_seed = {i["changes"]["seed"]: i for i in intents.values() if i["op"] == "update"}
    revisions = db.history(TRAIN_RUN)
    for revision in revisions[:-1]:
        events = {e.path: e.value for e in revision.events}
        assert all(e.op == "set" for e in revision.events)
        assert events == by_seed[events["seed"]]["changes"], revision.number
    return len(revisions) - 1


def check_imports(
    db: store.Store, intents: dict[tuple[int, int], dict[str, Any]], variants: list[Any]
) -> int:
    """Each imported run and each big-run revision is a whole config; returns the count."""
    [whole] = db.history("whole")
    new_runs = [r.name for r in db.runs() if r.name.startswith("imp-")]
    for name in new_runs:
        [revision] = db.history(name)
        assert revision.events == whole.events
        assert db.export_config(name) == variants[0]
    big = db.head(BIG_RUN).number
    for number in range(1, big + 1):
        assert db.export_config(BIG_RUN, number) == variants[number % 2], number
    planned = {(i["run"], i.get("number", 1)) for i in intents.values() if i["op"] == "import"}
    assert {(n, 1) for n in new_runs} <= planned
    return len(new_runs) + big - 1


def check_committed(db: store.Store, done: list[dict[str, Any]], intents: dict[Any, Any]) -> None:
    """Every revision whose call returned is there, holding what was intended."""
    histories: dict[str, dict[int, store.Revision]] = {}
    for entry in done:
        intent = intents[tuple(entry["done"])]
        run = entry["run"]
        if run not in histories:
            histories[run] = {r.number: r for r in db.history(run)}
        revision = histories[run][entry["number"]]
        if intent["op"] == "update":
            assert {e.path: e.value for e in revision.events} == intent["changes"]
        else:
            assert revision.kind == "import"


@pytest.mark.slow
def test_a_writer_killed_at_random_moments_leaves_no_partial_revision(
    sqlite_url: str, tmp_path: Path
) -> None:
    variants = whole_configs(sqlite_url)
    variants_file = tmp_path / "variants.json"
    variants_file.write_text(json.dumps(variants))
    with store.open(sqlite_url) as db:
        db.create(TRAIN_RUN)
        db.import_config(BIG_RUN, variants[1], schema="onetrainer")
        db.import_config("whole", variants[0], schema="onetrainer")
    log, rng = tmp_path / "intents.jsonl", random.Random(20261130)
    for life in range(KILLS):
        kill_at_random(sqlite_url, log, variants_file, life, rng)
        with store.open(sqlite_url) as db:
            assert db.verify().ok, life
    intents, done = read_log(log)
    with store.open(sqlite_url) as db:
        updates = check_updates(db, intents)
        imports = check_imports(db, intents, variants)
        check_committed(db, done, intents)
    print(f"{KILLS} kills: {updates} updates and {imports} imports stored, {len(done)} confirmed")
    assert len(done) > KILLS
