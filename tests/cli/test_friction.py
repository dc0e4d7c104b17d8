"""Issue 23, a new user's second hour: each friction point through the installed `store`
command, on every backend of `db_url` (the database is checked through the library)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import store
from store import _find, _writes
from tests.conftest import dump_database


def run_store(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`store --db URL ARGS…` as a subprocess, author `ana`."""
    executable = shutil.which("store")
    assert executable, "the console script `store` is not installed"
    env = {**os.environ, "STORE_AUTHOR": "ana"}
    env.pop("STORE_URL", None)
    return subprocess.run(
        [executable, "--db", url, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def refused(url: str, *args: str) -> str:
    """The one `Error: …` line of a refused command (exit 1, nothing written)."""
    before = dump_database(url)
    done = run_store(url, *args)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert dump_database(url) == before
    assert done.stderr.count("\n") == 1
    return done.stderr.removesuffix("\n")


@pytest.fixture
def tagged(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run `r`: 1 create, 2 batch_size=8 seed=7 tagged `good`, 3 batch_size=16 epochs=3,
    each written half a second into a second of its own from 2026-12-04T01:41:20."""
    times = (f"2026-12-04T01:41:{s}.500000Z" for s in range(20, 30))
    monkeypatch.setattr(_writes, "now", lambda: next(times))
    with store.open(db_url) as opened:
        opened.create("r")
        opened.update("r", {"batch_size": 8, "seed": 7})
        opened.tag("r@2", "good")
        opened.update("r", {"batch_size": 16, "epochs": 3})
    return db_url


TIME = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z(?= |$)", re.M)


def printed_times(url: str) -> list[str]:
    """The times of the revisions of `r`, newest first, as tables print them."""
    with store.open(url) as opened:
        return [f"{r.created_at[:19]}Z" for r in opened.history("r")]


# -- 1. rollback --to REF, rollback --field ------------------------------------------------


@pytest.mark.parametrize("to", ["good", "@good", "r@good", "head~1", "2"])
def test_rollback_to_any_reference_of_the_run(tagged: str, to: str) -> None:
    done = run_store(tagged, "rollback", "r", "--to", to)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("r: revision 4 (rollback) ")
    with store.open(tagged) as opened:
        assert opened.current("r") == opened.at("r", 2)
        assert opened.head("r").detail == {
            "rollback_to": 2,
            "rollback_hash": opened.read("r@2").hash,
        }
        assert opened.head("r").message == "rollback to revision 2"


def test_rollback_to_a_time_copied_from_history(tagged: str) -> None:
    second = printed_times(tagged)[1]
    done = run_store(tagged, "rollback", "r", "--to", second.replace("T", " ").rstrip("Z"))
    assert done.returncode == 0, done.stderr
    with store.open(tagged) as opened:
        assert opened.head("r").detail["rollback_to"] == 2  # type: ignore[index]


def test_rollback_to_a_reference_that_does_not_resolve(tagged: str) -> None:
    assert (
        refused(tagged, "rollback", "r", "--to", "nope")
        == "Error: r@nope: run 'r' has no tag 'nope'"
    )
    assert (
        refused(tagged, "rollback", "r", "--to", "other@good")
        == "Error: --to 'other@good' names run 'other'; give a reference of 'r'"
    )
    assert (
        refused(tagged, "rollback", "r", "--to", "9")
        == "Error: run 'r' has revisions 1..3; there is no revision 9"
    )


def test_rollback_of_one_field_keeps_the_rest(tagged: str) -> None:
    done = run_store(tagged, "rollback", "r", "--field", "batch_size", "--to", "good")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["  batch_size: 16 → 8"]
    history = run_store(tagged, "history", "r", "--limit", "1")
    assert "rollback of batch_size to 2" in history.stdout
    with store.open(tagged) as opened:
        config = opened.current("r")
        assert (config.batch_size, config.epochs, config.seed) == (8, 3, 7)  # type: ignore[attr-defined]
        head = opened.head("r")
        assert (head.kind, head.message) == ("rollback", "rollback of batch_size to revision 2")
        assert head.detail == {
            "rollback_to": 2,
            "rollback_hash": opened.read("r@2").hash,
            "rollback_fields": ["batch_size"],
        }
    again = refused(tagged, "rollback", "r", "--field", "batch_size", "--to", "good")
    assert again == "Error: nothing changed: run 'r' already has those values"
    typo = refused(tagged, "rollback", "r", "--field", "batch_sise", "--to", "1")
    assert typo == "Error: unknown path 'batch_sise'; did you mean batch_size?"


def test_rollback_in_the_api_takes_a_reference(db: store.Store) -> None:
    db.create("r")
    db.update("r", {"batch_size": 8, "seed": 7})
    db.tag("r@2", "good")
    db.update("r", {"batch_size": 16, "seed": 9})
    rolled = db.rollback("r", to="good", fields=["seed"])
    assert rolled.detail is not None and rolled.detail["rollback_to"] == 2
    assert (db.current("r").batch_size, db.current("r").seed) == (16, 7)  # type: ignore[attr-defined]
    db.rollback("r", to="head~3")
    assert db.current("r") == db.at("r", 1)
    with pytest.raises(store.InvalidReference):
        db.rollback("r", to=2.5)  # type: ignore[arg-type]


# -- 2. times that paste back ---------------------------------------------------------------


def test_tables_print_times_that_paste_back_into_a_reference(tagged: str) -> None:
    with store.open(tagged) as opened:
        tag_time = opened.tags("r")[0].time[:19] + "Z"
    printed = printed_times(tagged)
    assert TIME.findall(run_store(tagged, "history", "r").stdout) == printed
    assert TIME.findall(run_store(tagged, "log").stdout) == printed
    assert TIME.findall(run_store(tagged, "runs").stdout) == printed[:1]
    assert TIME.findall(run_store(tagged, "tags", "r").stdout) == [tag_time]
    for n, time in zip((3, 2, 1), printed, strict=True):
        for pasted in (time, time.replace("T", " ").removesuffix("Z")):
            shown = run_store(tagged, "show", f"r@{pasted}")
            assert shown.returncode == 0, shown.stderr
            assert shown.stdout.startswith(f"r @ revision {n} ")
    until = run_store(tagged, "log", "--until", printed[1], "--json")
    assert [r["revision"] for r in json.loads(until.stdout)] == [2, 1]


# -- 3. find by prefix, a revision hash named --------------------------------------------------


def test_find_takes_a_unique_prefix_of_eight_or_more_hex_digits(tagged: str) -> None:
    with store.open(tagged) as opened:
        wanted = opened.read("r@2").config_hash
    for prefix in (wanted[:8], wanted[:20].upper(), wanted):
        done = run_store(tagged, "find", prefix, "--json")
        assert done.returncode == 0, done.stderr
        assert [(f["run"], f["revision"]) for f in json.loads(done.stdout)] == [("r", 2)]
    short = refused(tagged, "find", wanted[:7])
    assert short == (
        "Error: a config hash is 64 hex digits (or a unique prefix of 8 or more), "
        f"not {wanted[:7]!r}"
    )


def test_an_ambiguous_prefix_lists_the_candidates(db: store.Store) -> None:
    db.create("r")
    db.update_many("r", ({"seed": seed} for seed in range(17)))  # 18 configs, 16 first digits
    hashes = {db.read("r", n).config_hash for n in range(1, 19)}
    digit = next(d for d in "0123456789abcdef" if sum(h[0] == d for h in hashes) > 1)
    shared = sorted(h for h in hashes if h[0] == digit)
    with pytest.raises(store.InvalidChange) as caught:  # 8 digits never collide in a test:
        _find.find(db._recorder, digit)  # the rule itself, below the facade's 8-digit minimum
    assert str(caught.value) == (
        f"config hash prefix {digit!r} is ambiguous: {', '.join(shared)}; give more digits"
    )


def test_find_given_a_revision_hash_names_the_revision(tagged: str) -> None:
    with store.open(tagged) as opened:
        digest = opened.read("r@3").hash
    assert refused(tagged, "find", digest) == (
        "Error: that is the hash of revision r@3, not a config hash; "
        "`store show r@3` prints its config hash"
    )
    assert refused(tagged, "find", digest[:12]).startswith(
        "Error: that is the hash of revision r@3"
    )


# -- 4. stamps with overrides traced back ---------------------------------------------------


def test_find_stamp_rebuilds_the_config_the_trainer_got(tagged: str, tmp_path: Path) -> None:
    stamp = store.read("r@good", url=tagged, overrides=["epochs=7"]).stamp()
    assert run_store(tagged, "find", stamp["config_hash"]).stdout.startswith("no revision has")
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(json.dumps({"step": 900, "store": stamp}), encoding="utf-8")
    done = run_store(tagged, "find", "--stamp", str(checkpoint))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "r@2 with overrides epochs=7"
    assert lines[2].split() == ["revision", "hash", stamp["hash"], stamp["hash"], "matches"]
    assert lines[3].split() == ["config", "hash", *[stamp["config_hash"]] * 2, "matches"]
    shown = run_store(tagged, "show", "r@good", "--override", "epochs=7")
    assert f"config {stamp['config_hash']} with overrides epochs=7" in shown.stdout.splitlines()[0]
    assert "epochs                   7" in shown.stdout
    with store.open(tagged) as opened:
        assert opened.check_stamp(stamp).ok
        assert opened.current("r").epochs == 3  # type: ignore[attr-defined]  # never written


def test_find_stamp_says_which_hash_differs(tagged: str, tmp_path: Path) -> None:
    stamp = {**store.read("r", url=tagged).stamp(), "config_hash": "0" * 64}
    (tmp_path / "stamp.json").write_text(json.dumps(stamp), encoding="utf-8")
    done = run_store(tagged, "find", "--stamp", str(tmp_path / "stamp.json"), "--json")
    assert done.returncode == 1
    found = json.loads(done.stdout)
    assert (found["hash"]["matches"], found["config_hash"]["matches"], found["ok"]) == (
        True,
        False,
        False,
    )
    (tmp_path / "bad.json").write_text('{"run": "r"}', encoding="utf-8")
    assert refused(tagged, "find", "--stamp", str(tmp_path / "bad.json")).startswith(
        "Error: not a stamp: expected a JSON object with run, revision, hash, config_hash"
    )


# -- 5. show --changed ----------------------------------------------------------------------


def test_show_changed_lists_only_values_off_the_schema_defaults(tagged: str) -> None:
    done = run_store(tagged, "show", "r", "--changed")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "path        value",
        "batch_size  16",
        "epochs      3",
        "seed        7",
    ]
    explained = run_store(tagged, "show", "r@1", "--changed", "--explain").stdout
    assert explained.splitlines()[1:] == ["every value is the schema's default"]
    explained = run_store(tagged, "show", "r", "--changed", "--explain", "--override", "ema=true")
    assert explained.stdout.splitlines()[2:] == [
        "batch_size  16     set at revision 3 by ana",
        "epochs      3      set at revision 3 by ana",
        "ema         true   launch override (not written)",
        "seed        7      set at revision 2 by ana",
    ]
    as_json = run_store(tagged, "show", "r", "--changed", "--json")
    assert json.loads(as_json.stdout) == {"batch_size": 16, "epochs": 3, "seed": 7}
    nested = run_store(
        tagged, "show", "r", "--changed", "--json", "--override", "optimizer.name=SGD"
    )
    assert json.loads(nested.stdout)["optimizer"] == {"name": "SGD"}


# -- 6. unset: the schema default, even on a run made from a preset ---------------------------


def test_unset_returns_to_the_schema_default_not_the_preset(db_url: str, tmp_path: Path) -> None:
    preset = tmp_path / "preset.json"
    preset.write_text(json.dumps({"__version": 3, "batch_size": 8}), encoding="utf-8")
    assert run_store(db_url, "create", "p", "--from", str(preset)).returncode == 0
    assert run_store(db_url, "unset", "p", "batch_size").stdout.splitlines()[1:] == [
        "  batch_size: 8 → 4"
    ]
    back = run_store(db_url, "rollback", "p", "--field", "batch_size", "--to", "1")
    assert back.stdout.splitlines()[1:] == ["  batch_size: 4 → 8"]
    with store.open(db_url) as opened:
        assert opened.current("p").batch_size == 8  # type: ignore[attr-defined]
    helped = " ".join(run_store(db_url, "unset", "--help").stdout.split())
    assert "also on a" in helped and "store rollback RUN --field PATH --to REF" in helped


# -- 7. archives in the history -------------------------------------------------------------


def test_history_shows_archives_between_the_revisions(tagged: str) -> None:
    assert run_store(tagged, "archive", "r", "-m", "parked").returncode == 0
    assert run_store(tagged, "unarchive", "r", "--author", "bo", "-m", "back").returncode == 0
    assert run_store(tagged, "set", "r", "epochs=4").returncode == 0
    with store.open(tagged) as opened:
        events = opened.run_events("r")
    assert [(e.action, e.author, e.message) for e in events] == [
        ("archive", "ana", "parked"),
        ("unarchive", "bo", "back"),
    ]
    rows = [line.split() for line in run_store(tagged, "history", "r").stdout.splitlines()]
    assert [row[0] if row[0].isdigit() else row[2] for row in rows[1:] if "→" not in row[0]][
        :4
    ] == [
        "4",
        "unarchive",
        "archive",
        "3",
    ]
    assert rows[2] == [f"{events[1].time[:19]}Z", "bo", "unarchive", "back"]
    limited = run_store(tagged, "history", "r", "--limit", "1").stdout.splitlines()
    assert len(limited) == 2  # the archive happened before the one revision shown
    assert "history RUN" in run_store(tagged, "archive", "--help").stdout


# -- 8. runs --where refuses what cannot hold -------------------------------------------------


def test_where_refuses_an_order_on_text_and_a_value_the_field_cannot_hold(tagged: str) -> None:
    assert refused(tagged, "runs", "--where", "resolution>512") == (
        "Error: resolution is text: > compares numbers"
    )
    assert refused(tagged, "runs", "--where", "gradient_checkpointing=FULL") == (
        "Error: gradient_checkpointing is one of: OFF, ON, CPU_OFFLOADED, not 'FULL'"
    )
    assert refused(tagged, "runs", "--where", "batch_size=x") == (
        "Error: batch_size is a whole number, not 'x'"
    )
    assert refused(tagged, "runs", "--where", "ema=yes") == "Error: ema is yes/no, not 'yes'"
    for fine in ("resolution=512", "gradient_checkpointing=ON", "batch_size>=16", "ema=false"):
        done = run_store(tagged, "runs", "--where", fine)
        assert (done.returncode, done.stdout.splitlines()[1].split()[0]) == (0, "r"), fine


def test_where_in_the_api_names_each_schema_when_they_differ(db: store.Store) -> None:
    db.create("t")
    db.create("o", schema="onetrainer")
    with pytest.raises(store.InvalidChange) as caught:
        db.runs(where=["model_type=FLUX"])
    assert str(caught.value).startswith("model_type is one of: STABLE_DIFFUSION_15, ")
    assert str(caught.value).endswith(", not 'FLUX'")
    with pytest.raises(store.InvalidChange, match=r"\(schema onetrainer\); or yes/no"):
        db.runs(where=["ema=yes"])


# -- 9. schema types for people, no padding when piped --------------------------------------


def test_schema_prints_types_as_people_read_them_unpadded() -> None:
    done = run_store("sqlite:///unused.db", "schema", "onetrainer")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["path", "default", "secret", "type"]
    assert "typing." not in done.stdout and "Literal[" not in done.stdout
    assert not [line for line in lines if line.endswith(" ")]
    assert max(len(line) for line in lines if "one of:" not in line) < 150
    types = {line.split()[0]: line for line in lines}
    assert types["training_method"].endswith("one of: FINE_TUNE, LORA, EMBEDDING, FINE_TUNE_VAE")
    assert types["batch_size"].endswith("  whole number")
    assert types["learning_rate"].endswith("  number")
    assert any(line.endswith("  whole number or null") for line in lines)
    assert types["secrets.huggingface_token"].split()[-3:] == ["yes", "secret", "(reference)"]
    assert types["debug_mode"].endswith("  yes/no")
    changes = run_store("sqlite:///unused.db", "schema", "onetrainer", "--changes").stdout
    assert "str(object=" not in changes and "typing." not in changes


def test_a_type_as_an_upcaster_step_says_what_the_value_becomes() -> None:
    from pydantic import BaseModel

    from store._describe import schema_changes

    class One(BaseModel):
        lr: float = 0.1

    class Two(BaseModel):
        lr: str = "0.1"

    schema = store.Schema(
        "s",
        [store.SchemaVersion(1, One), store.SchemaVersion(2, Two)],
        [store.Upcaster(1, [store.Convert("lr", str)])],
    )
    assert schema_changes(schema)[0].text == "value converted to text"
