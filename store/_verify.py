"""Verification of the hash chains: what was altered, removed or inserted out of band (domain)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from store._errors import StoreError
from store._records import GENESIS, revision_hash

EXPECTATION = re.compile(
    r"(?P<run>[A-Za-z0-9][A-Za-z0-9._-]{0,127})@(?P<number>[0-9]+):(?P<hash>[0-9a-f]{64})"
)


class StoredLike(Protocol):
    """The stored fields of a revision that its hash covers."""

    @property
    def number(self) -> int: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def created_at(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def events(self) -> tuple[tuple[str, str, str | None], ...]: ...
    @property
    def config_hash(self) -> str | None: ...
    @property
    def detail(self) -> str | None: ...


@dataclass(frozen=True)
class Problem:
    """One revision that fails verification, and why."""

    run: str
    revision: int
    message: str

    def __str__(self) -> str:
        return f"{self.run}@{self.revision}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `verify()`: `ok` when every chain holds and every expectation matches."""

    ok: bool
    problems: list[Problem] = field(default_factory=list)
    runs: int = 0


def parse_expectation(text: str) -> tuple[str, int, str]:
    """Split `RUN@N:HASH` (a hash kept outside the database) into its parts."""
    if not isinstance(text, str):
        raise StoreError(f"expected RUN@N:HASH text, got {text!r}")
    match = EXPECTATION.fullmatch(text.strip())
    if not match:
        raise StoreError(f"expected RUN@N:HASH with a 64-digit hex hash, got {text!r}")
    return match["run"], int(match["number"]), match["hash"]


def verify_chain(run: str, schema: str, revisions: Iterable[StoredLike]) -> list[Problem]:
    """Recompute one run's chain; each bad revision is reported once, with the reason."""
    problems: list[Problem] = []
    previous = GENESIS
    expected_number = 1
    for revision in revisions:
        if revision.number > expected_number:
            missing = range(expected_number, revision.number)
            problems.extend(
                Problem(run, n, "revision is missing (deleted out of band)") for n in missing
            )
        digest = revision_hash(
            run,
            schema,
            revision.number,
            revision.schema_version,
            revision.created_at,
            revision.author,
            revision.message,
            revision.kind,
            revision.events,
            previous,
            revision.config_hash,
            revision.detail,
        )
        if digest != revision.hash:
            problems.append(
                Problem(
                    run,
                    revision.number,
                    "hash does not match its content and predecessor "
                    "(altered, re-ordered, or inserted out of band)",
                )
            )
        previous = revision.hash
        expected_number = revision.number + 1
    return problems
