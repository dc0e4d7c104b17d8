"""Reading runs: a run's state from its newest snapshot plus the tail of the log, and the
effective config at a revision (a run's history and the audit views are in `_log`)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from store._element_paths import spread
from store._errors import InvalidReference, RevisionNotFound, RunNotFound, StoreWarning, Unproven
from store._persistence import Recorder
from store._proof import Proof, chain_doubt, config_agrees, state_doubt
from store._records import Revision, config_hash, encode
from store._refs import Ref, parse_ref
from store._registry import get_schema
from store._replay import RunState, snapshot_key
from store._rows import Head, HeadRow, RunRow, StoredSnapshot
from store._schema import Flat, Schema
from store._values import Overrides, check_run_name, config_json, overridden, validate
from store._versions import known_version

SNAPSHOT_SPACING = 1000
"""Besides its head's, a run keeps the newest snapshot at or below each multiple of this many
revisions (written at the multiple itself), so reading any revision replays fewer than this."""

if TYPE_CHECKING:
    from store._transaction import Transaction


@dataclass(frozen=True)
class Reading:
    """A run's effective config at one revision, with that revision's number and hash, and
    the config hash of what was read (at the newest schema version: what a trainer gets)."""

    run: str
    schema: str
    revision: int
    hash: str
    config_hash: str
    config: BaseModel
    values: Flat
    notes: tuple[str, ...] = ()
    forked_from: str | None = None
    overrides: Flat = field(default_factory=dict)
    """Launch overrides applied to `config` and `values` (never written)."""
    schema_version: int = 0
    """The schema version of `config`: the newest this program knows."""

    def stamp(self) -> dict[str, Any]:
        """What a checkpoint should record of the config that made it (plain JSON data):
        `store find` goes back from its `config_hash`, `verify --expect` checks its `hash`."""
        return {
            "run": self.run,
            "revision": self.revision,
            "hash": self.hash,
            "config_hash": self.config_hash,
            "schema": self.schema,
            "schema_version": self.schema_version,
            "overrides": dict(self.overrides),
        }


def read(
    recorder: Recorder, ref: str, revision: int | None, overrides: Overrides = None
) -> Reading:
    """The effective config at a reference (or `revision` of a run), with its number and hash,
    and launch overrides applied (never written)."""
    if revision is None:
        found = _head_reading(recorder, ref, overrides)
        if found is not None:
            return found
    with recorder.read() as tx:
        return reading_in(tx, ref, revision, overrides)


def reading_in(
    tx: Transaction, ref: str, revision: int | None = None, overrides: Overrides = None
) -> Reading:
    """`read` inside an open transaction."""
    row, head, number, state = _state_at(tx, ref, revision)
    digest = head.hash if number == head.number else tx.hash_of(row, number)
    if digest is None:
        raise RevisionNotFound(
            f"run {row.name!r}: revision {number} is missing from the log "
            "(deleted out of band; `store verify` reports it)"
        )
    return _reading(row, number, digest, state, tx.detail(row, 1), overrides)


def _head_reading(recorder: Recorder, ref: str, overrides: Overrides) -> Reading | None:
    """The reading of a run's head from its snapshot, in one statement and no transaction,
    when `ref` names a head and the head proves the snapshot; else None (the full read
    decides, and says what is wrong)."""
    if parse_ref(ref).run != ref:
        return None
    for row in recorder.heads(check_run_name(ref), config=False):
        state = _head_state(recorder.chain_key, ref, row)
        if state is not None:
            run = RunRow(row.id, ref, row.schema, row.created_at)
            detail = None if row.detail is None else dict(json.loads(row.detail))
            head = row.proof.revision
            return _reading(run, head.number, head.hash, state, detail, overrides)
    return None


def _head_state(key: bytes | None, run: str, row: HeadRow) -> RunState | None:
    """The state a snapshot of the head holds if the head proves it: the head's hash and MAC
    hold, the snapshot is at the newest schema version under today's key, its config hash is
    the one the head records and it agrees with the head's own events; else None."""
    schema = get_schema(row.schema)
    head = row.proof.revision
    if row.state is None or not _provable(schema, row.fingerprint, head.schema_version):
        return None
    if chain_doubt(run, row.schema, row.proof, key) is not None:
        return None
    snapshot = StoredSnapshot(
        head.number, row.state, head.config_hash, head.schema_version, row.base
    )
    state = _proven(schema, snapshot)
    if not isinstance(state, RunState) or state_doubt(state, head) is not None:
        return None
    return state


def _provable(schema: Schema, fingerprint: str, version: int) -> bool:
    """Whether a snapshot can be proven at all: made under today's schema, at its newest
    version (at an older one, reading upcasts it by its set fields, which no hash covers)."""
    return fingerprint == snapshot_key(schema) and version == schema.latest


def _reading(
    row: RunRow,
    number: int,
    digest: str,
    state: RunState,
    first_detail: dict[str, Any] | None,
    overrides: Overrides,
) -> Reading:
    """The reading of revision `number` (hash `digest`) of a run in `state`, with `overrides`
    applied; `first_detail` is the detail of its revision 1, which names what it forks."""
    values, applied = overridden(state.schema, state.effective(), overrides)
    config = validate(state.schema, values)
    return Reading(
        row.name,
        row.schema,
        number,
        digest,
        config_hash(values),
        config,
        values,
        tuple(state.notes),
        forked_from=(first_detail or {}).get("forked_from"),
        overrides=applied,
        schema_version=state.schema.latest,
    )


def values_at(tx: Transaction, ref: str) -> Flat:
    """The flat effective config at a reference, unvalidated, each list of sections spread
    into element paths (`concepts[0].name`): what comparing and filtering need."""
    state = _state_at(tx, ref, None)[3]
    return spread(state.effective(), state.schema.version(state.schema.latest).leaves)


def _state_at(
    tx: Transaction, ref: str, revision: int | None
) -> tuple[RunRow, Head, int, RunState]:
    """The run, its head, the revision named and the run's state right after it."""
    row, head, number = target(tx, ref, revision)
    return row, head, number, load(tx, row, number)[0]


def resolve(recorder: Recorder, ref: str) -> tuple[str, int]:
    """The run and revision number a reference names."""
    with recorder.read() as tx:
        row, _, number = target(tx, ref, None)
    return row.name, number


def target(tx: Transaction, ref: str, revision: int | None) -> tuple[RunRow, Head, int]:
    """The run, its head and the revision number named by `ref` (or by `revision`)."""
    parsed = parse_ref(ref)
    row = require_run(tx, parsed.run)
    head = require_head(tx, row)
    if revision is not None:
        if parsed.run != ref:
            raise InvalidReference(f"give either {ref!r} or a revision number, not both")
        return row, head, check_revision(row.name, revision, head.number)
    return row, head, _number(tx, row, head, parsed)


def _number(tx: Transaction, row: RunRow, head: Head, ref: Ref) -> int:
    """The revision number a parsed reference names in its run."""
    if ref.number is not None:
        return check_revision(row.name, ref.number, head.number)
    if ref.back is not None:
        if ref.back >= head.number:
            raise InvalidReference(
                f"{ref.text}: run {row.name!r} has {head.number} revision(s); "
                f"there is nothing {ref.back} before the head"
            )
        return head.number - ref.back
    if ref.time is not None:
        found = tx.revision_at(row, ref.time)
        if found is None:
            raise InvalidReference(f"{ref.text}: run {row.name!r} had no revision yet at that time")
        return found
    if ref.tag is not None:
        found = tx.tag_position(row, ref.tag)
        if found is None:
            raise InvalidReference(f"{ref.text}: run {row.name!r} has no tag {ref.tag!r}")
        if not 1 <= found <= head.number:  # planted out of band: `verify` reports it
            raise RevisionNotFound(
                f"{ref.text}: tag {ref.tag!r} names revision {found}, which run {row.name!r} "
                f"does not have (revisions 1..{head.number})"
            )
        return found
    return head.number


def current(recorder: Recorder, run: str, overrides: Overrides = None) -> BaseModel:
    """The run's effective config (with `overrides` applied, as `read` applies them); the
    fast path validates the JSON kept with the head once the head's hash and MAC hold, its
    SHA-256 is the config hash the head records, and it holds the values the head set."""
    if overrides:
        return read(recorder, run, None, overrides).config
    name = check_run_name(run)
    rows = recorder.read_run(recorder.head_sql[True], name)
    known = recorder.proven.get(name)
    if known is not None and [known[0]] == rows and get_schema(known[1].name) is known[1]:
        return known[1].model.model_validate_json(rows[0][4])  # the very row proven before
    found = [HeadRow.of(row) for row in rows]
    cached = [r for r in found if r.config and r.fingerprint == snapshot_key(get_schema(r.schema))]
    for raw, row in zip(rows, found, strict=True):
        schema = get_schema(row.schema)
        if row in cached and _served(recorder.chain_key, run, schema, row):
            with contextlib.suppress(ValidationError):  # the replay says what is wrong
                config = schema.model.model_validate_json(row.config or "")
                if config_agrees(config, row.config or "", row.proof.revision.events):
                    recorder.proven[name] = (raw, schema)
                    return config
    reading = read(recorder, run, None)
    for row in cached:
        if _content_hash(row.config or "") != reading.config_hash:
            report_snapshot(run, reading.revision, "the config kept with the snapshot")
    return reading.config


def _served(key: bytes | None, run: str, schema: Schema, row: HeadRow) -> bool:
    """Whether the config JSON kept with a snapshot of the head is proven by the head: the
    head's hash and MAC hold and its SHA-256 is the config hash the head records (whether it
    holds the values the head's own events set is checked once validated)."""
    head = row.proof.revision
    return (
        _provable(schema, row.fingerprint, head.schema_version)
        and _sha256(row.config) == head.config_hash
        and chain_doubt(run, row.schema, row.proof, key) is None
    )


def _sha256(text: str | None) -> str:
    return hashlib.sha256((text or "").encode()).hexdigest()


def _content_hash(text: str) -> str | None:
    """The config hash of a config JSON text in any key order or spacing (None: not JSON)."""
    try:
        return hashlib.sha256(encode(json.loads(text)).encode()).hexdigest()
    except ValueError:
        return None


def report_snapshot(run: str, revision: int, what: str) -> None:
    """Warn that a snapshot failed its check against the log, which was replayed instead."""
    warnings.warn(
        StoreWarning(
            f"run {run!r}: revision {revision}: {what} does not match the config hash the "
            "chain records; the config was replayed from the log "
            "(`store verify --rebuild-snapshots` replaces the snapshot)"
        ),
        stacklevel=3,
    )


def head(recorder: Recorder, run: str) -> Revision:
    """The run's newest revision."""
    with recorder.read() as tx:
        row = require_run(tx, run)
        newest = require_head(tx, row)
        return next(tx.revisions(row, newest.number - 1))


def require_run(tx: Transaction, run: str) -> RunRow:
    """The run called `run`; `RunNotFound` if there is none."""
    row = tx.run(check_run_name(run))
    if row is None:
        raise RunNotFound(f"no run named {run!r}")
    return row


def require_head(tx: Transaction, row: RunRow) -> Head:
    """The run's newest revision, refused if a newer program wrote it (invariant 8)."""
    newest = tx.head(row)
    if newest is None:
        raise RevisionNotFound(f"run {row.name!r} has no revisions")
    known_version(get_schema(row.schema), row.name, newest.schema_version)
    return newest


def check_revision(run: str, revision: int, head: int) -> int:
    """Refuse a revision number outside 1..head."""
    if isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= head:
        raise RevisionNotFound(
            f"run {run!r} has revisions 1..{head}; there is no revision {revision}"
        )
    return revision


def load(tx: Transaction, row: RunRow, upto: int) -> tuple[RunState, int, int]:
    """The run's state at `upto` from the newest snapshot the chain proves plus the tail of
    the log, once the chain proves revision `upto` itself (else `Unproven`).

    Also where that snapshot was, and how many events the tail held.
    """
    schema = get_schema(row.schema)
    proof = prove(tx, row, upto)
    key = snapshot_key(schema)
    state: RunState | None = None
    snapshot = tx.snapshot(row, upto, key)
    while snapshot is not None and (state := _checked(tx, row, schema, snapshot, proof)) is None:
        snapshot = tx.snapshot(row, snapshot.revision - 1, key)  # failed: the one before it
    if state is None:
        base = tx.base_version(row)
        if base is None:  # pragma: no cover - a run always has revision 1
            raise RevisionNotFound(f"run {row.name!r} has no revisions")
        state = RunState.new(schema, known_version(schema, row.name, base))
    snapshot_at = state.revision
    tail = tx.replay_rows(row, state.revision, upto) if state.revision < upto else ()
    tail_events = state.fold(tail)
    return state, snapshot_at, tail_events


def prove(tx: Transaction, row: RunRow, number: int) -> Proof:
    """Revision `number` as stored, once the chain proves it (its hash, and its MAC under a
    chain key); `Unproven` naming the run and revision if it does not."""
    proof = tx.proof(row, number)
    if proof is None:  # the caller checked the number against the head: a hole in the log
        raise RevisionNotFound(
            f"run {row.name!r}: revision {number} is missing from the log "
            "(deleted out of band; `store verify` reports it)"
        )
    doubt = chain_doubt(row.name, row.schema, proof, tx.chain_key)
    if doubt is not None:
        raise Unproven(
            f"run {row.name!r}: revision {number}: {doubt}; it is not served "
            "(altered out of band: `store verify` lists what)"
        )
    return proof


def _checked(
    tx: Transaction, row: RunRow, schema: Schema, snapshot: StoredSnapshot, read: Proof
) -> RunState | None:
    """The snapshot's state if the chain proves it (its revision's hash holds, its config
    hash is the one that revision records, it agrees with that revision's events), else
    None: reported when it fails, silent when nothing can prove it."""
    if not _provable(schema, snapshot_key(schema), snapshot.schema_version):
        return None
    proof = read if snapshot.revision == read.revision.number else tx.proof(row, snapshot.revision)
    if proof is None or chain_doubt(row.name, row.schema, proof, tx.chain_key) is not None:
        state: RunState | str | None = "the snapshot (whose revision the chain does not prove)"
    else:
        state = _proven(schema, snapshot)
        if isinstance(state, RunState) and state_doubt(state, proof.revision) is not None:
            state = "the snapshot"
    if isinstance(state, str):
        report_snapshot(row.name, snapshot.revision, state)
        return None
    return state


def _proven(schema: Schema, snapshot: StoredSnapshot) -> RunState | str | None:
    """The snapshot's state if its config hash is the one its revision records; else what
    failed the check, or None where the chain records no config hash to check it by."""
    if snapshot.config_hash is None:
        return None
    try:
        state = RunState.load(schema, snapshot.revision, snapshot.state)
    except ValueError:
        return "the snapshot (which cannot be decoded)"
    if (state.base, state.version) != (snapshot.base, snapshot.schema_version) or config_hash(
        state.values
    ) != snapshot.config_hash:
        return "the snapshot"
    return state


def is_spaced(revision: int) -> bool:
    """Whether a run keeps its snapshot at `revision` once the head moves past it."""
    return revision % SNAPSHOT_SPACING == 0


def store_snapshot(tx: Transaction, row: RunRow, state: RunState, effective: Flat) -> None:
    """Keep `state` as the run's head snapshot, with its effective config as canonical JSON.

    It replaces the run's previous head snapshot unless a multiple of `SNAPSHOT_SPACING`
    lies between the two: then the old one stays, so reading an old revision replays little.
    """
    schema = state.schema
    config = config_json(schema, effective)
    keep_upto = (state.revision - 1) // SNAPSHOT_SPACING * SNAPSHOT_SPACING
    tx.save_snapshot(
        row, state.revision, snapshot_key(schema), state.version, state.dump(), config, keep_upto
    )


def replay(row: RunRow, revisions: Sequence[Revision], upto: int | None = None) -> RunState:
    """A full replay of already-read revisions, up to `upto`."""
    schema = get_schema(row.schema)
    state = RunState.new(schema, known_version(schema, row.name, revisions[0].schema_version))
    for revision in revisions:
        if upto is not None and revision.number > upto:
            break
        version = known_version(schema, row.name, revision.schema_version)
        state.apply(revision.number, version, revision.events)
    return state
