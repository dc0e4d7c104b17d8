"""Values as the pages show them to people: JSON text folded when long, times in UTC, a
revision's changes split from the fields it only pinned, a run's values that differ from
its schema's defaults, and each element of its lists of sections with its own."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

from store import Change, Origin, Step
from store._element_paths import parse
from store._leaves import Leaf

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


class Element(NamedTuple):
    """One element of a list of sections as its run page shows it."""

    path: str
    """`concepts[1]`."""
    name: str
    """Its `name` ("" for none)."""
    changed: list[Origin]
    """Its values that differ from the element's own defaults."""


def element_sections(
    leaves: Mapping[str, Leaf],
    values: Mapping[str, Any],
    origins: Sequence[Origin],
    defaults: Mapping[str, Any],
) -> dict[str, list[Element]]:
    """Each list of sections that has elements, by its path: its elements, each with the
    values that differ from the element's own defaults (`defaults` holds them by path)."""
    changed: dict[str, list[Origin]] = {}
    for o in origins:
        parsed = parse(o.path)
        if parsed is not None and text(o.value) != text(defaults.get(o.path)):
            changed.setdefault(parsed.element(), []).append(o)
    lists = {p: values.get(p) for p, leaf in leaves.items() if leaf.elements is not None}
    return {
        field: [
            Element(path, element_name(item), changed.get(path, []))
            for path, item in ((f"{field}[{i}]", item) for i, item in enumerate(items))
        ]
        for field, items in lists.items()
        if isinstance(items, list) and items
    }


def element_name(element: Any) -> str:
    """An element's `name`, if it has one that is text ("" otherwise)."""
    name = element.get("name") if isinstance(element, dict) else None
    return name if isinstance(name, str) else ""


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
