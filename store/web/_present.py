"""Values as the pages show them to people: JSON text folded when long, times in UTC, a
revision's changes split from the fields it only pinned, and a run's values that differ from
its schema's defaults."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from store import Change, Origin, Step

FOLD = 80
"""Characters of a value shown before it is folded behind a summary."""
CONTEXT = 24
"""Characters before the first difference that a folded change's summary keeps."""


def text(value: Any) -> str:
    """A value as JSON text, keys sorted (as the log stores values): `"512"` and `512` read
    differently, and two equal objects read alike whatever order their keys came in."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def pretty(value: Any) -> str:
    """A value as indented JSON: what a folded value shows when opened."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2)


def utc(moment: str | None) -> str:
    """A stored ISO 8601 UTC time for people: `2026-11-30 07:08:18 UTC`."""
    return f"{moment[:19].replace('T', ' ')} UTC" if moment else ""


def divergence(change: Change | Step) -> int:
    """Where the JSON texts of a change's old and new values part, less some context: long
    values are shown from there, so two long lists differing deep inside do not look equal."""
    old, new = text(change.old), text(change.new)
    if len(old) <= FOLD and len(new) <= FOLD:
        return 0
    pairs = enumerate(zip(old, new, strict=False))  # up to the shorter text's end
    same = next((i for i, (a, b) in pairs if a != b), min(len(old), len(new)))
    return same - CONTEXT if same > FOLD - CONTEXT else 0


def split_pinned(changes: Iterable[Change]) -> tuple[list[Change], list[Change]]:
    """The changes that moved a value, and those that only pinned it where it was (old and
    new the same JSON: an import or an upgrade recording a field at its current value)."""
    moved: list[Change] = []
    pinned: list[Change] = []
    for change in changes:
        same = text(change.old) == text(change.new)
        (pinned if same else moved).append(change)
    return moved, pinned


def changed_from_defaults(origins: Sequence[Origin], defaults: Mapping[str, Any]) -> list[Origin]:
    """The values that are not a default (set, derived, pinned or legacy) and differ from the
    schema's own default: what a person reading someone else's run wants first."""
    return [
        o for o in origins if o.source != "default" and text(o.value) != text(defaults.get(o.path))
    ]


def filtered_out(paths: Iterable[str], text: str) -> set[str]:
    """The paths a config filter hides: those not containing `text`, ignoring case."""
    needle = text.lower()
    return {p for p in paths if needle not in p.lower()}


def revision_link(ref: str) -> str | None:
    """The address of the revision a `RUN@N` reference names (None if it is not that form)."""
    run, _, number = ref.rpartition("@")
    return f"/runs/{quote(run, safe='')}/revisions/{number}" if run and number.isdigit() else None


FILTERS = {
    "json": text,
    "pretty": pretty,
    "utc": utc,
    "revision_link": revision_link,
    "split_pinned": split_pinned,
    "divergence": divergence,
}
"""The template filters the pages use, by name."""
