"""Issue 15: schemas you can see (`store schemas`, `store schema NAME`), and `store --version`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import store
from store._cli import cli
from store._migrations import HEAD
from tests.files.conftest import run_store


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_schemas_lists_every_installed_schema_and_where_it_comes_from() -> None:
    code, out, _ = invoke("schemas", "--json")
    assert code == 0
    found = {s["name"]: s for s in json.loads(out)}
    assert found["training"] == {
        "name": "training",
        "latest": 3,
        "origin": "built in",
        "description": store.get_schema("training").description,
    }
    assert (found["onetrainer"]["latest"], found["onetrainer"]["origin"]) == (11, "built in")
    assert [s.schema.name for s in store.schemas()] == store.schema_names()


def test_schema_shows_fields_with_type_default_and_secret() -> None:
    code, out, _ = invoke("schema", "training")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["path", "default", "secret", "type"]
    assert lines[3].split() == ["optimizer.learning_rate", "0.0001", "number"]
    code, out, _ = invoke("schema", "training", "--version", "1", "--json")
    assert {
        "path": "save_after", "type": "whole number", "default": 0, "secret": False
    } in json.loads(out)  # fmt: skip
    secrets = [f.path for f in store.schema_fields("onetrainer") if f.secret]
    assert secrets == [
        "secrets.huggingface_token",
        "secrets.cloud.api_key",
        "secrets.cloud.password",
    ]


def test_schema_changes_says_what_each_upcaster_does() -> None:
    code, out, _ = invoke("schema", "training", "--changes", "--json")
    assert code == 0
    steps = [(s["source"], s["kind"], s["path"], s["text"]) for s in json.loads(out)]
    assert (1, "rename", "save_after", "renamed to save_every") in steps
    assert (1, "add", "ema", "added with default false") in steps
    assert (2, "rename", "learning_rate", "renamed to optimizer.learning_rate") in steps
    assert (
        2, "add", "optimizer.weight_decay", "added; older runs read the legacy default 0.0"
    ) in steps  # fmt: skip
    assert (
        2, "default", "batch_size", "default 1 -> 4; older runs keep the old one (pinned)"
    ) in steps  # fmt: skip
    assert any(kind == "convert" and path == "resolution" for _, kind, path, _ in steps)
    assert invoke("schema", "training", "--changes")[1].splitlines()[0].split() == [
        "step", "kind", "path", "what"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("schema", "nope"), "Error: unknown schema 'nope'; known: onetrainer, training"),
        (("schema", "training", "--version", "9"),
         "Error: schema 'training' version 9 is newer than this program knows (newest: 3)\n"),
    ],
)  # fmt: skip
def test_schema_errors(args: tuple[str, ...], error: str) -> None:
    code, out, err = invoke(*args)
    assert (code, out) == (1, "")
    assert err.startswith(error)


def test_version_of_the_installed_executable(tmp_path: Path) -> None:
    done = run_store("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"store 0.1.0 (migration {HEAD})\n")
    listed = run_store("schemas", cwd=tmp_path)
    assert listed.stdout.splitlines()[0].split() == ["name", "newest", "from", "description"]
    assert not (tmp_path / "store.db").exists()
