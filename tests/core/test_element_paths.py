"""Element paths: one value inside an element of a list of sections is a path like any other,
checked at write as a section is, and every audit view shows it at that path."""

from __future__ import annotations

import pytest

import store
from store import _registry
from store._element_paths import parse
from tests.conftest import dump_database
from tests.core.test_section_lists import NET


@pytest.fixture
def net(db: store.Store, monkeypatch: pytest.MonkeyPatch) -> store.Store:
    """A store with the `net` schema (a list of versioned `layer` sections) and run `n`
    holding two layers."""
    monkeypatch.setitem(_registry._registered, "net", NET)
    db.create("n", {"layers": [{"name": "a"}, {"name": "b", "width": 8}]}, schema="net")
    return db


def layers(s: store.Store, ref: str = "n") -> list[dict[str, object]]:
    return s.read(ref).config.model_dump()["layers"]


def test_a_value_inside_an_element_is_set_and_shown_at_its_path(net: store.Store) -> None:
    written = net.update("n", {"layers[1].dropout": 0.5}, message="more dropout")
    assert layers(net)[1] == {"name": "b", "width": 8, "dropout": 0.5}
    assert [tuple(c) for c in written.changes] == [("layers[1].dropout", 0.0, 0.5)]
    newest = net.history("n", limit=1)[0]
    assert [tuple(c) for c in newest.changes] == [("layers[1].dropout", 0.0, 0.5)]
    assert [tuple(c) for c in net.diff("n", 1)] == [("layers[1].dropout", 0.0, 0.5)]


def test_elements_are_appended_inserted_and_removed(net: store.Store) -> None:
    net.update("n", {"layers[+]": {"name": "c"}})
    net.update("n", {"layers[+0]": {"name": "first", "width": 2}})
    assert [layer["name"] for layer in layers(net)] == ["first", "a", "b", "c"]
    assert layers(net)[3] == {"name": "c", "width": 64, "dropout": 0.0}  # defaults filled
    removed = net.unset("n", ["layers[2]"])
    assert [layer["name"] for layer in layers(net)] == ["first", "a", "c"]
    assert [c.path for c in removed.changes][-1] == "layers[3]"
    assert (removed.changes[-1].old or {})["name"] == "c" and removed.changes[-1].new is None


def test_an_added_element_is_one_change_naming_it(net: store.Store) -> None:
    written = net.update("n", {"layers[+]": {"name": "c"}})
    assert [(c.path, c.old) for c in written.changes] == [("layers[2]", None)]
    assert written.changes[0].new == {"name": "c", "width": 64, "dropout": 0.0}


def test_unset_inside_an_element_returns_it_to_the_elements_default(net: store.Store) -> None:
    net.unset("n", ["layers[1].width"])
    assert layers(net)[1]["width"] == 64


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"layers[0].widht": 3}, "unknown path 'layers[0].widht'; did you mean layers[0].width?"),
        (
            {"layers[5].width": 3},
            "layers[5].width: layers has elements 0..1; no layers[5]",
        ),
        ({"layers[+5]": {"name": "x"}}, "layers[+5]: layers has 2 elements; insert at 0..2"),
        ({"layers[0].width": True}, "layers[0].width: True is invalid"),
        ({"layers[0].width": "8"}, "layers[0].width: '8' is invalid"),
        ({"layers[+]": 3}, "layers[+]: an element is an object of its fields, not 3"),
        ({"depth[0]": 3}, "depth[0]: depth is not a list of sections; set it whole"),
        ({"layers[x]": 3}, "malformed element path 'layers[x]'"),
        ({"layers[+].name": "x"}, "layers[+].name: a new element is given whole"),
        (
            {"layers": [{"name": "a", "colour": "red"}]},
            "unknown path 'layers[0].colour'",
        ),
        (
            {"layers": [{"name": "a", "widht": 3}]},
            "unknown path 'layers[0].widht'; did you mean layers[0].width?",
        ),
        ({"layers": [], "layers[0].width": 1}, "layers is given twice (whole and by element)"),
    ],
)
def test_an_element_is_checked_as_a_section_is(
    net: store.Store, db_url: str, changes: dict[str, object], message: str
) -> None:
    before = dump_database(db_url)
    with pytest.raises(store.InvalidChange) as raised:
        net.update("n", changes)
    assert str(raised.value).startswith(message)
    assert dump_database(db_url) == before


def test_a_type_error_inside_an_element_names_the_element_path_and_type(net: store.Store) -> None:
    with pytest.raises(store.InvalidChange, match=r"layers\[0\]\.width: True .*\(expected int\)"):
        net.update("n", {"layers[0].width": True})


def test_element_paths_work_in_every_read(net: store.Store) -> None:
    net.update("n", {"layers[1].dropout": 0.5})
    net.update("n", {"depth": 3})
    net.update("n", {"layers[1].dropout": 0.25})
    # revision 1 added the element, so it is in the history of each of its fields
    assert [r.number for r in net.history("n", field="layers[1].dropout")] == [4, 2, 1]
    assert [r.number for r in net.history("n", field="layers[0].dropout")] == [1]
    steps = net.timeline("n", "layers[1].dropout")
    assert [(s.revision, s.old, s.new) for s in steps] == [
        (1, None, 0.0),
        (2, 0.0, 0.5),
        (4, 0.5, 0.25),
    ]
    compared = net.compare(["n@1", "n"], only_changed=True).data()
    assert compared["rows"] == [
        {"path": "depth", "values": [2, 3]},
        {"path": "layers[1].dropout", "values": [0.0, 0.25]},
    ]
    narrowed = net.compare(["n@1", "n"], fields=["layers[1].dropout"]).data()
    assert narrowed["rows"] == [{"path": "layers[1].dropout", "values": [0.0, 0.25]}]
    assert [s.name for s in net.runs(where=["layers[1].dropout>0.2"])] == ["n"]
    assert net.runs(where=["layers[1].dropout>0.3"]) == []
    origins = {o.path: o for o in net.explain("n")}
    assert origins["layers[1].dropout"].value == 0.25
    assert origins["layers[1].dropout"].source == "set"
    assert origins["layers[1].dropout"].revision == 4  # the revision that set this value
    assert origins["layers[0].name"].revision == 1  # not the list's last write
    read = net.read("n", overrides=["layers[0].width=16"])
    assert read.config.model_dump()["layers"][0]["width"] == 16
    assert layers(net)[0]["width"] == 64  # an override is never written


def test_the_grammar_is_unambiguous() -> None:
    assert parse("concepts") is None
    assert parse("concepts[1].image.enable_crop_jitter") == (
        "concepts",
        1,
        False,
        "image.enable_crop_jitter",
    )
    assert parse("concepts[+]") == ("concepts", None, True, "")
    assert parse("concepts[+2]") == ("concepts", 2, True, "")
    for bad in ("concepts[]", "concepts[-1]", "concepts[1]x", "concepts]", "a[1][2]"):
        with pytest.raises(store.InvalidChange, match="malformed element path"):
            parse(bad)
