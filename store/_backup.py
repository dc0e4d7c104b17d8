"""`backup`: a consistent copy of an open SQLite database (what only its WAL holds too),
verified as `verify` checks the database itself."""

from __future__ import annotations

from dataclasses import dataclass

from store._audit import verify
from store._persistence import Recorder, open_recorder, sqlite_path_url
from store._verify import VerifyReport


@dataclass(frozen=True)
class Backup:
    """A copy made: its path, how many runs and revisions it holds, and its `verify` report."""

    path: str
    runs: int
    revisions: int
    report: VerifyReport


def backup(recorder: Recorder, path: str) -> Backup:
    """Copy the database to the new file `path` (SQLite's online backup, while writers go on),
    then open the copy as it is and verify every run in it."""
    recorder.backup(path)
    copy = open_recorder(sqlite_path_url(path), recorder.timeout, upgrade=False, create=False)
    try:
        report = verify(copy, None, ())
        with copy.read() as tx:
            revisions = sum(summary.revisions for summary in tx.summaries())
    finally:
        copy.close()
    return Backup(path, report.runs, revisions, report)
