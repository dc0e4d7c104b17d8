""" "Which config made this?": every revision whose effective config, as read today, has a
given config hash; an index lookup, plus a replay of runs whose recorded hashes cannot say."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from store._persistence import Recorder
from store._proof import chain_doubt
from store._records import config_hash
from store._registry import get_schema
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
    """Every run and revision whose effective config has the config hash `wanted`, newest first."""
    with recorder.read() as tx:
        replayed = _runs_to_replay(tx)
        hits = {  # at the newest version the recorded hash is the read's (`verify`: drift)
            (row, number)
            for row, number, version in tx.with_config_hash(wanted)
            if row.id not in replayed
            and version == get_schema(row.schema).latest
            and _proven(tx, row, number)
        }
        for row in replayed.values():
            hits.update((row, n) for n in _replayed_hits(tx, row, wanted))
        found = [_found(tx, row, number) for row, number in hits]
    return sorted(found, key=lambda f: (f.time, f.run, f.revision), reverse=True)


def _runs_to_replay(tx: Transaction) -> dict[int, RunRow]:
    """Runs whose recorded hashes are not those of today's reading: created at an older
    schema version, or holding revisions written before config hashes existed."""
    unhashed = tx.unhashed_runs()
    return {
        row.id: row
        for row, base in tx.base_versions()
        if base is not None and (row.id in unhashed or base < get_schema(row.schema).latest)
    }


def _replayed_hits(tx: Transaction, row: RunRow, wanted: str) -> list[int]:
    """The revisions of a run, replayed from the start, whose config hashes to `wanted`."""
    state: RunState | None = None
    hits = []
    for revision in tx.revisions(row):
        if state is None:
            state = RunState.new(get_schema(row.schema), revision.schema_version)
        state.apply(revision.number, revision.schema_version, revision.events)
        if config_hash(state.effective()) == wanted:
            hits.append(revision.number)
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
