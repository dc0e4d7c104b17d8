"""Issue 15: JSON, TOML and YAML in and out (by extension or `--format`), `-` for standard
input and output, duplicate keys refused in YAML, null refused by TOML, and export then
import identical in every format for every full OneTrainer dump."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import store
from tests.files.conftest import invoke, run_store

DUMPS = sorted(
    p
    for p in (Path(__file__).parent.parent / "data" / "onetrainer" / "fulldumps").rglob("*.json")
    if "__head" not in p.name
)
FORMATS = ("json", "toml", "yaml")


def test_toml_and_yaml_files_by_extension(db_url: str, tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("__version = 3\nbatch_size = 2\n[optimizer]\nlearning_rate = 0.0003\n")
    yaml = tmp_path / "d.yaml"
    yaml.write_text("__version: 3\nbatch_size: 5\nresolution: '768'\n")
    assert invoke(db_url, "import", str(toml), "t").exit_code == 0
    assert invoke(db_url, "create", "y", "--from", str(yaml)).exit_code == 0
    with store.open(db_url) as opened:
        assert opened.export_config("t")["optimizer"]["learning_rate"] == 0.0003
        assert opened.export_config("y")["resolution"] == "768"


def test_stdin_and_stdout_with_format(db_url: str) -> None:
    piped = invoke(db_url, "import", "-", "s", stdin='{"__version": 3, "epochs": 9}')
    assert piped.exit_code == 0, piped.output
    created = invoke(db_url, "create", "y", "--from", "-", "--format", "yaml", stdin="epochs: 8\n")
    assert created.exit_code == 0, created.output
    out = invoke(db_url, "export", "s", "--format", "toml", "-o", "-")
    assert out.exit_code == 0
    assert "epochs = 9\n" in out.stdout
    assert "[optimizer]\n" in out.stdout
    yaml_out = invoke(db_url, "export", "y", "--format", "yaml")
    assert "epochs: 8\n" in yaml_out.stdout


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("a.yaml", "epochs: 1\nepochs: 2\n", "key 'epochs' appears twice in one mapping"),
        ("a.yaml", "epochs: .nan\n", "nan is refused (not a finite number)"),
        ("a.yaml", "epochs: 2026-11-30\n", "datetime.date(2026, 11, 30) is a date"),
        ("a.yaml", "epochs: [\n", "not valid YAML"),
        ("a.yaml", "1: 2\n", "key 1 is not a string"),
        ("a.yaml", "a: &x [1]\nb: *x\n", "YAML aliases (*name) are refused"),
        ("a.toml", "epochs = 1\nepochs = 2\n", "not valid TOML"),
        ("a.toml", "epochs = nan\n", "nan is refused (not a finite number)"),
        ("c.toml", '{"epochs": 1}', "not valid TOML"),
    ],
)
def test_bad_toml_and_yaml_are_refused_naming_the_file(
    db_url: str, tmp_path: Path, name: str, text: str, error: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke(db_url, "import", str(path), "r")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: ")
    assert error in result.stderr
    with store.open(db_url) as opened:
        assert opened.runs() == []


def test_a_null_toml_cannot_hold_is_refused_on_export(db_url: str, tmp_path: Path) -> None:
    with store.open(db_url) as opened:
        opened.import_config("r", {"clip_grad_norm": None}, schema="onetrainer", preset=True)
    result = invoke(db_url, "export", "r", "-o", str(tmp_path / "r.toml"))
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: clip_grad_norm is null (or holds one), which TOML cannot hold; "
        "export as JSON or YAML\n",
    )
    assert not (tmp_path / "r.toml").exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dump", DUMPS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_export_then_import_is_identical_for_every_full_onetrainer_dump(
    tmp_path: Path, dump: Path, fmt: str
) -> None:
    """Identical in JSON and YAML; in TOML wherever the config holds no null other than a
    field's default (the `edit-b` and TrainArgs-era dumps set optimizer fields to null),
    which is refused with a line naming the field."""
    with store.open(f"sqlite:///{tmp_path / 's.db'}") as opened:
        opened.import_config("a", json.loads(dump.read_text()), schema="onetrainer")
        exported = opened.export_config("a")
        try:
            text = opened.export_text("a", format=fmt)
        except store.InvalidConfigFile as exc:
            assert fmt == "toml"
            assert dump.stem == "edit-b" or dump.parent.name in ("v0-trainargs", "probes")
            assert str(exc).endswith("is null (or holds one), which TOML cannot hold; "
                                     "export as JSON or YAML")  # fmt: skip
            return
        path = tmp_path / f"b.{fmt}"
        path.write_text(text, encoding="utf-8")
        (done,) = opened.import_files([path])
        assert (done.run, done.status, done.skipped) == ("b", "new", ())
        assert opened.export_config("b") == exported


def test_the_installed_executable_round_trips_through_yaml_and_toml(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert run_store("--db", url, "create", "r", cwd=tmp_path).returncode == 0
    for fmt in ("yaml", "toml"):
        out = tmp_path / f"r.{fmt}"
        assert run_store("--db", url, "export", "r", "-o", str(out), cwd=tmp_path).returncode == 0
        back = run_store("--db", url, "import", str(out), f"r_{fmt}", cwd=tmp_path)
        assert back.returncode == 0, back.stderr
    with store.open(url) as opened:
        assert opened.current("r") == opened.current("r_yaml") == opened.current("r_toml")
