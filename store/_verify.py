"""Verification: the hash chains (what was altered, removed or inserted out of band), and a
replay of each run against the config hashes its chain records and its snapshots (domain)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from store._errors import StoreError
from store._paths import flatten
from store._records import (
    GENESIS,
    CanonicalConfig,
    StoredRevision,
    config_hash,
    decode_all,
    detail_facts,
    encode,
)
from store._replay import RunState, Snapshot, snapshot_key
from store._schema import Flat, Schema, step_paths
from store._values import config_json

ProblemKind = Literal["chain", "forged", "snapshot", "drift", "missing", "expectation", "schema"]
SHOWN = 3
"""How many differing fields a problem names (and missing revision numbers, one by one)."""

EXPECTATION = re.compile(
    r"(?P<run>[A-Za-z0-9][A-Za-z0-9._-]{0,127})@(?P<number>[0-9]+):(?P<hash>[0-9a-f]{64})"
)


class Claim(NamedTuple):
    """A revision's detail naming another revision by its hash (a rollback's target, a fork's
    source): `verify` looks that revision up and compares."""

    revision: int
    what: str
    """`rollback_hash` or `forked_hash`."""
    run: str
    target: int
    hash: str


class Logged(NamedTuple):
    """A revision as the log stores it, with its events' values decoded for the replay."""

    stored: StoredRevision
    changes: list[tuple[str, str, Any]]
    """The events with their values decoded."""
    decodable: bool
    """Whether every value decodes (the replay stops at a revision whose values do not)."""


@dataclass(frozen=True)
class Problem:
    """One thing that fails verification: where (run, revision), what kind, and why."""

    run: str
    revision: int
    message: str
    kind: ProblemKind = "chain"

    @property
    def detail(self) -> str:
        """What is wrong, in words (the `detail` of `verify --json`)."""
        return self.message

    def __str__(self) -> str:
        return f"{self.run}: revision {self.revision}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `verify()`: `ok` when every chain holds, every recorded config hash
    replays, every snapshot matches the log and every expectation matches."""

    ok: bool
    problems: list[Problem] = field(default_factory=list)
    runs: int = 0


@dataclass
class RunCheck:
    """One run verified: its problems, and its replayed state at the head when that state
    reproduces the head's recorded config hash (safe to keep as a snapshot)."""

    problems: list[Problem] = field(default_factory=list)
    state: RunState | None = None
    spaced: list[RunState] = field(default_factory=list)
    """Copies of the replayed state at each multiple of `keep_every` whose config hash is the
    one the chain records there (snapshots to keep besides the head's)."""
    claims: list[Claim] = field(default_factory=list)
    """The hashes of other revisions its details record, to look up."""


class Link(NamedTuple):
    """One row of a side chain (a run, a tag position, a run event) as `verify` checks it."""

    run: str
    what: str
    """The row in words, for its problem."""
    revision: int
    """The revision its problem names (0: none)."""
    hash: str | None
    """The hash stored with it (None: written before the chain existed)."""
    digest: Callable[[str], str]
    """Its hash recomputed from its content after a given previous hash."""
    legacy: bool
    """Whether it may lack a hash (written before migration 0006)."""


def side_chain(links: Iterable[Link]) -> list[Problem]:
    """The problems of a side chain: each row must hash its content and the previous row's
    hash; rows without a hash (written before migration 0006) only at its start."""
    problems = []
    previous: str | None = None
    for link in links:
        if link.hash is None and (previous is not None or not link.legacy):
            said = f"{link.what} has no hash, though written after migration 0006 (forged)"
            problems.append(Problem(link.run, link.revision, said))
        elif link.hash is not None and link.digest(previous or GENESIS) != link.hash:
            said = (
                f"{link.what}: hash does not match its content and the row before it "
                "(altered, or inserted or deleted out of band)"
            )
            problems.append(Problem(link.run, link.revision, said))
        previous = link.hash or previous
    return problems


def parse_expectation(text: str) -> tuple[str, int, str]:
    """Split `RUN@N:HASH` (a hash kept outside the database) into its parts."""
    if not isinstance(text, str):
        raise StoreError(f"expected RUN@N:HASH text, got {text!r}")
    match = EXPECTATION.fullmatch(text.strip())
    if not match:
        raise StoreError(f"expected RUN@N:HASH with a 64-digit hex hash, got {text!r}")
    return match["run"], int(match["number"]), match["hash"]


def verify_run(
    run: str,
    schema_name: str,
    schema: Schema | None,
    batches: Iterable[Sequence[tuple[Any, ...]]],
    snapshots: Sequence[Snapshot],
    keep_every: int = 0,
) -> RunCheck:
    """Recompute one run's chain and replay it (`schema` None: the chain only), from its log
    rows as `Transaction.log_rows` streams them; `keep_every` > 0 keeps the proven states
    at its multiples (`RunCheck.spaced`).

    The replay stops at the first revision the chain does not prove; up to there, each
    recorded config hash is compared with the replay (drift) and each snapshot with both.
    """
    check = RunCheck()
    chain = _Chain(run, schema_name)
    waiting: dict[int, list[Snapshot]] = {}
    for snapshot in snapshots:
        waiting.setdefault(snapshot.revision, []).append(snapshot)
    replay = _Replay(schema) if schema is not None else None
    proven = replay is not None
    now: str | None = None
    drift, upcast = _Drift(), _Upcast()
    agreed, version = False, 0  # the revision before: whether it replayed, its version
    for logged in _logged(batches):
        revision = logged.stored
        broken = chain.check(revision)
        if revision.detail is not None:
            broken += _detail_problems(run, revision, check.claims)
        check.problems += broken
        proven = proven and not broken
        now = replay.step(logged) if proven and replay is not None else None
        if proven and now is None and replay is not None and replay.failure:
            check.problems.append(Problem(run, revision.number, replay.failure))
        proven = now is not None
        unexpected = now != revision.config_hash or revision.number in waiting  # else agreed
        if now is None or replay is None or replay.state is None:
            continue
        if unexpected:
            found = waiting.pop(revision.number, ())
            forged = agreed and _only_sets(revision, version)
            check.problems += _compared(run, replay.state, now, revision, found, drift, forged)
        agreed, version = now == revision.config_hash, revision.schema_version
        if agreed and revision.detail is not None:
            upcast.check(revision, replay.state)
        if keep_every and revision.number % keep_every == 0 and now == revision.config_hash:
            check.spaced.append(replay.state.copy())
    for number in sorted(set(waiting) - chain.seen):
        check.problems.append(
            Problem(run, number, "a snapshot of a revision the log does not have", "snapshot")
        )
    check.problems += drift.problems(run) + upcast.problems(run)
    if proven and replay is not None and chain.last_config_hash == now:
        check.state = replay.state
    return check


def _detail_problems(run: str, revision: StoredRevision, claims: list[Claim]) -> list[Problem]:
    """A detail that is not a JSON object, or names no revision where it claims one; else the
    hashes it records of other revisions, added to `claims`."""
    facts = detail_facts(revision.detail)
    if facts is None:
        return [Problem(run, revision.number, "its detail is not a JSON object (forged)")]
    named = [("rollback_hash", run, facts.get("rollback_to"))]
    source = facts.get("forked_from")
    if isinstance(source, str) and "@" in source:
        name, _, number = source.rpartition("@")
        named.append(("forked_hash", name, int(number) if number.isdigit() else None))
    for what, other, target in named:
        if what not in facts:
            continue
        if type(target) is not int or not isinstance(facts[what], str):
            return [Problem(run, revision.number, f"its detail's {what} names no revision")]
        claims.append(Claim(revision.number, what, other, target, facts[what]))
    return []


_UNREPLAYABLE = (
    "its events cannot be replayed ({}), though its hash matches: written so, or forged with "
    "the hashes recomputed; the log is not checked past it"
)
"""A revision the chain proves but whose events today's schema cannot apply."""
_UNDECODABLE = object()
"""The value of a stored text that is not JSON."""


def _logged(batches: Iterable[Sequence[tuple[Any, ...]]]) -> Iterator[Logged]:
    """The revisions of log rows `(number, schema_version, created_at, author, message, kind,
    hash, config_hash, detail, op, path, JSON text)`, one row per event (op None: none), in
    order; each batch's values decoded at once."""
    first: tuple[Any, ...] = ()
    events: list[tuple[str, str, str | None]] = []
    changes: list[tuple[str, str, Any]] = []
    decodable = True
    for batch in batches:
        values = iter(_values([row[11] for row in batch if row[11] is not None]))
        for row in batch:
            if not first or row[0] != first[0]:
                if first:
                    yield Logged(
                        StoredRevision._make((*first[:9], tuple(events))), changes, decodable
                    )
                first, events, changes, decodable = row, [], [], True
            value = None if row[11] is None else next(values)
            if row[9] is not None:
                events.append(row[9:])
                changes.append((row[9], row[10], value))
                decodable = decodable and value is not _UNDECODABLE
    if first:
        yield Logged(StoredRevision._make((*first[:9], tuple(events))), changes, decodable)


def _values(texts: list[str]) -> list[Any]:
    """The values of stored JSON texts: by one `json.loads` when each text is its value's
    canonical JSON, as writers store it (so it decodes alone to that value), else one by one."""
    try:
        values = decode_all(texts)
        if list(map(encode, values)) == texts:
            return values
    except (ValueError, TypeError):
        pass
    return [_loaded(text) for text in texts]


def _loaded(text: str) -> Any:
    """The value of one stored JSON text (`_UNDECODABLE` if it is not JSON, NaN included)."""
    try:
        return json.loads(text, parse_constant=_refused)
    except (ValueError, TypeError):
        return _UNDECODABLE


def _refused(constant: str) -> Any:
    """`NaN` and `Infinity` are not JSON: no writer stores them."""
    raise ValueError(f"{constant} is not JSON")


@dataclass
class _Drift:
    """Revisions whose recorded config hash today's schema no longer reproduces: reported
    once per run, at the first, naming the fields where a snapshot kept the old config."""

    first: int = 0
    count: int = 0
    changed: str = ""
    named: bool = False

    def add(self, number: int, recorded: str, then: RunState | None, now: RunState) -> None:
        """One more drifting revision; `then` is a snapshot the chain proves, if any."""
        self.count += 1
        if not self.first:
            self.first = number
            self.changed = f"config hash {recorded[:12]}… then, {config_hash(now.values)[:12]}… now"
        if then is not None and not self.named:
            self.named = True
            paths = _differing(then.values, now.values)[:SHOWN]
            self.changed = ", ".join(
                f"{p}: {_text(then.values, p)} then, {_text(now.values, p)} now" for p in paths
            )

    def problems(self, run: str) -> list[Problem]:
        """The one drift problem of the run, if any."""
        if not self.count:
            return []
        more = f" (and {self.count - 1} later revisions)" if self.count > 1 else ""
        message = (
            f"the config replays differently than when it was written ({self.changed}); "
            f"a default or upcaster changed without a new schema version{more}"
        )
        return [Problem(run, self.first, message, "drift")]


@dataclass
class _Upcast:
    """Revisions written at an older version whose config, upcast to the version their writer
    recorded its hash at, hashes differently today: an upcaster changed in place. Reported
    once per run, at the first, naming the upcaster and the fields its steps name."""

    first: int = 0
    said: str = ""
    count: int = 0

    def check(self, revision: StoredRevision, state: RunState) -> None:
        """Compare one replayed revision (its own version's hash agreed) with its record."""
        facts = detail_facts(revision.detail) or {}
        version, recorded = facts.get("upcast_version"), facts.get("upcast_config_hash")
        schema = state.schema
        if type(version) is not int or not state.version < version <= schema.latest:
            return
        today = state.copy()
        try:
            today.upcast_to(version)
            found = config_hash(today.values)
        except (StoreError, ValueError, KeyError, TypeError) as exc:  # it fails now
            found = f"{type(exc).__name__} "
        if found == recorded:
            return
        self.count += 1
        if not self.first:
            self.first = revision.number
            source = state.version
            which = (
                f"the upcaster from version {source}"
                if version == source + 1
                else f"an upcaster from version {source} to {version}"
            )
            paths = sorted(
                {
                    path
                    for upcaster in schema.upcasters
                    if source <= upcaster.source < version
                    for step in upcaster.steps
                    for path in step_paths(step)
                }
            )
            more = f" (and {len(paths) - SHOWN} more)" if len(paths) > SHOWN else ""
            self.said = (
                f"{which} changed in place: fields {', '.join(paths[:SHOWN])}{more}; the config "
                f"read at version {version} hashed {str(recorded)[:12]}… when written, "
                f"{found[:12]}… today (its own version's config still replays)"
            )

    def problems(self, run: str) -> list[Problem]:
        """The one upcaster problem of the run, if any."""
        if not self.count:
            return []
        more = f" (and {self.count - 1} later revisions)" if self.count > 1 else ""
        return [Problem(run, self.first, self.said + more, "drift")]


class _Chain:
    """The running recomputation of one run's hash chain."""

    def __init__(self, run: str, schema: str) -> None:
        self.run, self.schema = run, schema
        self.previous = GENESIS
        self.next = 1
        self.seen: set[int] = set()
        self.last_config_hash: str | None = None

    def check(self, revision: StoredRevision) -> list[Problem]:
        """The problems of the next revision: numbers skipped before it, or a wrong hash."""
        gap = revision.number - self.next
        problems = [
            Problem(self.run, n, "revision is missing (deleted out of band)", "missing")
            for n in range(self.next, revision.number if gap <= SHOWN else self.next)
        ]
        if gap > SHOWN:  # numbered far past the run's end (inserted out of band), reported once
            said = (
                f"numbered {revision.number}, {gap} numbers after the revision before it "
                f"({self.next - 1}): those deleted out of band, or this one inserted outside "
                "the run's dense range"
            )
            problems.append(Problem(self.run, revision.number, said))
        digest = revision.recomputed_hash(self.run, self.schema, self.previous)
        if digest != revision.hash:
            problems.append(
                Problem(
                    self.run,
                    revision.number,
                    "hash does not match its content and predecessor "
                    "(altered, re-ordered, or inserted out of band)",
                )
            )
        self.previous = revision.hash
        self.next = revision.number + 1
        self.seen.add(revision.number)
        self.last_config_hash = revision.config_hash
        return problems


class _Replay:
    """A run replayed revision by revision, with the config hash after each one (only the
    values a revision touched are encoded again, unless it moved to another version)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.state: RunState | None = None
        self.failure = ""
        """Why the last step could not replay its revision ("" for a newer writer's data)."""
        self._version = 0
        self._canonical: CanonicalConfig | None = None

    def step(self, logged: Logged) -> str | None:
        """Fold one more revision; its config hash, or None where the log cannot be replayed."""
        if not logged.decodable:
            self.failure = _UNREPLAYABLE.format("a stored value is not JSON")
            return None
        revision = logged.stored
        try:
            self.state = self.state or RunState.new(self.schema, revision.schema_version)
            self.state.apply(revision.number, revision.schema_version, logged.changes)
            return self._hash(self.state, revision.events)
        except (StoreError, ValueError, KeyError, TypeError) as exc:
            newer = revision.schema_version > self.schema.latest  # a newer program's data
            self.failure = "" if newer else _UNREPLAYABLE.format(exc)
            return None

    def _hash(self, state: RunState, events: Iterable[tuple[str, str, str | None]]) -> str:
        """The config hash after a revision whose events (as stored) are `events`."""
        if state.version != self._version or self._canonical is None:
            self._version = state.version
            self._canonical = CanonicalConfig(state.values)
        else:  # a set's stored text is its canonical JSON; an unset takes a default
            for _, path, text in events:
                self._canonical.set(path, encode(state.values[path]) if text is None else text)
        return self._canonical.hash()


def _only_sets(revision: StoredRevision, version: int) -> bool:
    """Whether a revision only sets values, at the version of the one before it: then no
    changed default or upcaster can make its config differ from what its writer recorded
    once the revision before it replays (an unset takes a default; a new version upcasts)."""
    return revision.schema_version == version and all(op == "set" for op, _, _ in revision.events)


def _compared(
    run: str,
    state: RunState,
    now: str,
    revision: StoredRevision,
    snapshots: Sequence[Snapshot],
    drift: _Drift,
    forged: bool = False,
) -> list[Problem]:
    """Drift between the recorded config hash and the replay's (`now`), or a forged config
    hash where no schema change explains the difference, and each snapshot's problems."""
    recorded = revision.config_hash
    if recorded == now and not snapshots:
        return []
    cached = [_decoded(state.schema, snapshot) for snapshot in snapshots]
    problems = [
        Problem(run, revision.number, str(found), "snapshot")
        for snapshot, found in zip(snapshots, cached, strict=True)
        if isinstance(found, ValueError) and snapshot.key == snapshot_key(state.schema)
    ]
    states = [(s, c) for s, c in zip(snapshots, cached, strict=True) if isinstance(c, RunState)]
    if recorded is not None and now != recorded and forged:
        said = (
            f"its recorded config hash {recorded[:12]}… is not the {now[:12]}… its events give "
            "after the revision before it, which replays: no schema change explains that "
            "(forged, or its events altered with the hashes recomputed)"
        )
        problems.append(Problem(run, revision.number, said, "forged"))
    elif recorded is not None and now != recorded:
        then = next((c for _, c in states if config_hash(c.values) == recorded), None)
        drift.add(revision.number, recorded, then, state)
    for snapshot, found in states:
        problems += _snapshot_problems(run, state, recorded, snapshot, found)
    return problems


def _decoded(schema: Schema, snapshot: Snapshot) -> RunState | ValueError:
    """The snapshot's state, or the reason it cannot be decoded."""
    try:
        return RunState.load(schema, snapshot.revision, snapshot.state)
    except ValueError as exc:
        return ValueError(f"{exc}; it is never served")


def _snapshot_problems(
    run: str, state: RunState, recorded: str | None, snapshot: Snapshot, cached: RunState
) -> list[Problem]:
    """What is wrong with one decoded snapshot of the revision `state` was replayed to."""
    today = snapshot.key == snapshot_key(state.schema)
    proven = recorded is not None and config_hash(cached.values) == recorded
    wrong = not proven and (today or recorded is not None)
    if wrong and _differing(cached.values, state.values):
        said = _says("the snapshot", cached.values, state.values)
        return [Problem(run, snapshot.revision, said, "snapshot")]
    if not today:
        return []
    if (cached.base, cached.version, cached.explicit) != (
        state.base,
        state.version,
        state.explicit,
    ):
        said = "the snapshot's base version, version or set fields differ from the log"
        return [Problem(run, snapshot.revision, said, "snapshot")]
    expected = config_json(state.schema, cached.effective())
    if snapshot.config is not None and snapshot.config != expected:
        said = _says(
            "the config kept with the snapshot",
            _flat(cached, snapshot.config),
            _flat(cached, expected or "{}"),
        )
        return [Problem(run, snapshot.revision, said, "snapshot")]
    return []


def _flat(state: RunState, text: str) -> Flat:
    """A config JSON text as flat values at the newest version (empty if it does not decode)."""
    try:
        nested = json.loads(text)
    except ValueError:
        return {}
    leaves = state.schema.version(state.schema.latest).leaves
    return flatten(nested, leaves) if isinstance(nested, dict) else {}


def _says(what: str, said: Flat, log: Flat) -> str:
    """`the snapshot says batch_size=64, the log says 8` for the first differing fields."""
    paths = _differing(said, log)
    if not paths:
        return f"{what} is not what the log gives"
    parts = [f"{p}={_text(said, p)}, the log says {_text(log, p)}" for p in paths[:SHOWN]]
    more = f" (and {len(paths) - SHOWN} more fields)" if len(paths) > SHOWN else ""
    return f"{what} says " + "; ".join(parts) + more


def _differing(left: Flat, right: Flat) -> list[str]:
    """Paths whose values differ between two flat configs, in the order of either."""
    paths = dict.fromkeys([*left, *right])
    return [
        p for p in paths if p not in left or p not in right or encode(left[p]) != encode(right[p])
    ]


def _text(values: Flat, path: str) -> str:
    return encode(values[path]) if path in values else "nothing"
