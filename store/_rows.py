"""What the log's tables hold, as plain records: runs, revisions as stored, heads, tags,
run events and snapshots (persistence; what `Transaction` returns)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from store._proof import Proof
from store._records import StoredRevision


@dataclass(frozen=True)
class RunRow:
    """A run's identity: its id, name, schema and creation time."""

    id: int
    name: str
    schema: str
    created_at: str


@dataclass(frozen=True)
class RunSummary:
    """One line of `runs()`: a run with its revision count, last change, tags and origin."""

    name: str
    schema: str
    revisions: int
    last_change: str | None
    author: str | None
    archived: bool = False
    tags: tuple[str, ...] = ()
    forked_from: str | None = None


@dataclass(frozen=True)
class Tag:
    """A tag's position: the revision it names, and who put it there, when and why."""

    name: str
    revision: int
    time: str
    author: str
    message: str


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to a whole run (`archive`, `unarchive`), with who and when."""

    run: str
    action: str
    time: str
    author: str
    message: str


@dataclass(frozen=True)
class Head:
    """The newest revision of a run: its number, schema version and hash."""

    number: int
    schema_version: int
    hash: str


class HeadRow(NamedTuple):
    """A run and one snapshot of its head (key, config JSON, state), its first revision's
    schema version and detail, and the head as proving it needs it: what reading the head
    needs, in one row (a tuple: made on every `current()`)."""

    id: int
    schema: str
    created_at: str
    fingerprint: str
    config: str | None
    """The snapshot's effective config JSON (None where a secret needs resolving, or where
    the state was read instead)."""
    state: str | None
    """The snapshot's state (None where the config JSON was read instead)."""
    base: int
    detail: str | None
    """The first revision's detail (what a fork names)."""
    proof: Proof
    """The head as stored, its predecessor's hash and its MAC."""

    @classmethod
    def of(cls, row: Sequence[Any]) -> HeadRow:
        """The record of one row of `HEAD_ROW`."""
        events = json.loads(row[17] or "[]")
        listed = tuple((op, path, text) for _, op, path, text in sorted(events))
        stored = StoredRevision._make((*row[8:17], listed))
        return cls._make((*row[:8], Proof(stored, row[18], row[19])))


@dataclass(frozen=True)
class StoredSnapshot:
    """A usable snapshot with what the chain says of its revision, to check it against."""

    revision: int
    state: str
    config_hash: str | None
    schema_version: int
    base: int
