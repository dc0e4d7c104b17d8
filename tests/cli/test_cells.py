"""What `--format csv` and `--format md` cells hold (plain values, a formula neutralised as
OWASP says), and what tables escape (every control character and bidi override)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import store
from store._cli._output import Lines, plain_cell
from tests.cli.conftest import Invoke
from tests.cli.test_executable import run_store

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
"""Text a spreadsheet would run as a formula."""


def rows(invoke: Invoke, *args: str) -> list[list[str]]:
    """What `store ARGS… --format csv` prints, parsed."""
    result = invoke(*args, "--format", "csv")
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.stdout)))


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_cell_that_starts_a_formula_gets_a_quote(text: str) -> None:
    assert plain_cell(text) == "'" + text.replace("\t", "\\t").replace("\r", "\\r")
    assert plain_cell(Lines([text, "=2"])) == plain_cell(text) + "\n=2"


@pytest.mark.parametrize("number", [-3, -1e-4, 0, 3e-4, 2**70, -3.5])
def test_a_number_stays_a_number(number: float) -> None:
    assert plain_cell(number) == number
    assert plain_cell(str(number)) == str(number)  # text that is a number is no formula


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("FINE_TUNE", "FINE_TUNE"),
        ("512", "512"),
        (True, "true"),
        (None, "null"),
        (["a", 1], '["a", 1]'),
        ({"k": "=x"}, '{"k": "=x"}'),
        (float("-inf"), "'-Infinity"),
        ("-", "'-"),
        ("1e5+1", "1e5+1"),
        ("-1e5+1", "'-1e5+1"),
        ("a\u202eb\x9b\x1b[31m", "a\\u202eb\\x9b\\x1b[31m"),
    ],
)
def test_other_cells_are_plain_text(value: object, cell: str) -> None:
    assert plain_cell(value) == cell


def test_csv_cells_hold_plain_values_and_tags_have_a_column(invoke: Invoke) -> None:
    assert invoke("create", "a", "-m", "=1+1", "--author", "@ana").exit_code == 0
    assert invoke("set", "a", "model=FINE_TUNE", "seed=-3", "-m", "-2+3").exit_code == 0
    assert invoke("tag", "a@1", "good").exit_code == 0
    shown = dict(rows(invoke, "show", "a")[1:])
    assert (shown["model"], shown["seed"], shown["ema"]) == ("FINE_TUNE", "-3", "false")
    assert shown["optimizer.learning_rate"] == "0.0001"
    history = rows(invoke, "history", "a")
    assert history[0] == ["rev", "tags", "time", "author", "kind", "message", "changes"]
    assert [r[:2] for r in history[1:]] == [["2", ""], ["1", "good"]]
    assert (history[1][5], history[2][3], history[2][5]) == ("'-2+3", "'@ana", "'=1+1")
    assert history[1][6] == 'model: "stable-diffusion-1.5" → "FINE_TUNE"\nseed: 42 → -3'
    logged = rows(invoke, "log")
    assert logged[0][:3] == ["run", "rev", "tags"] and logged[2][:3] == ["a", "1", "good"]
    assert (logged[2][4], logged[2][6]) == ("'@ana", "'=1+1")
    assert rows(invoke, "runs")[1][4] == "ana"  # the newest author
    assert rows(invoke, "diff", "a", "1") == [
        ["path", "old", "new"],
        ["model", "stable-diffusion-1.5", "FINE_TUNE"],
        ["seed", "42", "-3"],
    ]
    assert rows(invoke, "compare", "a@1", "a", "--only-changed")[1] == [
        "model",
        "stable-diffusion-1.5",
        "FINE_TUNE",
    ]
    assert rows(invoke, "tags", "a")[1][:2] == ["good", "1"]
    md = invoke("history", "a", "--format", "md").stdout.splitlines()
    assert md[3].startswith("| 1 | good | ") and "| '@ana | create | '=1+1 |" in md[3]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_formula_is_neutralised_in_values_messages_and_authors(
    invoke: Invoke, db_url: str, text: str
) -> None:
    assert invoke("create", "a", "-m", text, "--author", text).exit_code == 0
    assert invoke("set", "a", f"model={text}", "-m", text, "--author", text).exit_code == 0
    with store.open(db_url) as opened:
        assert opened.current("a").model == text  # stored as given
    cell = plain_cell(text)
    assert cell.startswith("'")
    assert dict(rows(invoke, "show", "a")[1:])["model"] == cell
    assert rows(invoke, "diff", "a", "1")[1] == ["model", "stable-diffusion-1.5", cell]
    for row in rows(invoke, "history", "a")[1:]:
        assert (row[3], row[5]) == (cell, cell)
    assert all(row[4] == cell for row in rows(invoke, "log")[1:])
    assert rows(invoke, "runs")[1][4] == cell
    for line in invoke("history", "a", "--format", "md").stdout.splitlines()[2:]:
        assert f"| {cell} | " in line


def test_csv_through_the_installed_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert run_store("--db", url, "create", "r", "-m", "@boom", cwd=tmp_path).returncode == 0
    assert run_store("--db", url, "set", "r", "model==cmd()", cwd=tmp_path).returncode == 0
    shown = run_store("--db", url, "show", "r", "--format", "csv", cwd=tmp_path)
    assert "model,'=cmd()\n" in shown.stdout and "batch_size,4\n" in shown.stdout
    history = run_store("--db", url, "history", "r", "--format", "csv", cwd=tmp_path).stdout
    assert history.splitlines()[-1].startswith("1,,") and ",'@boom," in history


BIDI = "safe\u202eexe.txt\x9b31m\u2066x\u200f"
"""A right-to-left override, a C1 control sequence introducer, an isolate and a mark."""


def test_control_characters_in_values_print_escaped_in_tables(invoke: Invoke) -> None:
    assert invoke("create", "a").exit_code == 0
    assert invoke("set", "a", f"model={BIDI}", "-m", f"m{BIDI}").exit_code == 0
    escaped = "safe\\u202eexe.txt\\x9b31m\\u2066x\\u200f"
    for args in (
        ("show", "a"),
        ("diff", "a", "1"),
        ("history", "a"),
        ("log",),
        ("show", "a", "--explain"),
    ):
        out = invoke(*args).stdout
        assert escaped in out, args
        assert not any(c in out for c in "\u202e\x9b\u2066\u200f"), args
    for form in ("md", "csv"):
        out = invoke("history", "a", "--format", form).stdout
        assert escaped in out and "\u202e" not in out
    assert json.loads(invoke("show", "a", "--json").stdout)["model"] == BIDI
