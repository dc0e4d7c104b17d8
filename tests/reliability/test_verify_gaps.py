"""Issue 27: what an attacker with the app role's rights (plain INSERTs), one with the owner's
(triggers off), or a changed upcaster got past `verify`, and the tracebacks they caused."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import BaseModel, SecretStr
from starlette.testclient import TestClient

import store
from store import _registry, web
from store._migrations import alembic_config
from store._records import revision_hash
from store._schema import Schema, SchemaVersion, Transform, Upcaster
from tests.reliability.conftest import assert_refused, invoke, raw_sql, revision_id, unprotect

RUN_ID = "(SELECT id FROM runs WHERE name = 'run')"


def seed(url: str) -> str:
    """A run of five revisions beside another run; the hash of revision 5."""
    with store.open(url) as db:
        db.create("run", {"epochs": 1})
        for epochs in (2, 3, 4):
            db.update("run", {"epochs": epochs})
        db.create("other", {"epochs": 1})
        return db.update("run", {"epochs": 5}).hash


def head_of(url: str, run: str = "run") -> store.Revision:
    with store.open(url) as db:
        return db.head(run)


def append_row(
    url: str,
    number: int,
    *,
    previous: str | None = None,
    config_hash: str | None = None,
    detail: str | None = None,
    events: tuple[tuple[str, str, str | None], ...] = (),
    digest: str | None = None,
) -> str:
    """Append a revision to `run` with plain INSERTs (the app role's rights), its hash computed
    as a writer would unless `digest` is given; returns its hash."""
    head = head_of(url)
    created = head.created_at
    if digest is None:
        digest = revision_hash(
            "run",
            "training",
            number,
            head.schema_version,
            created,
            "mallory",
            "",
            "update",
            events,
            previous or head.hash,
            config_hash,
            detail,
        )
    raw_sql(
        url,
        "INSERT INTO revisions (run_id, number, schema_version, created_at, author, message, "
        "kind, hash, config_hash, detail) VALUES "
        f"({RUN_ID}, {number}, {head.schema_version}, '{created}', 'mallory', '', 'update', "
        f"'{digest}', {_sql(config_hash)}, {_sql(detail)})",
        *(
            f"INSERT INTO events (revision_id, position, op, path, value) VALUES "
            f"({revision_id('run', number)}, {i}, '{op}', '{path}', {_sql(value)})"
            for i, (op, path, value) in enumerate(events)
        ),
    )
    return digest


def _sql(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


def problems(url: str, *args: str) -> list[dict[str, Any]]:
    result = invoke(url, "verify", "--json", *args)
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == (0 if json.loads(result.stdout)["ok"] else 1)
    found: list[dict[str, Any]] = json.loads(result.stdout)["problems"]
    return found


# -- 8: secrets nested in lists and optional models ----------------------------------------------


class Cred(BaseModel):
    token: SecretStr = SecretStr("")
    user: str = ""


class WithCredList(BaseModel):
    creds: list[Cred] = []


class WithBackup(BaseModel):
    backup: Cred | None = None


@pytest.mark.parametrize("model", [WithCredList, WithBackup], ids=["list", "optional"])
def test_a_secret_nested_in_a_list_or_an_optional_model_is_refused(model: type) -> None:
    field_name = next(iter(model.model_fields))
    with pytest.raises(store.SchemaError, match=f"{model.__name__}.{field_name}: a secret"):
        Schema("nested_secret", [SchemaVersion(1, model)])


# -- 7: tracebacks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("show", "run@3"), ("export", "run@3"), ("diff", "run", "2", "3"), ("diff", "run@3", "run")],
    ids=["show", "export", "diff", "diff-refs"],
)
def test_a_revision_deleted_from_the_middle_is_an_error_line(db_url: str, args: tuple) -> None:
    seed(db_url)
    unprotect(db_url)
    raw_sql(
        db_url,
        f"DELETE FROM events WHERE revision_id = {revision_id('run', 3)}",
        f"DELETE FROM revisions WHERE number = 3 AND run_id = {RUN_ID}",
    )
    result = invoke(db_url, *args)
    line = assert_refused(result.exit_code, result.stdout, result.stderr)
    assert "revision 3" in line and "missing" in line, line


def test_an_appended_nan_value_does_not_crash_history(db_url: str) -> None:
    seed(db_url)
    append_row(db_url, 6, events=(("set", "epochs", "NaN"),))
    result = invoke(db_url, "history", "run")
    assert result.exit_code == 0, result.output
    assert "NaN" in result.stdout
    assert "Traceback" not in result.output
    kinds = {(p["revision"], p["kind"]) for p in problems(db_url)}
    assert (6, "chain") in kinds


# -- 5: recorded hashes of forks and rollbacks; details that lie -------------------------------


def rehash(url: str, run: str) -> None:
    """Recompute every revision hash of a run, as an attacker who knows the algorithm can."""
    with store.open(url) as db, db._recorder.read() as tx:
        row = tx.run(run)
        assert row is not None
        stored = list(tx.stored(row))
    previous = store._records.GENESIS
    statements = []
    for r in stored:
        previous = revision_hash(
            run, row.schema, r.number, r.schema_version, r.created_at, r.author, r.message,
            r.kind, r.events, previous, r.config_hash, r.detail,
        )  # fmt: skip
        statements.append(
            f"UPDATE revisions SET hash = '{previous}' WHERE run_id = {row.id} "
            f"AND number = {r.number}"
        )
    raw_sql(url, *statements)


def test_verify_checks_a_fork_s_recorded_hash_of_its_source(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.fork("run@2", "copy")
    unprotect(db_url)
    raw_sql(
        db_url, f"UPDATE revisions SET author = 'mallory' WHERE number = 2 AND run_id = {RUN_ID}"
    )
    rehash(db_url, "run")
    found = problems(db_url)
    assert [(p["run"], p["revision"], p["kind"]) for p in found] == [("copy", 1, "chain")]
    assert "run@2" in found[0]["detail"]


def test_verify_checks_a_rollback_s_recorded_hash_of_its_target(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.rollback("run", to=2)
    unprotect(db_url)
    raw_sql(db_url, f"UPDATE revisions SET message = 'x' WHERE number = 2 AND run_id = {RUN_ID}")
    rehash(db_url, "run")
    found = problems(db_url)
    assert [(p["run"], p["revision"], p["kind"]) for p in found] == [("run", 6, "chain")]
    assert "revision 2" in found[0]["detail"]


def test_a_detail_never_overrides_the_revision_s_own_fields(db_url: str) -> None:
    seed(db_url)
    lie = json.dumps({"revision": 1, "hash": "0" * 64, "author": "ana", "changes": []})
    digest = append_row(db_url, 6, detail=lie, events=(("set", "epochs", "6"),))
    shown = json.loads(invoke(db_url, "history", "run", "--json").stdout)[0]
    assert (shown["revision"], shown["hash"], shown["author"]) == (6, digest, "mallory")
    assert shown["changes"] == [{"path": "epochs", "old": 5, "new": 6}]


@pytest.mark.parametrize("detail", ["[1, 2]", '"text"', "{not json"])
def test_a_detail_that_is_not_an_object_is_a_chain_problem(db_url: str, detail: str) -> None:
    seed(db_url)
    append_row(db_url, 6, detail=detail, events=(("set", "epochs", "6"),))
    raw_sql(
        db_url,
        "INSERT INTO runs (name, schema, created_at) VALUES ('planted', 'training', "
        "'2026-01-01T00:00:00.000000Z')",
        "INSERT INTO revisions (run_id, number, schema_version, created_at, author, message, "
        "kind, hash, detail) SELECT id, 1, 3, created_at, 'm', '', 'create', "
        f"'{'a' * 64}', {_sql(detail)} FROM runs WHERE name = 'planted'",
    )
    for args in (("runs",), ("history", "run"), ("history", "planted")):
        result = invoke(db_url, *args)
        assert result.exit_code == 0, (args, result.output)
    shown = invoke(db_url, "show", "planted")  # its hash does not hold: refused, in one line
    assert shown.exit_code == 1 and shown.output.startswith("Error: run 'planted': revision 1")
    kinds = {(p["run"], p["revision"], p["kind"]) for p in problems(db_url)}
    assert ("run", 6, "chain") in kinds and ("planted", 1, "chain") in kinds
    with TestClient(web.app(db_url), base_url="http://127.0.0.1:8765") as client:
        for page in ("/", "/runs/run", "/api/runs", "/api/runs/run/history"):
            assert client.get(page).status_code == 200, page
        assert client.get("/runs/planted").status_code == 400  # unproven: never a 500


# -- 6: a forged config hash is not drift --------------------------------------------------------


def test_an_appended_revision_with_a_wrong_config_hash_is_forged_not_drift(db_url: str) -> None:
    seed(db_url)
    append_row(db_url, 6, config_hash="e" * 64, events=(("set", "epochs", "6"),))
    found = problems(db_url)
    assert [(p["revision"], p["kind"]) for p in found] == [(6, "forged")]
    assert "drift" not in found[0]["detail"]


# -- 3: revision numbers outside the dense range -------------------------------------------------


@pytest.mark.parametrize("number", [2**31 - 1, 2**31])
def test_a_revision_numbered_far_past_the_head_is_reported_once_never_served(
    db_url: str, number: int
) -> None:
    if number > 2**31 - 1 and not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's integer column cannot hold it")
    kept = seed(db_url)
    with store.open(db_url) as db:
        config = db.read("run").config.model_dump(mode="json")
    planted = json.dumps({**config, "epochs": 99}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(planted.encode()).hexdigest()
    append_row(db_url, number, config_hash=digest, events=(("set", "epochs", "99"),))
    raw_sql(  # its snapshot planted too, the config JSON hashing to its recorded config hash
        db_url,
        "INSERT INTO snapshots (run_id, revision, fingerprint, schema_version, state, config) "
        f"SELECT run_id, {number}, fingerprint, schema_version, "
        "replace(state, '\"epochs\":5', '\"epochs\":99'), "
        f"{_sql(planted)} FROM snapshots WHERE revision = 5",
    )
    assert store.current("run", url=db_url).epochs == 5
    with store.open(db_url) as db:
        assert db.read("run").revision == 5
        assert db.current("run").epochs == 5
    assert (
        invoke(db_url, "show", "run").stdout.startswith("run @ 5")
        or "5" in (invoke(db_url, "show", "run").stdout.splitlines()[0])
    )
    found = problems(db_url)
    assert [(p["run"], p["revision"], p["kind"]) for p in found] == [("run", number, "chain")]
    expected = problems(db_url, "--expect", f"run@{number}:{'f' * 64}", "--expect", f"run@5:{kept}")
    said = [p for p in expected if p["kind"] != "chain"]
    assert [(p["revision"], p["kind"]) for p in said] == [(number, "expectation")]
    assert "1..5" in said[0]["detail"]
    with store.open(db_url) as db:
        assert db.update("run", {"epochs": 6}).number == 6
        assert db.read("run").revision == 6
    runs = json.loads(invoke(db_url, "runs", "--json").stdout)
    assert {r["name"]: r["revisions"] for r in runs}["run"] == 6


# -- 4: tags and run events in a chain of their own ------------------------------------------------


def test_a_tag_moved_by_a_plain_insert_is_reported(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.tag("run@2", "baseline", author="ana")
        db.archive("other")
        db.unarchive("other")
    assert problems(db_url) == []
    raw_sql(
        db_url,
        "INSERT INTO tags (run_id, name, revision, created_at, author, message) "
        "SELECT run_id, name, 4, created_at, 'ana', '' FROM tags WHERE name = 'baseline'",
        "INSERT INTO run_events (run_id, action, created_at, author, message) "
        "SELECT id, 'archive', created_at, 'ana', '' FROM runs WHERE name = 'other'",
    )
    found = problems(db_url)
    assert {(p["run"], p["kind"]) for p in found} == {("run", "chain"), ("other", "chain")}
    assert any("baseline" in p["detail"] for p in found)
    assert any("archive" in p["detail"] for p in found)


def test_tags_and_run_events_written_before_the_chain_are_its_unhashed_start(
    db_url: str,
) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.tag("run@2", "baseline")
        db.archive("other")
    unprotect(db_url)
    raw_sql(
        db_url,
        "ALTER TABLE tags DISABLE TRIGGER ALL" if "postgres" in db_url else "SELECT 1",
        "ALTER TABLE run_events DISABLE TRIGGER ALL" if "postgres" in db_url else "SELECT 1",
        "UPDATE tags SET hash = NULL",
        "UPDATE run_events SET hash = NULL",
    )
    with store.open(db_url) as db:
        db.tag("run@3", "baseline", force=True)
        db.unarchive("other")
    assert problems(db_url) == []


def test_a_database_from_before_0006_verifies_clean_and_chains_on(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.tag("run@2", "baseline")
        db.archive("other")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    engine.dispose()
    with store.open(db_url) as db:
        assert db.verify().ok
        db.create("third", {"epochs": 1})
        db.tag("run@3", "baseline", force=True)
        db.unarchive("other")
        assert db.verify().ok
    raw_sql(
        db_url,
        "INSERT INTO tags (run_id, name, revision, created_at, author, message) "
        "SELECT run_id, name, 4, created_at, 'ana', '' FROM tags WHERE revision = 3",
    )
    found = problems(db_url)
    assert [(p["run"], p["revision"], p["kind"]) for p in found] == [("run", 4, "chain")]


def test_a_plain_insert_into_an_empty_side_chain_is_reported(db_url: str) -> None:
    seed(db_url)
    raw_sql(
        db_url,
        "INSERT INTO run_events (run_id, action, created_at, author, message) "
        "SELECT id, 'archive', created_at, 'ana', '' FROM runs WHERE name = 'other'",
    )
    found = problems(db_url)
    assert [(p["run"], p["kind"]) for p in found] == [("other", "chain")]


@pytest.mark.parametrize("position", [999, 0, -3])
@pytest.mark.parametrize(
    "args",
    [
        ("show", "run@bad"),
        ("export", "run@bad"),
        ("diff", "run@bad", "run"),
        ("fork", "run@bad", "copy"),
        ("compare", "run@bad", "run"),
    ],
    ids=["show", "export", "diff", "fork", "compare"],
)
def test_a_tag_naming_no_revision_is_an_error(db_url: str, position: int, args: tuple) -> None:
    seed(db_url)
    raw_sql(
        db_url,
        "INSERT INTO tags (run_id, name, revision, created_at, author, message) "
        f"SELECT id, 'bad', {position}, created_at, 'm', '' FROM runs WHERE name = 'run'",
    )
    result = invoke(db_url, *args)
    line = assert_refused(result.exit_code, result.stdout, result.stderr)
    assert f"names revision {position}" in line, line
    assert any(p["kind"] == "chain" and "bad" in p["detail"] for p in problems(db_url))


# -- 13: whole runs deleted, missing runs expected, uninstalled schemas --------------------------


def test_a_whole_run_deleted_is_detected_by_plain_verify(db_url: str) -> None:
    seed(db_url)
    with store.open(db_url) as db:
        db.create("third", {"epochs": 1})
    unprotect(db_url)
    if "postgres" in db_url:
        raw_sql(db_url, "ALTER TABLE runs DISABLE TRIGGER ALL")
    raw_sql(
        db_url,
        "DELETE FROM snapshots WHERE run_id = (SELECT id FROM runs WHERE name = 'other')",
        "DELETE FROM events WHERE revision_id IN (SELECT r.id FROM revisions r JOIN runs u "
        "ON u.id = r.run_id WHERE u.name = 'other')",
        "DELETE FROM revisions WHERE run_id = (SELECT id FROM runs WHERE name = 'other')",
        "DELETE FROM runs WHERE name = 'other'",
    )
    found = problems(db_url)
    assert [(p["run"], p["kind"]) for p in found] == [("third", "chain")]
    assert "deleted" in found[0]["detail"]


def test_an_expected_hash_of_a_missing_run_is_reported_with_the_others(db_url: str) -> None:
    kept = seed(db_url)
    found = problems(db_url, "--expect", f"gone@1:{'a' * 64}", "--expect", f"run@5:{'b' * 64}")
    assert [(p["run"], p["revision"], p["kind"]) for p in found] == [
        ("gone", 1, "missing"),
        ("run", 5, "expectation"),
    ]
    assert problems(db_url, "--expect", f"run@5:{kept}") == []


@pytest.fixture
def ghost(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`db_url` seeded, plus a run `ghost` of a schema that is then uninstalled."""
    seed(db_url)
    schema = Schema("ghost", [SchemaVersion(1, Old)])
    with monkeypatch.context() as patch:
        patch.setitem(_registry._registered, "ghost", schema)
        with store.open(db_url) as db:
            db.create("ghost", {}, schema="ghost")
    yield db_url


def test_a_run_of_an_uninstalled_schema_is_skipped_with_a_warning(ghost: str) -> None:
    for args in (("find", "0" * 64), ("runs", "--where", "epochs>=1"), ("compare", "run", "other")):
        result = invoke(ghost, *args)
        assert result.exit_code == 0, (args, result.output)
    listed = invoke(ghost, "runs", "--where", "epochs>=1", "--json")
    assert [r["name"] for r in json.loads(listed.stdout)] == ["other", "run"]
    assert "Warning:" in listed.stderr and "ghost" in listed.stderr
    found = problems(ghost)
    assert [(p["run"], p["kind"]) for p in found] == [("ghost", "schema")]
    shown = invoke(ghost, "verify")
    assert "every chain holds and replays" not in shown.output


# -- 1: an upcaster changed in place ------------------------------------------------------------


class Old(BaseModel):
    fp16: bool = False


class New(BaseModel):
    precision: str = "fp32"


def upcaster(fp16_name: str) -> Upcaster:
    def step(config: dict[str, Any]) -> dict[str, Any]:
        config["precision"] = fp16_name if config.pop("fp16") else "fp32"
        return config

    return Upcaster(1, [Transform(step, paths=("fp16", "precision"))])


def mixed(fp16_name: str) -> Schema:
    return Schema("mixed", [SchemaVersion(1, Old), SchemaVersion(2, New)], [upcaster(fp16_name)])


def test_an_upcaster_changed_in_place_is_drift_named_as_such(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(_registry._registered, "mixed", mixed("fp16"))
    with store.open(db_url) as db:
        db.import_config("old", {"__version": 1, "fp16": True}, schema="mixed")
        db.create("new", {"precision": "fp16"}, schema="mixed")
        stamp = db.read("old").stamp()
    assert stamp["config_hash"] == json_hash({"precision": "fp16"})
    assert problems(db_url) == []
    monkeypatch.setitem(_registry._registered, "mixed", mixed("fp8"))
    with store.open(db_url) as db, warnings.catch_warnings():
        warnings.simplefilter("ignore", store.StoreWarning)  # the read path's own business
        assert db.current("old").precision == "fp8"
        assert [(f.run, f.revision) for f in db.find(json_hash({"precision": "fp8"}))] == [
            ("old", 1)
        ]
    found = [p for p in problems(db_url) if p["kind"] != "snapshot"]  # it kept fp16 too
    assert [(p["run"], p["revision"], p["kind"]) for p in found] == [("old", 1, "drift")]
    assert "upcaster from version 1 changed in place: fields fp16, precision" in found[0]["detail"]
    problems(db_url, "--rebuild-snapshots")
    assert problems(db_url) == found


def json_hash(config: dict[str, Any]) -> str:
    return store._records.config_hash(config)
