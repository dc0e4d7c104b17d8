"""Golden tests of the documented `--json` shapes: exact keys and value types."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import store
from tests.cli.conftest import Invoke

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
HASH = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def run(invoke: Invoke) -> str:
    """A run `r` at revision 2."""
    assert invoke("create", "r", "-m", "first").exit_code == 0
    assert invoke("set", "r", "batch_size=8", "-m", "bigger").exit_code == 0
    return "r"


def read_json(invoke: Invoke, *args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_show_is_the_bare_effective_config(invoke: Invoke, db_url: str, run: str) -> None:
    shown = read_json(invoke, "show", run)
    with store.open(db_url) as opened:
        assert shown == opened.current(run).model_dump(mode="json")
    assert set(shown) == {
        "model",
        "optimizer",
        "batch_size",
        "epochs",
        "gradient_checkpointing",
        "save_every",
        "resolution",
        "ema",
        "seed",
    }
    assert shown["optimizer"] == {"name": "ADAMW", "learning_rate": 0.0001, "weight_decay": 0.01}


def test_show_explain(invoke: Invoke, run: str) -> None:
    origins = read_json(invoke, "show", run, "--explain")
    batch = next(o for o in origins if o["path"] == "batch_size")
    assert batch == {
        "path": "batch_size",
        "value": 8,
        "source": "set",
        "revision": 2,
        "author": "ana",
        "version": None,
        "description": "set at revision 2 by ana",
    }


def test_history(invoke: Invoke, run: str) -> None:
    revisions = read_json(invoke, "history", run)
    assert [r["revision"] for r in revisions] == [2, 1]
    newest = revisions[0]
    assert list(newest) == [
        "revision",
        "time",
        "author",
        "message",
        "kind",
        "schema_version",
        "hash",
        "changes",
        "pinned",
        "tags",
    ]
    assert ISO_UTC.fullmatch(newest["time"])
    assert HASH.fullmatch(newest["hash"])
    assert {k: newest[k] for k in ("author", "message", "kind", "schema_version")} == {
        "author": "ana",
        "message": "bigger",
        "kind": "update",
        "schema_version": 3,
    }
    assert newest["changes"] == [{"path": "batch_size", "old": 4, "new": 8}]


def test_runs(invoke: Invoke, run: str) -> None:
    (summary,) = read_json(invoke, "runs")
    assert list(summary) == [
        "name",
        "schema",
        "revisions",
        "last_change",
        "author",
        "archived",
        "tags",
        "forked_from",
    ]
    assert {k: summary[k] for k in ("name", "schema", "revisions", "author")} == {
        "name": "r",
        "schema": "training",
        "revisions": 2,
        "author": "ana",
    }
    assert ISO_UTC.fullmatch(summary["last_change"])


def test_diff(invoke: Invoke, run: str) -> None:
    assert read_json(invoke, "diff", run, "1", "2") == [{"path": "batch_size", "old": 4, "new": 8}]


def test_verify(invoke: Invoke, run: str) -> None:
    assert read_json(invoke, "verify") == {"ok": True, "problems": []}
    failed = read_json(invoke, "verify", "--expect", f"{run}@3:{'a' * 64}")
    assert failed == {
        "ok": False,
        "problems": [
            {
                "run": "r",
                "revision": 3,
                "kind": "missing",
                "detail": "revision 3 is missing (the run ends at 2)",
            }
        ],
    }
