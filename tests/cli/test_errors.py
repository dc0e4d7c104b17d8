"""Bad input of every kind: one `Error: …` line on stderr, exit 1 (2 for usage), no change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, snapshot


@pytest.fixture
def run(invoke: Invoke) -> str:
    """A run `r` at revision 2."""
    assert invoke("create", "r").exit_code == 0
    assert invoke("set", "r", "batch_size=8").exit_code == 0
    return "r"


def config_file(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "config.json"
    path.write_bytes(content)
    return str(path)


USER_ERRORS = [
    (("show", "nope"), "Error: no run named 'nope'"),
    (("set", "nope", "seed=1"), "Error: no run named 'nope'"),
    (("set", "r", "batch_sise=3"), "Error: unknown path 'batch_sise'; did you mean batch_size?"),
    (
        ("set", "r", "batch_size=0"),
        "Error: batch_size: 0 is invalid: Input should be greater than or equal to 1 "
        "(expected int)",
    ),
    (
        ("set", "r", "batch_size=big"),
        "Error: batch_size: 'big' is invalid: Input should be a valid integer (expected int)",
    ),
    (("set", "r", "batch_size=8"), "Error: nothing changed: run 'r' already has those values"),
    (("unset", "r", "seed"), "Error: nothing changed: run 'r' already has those values"),
    (("rollback", "r", "--to", "2"), "Error: nothing changed: run 'r' is at revision 2 already"),
    (
        ("set", "r", "seed=1", "--expect-revision", "1"),
        "Error: run 'r' is at revision 2, not the expected 1; nothing was written",
    ),
    (("show", "r", "--rev", "3"), "Error: run 'r' has revisions 1..2; there is no revision 3"),
    (("show", "r", "--rev", "0"), "Error: run 'r' has revisions 1..2; there is no revision 0"),
    (("history", "r", "--field", "bogus"), "Error: unknown path 'bogus'"),
    (("diff", "r", "0"), "Error: run 'r' has revisions 1..2; there is no revision 0"),
    (("diff", "r", "1", "3"), "Error: run 'r' has revisions 1..2; there is no revision 3"),
    (("diff", "r@1", "nope@1"), "Error: no run named 'nope'"),
    (("diff", "r", "one"), "Error: no run named 'one'"),
    (("rollback", "r", "--to", "5"), "Error: run 'r' has revisions 1..2; there is no revision 5"),
    (("export", "r", "--rev", "9"), "Error: run 'r' has revisions 1..2; there is no revision 9"),
    (("create", "r"), "Error: run 'r' already exists"),
    (
        ("create", "bad name"),
        "Error: invalid run name 'bad name': use letters, digits, '.', '_' and '-', "
        "starting with a letter or digit, at most 128 characters",
    ),
    (("create", "x", "--schema", "nope"), "Error: unknown schema 'nope'; known: "),
    (
        ("verify", "--expect", "r@2"),
        "Error: expected RUN@N:HASH with a 64-digit hex hash, got 'r@2'",
    ),
]


@pytest.mark.parametrize(("args", "error"), USER_ERRORS, ids=[" ".join(a) for a, _ in USER_ERRORS])
def test_a_user_error_is_one_line_and_changes_nothing(
    invoke: Invoke, db_url: str, run: str, args: tuple[str, ...], error: str
) -> None:
    before = snapshot(db_url)
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(error)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert snapshot(db_url) == before


FILE_ERRORS = [
    (b'{"batch_size": ', "not valid JSON: Expecting value: line 1 column 16 (char 15)"),
    (b'{"resolution": "\xff"}', "not UTF-8 text (invalid start byte at byte 16)"),
    (b"[1, 2]", None),
    (b'{"__version": "three"}', None),
    (b'{"batch_size": NaN}', None),
    (b'{"batch_size": 0}', None),
]


@pytest.mark.parametrize(
    ("content", "message"), FILE_ERRORS, ids=[c.decode(errors="replace") for c, _ in FILE_ERRORS]
)
@pytest.mark.parametrize("command", ["import", "create"])
def test_a_bad_file_is_one_line_and_changes_nothing(
    invoke: Invoke,
    db_url: str,
    run: str,
    tmp_path: Path,
    command: str,
    content: bytes,
    message: str | None,
) -> None:
    path = config_file(tmp_path, content)
    args = ("import", path, "new") if command == "import" else ("create", "new", "--from", path)
    before = snapshot(db_url)
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    if message is not None:
        assert result.stderr == f"Error: {path}: {message}\n"
    assert snapshot(db_url) == before


def test_a_file_identical_to_the_run_is_a_no_op(
    invoke: Invoke, db_url: str, run: str, tmp_path: Path
) -> None:
    exported = invoke("export", run).stdout
    path = config_file(tmp_path, exported.encode())
    before = snapshot(db_url)
    result = invoke("import", path, run)
    assert result.exit_code == 1
    assert result.stderr == "Error: nothing changed: run 'r' already has those values\n"
    assert snapshot(db_url) == before


USAGE_ERRORS = [
    ("set", "r", "batch_size"),
    ("set", "r", "=3"),
    ("set", "r"),
    ("set",),
    ("unset", "r"),
    ("rollback", "r"),
    ("show", "r", "--rev", "two"),
    ("diff", "r@1", "r@2", "3"),
    ("import", "only-one-argument"),
    ("import", "--many", "no/such/folder"),
    ("create", "x", "--from", "no/such/file.json"),
    ("history", "r", "--limit", "0"),
    ("frobnicate",),
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_a_usage_error_exits_2_and_changes_nothing(
    invoke: Invoke, db_url: str, run: str, args: tuple[str, ...]
) -> None:
    before = snapshot(db_url)
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output
    assert snapshot(db_url) == before


def test_a_file_that_is_not_a_database(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "not.db"
    path.write_bytes(b"this is not a database, only text" * 100)
    before = path.read_bytes()
    from click.testing import CliRunner

    from store._cli import cli

    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "runs"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: database sqlite:///{path}: file is not a database\n"
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("sqlite:///{tmp}/missing/store.db", "Error: cannot open database sqlite:///{tmp}/missing"),
        ("nosuchdb://x", "Error: unsupported database 'nosuchdb'"),
        ("not a url", "Error: no database at not a url"),  # a plain path: a SQLite file's
        (
            "postgresql+psycopg://u:secret@127.0.0.1:1/x",
            "Error: database postgresql+psycopg://u:***@",
        ),
    ],
)
def test_an_unreachable_database(
    tmp_path: Path, url: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from store._cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", url.format(tmp=tmp_path), "runs"])
    assert result.exit_code == 1
    assert result.stderr.startswith(error.format(tmp=tmp_path))
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "missing").exists()
