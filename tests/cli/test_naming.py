"""References, tags, fork, archive, compare, log, `runs --where` and output formats on the
command line: what a person sees, then the state read back through the library."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

import store
from tests.cli.conftest import Invoke
from tests.cli.test_executable import run_store
from tests.conftest import dump_database


@pytest.fixture
def runs(invoke: Invoke) -> None:
    """Run `a` at revision 3 (batch size 8, then 7 epochs), run `b` at revision 1."""
    for args in (
        ("create", "a", "-m", "first"),
        ("set", "a", "batch_size=8"),
        ("set", "a", "epochs=7"),
        ("create", "b"),
    ):
        assert invoke(*args).exit_code == 0


def hash_of(url: str, ref: str) -> str:
    with store.open(url) as opened:
        return opened.read(ref).hash


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize("ref", ["a@2", "a@head~1", "a@baseline"])
def test_show_and_export_read_a_reference(invoke: Invoke, db_url: str, ref: str) -> None:
    assert invoke("tag", "a@2", "baseline").exit_code == 0
    shown = invoke("show", ref)
    assert shown.exit_code == 0, shown.output
    with store.open(db_url) as db:
        config_hash = db.read("a@2").config_hash
    header = f"a @ revision 2  {hash_of(db_url, 'a@2')}  config {config_hash}"
    assert shown.stdout.splitlines()[0] == header
    assert "batch_size               8" in shown.stdout
    exported = invoke("export", ref)
    assert json.loads(exported.stdout)["epochs"] == 100
    explained = invoke("show", ref, "--explain", "--json")
    assert {"path": "batch_size", "revision": 2}.items() <= json.loads(explained.stdout)[4].items()


@pytest.mark.usefixtures("runs")
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("show", "a@9"), "Error: run 'a' has revisions 1..3; there is no revision 9"),
        (("show", "a@nope"), "Error: a@nope: run 'a' has no tag 'nope'"),
        (
            ("export", "a@head~3"),
            "Error: a@head~3: run 'a' has 3 revision(s); there is nothing 3 before the head",
        ),
        (
            ("show", "a@2000-01-01T00:00:00Z"),
            "Error: a@2000-01-01T00:00:00Z: run 'a' had no revision yet at that time",
        ),
        (("diff", "a", "c@1"), "Error: no run named 'c'"),
        (
            ("compare", "a", "a@x y"),
            "Error: cannot read reference 'a@x y': after '@' give a revision number, head, "
            "head~K, a tag or an ISO 8601 UTC time such as 2026-11-30T12:00:00Z",
        ),
        (
            ("tag", "a", "head"),
            "Error: invalid tag name 'head': a tag cannot be a number, head, head~K or a time",
        ),
        (("fork", "a", "b"), "Error: run 'b' already exists"),
    ],
)
def test_a_reference_that_does_not_resolve_says_why(
    invoke: Invoke, db_url: str, args: tuple[str, ...], line: str
) -> None:
    before = dump_database(db_url)
    result = invoke(*args)
    assert (result.exit_code, result.stderr) == (1, line + "\n")
    assert dump_database(db_url) == before


@pytest.mark.usefixtures("runs")
def test_diff_compares_two_references_or_revisions_of_a_run(invoke: Invoke) -> None:
    heads = invoke("diff", "a", "b")
    assert heads.exit_code == 0, heads.output
    assert heads.stdout.splitlines() == [
        "path        old  new",
        "batch_size  8    4",
        "epochs      7    100",
    ]
    assert invoke("diff", "a", "1").stdout == invoke("diff", "a@1", "a").stdout
    assert (
        invoke("diff", "a", "1", "2", "--json").stdout
        == invoke("diff", "a@1", "a@head~1", "--json").stdout
    )


@pytest.mark.usefixtures("runs")
def test_compare_puts_references_side_by_side(invoke: Invoke) -> None:
    result = invoke("compare", "a@1", "a@2", "a", "b", "--only-changed")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "path        a@1  a@2  a  b",
        "batch_size  4    8    8  4",
        "epochs      100  100  7  100",
    ]
    picked = json.loads(invoke("compare", "a", "b", "--field", "seed", "--json").stdout)
    assert picked == {"columns": ["a", "b"], "rows": [{"path": "seed", "values": [42, 42]}]}
    whole = json.loads(invoke("compare", "a", "b", "--format", "json").stdout)
    assert len(whole["rows"]) == 11
    same = invoke("compare", "a@1", "b", "--only-changed")
    assert same.stdout == "no differences\n"


@pytest.mark.usefixtures("runs")
def test_tags_are_named_listed_and_moved_only_with_force(invoke: Invoke, db_url: str) -> None:
    made = invoke("tag", "a@2", "baseline", "-m", "the baseline")
    assert (made.exit_code, made.stdout) == (0, "a@2: tagged baseline\n")
    refused = invoke("tag", "a", "baseline")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: tag 'baseline' names a@2; moving it to 3 needs --force\n",
    )
    assert invoke("tag", "a", "baseline", "--force").stdout == "a@3: tagged baseline\n"
    listed = json.loads(invoke("tags", "a", "--json").stdout)
    assert [list(t) for t in listed] == [["name", "revision", "time", "author", "message"]]
    assert (listed[0]["name"], listed[0]["revision"], listed[0]["author"]) == ("baseline", 3, "ana")
    moves = json.loads(invoke("tags", "a", "--history", "--json").stdout)
    assert [(t["revision"], t["message"]) for t in moves] == [(2, "the baseline"), (3, "")]
    assert invoke("tags", "b").stdout == "run 'b' has no tags\n"
    with store.open(db_url) as opened:
        assert opened.resolve("a@baseline") == ("a", 3)


@pytest.mark.usefixtures("runs")
def test_history_shows_tags_and_rollback_targets(invoke: Invoke) -> None:
    assert invoke("tag", "a@2", "baseline").exit_code == 0
    assert invoke("rollback", "a", "--to", "1").exit_code == 0
    lines = invoke("history", "a").stdout.splitlines()
    assert lines[1].split()[:4] == ["4", lines[1].split()[1], "ana", "rollback"]
    assert "rollback to 1" in lines[1]
    assert any(line.startswith("2 [baseline]") for line in lines)
    newest, *_ = json.loads(invoke("history", "a", "--json").stdout)
    assert (newest["kind"], newest["rollback_to"]) == ("rollback", 1)
    second = json.loads(invoke("history", "a", "--json").stdout)[2]
    assert second["tags"] == ["baseline"]


@pytest.mark.usefixtures("runs")
def test_fork_makes_a_run_equal_to_the_reference(invoke: Invoke, db_url: str) -> None:
    result = invoke("fork", "a@2", "c", "-m", "try a smaller lr")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"c: revision 1 (create) {hash_of(db_url, 'c')}",
        "  batch_size: 4 → 8",
    ]
    assert invoke("diff", "a@2", "c").stdout == "no differences\n"
    assert invoke("show", "c").stdout.splitlines()[0].endswith("(fork of a@2)")
    listed = {r["name"]: r["forked_from"] for r in json.loads(invoke("runs", "--json").stdout)}
    assert listed == {"a": None, "b": None, "c": "a@2"}
    with store.open(db_url) as opened:
        assert opened.head("c").message == "try a smaller lr"


@pytest.mark.usefixtures("runs")
def test_an_archived_run_is_hidden_and_refuses_writes(invoke: Invoke, db_url: str) -> None:
    archived = invoke("archive", "b", "-m", "wrong run")
    assert archived.exit_code == 0
    assert archived.stdout.startswith("b: archived by ana at ")
    assert [line.split()[0] for line in invoke("runs").stdout.splitlines()] == ["name", "a"]
    every = invoke("runs", "--all").stdout.splitlines()
    assert every[2].startswith("b (archived)  training  1")
    before = dump_database(db_url)
    refused = invoke("set", "b", "seed=3")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: run 'b' is archived: unarchive it to write to it\n",
    )
    assert dump_database(db_url) == before
    assert invoke("show", "b").exit_code == 0
    assert invoke("verify", "b").exit_code == 0
    again = invoke("archive", "b")
    assert again.stderr == "Error: nothing changed: run 'b' is archived already\n"
    assert invoke("unarchive", "b").stdout.startswith("b: unarchived by ana at ")
    assert invoke("set", "b", "seed=3").exit_code == 0


@pytest.mark.usefixtures("runs")
def test_log_lists_every_run_newest_first(invoke: Invoke) -> None:
    result = invoke("log", "--limit", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["run", "rev", "time", "author", "kind", "message", "changes"]
    assert [(line.split()[0], line.split()[1]) for line in lines[1:]] == [
        ("b", "1"),
        ("a", "3"),
        ("a", "2"),
    ]
    only_a = json.loads(invoke("log", "--run", "a*", "--author", "ana", "--json").stdout)
    assert [(r["run"], r["revision"]) for r in only_a] == [("a", 3), ("a", 2), ("a", 1)]
    assert list(only_a[0])[:2] == ["run", "revision"]
    later = invoke("log", "--since", "2999-01-01T00:00:00Z")
    assert later.stdout == "no revisions\n"
    bad = invoke("log", "--until", "soon")
    assert bad.stderr == "Error: 'soon' is not a time such as 2026-11-30T12:00:00Z\n"


@pytest.mark.usefixtures("runs")
def test_runs_where_and_schema(invoke: Invoke) -> None:
    def names(*args: str) -> list[str]:
        return [r["name"] for r in json.loads(invoke("runs", *args, "--json").stdout)]

    assert names("--where", "batch_size=8") == ["a"]
    assert names("--where", "batch_size>=4", "--where", "epochs<100") == ["a"]
    assert names("--where", "resolution=512", "--where", "batch_size!=8") == ["b"]
    assert names("--schema", "onetrainer") == []
    refused = invoke("runs", "--where", "batch_sise=8")
    assert refused.stderr == "Error: unknown path 'batch_sise'; did you mean batch_size?\n"


@pytest.mark.usefixtures("runs")
def test_every_read_command_prints_markdown_and_csv(invoke: Invoke) -> None:
    md = invoke("compare", "a", "b", "--only-changed", "--format", "md")
    assert md.stdout == (
        "| path | a | b |\n|---|---|---|\n| batch_size | 8 | 4 |\n| epochs | 7 | 100 |\n"
    )
    history = invoke("history", "a", "--format", "md").stdout.splitlines()
    assert history[0] == "| rev | tags | time | author | kind | message | changes |"
    assert history[2].startswith("| 3 |  | ")
    assert history[2].endswith("| update |  | epochs: 100 → 7 |")
    shown = invoke("show", "a", "--format", "md").stdout
    assert shown.startswith("**a @ revision 3  ")
    rows = list(csv.reader(io.StringIO(invoke("runs", "--format", "csv").stdout)))
    assert rows[0] == ["name", "schema", "revisions", "last change", "author"]
    assert [r[0] for r in rows[1:]] == ["a", "b"]
    for command in (("runs",), ("show", "a"), ("history", "a"), ("diff", "a", "b")):
        for form in ("md", "csv"):
            assert invoke(*command, "--format", form).exit_code == 0
    assert invoke("runs", "--format", "xml").exit_code == 2


def test_a_long_value_is_never_cut_short(invoke: Invoke) -> None:
    long = "x" * 300
    assert invoke("create", "a").exit_code == 0
    assert invoke("set", "a", f"model={long}").exit_code == 0
    assert json.dumps(long) in invoke("show", "a").stdout
    assert json.dumps(long) in invoke("compare", "a", "a@1", "--only-changed").stdout


def test_a_long_value_wraps_in_a_terminal_table(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("create", "a").exit_code == 0
    assert invoke("set", "a", f"model={'x' * 120}").exit_code == 0
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "60")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", invoke("show", "a").stdout)
    assert "━" in shown and max(len(line) for line in shown.splitlines()[1:]) <= 60
    assert re.sub(r"[^x]", "", shown).count("x") == 120


def test_references_through_the_installed_executable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    for args in (("create", "a"), ("set", "a", "seed=1"), ("create", "b"), ("tag", "a@1", "base")):
        assert run_store("--db", url, *args, cwd=tmp_path).returncode == 0
    diff = run_store("--db", url, "diff", "a", "b", cwd=tmp_path)
    assert (diff.returncode, diff.stdout) == (0, "path  old  new\nseed  1    42\n")
    shown = run_store("--db", url, "show", "a@base", "--json", cwd=tmp_path)
    assert json.loads(shown.stdout)["seed"] == 42
    missing = run_store("--db", url, "show", "a@nope", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (1, "Error: a@nope: run 'a' has no tag 'nope'\n")
