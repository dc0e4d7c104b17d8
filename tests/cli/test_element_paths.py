"""OneTrainer's concepts and samples through the command line: edited by element path, checked,
and audited at their finest path; imports list only what moved."""

from __future__ import annotations

import json

import pytest

import store
from tests.cli.conftest import Invoke
from tests.conftest import dump_database

TWO = '[{"name":"a","path":"/d/a"},{"name":"b","path":"/d/b"}]'


@pytest.fixture
def run(invoke: Invoke) -> str:
    """A OneTrainer run whose revision 2 holds two concepts."""
    assert invoke("create", "r", "--schema", "onetrainer").exit_code == 0
    assert invoke("set", "r", f"concepts={TWO}").exit_code == 0
    return "r"


def test_one_concept_value_is_set_by_its_path(invoke: Invoke, run: str, db_url: str) -> None:
    result = invoke("set", run, "concepts[1].balancing=3", "-m", "more b")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == ["  concepts[1].balancing: 1.0 → 3.0"]
    with store.open(db_url) as opened:
        assert opened.current(run).concepts[1].balancing == 3.0
        assert opened.current(run).concepts[0].balancing == 1.0


def test_text_inside_an_element_is_kept_as_typed(invoke: Invoke, run: str, db_url: str) -> None:
    assert invoke("set", run, "concepts[0].name=123").exit_code == 0
    with store.open(db_url) as opened:
        assert opened.current(run).concepts[0].name == "123"


@pytest.mark.parametrize(
    ("assignment", "error"),
    [
        (
            'concepts=[{"name":"a","path":"/d/a","colour":"red"}]',
            "Error: unknown path 'concepts[0].colour'",
        ),
        (
            "concepts[0].balancng=3",
            "Error: unknown path 'concepts[0].balancng'; did you mean concepts[0].balancing?",
        ),
        ("concepts[0].balancing=true", "Error: concepts[0].balancing: True is invalid"),
        (
            "concepts[0].image.enable_crop_jitter=1",
            "Error: concepts[0].image.enable_crop_jitter: 1 is invalid",
        ),
        ("concepts[2].balancing=3", "Error: concepts[2].balancing: concepts has elements 0..1"),
    ],
)
def test_a_bad_element_write_is_refused_in_one_line(
    invoke: Invoke, run: str, db_url: str, assignment: str, error: str
) -> None:
    before = dump_database(db_url)
    result = invoke("set", run, assignment)
    assert result.exit_code == 1
    assert result.stderr.startswith(error)
    assert len(result.stderr.splitlines()) == 1
    assert dump_database(db_url) == before


def test_elements_are_added_and_removed_by_one_line_each(invoke: Invoke, run: str) -> None:
    added = invoke("set", run, 'concepts[+]={"name":"c","path":"/d/c"}')
    assert added.output.splitlines()[1:] == ['  concepts[2]: added "name=c"']
    removed = invoke("unset", run, "concepts[0]")
    lines = removed.output.splitlines()[1:]
    assert lines[-1] == '  concepts[2]: removed "name=c"'
    assert '  concepts[0].name: "a" → "b"' in lines


def test_every_audit_view_shows_the_finest_path(invoke: Invoke, run: str) -> None:
    invoke("set", run, "concepts[1].balancing=3")
    line = "concepts[1].balancing: 1.0 → 3.0"
    history = invoke("history", run, "--limit", "1").output
    assert line in history and '"image"' not in history
    assert line in invoke("log", "--limit", "1").output
    diff = json.loads(invoke("diff", run, "2", "3", "--json").output)
    assert diff == [{"path": "concepts[1].balancing", "old": 1.0, "new": 3.0}]
    compared = json.loads(invoke("compare", f"{run}@2", run, "--only-changed", "--json").output)
    assert compared["rows"] == [{"path": "concepts[1].balancing", "values": [1.0, 3.0]}]
    field = invoke("history", run, "--field", "concepts[1].balancing", "--json").output
    assert [r["revision"] for r in json.loads(field)] == [3, 2]
    explained = json.loads(invoke("show", run, "--explain", "--json").output)
    balancing = next(o for o in explained if o["path"] == "concepts[1].balancing")
    assert (balancing["value"], balancing["source"]) == (3.0, "set")


def test_an_import_lists_what_moved_and_summarises_what_it_pinned(invoke: Invoke) -> None:
    assert invoke("create", "src", "--schema", "onetrainer").exit_code == 0
    invoke("set", "src", "learning_rate=0.001")
    imported = invoke("import", "-", "copy", stdin=invoke("export", "src").output)
    assert imported.exit_code == 0, imported.output
    lines = imported.output.splitlines()[1:]
    assert "  learning_rate: 3e-06 → 0.001" in lines
    assert lines[-1].startswith("  pinned ") and lines[-1].endswith(
        " fields at their current value"
    )
    assert not [line for line in lines[:-1] if _same(line)]
    every = invoke("history", "copy", "--all").output
    assert "debug_mode: false (pinned)" in every
    newest = json.loads(invoke("history", "copy", "--json").output)[0]
    assert "debug_mode" in newest["pinned"]
    assert "debug_mode" not in [c["path"] for c in newest["changes"]]


def _same(line: str) -> bool:
    """Whether a `path: old → new` line shows an unchanged value."""
    old, new = line.split(": ", 1)[1].split(" → ")
    return old == new
