"""Fixtures of the web view's tests: a store with runs worth looking at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import store

XSS = "<img src=x onerror=alert(1)>"
"""A message that would run script if the page did not escape it."""
LOCAL = "http://127.0.0.1:8765"
"""The base address of the test client: a loopback name the app answers by default."""


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed author, and no `$STORE_URL` or token leaking in from the shell."""
    monkeypatch.setenv("STORE_AUTHOR", "ana")
    monkeypatch.delenv("STORE_URL", raising=False)
    monkeypatch.delenv("STORE_SERVE_TOKEN", raising=False)


def fill(url: str) -> None:
    """Two runs: `demo` (five revisions, one message an XSS attempt) and `other`."""
    with store.open(url) as opened:
        opened.create("demo", {"optimizer.learning_rate": 3e-4}, message="first try")
        opened.update("demo", {"batch_size": 8}, message="bigger batches", author="bo")
        opened.update(
            "demo",
            {"optimizer.learning_rate": 1e-3, "gradient_checkpointing": "OFF"},
            message=XSS,
            author="<b>eve</b>",
        )
        opened.update("demo", {"optimizer.learning_rate": 5e-4, "model": "<script>x</script>"})
        opened.rollback("demo", to=2)
        opened.create("other", {"epochs": 10, "optimizer.learning_rate": 1e-3})


@pytest.fixture
def filled_url(db_url: str) -> str:
    """The URL of a database holding `demo` and `other`."""
    fill(db_url)
    return db_url


PRESET = Path(__file__).parent.parent / "data/onetrainer/training_presets/SD1.5/#sd 1.5 LoRA.json"
"""OneTrainer's own SD 1.5 LoRA preset (AGPL-3.0, see tests/data/onetrainer/NOTICE.md)."""
OLD_PRESET = (
    Path(__file__).parent.parent / "data/onetrainer/historical/sd_1.5_LoRA@v0@5ab53e74.json"
)
"""The same preset as it was before OneTrainer versioned its configs: its import pins fields."""


def concepts(balancing: float) -> list[dict[str, object]]:
    """Two concepts as OneTrainer's UI writes them (the second's `balancing` as given)."""
    return [
        {"name": "cat", "path": "data/cat", "text": {"prompt_source": "filename"}},
        {"name": "dog", "path": "data/dog", "balancing": balancing},
    ]


def fill_onetrainer(url: str) -> None:
    """OneTrainer runs as a person keeps them: `sd_1.5_LoRA` imported from its preset, given
    two concepts, its learning rate and optimizer tuned, revision 3 tagged `baseline`;
    `sd15_prodigy` forked from the tag; `abandoned` forked and archived; `old_preset`
    imported from a preset older than OneTrainer's versions (fields pinned)."""
    with store.open(url) as opened:
        run = opened.import_files([PRESET], message="the SD 1.5 LoRA preset")[0].run
        opened.update(run, {"concepts": concepts(1.0)}, message="two concepts")
        opened.update(run, {"learning_rate": 1e-4}, message="lower learning rate")
        opened.tag(f"{run}@3", "baseline", message="the first good samples")
        opened.update(run, {"concepts": concepts(3.0)}, message="more dogs")
        opened.update(run, {"learning_rate": 1e-6, "optimizer.optimizer": "PRODIGY"})
        opened.update(run, {"learning_rate": 1.0, "epochs": 200}, message="prodigy wants lr 1")
        opened.fork(f"{run}@baseline", "sd15_prodigy", message="try prodigy from the baseline")
        opened.update("sd15_prodigy", {"optimizer.optimizer": "PRODIGY", "learning_rate": 1.0})
        opened.fork(f"{run}@1", "abandoned")
        opened.archive("abandoned", message="superseded")
        opened.import_config("old_preset", json.loads(OLD_PRESET.read_text()), schema="onetrainer")


@pytest.fixture
def onetrainer_url(db_url: str) -> str:
    """The URL of a database holding the OneTrainer runs of `fill_onetrainer`."""
    fill_onetrainer(db_url)
    return db_url
