"""Each command and option: what a person sees, then the state read back through the library."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

import store
from store._cli import cli
from store._migrations import HEAD, alembic_config
from tests.cli.conftest import Invoke


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def run(invoke: Invoke, db_url: str) -> str:
    """A run `r` at revision 2: batch size 8, learning rate 3e-4."""
    assert invoke("create", "r", "-m", "first").exit_code == 0
    assert invoke("set", "r", "batch_size=8", "optimizer.learning_rate=3e-4").exit_code == 0
    return "r"


def head_hash(url: str, run: str) -> str:
    with store.open(url) as opened:
        return opened.head(run).hash


def test_create(invoke: Invoke, db_url: str) -> None:
    result = invoke("create", "r", "-m", "first", "--author", "bo")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"r: revision 1 (create) {head_hash(db_url, 'r')}\n"
    with store.open(db_url) as opened:
        head = opened.head("r")
        assert (head.kind, head.author, head.message) == ("create", "bo", "first")
        assert opened.runs()[0].schema == "training"


def test_create_with_a_schema(invoke: Invoke, db_url: str) -> None:
    assert invoke("create", "r", "--schema", "training").exit_code == 0
    with store.open(db_url) as opened:
        assert opened.runs()[0].schema == "training"


def test_create_from_a_file(invoke: Invoke, db_url: str, tmp_path: Path) -> None:
    source = write_json(tmp_path / "c.json", {"__version": 3, "batch_size": 16})
    result = invoke("create", "r", "--from", str(source), "-m", "from file")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["  batch_size: 4 → 16"]
    with store.open(db_url) as opened:
        assert opened.head("r").kind == "import"
        assert opened.current("r").batch_size == 16  # type: ignore[attr-defined]


def test_set_parses_values_and_keeps_text_of_string_fields(
    invoke: Invoke, db_url: str, run: str
) -> None:
    result = invoke(
        "set",
        run,
        "optimizer.learning_rate=1e-3",
        "ema=true",
        "resolution=1024",
        "model=FLUX_DEV_1",
        "-m",
        "tune",
        "--author",
        "bo",
        "--expect-revision",
        "2",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"r: revision 3 (update) {head_hash(db_url, 'r')}\n"
        '  model: "stable-diffusion-1.5" → "FLUX_DEV_1"\n'
        "  optimizer.learning_rate: 0.0003 → 0.001\n"
        '  resolution: "512" → "1024"\n'
        "  ema: false → true\n"
    )
    with store.open(db_url) as opened:
        cfg = opened.current(run)
        assert (cfg.resolution, cfg.ema, cfg.model) == ("1024", True, "FLUX_DEV_1")  # type: ignore[attr-defined]
        head = opened.head(run)
        assert (head.number, head.author, head.message) == (3, "bo", "tune")


def test_unset(invoke: Invoke, db_url: str, run: str) -> None:
    result = invoke("unset", run, "batch_size", "-m", "back", "--expect-revision", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["  batch_size: 8 → 4"]
    with store.open(db_url) as opened:
        assert opened.current(run).batch_size == 4  # type: ignore[attr-defined]
        assert opened.head(run).message == "back"


def test_show(invoke: Invoke, db_url: str, run: str) -> None:
    result = invoke("show", run)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    with store.open(db_url) as opened:
        reading = opened.read(run)
    assert lines[0] == f"r @ revision 2  {reading.hash}  config {reading.config_hash}"
    assert lines[1].split() == ["path", "value"]
    assert "batch_size               8" in lines
    assert 'resolution               "512"' in lines


def test_show_at_a_revision(invoke: Invoke, db_url: str, run: str) -> None:
    result = invoke("show", run, "--rev", "1")
    assert result.exit_code == 0
    assert result.stdout.startswith("r @ revision 1  ")
    assert "batch_size               4" in result.stdout.splitlines()


def test_show_explain(invoke: Invoke, run: str) -> None:
    result = invoke("show", run, "--explain")
    assert result.exit_code == 0
    rows = [line.split(maxsplit=2) for line in result.stdout.splitlines()[1:]]
    assert rows[0] == ["path", "value", "origin"]
    assert ["batch_size", "8", "set at revision 2 by ana"] in rows
    assert ["epochs", "100", "default of schema version 3"] in rows


def test_history(invoke: Invoke, run: str) -> None:
    assert invoke("set", run, "ema=true", "-m", "ema on").exit_code == 0
    result = invoke("history", run)
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["rev", "time", "author", "kind", "message", "changes"]
    assert [r[0] for r in rows[1:]] == ["3", "2", "batch_size:", "1"]
    assert rows[1][2:] == ["ana", "update", "ema", "on", "ema:", "false", "→", "true"]
    assert rows[1][1].endswith("Z") and "T" in rows[1][1]  # pastes back as RUN@TIME
    assert rows[3] == ["batch_size:", "4", "→", "8"]


def test_history_options(invoke: Invoke, run: str) -> None:
    assert invoke("set", run, "ema=true").exit_code == 0
    field = invoke("history", run, "--field", "batch_size", "--json")
    assert [r["revision"] for r in json.loads(field.stdout)] == [2]
    limited = invoke("history", run, "--limit", "2", "--json")
    assert [r["revision"] for r in json.loads(limited.stdout)] == [3, 2]
    reverse = invoke("history", run, "--reverse", "--json")
    assert [r["revision"] for r in json.loads(reverse.stdout)] == [1, 2, 3]


def test_diff_within_a_run(invoke: Invoke, run: str) -> None:
    result = invoke("diff", run, "1")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "path                     old     new",
        "optimizer.learning_rate  0.0001  0.0003",
        "batch_size               4       8",
    ]
    assert json.loads(invoke("diff", run, "2", "1", "--json").stdout) == [
        {"path": "optimizer.learning_rate", "old": 0.0003, "new": 0.0001},
        {"path": "batch_size", "old": 8, "new": 4},
    ]
    assert invoke("diff", run, "2").stdout == "no differences\n"


def test_diff_across_runs(invoke: Invoke, run: str) -> None:
    assert invoke("create", "other").exit_code == 0
    assert invoke("set", "other", "seed=7").exit_code == 0
    both = json.loads(invoke("diff", f"{run}@2", "other@1", "--json").stdout)
    assert both == [
        {"path": "optimizer.learning_rate", "old": 0.0003, "new": 0.0001},
        {"path": "batch_size", "old": 8, "new": 4},
    ]
    to_head = json.loads(invoke("diff", f"{run}@1", "other", "--json").stdout)
    assert to_head == [{"path": "seed", "old": 42, "new": 7}]


def test_rollback(invoke: Invoke, db_url: str, run: str) -> None:
    result = invoke("rollback", run, "--to", "1", "-m", "undo", "--expect-revision", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"r: revision 3 (rollback) {head_hash(db_url, run)}\n"
        "  optimizer.learning_rate: 0.0003 → 0.0001\n"
        "  batch_size: 8 → 4\n"
    )
    with store.open(db_url) as opened:
        assert opened.current(run) == opened.at(run, 1)
        assert opened.head(run).message == "undo"


def test_runs(invoke: Invoke, db_url: str, run: str) -> None:
    result = invoke("runs")
    assert result.exit_code == 0
    with store.open(db_url) as opened:
        summary = opened.runs()[0]
    assert result.stdout.splitlines() == [
        "name  schema    revisions  last change           author",
        f"r     training  2          {summary.last_change[:19]}Z  ana",
    ]


def test_runs_when_there_are_none(invoke: Invoke) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("runs").stdout == "no runs\n"


def test_import_into_a_new_then_an_existing_run(
    invoke: Invoke, db_url: str, tmp_path: Path
) -> None:
    v1 = write_json(tmp_path / "v1.json", {"learning_rate": 3e-4, "gradient_checkpointing": True})
    result = invoke("import", str(v1), "r", "-m", "old file")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        '  gradient_checkpointing: "OFF" → "ON"',
        "  optimizer.learning_rate: 0.0001 → 0.0003",
    ]
    with store.open(db_url) as opened:
        assert opened.head("r").schema_version == 1
    again = write_json(tmp_path / "v3.json", {"__version": 3, "batch_size": 2, "extra": 1})
    result = invoke("import", str(again), "r")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Warning: extra was not imported (unknown key or a secret's value)\n"
    with store.open(db_url) as opened:
        assert opened.head("r").kind == "import"
        assert opened.current("r").batch_size == 2  # type: ignore[attr-defined]


def test_import_schema_version_and_strict(invoke: Invoke, db_url: str, tmp_path: Path) -> None:
    data = write_json(tmp_path / "c.json", {"save_every": 5, "extra": 1})
    strict = invoke("import", str(data), "r", "--schema-version", "2", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr == "Error: unknown keys for schema version 2: extra\n"
    result = invoke("import", str(data), "r", "--schema", "training", "--schema-version", "2")
    assert result.exit_code == 0, result.output
    with store.open(db_url) as opened:
        assert opened.head("r").schema_version == 2
        assert opened.current("r").save_every == 5  # type: ignore[attr-defined]


def test_a_preset_file_is_read_at_the_latest_version(
    invoke: Invoke, db_url: str, tmp_path: Path
) -> None:
    preset = write_json(tmp_path / "#my preset.json", {"batch_size": 2})
    result = invoke("import", str(preset), "p")
    assert result.exit_code == 0, result.output
    with store.open(db_url) as opened:
        assert opened.head("p").schema_version == 3


def test_import_many(invoke: Invoke, db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "presets"
    (folder / "sub").mkdir(parents=True)
    write_json(folder / "#sdxl 1.0 LoRA.json", {"batch_size": 2})
    write_json(folder / "sub" / "b.json", {"__version": 3, "seed": 1})
    single = write_json(tmp_path / "c.json", {"epochs": 5})
    result = invoke("import", "--many", str(folder), str(single))
    assert result.exit_code == 0, result.output
    assert [line.split()[:2] for line in result.stdout.splitlines()] == [
        ["new", "sdxl_1.0_LoRA"],
        ["new", "b"],
        ["new", "c"],
        ["3", "files:"],
    ]
    with store.open(db_url) as opened:
        assert [r.name for r in opened.runs()] == ["b", "c", "sdxl_1.0_LoRA"]
        assert opened.head("sdxl_1.0_LoRA").schema_version == 3


def test_export(invoke: Invoke, db_url: str, run: str, tmp_path: Path) -> None:
    result = invoke("export", run)
    assert result.exit_code == 0
    exported = json.loads(result.stdout)
    assert exported["__version"] == 3
    assert exported["batch_size"] == 8
    target = tmp_path / "out.json"
    assert invoke("export", run, "--rev", "1", "-o", str(target)).stdout == ""
    old = json.loads(target.read_text(encoding="utf-8"))
    assert old["batch_size"] == 4
    with store.open(db_url) as opened:
        assert old == opened.export_config(run, 1)


def test_verify(invoke: Invoke, db_url: str, run: str) -> None:
    result = invoke("verify")
    ok = "ok: 1 run(s) verified, every chain holds and replays\n"
    assert (result.exit_code, result.stdout) == (0, ok)
    good = f"{run}@2:{head_hash(db_url, run)}"
    assert invoke("verify", run, "--expect", good).exit_code == 0
    bad = invoke("verify", run, "--expect", f"{run}@2:{'0' * 64}")
    assert bad.exit_code == 1
    expected = f"r    2    expectation  hash {head_hash(db_url, run)} is not"
    assert bad.stdout.splitlines()[1].startswith(expected)


def test_db_commands(invoke: Invoke) -> None:
    upgrade = invoke("db", "upgrade")
    assert (upgrade.exit_code, upgrade.stdout) == (0, f"database at migration {HEAD}\n")
    current = invoke("db", "current")
    assert (current.exit_code, current.stdout) == (0, f"migration\n{HEAD}\n")
    assert json.loads(invoke("db", "current", "--json").stdout) == {"migration": HEAD}


def test_the_default_database_is_store_url(
    invoke: Invoke, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from store._cli import cli

    monkeypatch.setenv("STORE_URL", db_url)
    assert CliRunner().invoke(cli, ["create", "r"]).exit_code == 0
    with store.open(db_url) as opened:
        assert [r.name for r in opened.runs()] == ["r"]


def test_verify_lists_a_revision_altered_out_of_band(invoke: Invoke, db_url: str, run: str) -> None:
    if not db_url.startswith("sqlite:///"):
        pytest.skip("alters the SQLite file directly")
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        conn.execute("DROP TRIGGER revisions_no_update")
        conn.execute("UPDATE revisions SET message = 'forged' WHERE number = 1")
    conn.close()
    result = invoke("verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "run  rev  kind   problem",
        "r    1    chain  hash does not match its content and predecessor (altered, re-ordered, "
        "or inserted out of band)",
    ]


def test_db_current_reports_an_old_database_without_upgrading_it(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    engine.dispose()
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "db", "current"])
    assert (result.exit_code, result.stdout) == (0, "migration\n0001\n")
    upgraded = CliRunner().invoke(cli, ["--db", sqlite_url, "db", "upgrade"])
    assert upgraded.stdout == f"database at migration {HEAD}\n"
