"""B8-B13: what a trainer feels. A fresh process reading its config, the command line's
start-up, the module-level call, `current()` on the small schema, a page of history and
`find`; each against a baseline measured in the same run (see `run.py`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import store

BASELINE = """
import json, sys
import sqlalchemy
from pydantic import BaseModel

class Optimizer(BaseModel):
    name: str = "ADAMW"
    learning_rate: float = 1e-4
    weight_decay: float = 0.01

class Config(BaseModel):
    model: str = "stable-diffusion-1.5"
    optimizer: Optimizer = Optimizer()
    batch_size: int = 4
    epochs: int = 100
    gradient_checkpointing: str = "ON"
    save_every: int = 0
    resolution: str = "512"
    ema: bool = False
    seed: int = 42

with open(sys.argv[1]) as f:
    Config.model_validate_json(f.read())
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""
"""A trainer today: SQLAlchemy and pydantic imported, the config read from JSON, validated."""

OURS = """
import sys
import store
store.current("trainer", sys.argv[1])
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""


def processes(
    commands: dict[str, list[str]], repeat: int, bytecode: Path
) -> dict[str, tuple[float, int]]:
    """For each command, the median wall time of a fresh process and its peak RSS in KiB (its
    own `VmHWM`, which an exec resets, unlike `ru_maxrss`; 0 if it prints none).

    The commands run in turns, one of each per round, so that a change in the machine's load
    falls on the baseline and on store alike. Every module runs from bytecode, as an
    installed wheel's do (pip compiles them), kept in the folder `bytecode` that a first,
    unmeasured round fills: with `PYTHONDONTWRITEBYTECODE` set, as on some machines, store
    would compile its source in every process while the baseline's libraries load theirs.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    times: dict[str, list[float]] = {name: [] for name in commands}
    rss = dict.fromkeys(commands, 0)
    for round_ in range(repeat + 1):
        for name, args in commands.items():
            start = time.perf_counter()
            done = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
            if round_ == 0:
                continue
            times[name].append(time.perf_counter() - start)
            last = done.stdout.strip().splitlines()[-1:] or ["0"]
            rss[name] = int(last[0]) if last[0].isdigit() else 0
    return {name: (statistics.median(times[name]), rss[name]) for name in commands}


def per_call(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call over `calls` calls, after a warm-up."""
    for _ in range(min(100, calls)):
        fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def trainer_rows(url: str, history_url: str, folder: Path, quick: bool) -> list[tuple[str, ...]]:
    """Rows `(key, work, figure, target, met)` for B8-B13."""
    repeat = 3 if quick else 7
    with store.open(url) as db:
        db.create("trainer", {"batch_size": 8})
        for epochs in range(1, 11):
            db.update("trainer", {"epochs": epochs})
        config = db.current("trainer")
    path = folder / "trainer.json"
    path.write_text(json.dumps(config.model_dump(mode="json")))
    measured = processes(
        {
            "base": [sys.executable, "-c", BASELINE, str(path)],
            "ours": [sys.executable, "-c", OURS, url],
            "show": [sys.executable, "-m", "store", "--db", url, "show", "trainer"],
            "help": [sys.executable, "-m", "store", "--help"],
        },
        repeat,
        folder / "bytecode",
    )
    (base, base_rss), (ours, ours_rss) = measured["base"], measured["ours"]
    show, helped = measured["show"][0], measured["help"][0]
    rows = [
        ("B8", "fresh process: import store; store.current(run) (training schema)",
         f"{ours * 1e3:.0f} ms vs {base * 1e3:.0f} ms = {ours / base:.2f}x", "≤ 1.3x",
         ours / base <= 1.3),
        ("B8", "same, peak memory", f"{ours_rss / 1024:.0f} MiB vs {base_rss / 1024:.0f} MiB "
         f"= {ours_rss / base_rss:.2f}x", "≤ 1.5x", ours_rss / base_rss <= 1.5),
        ("B9", "fresh process: store show RUN", f"{show * 1e3:.0f} ms = {show / base:.2f}x",
         "≤ 1.5x", show / base <= 1.5),
        ("B9", "fresh process: store --help", f"{helped * 1e3:.0f} ms = {helped / base:.2f}x",
         "≤ 1.5x", helped / base <= 1.5),
    ]  # fmt: skip
    return rows + _in_process(url, history_url, path, quick)


def _in_process(url: str, history_url: str, path: Path, quick: bool) -> list[tuple[str, ...]]:
    """B10-B13, in this process."""
    calls = 300 if quick else 1000
    with store.open(url) as db:
        model = type(db.current("trainer"))

        def json_read() -> None:
            with path.open() as f:
                model.model_validate_json(f.read())

        baseline = per_call(json_read, calls)
        method = per_call(lambda: db.current("trainer"), calls)
        module = per_call(lambda: store.current("trainer", url), calls)
    with store.open(history_url) as db:
        head = db.head("b5").number
        page = statistics.median(per_call(lambda: db.history("b5", limit=20), 5) for _ in range(3))
        wanted = db.read(f"b5@{head // 2}").config_hash
        found = statistics.median(per_call(lambda: db.find(wanted), 5) for _ in range(3))
    return [
        ("B10", f"module-level store.current(run), {calls:,} calls",
         f"{module * 1e6:.0f} µs vs Store.current {method * 1e6:.0f} µs = {module / method:.2f}x",
         "≤ 1.2x", module / method <= 1.2),
        ("B11", "Store.current(), training schema",
         f"{method * 1e6:.0f} µs; JSON+validate {baseline * 1e6:.0f} µs = "
         f"{method / baseline:.2f}x", "≤ 3x", method / baseline <= 3),
        ("B12", f"history(run, limit=20) on {head:,} revisions", f"{page * 1e3:.1f} ms",
         "≤ 20 ms", page <= 0.02),
        ("B13", f"find(config_hash) on {head:,} revisions", f"{found * 1e3:.2f} ms",
         "≤ 5 ms", found <= 0.005),
    ]  # fmt: skip
