"""Replay: folding a run's events, upcast version by version, into its config (domain; no SQL)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store._errors import SchemaVersionTooNew
from store._notes import collect_notes
from store._records import decode_all
from store._schema import Flat, Schema

SNAPSHOT_FORMAT = 2
"""The layout of `RunState.dump`; snapshots of another layout are ignored, like another schema's."""


def snapshot_key(schema: Schema) -> str:
    """What a snapshot is stored under: the schema's fingerprint and the snapshot layout."""
    return _key(schema.fingerprint)


@functools.cache
def _key(fingerprint: str) -> str:
    """`snapshot_key` of a fingerprint, hashed once: every `current()` asks for it."""
    return hashlib.sha256(f"{fingerprint}/{SNAPSHOT_FORMAT}".encode()).hexdigest()[:32]


@dataclass
class RunState:
    """A run's complete config at one schema version, and which fields were set and when.

    `values` is always complete for `version` (every field has a value), which is what
    makes a missing field impossible in an upcaster (invariant 2).
    """

    schema: Schema
    base: int
    version: int
    revision: int = 0
    values: Flat = field(default_factory=dict)
    explicit: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, schema: Schema, base: int) -> RunState:
        """The state of a run created at schema version `base`, before any event."""
        return cls(schema, base, base, values=dict(schema.version(base).default_values))

    def copy(self) -> RunState:
        """An independent copy (values are never mutated in place, so a shallow copy is enough)."""
        return RunState(
            self.schema,
            self.base,
            self.version,
            self.revision,
            dict(self.values),
            dict(self.explicit),
        )

    def upcast_to(self, version: int) -> None:
        """Bring the config up to `version` through the schema's upcasters."""
        if version > self.schema.latest:
            raise SchemaVersionTooNew(
                f"schema {self.schema.name!r} version {version} is newer than this program "
                f"knows (newest: {self.schema.latest}); upgrade store"
            )
        if version > self.version:
            with collect_notes() as notes:
                self.schema.upcast(self.values, self.explicit, self.version, version)
            self.notes.extend(n for n in notes if n not in self.notes)
            self.version = version

    def apply(
        self, number: int, schema_version: int, events: Iterable[tuple[str, str, Any]]
    ) -> None:
        """Fold one revision's events, written at `schema_version`, into the state."""
        if schema_version != self.version:
            self.upcast_to(schema_version)
        for op, path, value in events:
            self._put(number, op, path, value)
        self.revision = number

    def fold(self, batches: Iterable[Sequence[Any]]) -> int:
        """Fold raw log rows `(number, schema_version, op, path, JSON text)`; count the events.

        The same fold as `apply`, without building an object per event: replay's hot path.
        Each batch's values are decoded by one `json.loads` of the texts joined as an array.
        """
        count = 0
        for batch in batches:
            decoded = iter(decode_all(row[4] for row in batch if row[2] == "set"))
            for number, version, op, path, _ in batch:
                if version != self.version:
                    self.upcast_to(version)
                if op is not None:
                    self._put(number, op, path, next(decoded) if op == "set" else None)
                    count += 1
                self.revision = number
        return count

    def _put(self, number: int, op: str, path: str, value: Any) -> None:
        """One event: `set` records the value and who set it; `unset` restores the run default."""
        if op == "set":
            self.values[path] = value
            self.explicit[path] = number
        else:
            self.values[path] = self.schema.run_defaults(self.base, self.version)[path]
            self.explicit.pop(path, None)

    def effective(self) -> Flat:
        """The flat config at the schema's newest version (a new dict; the state is unchanged)."""
        if self.version == self.schema.latest:
            return dict(self.values)
        latest = self.copy()
        latest.upcast_to(self.schema.latest)
        self.notes.extend(n for n in latest.notes if n not in self.notes)
        return latest.values

    def dump(self) -> str:
        """Serialise for a snapshot: `explicit` as revision numbers in the order of `values`."""
        return json.dumps(
            {
                "base": self.base,
                "version": self.version,
                "values": self.values,
                "explicit": [self.explicit.get(path, 0) for path in self.values],
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, schema: Schema, revision: int, text: str) -> RunState:
        """Rebuild a state from a snapshot made by `dump`; `ValueError` if it is not one."""
        try:
            data: dict[str, Any] = json.loads(text)
            base, version, values = data["base"], data["version"], data["values"]
            marks = zip(values, data["explicit"], strict=True)
            explicit = {path: n for path, n in marks if n}
            complete = values.keys() == schema.version(version).leaves.keys()
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"the snapshot cannot be decoded ({type(exc).__name__})") from None
        if not (complete and schema.knows(base) and base <= version):
            raise ValueError("the snapshot does not hold a complete config of a known version")
        return cls(schema, base, version, revision, values, explicit)


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot: the revision it caches, the key it was made under, its texts."""

    revision: int
    key: str
    state: str
    config: str | None
