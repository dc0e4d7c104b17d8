"""Issue 15: `import --many` as one step (names checked first, resumable, repeatable, dry
run, quiet), the right schema by itself, and files without `"__version"` that fit a later
version. Through the API, the CLI (CliRunner) and the installed `store` executable."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import store
from tests.files.conftest import invoke, run_store

DATA = Path(__file__).parent.parent / "data" / "onetrainer"
PRESETS = DATA / "training_presets"


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def history_sizes(url: str) -> dict[str, int]:
    with store.open(url) as opened:
        return {r.name: r.revisions for r in opened.runs()}


# -- the right schema by itself -----------------------------------------------------------


def test_the_onetrainer_presets_go_to_the_onetrainer_schema_by_themselves(db_url: str) -> None:
    result = invoke(db_url, "import", "--many", str(PRESETS))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "60 files: 60 new, 0 updated, 0 unchanged"
    warnings = result.stderr.splitlines()
    assert len(warnings) == 20  # the stale top-level weight_dtype of 20 presets, by file
    assert all(w.startswith(f"Warning: {PRESETS}/") for w in warnings)
    assert all(w.endswith(": weight_dtype was not imported (unknown key or a secret's value)")
               for w in warnings)  # fmt: skip
    with store.open(db_url) as opened:
        runs = opened.runs()
        assert {r.schema for r in runs} == {"onetrainer"}
        assert opened.head("sdxl_1.0_LoRA").schema_version == 11


def test_create_from_detects_the_schema_and_a_plain_file_stays_training(
    db_url: str, tmp_path: Path
) -> None:
    preset = shutil.copy(PRESETS / "SDXL" / "#sdxl 1.0 LoRA.json", tmp_path / "#sdxl.json")
    assert invoke(db_url, "create", "ot", "--from", str(preset)).exit_code == 0
    plain = write(tmp_path / "plain.json", {"__version": 3, "batch_size": 2})
    assert invoke(db_url, "import", str(plain), "tr").exit_code == 0
    with store.open(db_url) as opened:
        assert [(r.name, r.schema) for r in opened.runs()] == [
            ("ot", "onetrainer"),
            ("tr", "training"),
        ]


class Claims(BaseModel):
    model_type: str = ""
    training_method: str = ""
    base_model_name: str = ""


class Other(BaseModel):
    alpha: int = 0
    beta: int = 0
    gamma: int = 0


def test_two_claims_or_a_far_better_fit_stop_and_name_the_candidates(
    db_url: str, tmp_path: Path
) -> None:
    store.register_schema(
        store.Schema("claims_too", [store.SchemaVersion(1, Claims)], detect=lambda d: True)
    )
    store.register_schema(store.Schema("other_fit", [store.SchemaVersion(1, Other)]))
    try:
        preset = shutil.copy(PRESETS / "SDXL" / "#sdxl 1.0 LoRA.json", tmp_path / "#a.json")
        both = invoke(db_url, "import", str(preset), "a")
        assert (both.exit_code, both.stderr) == (
            1,
            "Error: the file fits schemas claims_too, onetrainer: say which with --schema NAME\n",
        )
        assert invoke(db_url, "import", str(preset), "a", "--schema", "onetrainer").exit_code == 0
    finally:
        store._registry._registered.pop("claims_too")
    try:
        other = write(tmp_path / "o.json", {"alpha": 1, "beta": 2, "gamma": 3})
        far = invoke(db_url, "import", str(other), "o")
        assert (far.exit_code, far.stderr) == (
            1,
            "Error: the file fits schema other_fit far better than 'training' "
            "(0% of its keys known): say which with --schema NAME\n",
        )
        assert invoke(db_url, "import", str(other), "o", "--schema", "other_fit").exit_code == 0
    finally:
        store._registry._registered.pop("other_fit")
    assert sorted(history_sizes(db_url)) == ["a", "o"]


# -- one step: names, errors by file, resumable, repeatable --------------------------------


def test_run_names_that_collide_are_refused_before_anything_is_written(
    db_url: str, tmp_path: Path
) -> None:
    for name in ("a b.json", "a_b.json", "#a b.json"):
        write(tmp_path / "in" / name, {"seed": 1})
    result = invoke(db_url, "import", "--many", str(tmp_path / "in"))
    folder = tmp_path / "in"
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: files {folder}/#a b.json, {folder}/a b.json, {folder}/a_b.json "
        "would all become run 'a_b': rename all but one\n"
    )
    assert history_sizes(db_url) == {}


def test_a_bad_file_names_itself_and_nothing_is_written(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.json", {"seed": 1})
    write(folder / "b.json", {"seed": "many"})
    result = invoke(db_url, "import", "--many", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {folder}/b.json: ")
    assert "seed" in result.stderr
    assert history_sizes(db_url) == {}
    (folder / "c.json").write_text("{nope", encoding="utf-8")
    broken = invoke(db_url, "import", "--many", str(folder))
    first, second = broken.stderr.splitlines()  # every failing file, in one run
    assert first.startswith(f"Error: {folder}/b.json: seed: ")
    assert second.startswith(f"Error: {folder}/c.json: not valid JSON")


def test_sync_is_repeatable_and_brings_a_folder_up_to_date(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for i in range(3):
        write(folder / f"cfg_{i}.json", {"__version": 3, "seed": i})
    first = invoke(db_url, "import", "--many", str(folder), "-m", "first")
    assert first.stdout.splitlines()[-1] == "3 files: 3 new, 0 updated, 0 unchanged"
    write(folder / "cfg_1.json", {"__version": 3, "seed": 100})
    write(folder / "cfg_3.json", {"__version": 3, "epochs": 7})
    again = invoke(db_url, "import", "--many", str(folder))
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        f"unchanged  cfg_0              {folder}/cfg_0.json",
        f"updated    cfg_1  revision 2  {folder}/cfg_1.json",
        f"unchanged  cfg_2              {folder}/cfg_2.json",
        f"new        cfg_3  revision 1  {folder}/cfg_3.json",
        "4 files: 1 new, 1 updated, 2 unchanged",
    ]
    assert history_sizes(db_url) == {"cfg_0": 1, "cfg_1": 2, "cfg_2": 1, "cfg_3": 1}
    with store.open(db_url) as opened:
        assert opened.head("cfg_1").kind == "import"
        assert opened.export_config("cfg_1")["seed"] == 100
    same = invoke(db_url, "import", "--many", str(folder), "--quiet")
    assert (same.exit_code, same.stdout) == (0, "4 files: 0 new, 0 updated, 4 unchanged\n")


def test_dry_run_says_what_it_would_do_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.json", {"seed": 1})
    result = invoke(db_url, "import", "--many", str(folder), "--dry-run", "-q")
    assert (result.exit_code, result.stdout) == (
        0,
        "1 files: 1 new, 0 updated, 0 unchanged (dry run: nothing written)\n",
    )
    assert history_sizes(db_url) == {}
    with store.open(db_url) as opened:
        done = opened.import_files([folder], dry_run=True)
        assert [(d.run, d.status) for d in done] == [("a", "new")]
        assert opened.runs() == []


def test_the_api_reports_each_file(db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "x.json", {"__version": 3, "seed": 1, "stale": 2})
    seen: list[Path] = []
    with store.open(db_url) as opened:
        (done,) = opened.import_files([folder], progress=seen.append)
        assert (done.path, done.run, done.status, done.skipped) == (
            folder / "x.json", "x", "new", ("stale",)
        )  # fmt: skip
        assert done.revision is not None and done.revision.number == 1
        assert seen == [folder / "x.json"]
        (again,) = opened.import_files([folder])
        assert (again.status, again.revision) == ("unchanged", None)


def test_resumes_after_the_process_was_killed(db_url: str, tmp_path: Path) -> None:
    """A kill during the one transaction leaves nothing; the next run does everything."""
    folder = tmp_path / "in"
    for i in range(3):
        write(folder / f"k{i}.json", {"seed": i})

    def killed(path: Path) -> None:
        if path.name == "k1.json":
            raise KeyboardInterrupt

    with store.open(db_url) as opened, pytest.raises(KeyboardInterrupt):
        opened.import_files([folder], progress=killed)
    assert history_sizes(db_url) == {}
    result = invoke(db_url, "import", "--many", str(folder), "-q")
    assert result.stdout == "3 files: 3 new, 0 updated, 0 unchanged\n"


def test_the_installed_executable_keeps_the_presets_in_sync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    first = run_store("--db", url, "import", "--many", str(PRESETS), "--quiet", cwd=tmp_path)
    assert (first.returncode, first.stdout, first.stderr) == (
        0,
        "60 files: 60 new, 0 updated, 0 unchanged\n",
        "",
    )
    again = run_store("--db", url, "import", "--many", str(PRESETS), "-q", cwd=tmp_path)
    assert again.stdout == "60 files: 0 new, 0 updated, 60 unchanged\n"
    with store.open(url) as opened:
        assert {r.schema for r in opened.runs()} == {"onetrainer"}
    copied = shutil.copy(PRESETS / "SDXL" / "#sdxl 1.0 LoRA.json", tmp_path / "mine.json")
    renamed = run_store("--db", url, "import", str(copied), "mine", cwd=tmp_path)
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.stderr == (
        'Warning: the file has no "__version" and versions 8 to 11 hold every key and value it '
        "has: read at version 11\n"
    )
    with store.open(url) as opened:
        assert opened.read("mine").config_hash == opened.read("sdxl_1.0_LoRA").config_hash


# -- a file without "__version" -------------------------------------------------------------


class OptimV1(BaseModel):
    lr: float = 0.1


class Optim(BaseModel):
    lr: float = 0.01


class MineV2(BaseModel):
    optim: Optim = Optim()


MINE = store.Schema(
    "mine_issue15",
    [store.SchemaVersion(1, OptimV1), store.SchemaVersion(2, MineV2)],
    [store.Upcaster(1, [store.Rename("lr", "optim.lr")])],
)


@pytest.fixture
def mine() -> Iterator[store.Schema]:
    """A user's schema, registered for one test."""
    yield store.register_schema(MINE)
    store._registry._registered.pop(MINE.name)


def test_a_file_without_version_that_fits_a_later_one_is_refused(
    db_url: str, tmp_path: Path, mine: store.Schema
) -> None:
    today = write(tmp_path / "today.json", {"optim": {"lr": 0.02}})
    result = invoke(db_url, "import", str(today), "r", "--schema", "mine_issue15")
    assert (result.exit_code, result.stderr) == (
        1,
        'Error: the file has no "__version" and version 1 cannot hold optim.lr, '
        "but version 2 holds every key and value it has: say which with --schema-version N\n",
    )
    assert history_sizes(db_url) == {}
    told = invoke(db_url, "import", str(today), "r", "--schema", "mine_issue15",
                  "--schema-version", "2")  # fmt: skip
    assert told.exit_code == 0, told.output
    with store.open(db_url) as opened:
        assert opened.export_config("r") == {"__version": 2, "optim": {"lr": 0.02}}
        with pytest.raises(store.InvalidConfigFile, match="version 2 holds every key"):
            opened.import_config("r2", {"optim": {"lr": 0.02}}, schema="mine_issue15")
    strict = invoke(db_url, "import", str(today), "s", "--schema", "mine_issue15", "--strict")
    assert strict.stderr == result.stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--many", ".", "--format", "yaml"), "--format goes with FILE RUN; --many reads each"),
        (("a.json", "a", "--dry-run"), "--dry-run, --quiet and --archive-missing go with --many"),
        (("a.json", "a", "--quiet"), "--dry-run, --quiet and --archive-missing go with --many"),
        (("a.json", "a", "--archive-missing"), "--dry-run, --quiet and --archive-missing go"),
    ],
)
def test_options_of_the_other_mode_are_usage_errors(
    db_url: str, args: tuple[str, ...], error: str
) -> None:
    result = invoke(db_url, "import", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"Error: {error}")
    assert history_sizes(db_url) == {}
