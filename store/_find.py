""" "Which config made this?": every revision whose effective config, as read today, has a
given config hash (or a prefix of one); an index lookup, plus a replay of runs whose recorded
hashes cannot say. A stamp checked by rebuilding the config it names, overrides and all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from store._errors import InvalidChange
from store._persistence import Recorder
from store._proof import chain_doubt
from store._reads import Reading, read
from store._records import config_hash
from store._registry import get_schema, installed
from store._replay import RunState
from store._rows import RunRow

if TYPE_CHECKING:  # a transaction's statements (and SQLAlchemy) load when one opens
    from store._transaction import Transaction


@dataclass(frozen=True)
class Found:
    """One revision whose config has the hash looked for."""

    run: str
    revision: int
    time: str
    author: str


def find(recorder: Recorder, wanted: str) -> list[Found]:
    """Every run and revision whose effective config has the config hash `wanted` (or the one
    config hash starting with the hex digits `wanted`, as git takes a prefix), newest first."""
    with recorder.read() as tx:
        replayed = _runs_to_replay(tx)
        hits = {  # at the newest version the recorded hash is the read's (`verify`: drift)
            (row, number, digest)
            for row, number, version, digest in tx.with_config_hash(wanted)
            if row.id not in replayed
            and installed(row.name, row.schema)
            and version == get_schema(row.schema).latest
            and _proven(tx, row, number)
        }
        for row in replayed.values():
            hits.update((row, n, digest) for n, digest in _replayed_hits(tx, row, wanted))
        _check_one_hash(tx, wanted, {digest for *_, digest in hits})
        found = [_found(tx, row, number) for row, number, _ in hits]
    return sorted(found, key=lambda f: (f.time, f.run, f.revision), reverse=True)


def _check_one_hash(tx: Transaction, wanted: str, digests: set[str]) -> None:
    """Refuse a prefix that starts several config hashes (listing them), and a revision's
    hash given for a config hash (naming the revision)."""
    if len(digests) > 1:
        raise InvalidChange(
            f"config hash prefix {wanted!r} is ambiguous: {', '.join(sorted(digests))}; "
            "give more digits"
        )
    revisions = [] if digests else tx.with_hash(wanted)
    if revisions:
        named = ", ".join(f"{run}@{number}" for run, number in revisions)
        raise InvalidChange(
            f"that is the hash of revision {named}, not a config hash; "
            f"`store show {named.split(', ')[0]}` prints its config hash"
        )


def _runs_to_replay(tx: Transaction) -> dict[int, RunRow]:
    """Runs whose recorded hashes are not those of today's reading: created at an older
    schema version, or holding revisions written before config hashes existed."""
    unhashed = tx.unhashed_runs()
    return {
        row.id: row
        for row, base in tx.base_versions()
        if base is not None
        and installed(row.name, row.schema)
        and (row.id in unhashed or base < get_schema(row.schema).latest)
    }


def _replayed_hits(tx: Transaction, row: RunRow, wanted: str) -> list[tuple[int, str]]:
    """The revisions of a run, replayed from the start, whose config hash starts with
    `wanted`, with that hash."""
    state: RunState | None = None
    hits = []
    for revision in tx.revisions(row):
        if state is None:
            state = RunState.new(get_schema(row.schema), revision.schema_version)
        state.apply(revision.number, revision.schema_version, revision.events)
        if (digest := config_hash(state.effective())).startswith(wanted):
            hits.append((revision.number, digest))
    return hits


def _proven(tx: Transaction, row: RunRow, number: int) -> bool:
    """Whether the chain proves the revision whose recorded config hash was found (its hash,
    and its MAC under a chain key): a config hash written out of band is never a hit."""
    proof = tx.proof(row, number)
    return proof is not None and chain_doubt(row.name, row.schema, proof, tx.chain_key) is None


def _found(tx: Transaction, row: RunRow, number: int) -> Found:
    """A hit with its revision's time and author."""
    revision = next(tx.revisions(row, number - 1, number))
    return Found(row.name, number, revision.created_at, revision.author)


@dataclass(frozen=True)
class StampCheck:
    """A stamp checked against the log: the config rebuilt as the trainer got it (the stamped
    revision read with the stamped overrides), and whether its hashes are the stamp's."""

    stamp: Mapping[str, Any]
    reading: Reading

    @property
    def hash_matches(self) -> bool:
        """Whether the stamped revision still has the stamped revision hash."""
        return bool(self.reading.hash == self.stamp["hash"])

    @property
    def config_hash_matches(self) -> bool:
        """Whether the rebuilt config has the stamped config hash."""
        return bool(self.reading.config_hash == self.stamp["config_hash"])

    @property
    def ok(self) -> bool:
        """Whether both hashes match."""
        return self.hash_matches and self.config_hash_matches


STAMP_KEYS = ("run", "revision", "hash", "config_hash")


def check_stamp(recorder: Recorder, data: Mapping[str, Any]) -> StampCheck:
    """Rebuild the config a stamp (or a checkpoint's metadata holding one under `"store"`)
    names and compare its hashes with the stamp's."""
    stamp = stamp_in(data)
    reading = read(recorder, stamp["run"], stamp["revision"], stamp.get("overrides") or None)
    return StampCheck(stamp, reading)


def stamp_in(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The stamp in `data`: `data` itself, or what it holds under `"store"`; malformed: refused."""
    stamp = data.get("store", data) if isinstance(data, Mapping) else data
    if not isinstance(stamp, Mapping) or any(k not in stamp for k in STAMP_KEYS):
        raise InvalidChange(
            "not a stamp: expected a JSON object with "
            f"{', '.join(STAMP_KEYS)} (as `store show RUN --stamp` prints), "
            'or a checkpoint\'s metadata holding one under "store"'
        )
    revision, overrides = stamp["revision"], stamp.get("overrides")
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise InvalidChange(f"the stamp's revision is a number, not {revision!r}")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise InvalidChange(f"the stamp's overrides are an object, not {overrides!r}")
    return stamp
