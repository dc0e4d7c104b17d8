"""`verify`: every run's hash chain recomputed and its log replayed against the config hashes
the chain records and the run's snapshots; revision hashes kept elsewhere checked."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from store import _reads
from store._digests import Anchor, Digest
from store._errors import UnknownSchema
from store._persistence import Recorder
from store._proof import mac_doubt
from store._reads import prove, require_run, store_snapshot
from store._records import MAX_REVISION
from store._registry import get_schema
from store._rows import RunRow
from store._schema import Schema
from store._verify import Problem, RunCheck, VerifyReport, parse_expectation, verify_run

if TYPE_CHECKING:  # a transaction's statements (and SQLAlchemy) load when one opens
    from store._transaction import Transaction


def verify(
    recorder: Recorder,
    run: str | None,
    expect: Sequence[str],
    rebuild: bool = False,
    anchors: Sequence[Anchor] = (),
) -> VerifyReport:
    """Check every run (or one), and expected hashes; `rebuild` also replaces the snapshots
    of the runs checked by ones made from the replay (in one write transaction); `anchors`
    (from digests and stamps) are checked as expectations, a deleted run among the others."""
    problems: list[Problem] = []
    expectations = [parse_expectation(e) for e in expect]
    with recorder.write() if rebuild else recorder.read() as tx:
        rows = [require_run(tx, run)] if run is not None else tx.all_runs()
        for row in rows:
            if rebuild:
                tx.lock(row)
            checked = _check(tx, row, _reads.SNAPSHOT_SPACING if rebuild else 0)
            problems += checked.problems
            problems += _macs(tx, row)
            if rebuild:
                _rebuild(tx, row, checked)
        for name, number, expected in expectations:
            problems += _expectation(tx, name, number, expected)
        problems += _anchored(tx, anchors)
    return VerifyReport(not problems, problems, len(rows))


def digests(recorder: Recorder, run: str | None) -> list[Digest]:
    """Every run's (or one run's) head as a digest to keep elsewhere, once its chain proves it."""
    with recorder.read() as tx:
        rows = [require_run(tx, run)] if run is not None else tx.all_runs()
        found = []
        for row in rows:
            head = tx.head(row)
            if head is not None:
                stored = prove(tx, row, head.number).revision
                found.append(Digest(row.name, stored.number, stored.hash, stored.created_at))
    return found


def _anchored(tx: Transaction, anchors: Sequence[Anchor]) -> list[Problem]:
    """The problems of anchors kept elsewhere: a run gone is one problem, not an abort."""
    problems: list[Problem] = []
    for name, number, expected in anchors:
        if tx.run(name) is None:
            gone = "the run is gone (deleted out of band, or renamed)"
            problems.append(Problem(name, number, gone, "missing"))
        else:
            problems += _expectation(tx, name, number, expected)
    return problems


def _macs(tx: Transaction, row: RunRow) -> list[Problem]:
    """Under a chain key, the run's revisions the key does not prove: every one from its
    first MAC'd revision on needs a right MAC; one written before the key is accepted only
    below a MAC'd one (a run no MAC covers is reported at its head)."""
    key = tx.chain_key
    if key is None:
        return []
    rows = tx.macs(row)
    signed = next((i for i, (_, _, mac) in enumerate(rows) if mac is not None), None)
    if signed is None:
        said = "no revision carries a chain MAC (written before the key was set, or rewritten)"
        return [Problem(row.name, rows[-1][0], said, "chain")] if rows else []
    return [
        Problem(row.name, number, doubt, "chain")
        for number, digest, mac in rows[signed:]
        if (doubt := mac_doubt(key, digest, mac)) is not None
    ]


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
