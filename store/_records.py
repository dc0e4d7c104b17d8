"""What the log holds: field events grouped into hash-chained revisions (domain; no SQL)."""

from __future__ import annotations

import hashlib
import itertools
import json
import json.encoder
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from store._paths import unflatten

Op = Literal["set", "unset"]
Kind = Literal["create", "update", "rollback", "import"]
GENESIS = "0" * 64
MAX_REVISION = 2**31 - 1
"""The largest revision number a database column holds: past the end of any run."""
MAX_STORED = 2**63 - 1
"""The largest number SQLite stores in that column (one a plain INSERT can put there)."""


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _finite(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("Out of range float values are not JSON compliant")
    return float.__repr__(value)


_QUOTED: Callable[[str], str] = json.encoder.encode_basestring
"""A text's JSON, as the canonical encoder writes it (`ensure_ascii=False`)."""
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _QUOTED,
    int: int.__repr__,
    float: _finite,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _: "null",
}
"""Scalars written as the canonical encoder writes them, without building an encoder per call."""


def decode_all(texts: Iterable[str]) -> list[Any]:
    """The values of stored JSON texts, by one `json.loads` of them joined as an array: a
    decoder call per value costs more than the decoding (replay's and reading's hot path)."""
    values: list[Any] = json.loads(f"[{','.join(texts)}]")
    return values


def encode(value: Any) -> str:
    """Canonical JSON of a value: the exact text stored, hashed and compared."""
    scalar = _SCALARS.get(type(value))
    return scalar(value) if scalar else _CANONICAL.encode(value)


def same_value(old: Any, new: Any) -> bool:
    """Whether two values are equal as stored; a NaN or infinity (no writer stores one: a
    forged value) compared by its text."""
    try:
        return encode(old) == encode(new)
    except ValueError:
        return repr(old) == repr(new)


def is_finite(value: Any) -> bool:
    """Whether a JSON value holds no NaN or infinity anywhere."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(is_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(is_finite(v) for v in value)
    return True


DETAIL_KEYS = (
    "rollback_to",
    "rollback_hash",
    "rollback_fields",
    "forked_from",
    "forked_hash",
    "source",
)
"""The facts a revision's detail may show beside its own fields (`history --json`)."""


def detail_facts(text: str | None) -> dict[str, Any] | None:
    """A revision's stored detail as its facts: None where it has none, or where it is not a
    JSON object (no writer stores one: forged, and `verify` reports it)."""
    if text is None:
        return None
    try:
        facts = json.loads(text)
    except ValueError:
        return None
    return facts if isinstance(facts, dict) else None


def format_time(moment: datetime) -> str:
    """A UTC time as fixed-width ISO 8601, the form stored and hashed."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Event(NamedTuple):
    """One field change: `set path value` or `unset path` (a tuple: imports make thousands)."""

    op: Op
    path: str
    value: Any = None


class Change(NamedTuple):
    """How one path of the effective config moved in a revision."""

    path: str
    old: Any
    new: Any

    @property
    def pinned(self) -> bool:
        """Whether the write kept the value it had (stated, so pinned against new defaults)."""
        return same_value(self.old, self.new)


class StoredRevision(NamedTuple):
    """A revision exactly as the log stores it, event values as their JSON text: what writes
    append, and the fields its hash covers (`verify` recomputes hashes from them)."""

    number: int
    schema_version: int
    created_at: str
    author: str
    message: str
    kind: str
    hash: str
    config_hash: str | None
    detail: str | None
    events: tuple[tuple[str, str, str | None], ...]
    """`(op, path, JSON text or None)` in stored order."""

    def recomputed_hash(self, run: str, schema: str, previous: str) -> str:
        """The hash its stored content and its predecessor's hash give (equal to `hash`
        unless it was altered out of band)."""
        return revision_hash(
            run,
            schema,
            self.number,
            self.schema_version,
            self.created_at,
            self.author,
            self.message,
            self.kind,
            self.events,
            previous,
            self.config_hash,
            self.detail,
        )


@dataclass(frozen=True)
class Revision:
    """An atomic, numbered, hash-chained changeset of one run."""

    run: str
    number: int
    schema_version: int
    created_at: str
    author: str
    message: str
    kind: Kind
    events: tuple[Event, ...]
    hash: str
    changes: tuple[Change, ...] = field(default=(), compare=False)
    config_hash: str | None = None
    """SHA-256 of the effective config right after it, at its schema version (None: older)."""
    detail: Mapping[str, Any] | None = None
    """Facts recorded besides the events, such as `{"rollback_to": 3, …}`."""
    tags: tuple[str, ...] = field(default=(), compare=False)
    """The tags that name this revision now (filled in by `history` and `log`)."""

    def with_changes(self, changes: Iterable[Change]) -> Revision:
        """The same revision, with its changes to the effective config."""
        return self._with(tuple(changes), self.tags)

    def with_tags(self, tags: tuple[str, ...]) -> Revision:
        """The same revision, with the tags that name it."""
        return self._with(self.changes, tags)

    def _with(self, changes: tuple[Change, ...], tags: tuple[str, ...]) -> Revision:
        """A copy with other changes and tags (the constructor: `replace` costs ten times more)."""
        return Revision(
            self.run,
            self.number,
            self.schema_version,
            self.created_at,
            self.author,
            self.message,
            self.kind,
            self.events,
            self.hash,
            changes,
            self.config_hash,
            self.detail,
            tags,
        )

    @property
    def moved(self) -> tuple[Change, ...]:
        """The changes that moved a value: all but the pinned ones."""
        return tuple(c for c in self.changes if not c.pinned)

    @property
    def pinned(self) -> tuple[str, ...]:
        """The paths the revision pinned at the value they had."""
        return tuple(c.path for c in self.changes if c.pinned)

    @property
    def time(self) -> datetime:
        """The creation time as an aware UTC datetime."""
        return datetime.fromisoformat(self.created_at)


def revision_hash(
    run: str,
    schema: str,
    number: int,
    schema_version: int,
    created_at: str,
    author: str,
    message: str,
    kind: str,
    events: Sequence[tuple[str, str, str | None]],
    previous: str,
    config_hash: str | None = None,
    detail: str | None = None,
) -> str:
    """SHA-256 over a revision's canonical content and the previous revision's hash.

    `events` are `(op, path, encoded value or None)` in stored order; `detail` is the
    canonical JSON text of the revision's detail. Revisions written before config hashes
    existed have neither, and hash exactly as they did. The canonical JSON is written
    directly for the types a revision's fields have (`verify` hashes every revision); a
    stored row of other types (forged) takes `encode`.
    """
    if type(number) is int and type(schema_version) is int:
        try:
            listed = ",".join(itertools.starmap(_event_json, events))
            tail = (
                ""
                if config_hash is None and detail is None
                else f",{_nullable(config_hash)},{_nullable(detail)}"
            )
            text = (
                f"[{_QUOTED(run)},{_QUOTED(schema)},{number},{schema_version},"
                f"{_QUOTED(created_at)},{_QUOTED(author)},{_QUOTED(message)},{_QUOTED(kind)},"
                f"[{listed}],{_QUOTED(previous)}{tail}]"
            )
            return hashlib.sha256(text.encode()).hexdigest()
        except (TypeError, ValueError):
            pass
    fields: list[Any] = [
        run,
        schema,
        number,
        schema_version,
        created_at,
        author,
        message,
        kind,
        events,
        previous,
    ]
    if config_hash is not None or detail is not None:
        fields += [config_hash, detail]
    return hashlib.sha256(encode(fields).encode()).hexdigest()


def run_hash(name: str, schema: str, created_at: str, previous: str) -> str:
    """SHA-256 over a run's record and the hash of the run created before it (by id)."""
    return _chained("runs", previous, name, schema, created_at)


def tag_hash(
    run: str, name: str, revision: int, created_at: str, author: str, message: str, previous: str
) -> str:
    """SHA-256 over a tag position and the hash of the run's previous tag row."""
    return _chained("tags", previous, run, name, revision, created_at, author, message)


def run_event_hash(
    run: str, action: str, created_at: str, author: str, message: str, previous: str
) -> str:
    """SHA-256 over an archive or unarchive and the hash of the run's previous one."""
    return _chained("run_events", previous, run, action, created_at, author, message)


def _chained(table: str, previous: str, *content: Any) -> str:
    """SHA-256 of the canonical JSON of a side chain's row: its table, content, predecessor."""
    return hashlib.sha256(encode([table, *content, previous]).encode()).hexdigest()


def _event_json(op: str, path: str, text: str | None) -> str:
    """`encode` of a stored event: its op, path and value's JSON text (or None)."""
    return f"[{_QUOTED(op)},{_QUOTED(path)},{_nullable(text)}]"


def _nullable(text: str | None) -> str:
    """The JSON of a text, or of its absence."""
    return "null" if text is None else _QUOTED(text)


def config_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a complete config (given flat): equal configs, equal
    hashes, in any run. It is `sha256` of `json.dumps(config, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` of the nested config, secrets as references."""
    return hashlib.sha256(encode(unflatten(values)).encode()).hexdigest()


class CanonicalConfig:
    """The canonical JSON of a complete config, kept as fixed fragments between each value's
    canonical text: after one value changes, its config hash costs one join and one SHA-256,
    not a nesting and encoding of the whole config (verification hashes every revision)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        names = list(values)
        marked = encode(unflatten({path: f"\x00{i}\x00" for i, path in enumerate(names)}))
        self._parts = re.split(r'"\\u0000(\d+)\\u0000"', marked)
        self._at: dict[str, int] = {}
        for position in range(1, len(self._parts), 2):
            path = names[int(self._parts[position])]
            self._at[path] = position
            self._parts[position] = encode(values[path])

    def set(self, path: str, text: str) -> None:
        """Give `path` the value whose canonical JSON is `text`."""
        self._parts[self._at[path]] = text

    def hash(self) -> str:
        """The config hash of the config as it now is: `config_hash` of its values."""
        return hashlib.sha256("".join(self._parts).encode()).hexdigest()
