"""`verify`: every run's hash chain recomputed, and revision hashes kept elsewhere checked."""

from __future__ import annotations

from collections.abc import Sequence

from store._persistence import Recorder, Transaction
from store._reads import require_run
from store._records import MAX_REVISION
from store._verify import Problem, VerifyReport, parse_expectation, verify_chain


def verify(recorder: Recorder, run: str | None, expect: Sequence[str]) -> VerifyReport:
    """Recompute every revision hash chain (or one run's) and check expected hashes."""
    problems: list[Problem] = []
    expectations = [parse_expectation(e) for e in expect]
    with recorder.read() as tx:
        rows = [require_run(tx, run)] if run is not None else tx.all_runs()
        for row in rows:
            problems += verify_chain(row.name, row.schema, tx.stored(row))
        for name, number, expected in expectations:
            problems += _expectation(tx, name, number, expected)
    return VerifyReport(not problems, problems, len(rows))


def _expectation(tx: Transaction, run: str, number: int, expected: str) -> list[Problem]:
    """A problem if revision `number` of `run` is missing or its hash is not `expected`."""
    row = require_run(tx, run)
    found = list(tx.stored(row, number - 1, number)) if number <= MAX_REVISION else []
    if not found:
        head = tx.head(row)
        end = head.number if head else 0
        return [Problem(run, number, f"revision {number} is missing (the run ends at {end})")]
    if found[0].hash != expected:
        return [Problem(run, number, f"hash {found[0].hash} is not the expected {expected}")]
    return []
