"""What the log's tables hold, as plain records: runs, revisions as stored, heads, tags,
run events and snapshots (persistence; what `Transaction` returns)."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class HeadConfig:
    """A snapshot of a run's head: the run's schema, the snapshot's key and config JSON (None
    where a secret needs resolving), and the config hash the head records (if any)."""

    schema: str
    fingerprint: str
    config: str | None
    config_hash: str | None
    """The config hash the chain records for the head (None: not recorded)."""


@dataclass(frozen=True)
class HeadState:
    """A run and its head, with one snapshot of its head (key and state) and its first
    revision's schema version and detail: what reading the head needs, in one row."""

    id: int
    schema: str
    created_at: str
    head: int
    schema_version: int
    hash: str
    config_hash: str | None
    fingerprint: str
    state: str
    base: int
    detail: str | None


@dataclass(frozen=True)
class StoredSnapshot:
    """A usable snapshot with what the chain says of its revision, to check it against."""

    revision: int
    state: str
    config_hash: str | None
    schema_version: int
    base: int
