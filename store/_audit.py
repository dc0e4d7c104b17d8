"""`verify`: every run's hash chain recomputed and its log replayed against the config hashes
the chain records and the run's snapshots; revision hashes kept elsewhere checked."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from functools import partial
from typing import TYPE_CHECKING

from store import _reads
from store._digests import Anchor, Digest
from store._errors import UnknownSchema
from store._persistence import Recorder
from store._proof import mac_doubt
from store._reads import prove, require_run, store_snapshot
from store._records import run_event_hash, run_hash, tag_hash
from store._registry import get_schema
from store._rows import RunRow
from store._schema import Schema
from store._verify import (
    Claim,
    Link,
    Problem,
    RunCheck,
    VerifyReport,
    parse_expectation,
    side_chain,
    verify_run,
)

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
            problems += checked.problems + _claims(tx, row, checked.claims)
            problems += _tags(tx, row) + _run_events(tx, row) + _macs(tx, row)
            if rebuild:
                _rebuild(tx, row, checked)
        if run is None:
            problems += _runs(tx)
        for name, number, expected in [*expectations, *anchors]:  # a run gone among the others
            problems += _expectation(tx, name, number, expected)
    return VerifyReport(not problems, problems, len(rows))


def _runs(tx: Transaction) -> list[Problem]:
    """The runs' own chain: a run deleted out of band breaks the hash of the run after it."""
    legacy = tx.legacy_below("runs")
    return side_chain(
        Link(
            row.name,
            "the run's record, or the run created before it (deleted?)",
            0,
            stored,
            partial(run_hash, row.name, row.schema, row.created_at),
            row.id < legacy,
        )
        for row, stored in tx.run_chain()
    )


def _tags(tx: Transaction, row: RunRow) -> list[Problem]:
    """The run's tag rows in their chain, and each tag naming a revision the run has."""
    legacy = tx.legacy_below("tags")
    links = [
        Link(
            row.name,
            f"tag {tag.name!r} at revision {tag.revision} ({tag.time}, {tag.author})",
            tag.revision,
            stored,
            partial(tag_hash, row.name, tag.name, tag.revision, tag.time, tag.author, tag.message),
            row_id < legacy,
        )
        for row_id, tag, stored in tx.tag_chain(row)
    ]
    head = tx.head(row)
    end = head.number if head else 0
    return side_chain(links) + [
        Problem(row.name, tag.revision, f"tag {tag.name!r} names no revision of the run (1..{end})")
        for tag in tx.current_tags(row)
        if not 1 <= tag.revision <= end
    ]


def _run_events(tx: Transaction, row: RunRow) -> list[Problem]:
    """The run's archives and unarchives in their chain."""
    legacy = tx.legacy_below("run_events")
    links = [
        Link(
            row.name,
            f"{event.action} ({event.time}, {event.author})",
            0,
            stored,
            partial(
                run_event_hash, row.name, event.action, event.time, event.author, event.message
            ),
            row_id < legacy,
        )
        for row_id, event, stored in tx.run_event_chain(row)
    ]
    return side_chain(links)


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
        checked = verify_run(row.name, row.schema, schema, rows, tx.snapshots(row), keep_every)
    if schema is None:
        said = f"schema {row.schema!r} is not installed: its chain is checked, its log not replayed"
        checked.problems.append(Problem(row.name, 0, said, "schema"))
    return checked


def _claims(tx: Transaction, row: RunRow, claims: Sequence[Claim]) -> list[Problem]:
    """A problem for each hash a detail records of another revision (a rollback's target, a
    fork's source) that is not that revision's hash now."""
    problems = []
    for claim in claims:
        other = tx.run(claim.run)
        found = tx.hash_of(other, claim.target) if other is not None else None
        if found != claim.hash:
            now = "is missing" if found is None else f"has hash {found[:12]}…"
            message = (
                f"its {claim.what} {claim.hash[:12]}… names {claim.run}@{claim.target}, "
                f"which {now} (revision {claim.target} of {claim.run} was rewritten)"
            )
            problems.append(Problem(row.name, claim.revision, message))
    return problems


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
    row = tx.run(run)
    if row is None:
        return [Problem(run, number, f"no run named {run!r} (deleted out of band?)", "missing")]
    head = tx.head(row)
    end = head.number if head else 0
    found = tx.hash_of(row, number)
    if found is None:
        said = f"the run ends at {end}" if number > end else "deleted out of band"
        return [Problem(run, number, f"revision {number} is missing ({said})", "missing")]
    if number > end:
        message = (
            f"revision {number} lies outside the run's revisions 1..{end} (inserted out of "
            "band): no hash there is the run's"
        )
        return [Problem(run, number, message, "expectation")]
    if found != expected:
        message = f"hash {found} is not the expected {expected}"
        return [Problem(run, number, message, "expectation")]
    return []
