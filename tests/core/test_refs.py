"""References name revisions wherever one is read; `compare` puts configs side by side."""

from __future__ import annotations

import pytest

import store
from store._refs import check_tag_name, parse_ref


@pytest.fixture
def runs(db: store.Store) -> store.Store:
    """Run `a` with four revisions (batch_size 1..4 from revision 1), run `b` with two."""
    db.create("a", {"batch_size": 1})
    for size in (2, 3, 4):
        db.update("a", {"batch_size": size})
    db.create("b", {"batch_size": 4, "epochs": 7})
    db.update("b", {"seed": 1})
    return db


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("a", 4), ("a@head", 4), ("a@2", 2), ("a@head~1", 3), ("a@head~3", 1)],
)
def test_references_resolve_to_revisions(runs: store.Store, ref: str, expected: int) -> None:
    assert runs.resolve(ref) == ("a", expected)
    assert runs.read(ref).revision == expected
    assert runs.read(ref).config == runs.at("a", expected)


def test_a_time_names_the_revision_in_force_then(runs: store.Store) -> None:
    second = runs.history("a")[-2]
    assert runs.resolve(f"a@{second.created_at}") == ("a", 2)
    assert runs.resolve("a@2999-01-01T00:00:00Z") == ("a", 4)
    with pytest.raises(store.InvalidReference, match="had no revision yet"):
        runs.resolve("a@2000-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("a@9", "there is no revision 9"),
        ("a@0", "there is no revision 0"),
        ("a@head~4", "nothing 4 before the head"),
        ("a@nosuchtag", "has no tag 'nosuchtag'"),
        ("a@2026-13-45T12:00:00Z", "is not a valid time"),
        ("a@x y", "cannot read reference"),
        ("nobody@1", "no run named 'nobody'"),
    ],
)
def test_a_reference_that_does_not_resolve_says_why(
    runs: store.Store, ref: str, message: str
) -> None:
    with pytest.raises(store.StoreError, match=message):
        runs.read(ref)


def test_a_reference_with_a_revision_number_is_refused(runs: store.Store) -> None:
    with pytest.raises(store.InvalidReference, match="not both"):
        runs.read("a@2", 3)


def test_diff_takes_two_references_or_a_run_and_numbers(runs: store.Store) -> None:
    assert runs.diff("a", "b") == [
        store.Change("epochs", 100, 7),
        store.Change("seed", 42, 1),
    ]
    assert runs.diff("a@1", "a@head~2") == [store.Change("batch_size", 1, 2)]
    assert runs.diff("a", 1, 2) == runs.diff("a@1", "a@2")
    assert runs.diff("a@4", "b@1") == [store.Change("epochs", 100, 7)]


def test_compare_puts_configs_side_by_side(runs: store.Store) -> None:
    result = runs.compare(["a@1", "a", "b"], only_changed=True)
    assert result.columns == ("a@1", "a", "b")
    assert result.data()["rows"] == [
        {"path": "batch_size", "values": [1, 4, 4]},
        {"path": "epochs", "values": [100, 100, 7]},
        {"path": "seed", "values": [42, 42, 1]},
    ]
    picked = runs.compare(["a", "b"], fields=["seed", "model"])
    assert [r.path for r in picked.rows] == ["model", "seed"]
    assert not picked.rows[0].changed


def test_compare_refuses_an_unknown_field_and_an_empty_list(runs: store.Store) -> None:
    with pytest.raises(store.InvalidChange, match="did you mean seed"):
        runs.compare(["a", "b"], fields=["sed"])
    with pytest.raises(store.InvalidReference):
        runs.compare([])


@pytest.mark.parametrize("name", ["3", "head", "head~2", "2026-11-30", "2026-11-30T12:00:00Z"])
def test_a_tag_cannot_look_like_another_reference(name: str) -> None:
    with pytest.raises(store.StoreError):
        check_tag_name(name)


def test_parse_ref_reads_each_form() -> None:
    assert parse_ref("r@12").number == 12
    assert parse_ref("r@head~2").back == 2
    assert parse_ref("r@baseline").tag == "baseline"
    assert parse_ref("r@2026-11-30T12:00:00.5Z").time == "2026-11-30T12:00:00.500000Z"
    assert parse_ref("r@2026-11-30T13:00:00.25+01:00").time == "2026-11-30T12:00:00.250000Z"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T12:00:00Z",
        "2026-11-30 12:00:00",
        "2026-11-30T12:00:00",
        "2026-11-30 13:00:00+01:00",
    ],
)
def test_a_time_to_the_second_without_a_zone_is_utc_and_covers_its_second(text: str) -> None:
    assert parse_ref(f"r@{text}").time == "2026-11-30T12:00:00.999999Z"
