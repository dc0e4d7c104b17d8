"""Worker processes the reliability tests start: concurrent writers, and a writer to kill.

Run as `python -m tests.reliability.workers KIND ARGS…` from the repository root.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import store

RETRIES = 100_000
"""Conflicts an optimistic writer absorbs: under 8-way contention it may lose many races."""

BIG_RUN = "big"
TRAIN_RUN = "train"


def updates(db: store.Store, run: str, writer: int, count: int, optimistic: bool) -> None:
    """`count` updates of `seed` to writer*1000+i; optimistic ones pass the head they read."""
    for i in range(count):
        change = {"seed": writer * 1000 + i}
        if optimistic:
            expected = db.head(run).number
            db.update(run, change, expected_revision=expected, retries=RETRIES)
        else:
            db.update(run, change)


def writer_process(url: str, run: str, writer: str, count: str, optimistic: str) -> None:
    """One writer process: its own store object, `count` updates."""
    with store.open(url) as db:
        updates(db, run, int(writer), int(count), optimistic == "1")


def record(log: TextIO, entry: dict[str, Any]) -> None:
    """Append one line to the side log and force it to disk before going on."""
    log.write(json.dumps(entry) + "\n")
    log.flush()
    os.fsync(log.fileno())


def plan(db: store.Store, life: int, i: int) -> dict[str, Any]:
    """The i-th write of this life: three updates, then an import into a new run, then one
    into the big run (alternating between two whole configs)."""
    step = i % 5
    if step < 3:
        seed = life * 100_000 + i
        changes = {
            "seed": seed,
            "epochs": seed % 997 + 1,
            "optimizer.learning_rate": (seed + 1) * 1e-9,
        }
        return {"life": life, "i": i, "op": "update", "run": TRAIN_RUN, "changes": changes}
    if step == 3:
        return {"life": life, "i": i, "op": "import", "run": f"imp-{life}-{i}", "variant": 0}
    number = db.head(BIG_RUN).number + 1
    return {
        "life": life,
        "i": i,
        "op": "import",
        "run": BIG_RUN,
        "variant": number % 2,
        "number": number,
    }


def perform(db: store.Store, intent: dict[str, Any], variants: list[dict[str, Any]]) -> int:
    """Carry out one planned write; the number of the revision it appended."""
    if intent["op"] == "update":
        return db.update(intent["run"], intent["changes"]).number
    result = db.import_config(intent["run"], variants[intent["variant"]], schema="onetrainer")
    return result.revision.number


def crash_process(url: str, log_path: str, life: str, variants_path: str) -> None:
    """Write without end, logging each intent before and each commit after its call returns."""
    variants = json.loads(Path(variants_path).read_text())
    with store.open(url) as db, open(log_path, "a") as log:
        print("ready", flush=True)
        for i in itertools.count():
            intent = plan(db, int(life), i)
            record(log, {"intent": intent})
            number = perform(db, intent, variants)
            record(log, {"done": [intent["life"], i], "run": intent["run"], "number": number})


KINDS = {"writer": writer_process, "crash": crash_process}

if __name__ == "__main__":
    KINDS[sys.argv[1]](*sys.argv[2:])
