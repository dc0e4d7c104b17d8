"""`verify`: every run's hash chain recomputed and its log replayed against the config hashes
the chain records and the run's snapshots; revision hashes kept elsewhere checked."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from store import _reads
from store._errors import UnknownSchema
from store._persistence import Recorder
from store._reads import require_run, store_snapshot
from store._records import MAX_REVISION
from store._registry import get_schema
from store._rows import RunRow
from store._schema import Schema
from store._verify import (
    Claim,
    Problem,
    RunCheck,
    VerifyReport,
    parse_expectation,
    verify_run,
)

if TYPE_CHECKING:  # a transaction's statements (and SQLAlchemy) load when one opens
    from store._transaction import Transaction


def verify(
    recorder: Recorder, run: str | None, expect: Sequence[str], rebuild: bool = False
) -> VerifyReport:
    """Check every run (or one), and expected hashes; `rebuild` also replaces the snapshots
    of the runs checked by ones made from the replay (in one write transaction)."""
    problems: list[Problem] = []
    expectations = [parse_expectation(e) for e in expect]
    with recorder.write() if rebuild else recorder.read() as tx:
        rows = [require_run(tx, run)] if run is not None else tx.all_runs()
        for row in rows:
            if rebuild:
                tx.lock(row)
            checked = _check(tx, row, _reads.SNAPSHOT_SPACING if rebuild else 0)
            problems += checked.problems + _claims(tx, row, checked.claims)
            if rebuild:
                _rebuild(tx, row, checked)
        for name, number, expected in expectations:
            problems += _expectation(tx, name, number, expected)
    return VerifyReport(not problems, problems, len(rows))


def _check(tx: Transaction, row: RunRow, keep_every: int) -> RunCheck:
    """One run's chain, replay and snapshots (the chain only where its schema is unknown),
    keeping the proven states at the multiples of `keep_every` (0: none)."""
    schema: Schema | None
    try:
        schema = get_schema(row.schema)
    except UnknownSchema:
        schema = None
    with closing(tx.log_rows(row)) as rows:
        return verify_run(row.name, row.schema, schema, rows, tx.snapshots(row), keep_every)


def _claims(tx: Transaction, row: RunRow, claims: Sequence[Claim]) -> list[Problem]:
    """A problem for each hash a detail records of another revision (a rollback's target, a
    fork's source) that is not that revision's hash now."""
    problems = []
    for claim in claims:
        other = tx.run(claim.run)
        found = _stored_hash(tx, other, claim.target) if other is not None else None
        if found != claim.hash:
            now = "is missing" if found is None else f"has hash {found[:12]}…"
            message = (
                f"its {claim.what} {claim.hash[:12]}… names {claim.run}@{claim.target}, "
                f"which {now} (revision {claim.target} of {claim.run} was rewritten)"
            )
            problems.append(Problem(row.name, claim.revision, message))
    return problems


def _stored_hash(tx: Transaction, row: RunRow, number: int) -> str | None:
    """The hash of revision `number` of a run, or None where the log has none."""
    if not 1 <= number <= MAX_REVISION:
        return None
    return next((r.hash for r in tx.stored(row, number - 1, number)), None)


def _rebuild(tx: Transaction, row: RunRow, checked: RunCheck) -> None:
    """Drop the run's snapshots; keep the replayed head if it reproduces the chain's hash,
    and before it the states the replay kept at its spaced revisions."""
    tx.drop_snapshots(row)
    head = checked.state
    if head is None:
        return
    for state in checked.spaced:
        if state.revision < head.revision:
            store_snapshot(tx, row, state, state.effective())
    store_snapshot(tx, row, head, head.effective())


def _expectation(tx: Transaction, run: str, number: int, expected: str) -> list[Problem]:
    """A problem if revision `number` of `run` is missing or its hash is not `expected`."""
    row = require_run(tx, run)
    found = list(tx.stored(row, number - 1, number)) if number <= MAX_REVISION else []
    if not found:
        head = tx.head(row)
        end = head.number if head else 0
        message = f"revision {number} is missing (the run ends at {end})"
        return [Problem(run, number, message, "missing")]
    if found[0].hash != expected:
        message = f"hash {found[0].hash} is not the expected {expected}"
        return [Problem(run, number, message, "expectation")]
    return []
