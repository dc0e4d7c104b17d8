"""Invariant 10: the config hash. Equal configs have equal hashes in any run; every revision
records it; `verify` replays and reports schema drift; rows from before it keep working."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, create_model

import store
from store import _registry
from store._records import CanonicalConfig, config_hash, encode
from tests.reliability.conftest import invoke


def canonical_hash(config: BaseModel) -> str:
    """The documented definition: SHA-256 of the sorted, compact JSON of the whole config."""
    text = json.dumps(
        config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def test_equal_configs_have_equal_hashes_in_any_run(db: store.Store) -> None:
    a = db.create("a", {"batch_size": 8})
    db.create("b")
    b = db.update("b", {"batch_size": 8})
    assert a.config_hash == b.config_hash == db.read("a").config_hash == db.read("b").config_hash
    assert a.config_hash == canonical_hash(db.current("a"))
    changed = db.update("b", {"seed": 7})
    assert changed.config_hash != a.config_hash
    assert db.rollback("b", to=2).config_hash == a.config_hash
    assert db.read("b", 3).config_hash == changed.config_hash
    assert [r.config_hash for r in db.history("b")][1] == changed.config_hash


def test_reading_config_hash_is_what_the_trainer_got_at_the_newest_version(
    db: store.Store,
) -> None:
    written = db.create("old", {"learning_rate": 3e-4}, schema_version=1)
    reading = db.read("old")
    assert reading.config_hash == canonical_hash(reading.config)
    assert written.config_hash != reading.config_hash  # recorded at the writer's version 1


def test_show_prints_the_config_hash_and_json_is_unchanged(db_url: str) -> None:
    with store.open(db_url) as db:
        db.create("r", {"epochs": 3})
        reading = db.read("r")
    shown = invoke(db_url, "show", "r")
    assert shown.stdout.splitlines()[0] == (
        f"r @ revision 1  {reading.hash}  config {reading.config_hash}"
    )
    assert json.loads(invoke(db_url, "show", "r", "--json").stdout) == reading.config.model_dump(
        mode="json"
    )


def test_the_config_hash_is_inside_the_revision_hash(db: store.Store) -> None:
    written = db.create("r", {"epochs": 3})
    with db._recorder.read() as tx:
        row = tx.run("r")
        assert row is not None
        (stored,) = tx.stored(row)
    digest = store._records.revision_hash(
        "r",
        "training",
        1,
        stored.schema_version,
        stored.created_at,
        stored.author,
        stored.message,
        stored.kind,
        stored.events,
        store._records.GENESIS,
        "0" * 64,
        stored.detail,
    )
    assert stored.config_hash == written.config_hash and digest != written.hash


STORED = st.text() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.none()
"""What a forged row's text column can hold besides text (SQLite keeps any type)."""
EVENT = st.tuples(st.text(), st.text(), st.text() | st.none())


@given(
    texts=st.lists(st.text() | STORED, min_size=6, max_size=6),
    numbers=st.tuples(st.integers() | STORED, st.integers()),
    events=st.lists(EVENT | st.lists(STORED, max_size=4), max_size=4),
    previous=st.text(),
    tail=st.none() | st.tuples(st.text() | st.none(), st.text() | st.none()),
)
@settings(database=None, deadline=None)
def test_the_revision_hash_is_the_sha256_of_its_fields_as_canonical_json(
    texts: list[object],
    numbers: tuple[object, int],
    events: list[tuple[str, str, str | None]],
    previous: str,
    tail: tuple[str | None, str | None] | None,
) -> None:
    run, schema, created_at, author, message, kind = texts
    fields = [run, schema, *numbers, created_at, author, message, kind, events, previous]
    if tail is not None and tail != (None, None):  # older revisions hash without them
        fields += tail
    expected = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = store._records.revision_hash(*fields[:10], *(tail or ()))  # type: ignore[arg-type]
    assert digest == hashlib.sha256(expected.encode()).hexdigest()


def test_revisions_without_a_config_hash_keep_working(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr("store._writes.config_hash", lambda values: None)
        with store.open(db_url) as db:
            db.create("legacy", {"epochs": 3})
            db.update("legacy", {"batch_size": 8})
    with store.open(db_url) as db:
        assert db.head("legacy").config_hash is None
        assert db.current("legacy").batch_size == 8  # type: ignore[attr-defined]
        assert db.read("legacy").config_hash == canonical_hash(db.current("legacy"))
        assert db.verify().ok
        newer = db.update("legacy", {"seed": 1})
        assert newer.config_hash == db.read("legacy").config_hash
        assert db.verify(rebuild_snapshots=True).ok
        assert db.current("legacy").seed == 1  # type: ignore[attr-defined]


HELPERS: dict[str, Callable[[int], int]] = {"scale": lambda steps: 2 * steps}
"""The helper function an upcaster calls: changing it changes no fingerprint."""


def scale(config: dict[str, object]) -> dict[str, object]:
    """The whole-config step from version 1 to 2: `scaled` made from `steps`."""
    config["scaled"] = HELPERS["scale"](config["steps"])  # type: ignore[arg-type]
    return config


def drifting(warmup: int) -> store.Schema:
    """Version 1 has `steps`; version 2 adds `warmup` (default `warmup`) and `scaled`."""
    v1 = create_model("V1", steps=(int, 10))
    v2 = create_model("V2", steps=(int, 10), warmup=(int, warmup), scaled=(int, 0))

    return store.Schema(
        name="drifting",
        versions=[store.SchemaVersion(1, v1), store.SchemaVersion(2, v2)],
        upcasters=[store.Upcaster(1, [store.Transform(scale, paths=("steps", "scaled"))])],
    )


def use(monkeypatch: pytest.MonkeyPatch, schema: store.Schema) -> None:
    monkeypatch.setitem(_registry._registered, "drifting", schema)


def test_a_changed_default_without_a_new_version_is_reported_as_drift(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, drifting(100))
    with store.open(db_url) as db:
        db.create("r1", schema="drifting")
        db.update("r1", {"steps": 20})
        assert db.verify().ok
    use(monkeypatch, drifting(500))
    with store.open(db_url) as db:
        assert db.current("r1").warmup == 500  # type: ignore[attr-defined]
        report = db.verify()
    assert [(p.run, p.revision, p.kind) for p in report.problems] == [("r1", 1, "drift")]
    assert report.problems[0].detail == (
        "the config replays differently than when it was written (warmup: 100 then, 500 now); "
        "a default or upcaster changed without a new schema version (and 1 later revisions)"
    )


def test_a_changed_upcaster_helper_is_reported_as_drift(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, drifting(100))
    with store.open(db_url) as db:
        db.create("r1", {"steps": 20}, schema="drifting", schema_version=1)
        db.update("r1", {"warmup": 50})  # written at version 2: records scaled=40
    monkeypatch.setitem(HELPERS, "scale", lambda steps: 3 * steps)
    with store.open(db_url) as db:
        assert db.current("r1").scaled == 40  # type: ignore[attr-defined]  # the proven snapshot
    result = invoke(db_url, "verify", "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["problems"]
    assert found[0] == {
        "run": "r1",
        "revision": 2,
        "kind": "drift",
        "detail": "the config replays differently than when it was written "
        "(scaled: 40 then, 60 now); a default or upcaster changed without a new schema "
        "version",
    }
    assert [(p["revision"], p["kind"]) for p in found[1:]] == [(1, "drift")]  # written at v1
    assert found[1]["detail"].startswith("the upcaster from version 1 changed in place")


@pytest.mark.parametrize("name", ["training", "onetrainer"])
def test_the_assembled_canonical_json_hashes_as_the_whole_config_does(name: str) -> None:
    schema = store.get_schema(name)
    for shape in schema.versions:
        values = dict(shape.default_values)
        canonical = CanonicalConfig(values)
        assert canonical.hash() == config_hash(values)
        for path in list(values)[:: max(1, len(values) // 7)]:
            values[path] = {"ü": [1, 2.5, None], "a": path} if len(path) % 2 else f"x{path}"
            canonical.set(path, encode(values[path]))
            assert canonical.hash() == config_hash(values)
