"""History: each revision's changes to the effective config (old → new), one field's
timeline, and where every value of a config comes from (domain; no SQL)."""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from store._element_paths import base_path, finest, matches, spread, value_at
from store._leaves import Leaf
from store._records import Change, Event, Revision, decode_all, encode, same_value
from store._replay import RunState
from store._schema import Flat, Schema


@dataclass(frozen=True)
class Origin:
    """Where one field's effective value comes from (`show --explain`)."""

    path: str
    value: Any
    source: str
    revision: int | None = None
    author: str | None = None
    version: int | None = None

    def describe(self) -> str:
        """One line for people: "set at revision 3 by ana", "default of version 3", …"""
        if self.source == "set":
            return f"set at revision {self.revision} by {self.author}"
        if self.source == "pinned":
            return f"default pinned when the run crossed to version {self.version}"
        if self.source == "legacy":
            return f"legacy default of the upcaster to version {self.version}"
        if self.source == "derived":
            step = f" to version {self.version}" if self.version else ""
            return f"derived by the upcaster{step} from the run's other values"
        return f"default of schema version {self.version}"


def origins(state: RunState, authors: Mapping[int, str]) -> list[Origin]:
    """For every field of a state at the newest version, where its value comes from."""
    schema = state.schema
    defaults = schema.run_defaults(state.base, schema.latest)
    sources = schema.default_origins(state.base)
    found = []
    for path, value in state.values.items():
        if path in state.explicit:
            n = state.explicit[path]
            found.append(Origin(path, value, "set", n, authors.get(n)))
        elif encode(value) != encode(defaults[path]):
            found.append(Origin(path, value, "derived"))
        else:
            source, version = sources[path]
            found.append(Origin(path, value, source, version=version))
    leaves = schema.version(schema.latest).leaves
    return [  # a list of sections by element, each value with the list's origin
        dataclasses.replace(o, path=path, value=value)
        for o in found
        for path, value in spread({o.path: o.value}, leaves).items()
    ]


def element_origins(found: Sequence[Origin], moved: Sequence[Revision]) -> list[Origin]:
    """Origins of values inside elements narrowed from their list's to the revision that last
    set each one, or added its element (`moved`: the revisions that changed those lists,
    newest first)."""
    last: dict[str, Revision] = {}
    for revision in moved:
        for change in revision.changes:
            last.setdefault(change.path, revision)
    narrowed = []
    for origin in found:
        setter = next((last[p] for p in _holders(origin.path) if p in last), None)
        if origin.source == "set" and setter is not None:
            origin = dataclasses.replace(origin, revision=setter.number, author=setter.author)
        narrowed.append(origin)
    return narrowed


def _holders(path: str) -> list[str]:
    """An element path and the element holding it: `concepts[1].a.b`, `concepts[1]`."""
    return [path, path.split("].", 1)[0] + "]"] if "]." in path else [path]


def with_changes(schema: Schema, revisions: Sequence[Revision]) -> list[Revision]:
    """Each revision with its changes to the effective config (path, old, new)."""
    result = []
    state: RunState | None = None
    before: Flat = {}
    for revision in revisions:
        if state is None:
            state = RunState.new(schema, revision.schema_version)
        touched = touched_paths(state, revision.schema_version, revision.events)
        state.apply(revision.number, revision.schema_version, revision.events)
        after = state.effective()
        result.append(
            revision.with_changes(changes(state, before, after, revision.number, touched))
        )
        before = after
    return result


def only_field(revisions: Iterable[Revision], path: str) -> list[Revision]:
    """The revisions that changed `path` (or a value inside it, or the element holding it),
    each with only those changes."""
    return [
        r.with_changes(c for c in r.changes if matches(c.path, path))
        for r in revisions
        if any(matches(c.path, path) for c in r.changes)
    ]


def touched_paths(state: RunState, version: int, events: Sequence[Event]) -> set[str] | None:
    """The paths a revision can change: its events' when no upcaster runs, else any (None)."""
    latest = state.schema.latest
    return {e.path for e in events} if state.version == version == latest else None


def changes(
    state: RunState, before: Flat, after: Flat, number: int, touched: set[str] | None
) -> tuple[Change, ...]:
    """How revision `number` moved the effective config; the first lists what it set."""
    leaves = state.schema.version(state.schema.latest).leaves
    if number == 1:
        defaults = state.schema.run_defaults(state.base, state.schema.latest)
        explicit = _explicit_at(state)
        set_first = (Change(p, defaults[p], after[p]) for p, n in explicit.items() if n == 1)
        return tuple(finest(set_first, leaves))
    paths = after if touched is None else [p for p in after if p in touched]
    moved = (
        Change(p, before.get(p), after[p]) for p in paths if not same_value(before.get(p), after[p])
    )
    return tuple(finest(moved, leaves))


class Step(NamedTuple):
    """One change in a field's timeline: the revision, its time, the value before and after."""

    revision: int
    time: str
    old: Any
    new: Any


def field_steps(
    schema: Schema, field: str, events: Iterable[tuple[int, str, str, str | None]]
) -> list[Step]:
    """The changes of one field of a run written only at the newest version, oldest first,
    from the field's own events `(revision, time, op, canonical JSON text)` in log order.

    No upcaster runs in such a run, so the field moves only by its own events. As in
    `newest_changes`, revision 1 lists the field if it set it; a later revision if it moved
    it. Texts are compared (canonical: equal values, equal texts); a change's old value is
    the one before's new value, so only the new ones are decoded.
    """
    default = schema.run_defaults(schema.latest, schema.latest)[field]
    default_text = text = encode(default)
    moved = []
    for number, group in itertools.groupby(events, key=operator.itemgetter(0)):
        found = list(group)
        old = text
        for _, _, op, stored in found:
            text = stored if op == "set" and stored is not None else default_text
        changed = old != text if number > 1 else any(op == "set" for _, _, op, _ in found)
        if changed:
            moved.append((number, found[0][1], text))
    new = decode_all(text for _, _, text in moved)
    return [
        Step(number, time, old, value)
        for (number, time, _), old, value in zip(moved, [default, *new], new, strict=False)
    ]


def field_timeline(schema: Schema, field: str, revisions: Sequence[Revision]) -> list[Revision]:
    """`with_changes` of a run written only at the newest version, kept to the revisions that
    changed one field, each with only that change (`revisions`: all that touch it)."""
    events = (
        (r.number, r.created_at, e.op, None if e.op == "unset" else encode(e.value))
        for r in revisions
        for e in r.events
        if e.path == field
    )
    by_number = {r.number: r for r in revisions}
    leaves = schema.version(schema.latest).leaves
    return [
        by_number[step.revision].with_changes(finest([Change(field, step.old, step.new)], leaves))
        for step in field_steps(schema, field, events)
    ]


def newest_changes(
    schema: Schema, revisions: Iterable[Revision], last: Mapping[str, tuple[str, Any]]
) -> list[Revision]:
    """`with_changes` for consecutive revisions of a run written only at the newest version.

    No upcaster runs in such a run, so a field's value before the first revision is its
    newest earlier event, `last[path] = (op, value)`, or the run's default: a page of a long
    history needs only its own revisions and one event per path they touch.
    """
    defaults = schema.run_defaults(schema.latest, schema.latest)
    order = {path: i for i, path in enumerate(defaults)}
    values = {p: value if op == "set" else defaults[p] for p, (op, value) in last.items()}
    result = []
    for revision in revisions:
        old: dict[str, Any] = {}
        for event in revision.events:
            old.setdefault(event.path, values.get(event.path, defaults[event.path]))
            values[event.path] = event.value if event.op == "set" else defaults[event.path]
        if revision.number == 1:
            set_paths = dict.fromkeys(e.path for e in revision.events if e.op == "set")
            found = [Change(p, defaults[p], values[p]) for p in set_paths]
        else:
            found = [
                Change(p, old[p], values[p])
                for p in sorted(old, key=order.__getitem__)
                if encode(old[p]) != encode(values[p])
            ]
        result.append(revision.with_changes(finest(found, schema.version(schema.latest).leaves)))
    return result


def _explicit_at(state: RunState) -> dict[str, int]:
    """Which revision set each explicitly set path, as seen at the newest version."""
    latest = state.copy()
    latest.upcast_to(state.schema.latest)
    return latest.explicit


def differences(left: Flat, right: Flat, leaves: Mapping[str, Leaf]) -> list[Change]:
    """The fields whose value differs between two flat configs, as `left → right`, a list of
    sections by element."""
    paths = list(dict.fromkeys([*left, *right]))
    return finest(
        (
            Change(p, left.get(p), right.get(p))
            for p in paths
            if encode(left.get(p)) != encode(right.get(p))
        ),
        leaves,
    )


def element_steps(steps: Iterable[Step], path: str) -> list[Step]:
    """A list's timeline narrowed to one element path: the steps that moved its value."""
    field = base_path(path)
    narrowed = (
        Step(s.revision, s.time, value_at({field: s.old}, path), value_at({field: s.new}, path))
        for s in steps
    )
    return [s for s in narrowed if encode(s.old) != encode(s.new)]
