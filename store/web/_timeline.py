"""One field's timeline as the step chart draws it: numbers on a numeric axis (logarithmic
when they span decades), anything else (strings, booleans, lists) as labelled categories in
order of first appearance; and the page of its table that is shown."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from store import Step
from store._shapes import value_text

Moment = tuple[int, str]
"""A revision's number and time."""
DECADES = 100
"""Positive values spanning more than this factor are charted on a log axis by default."""


def chart(steps: Sequence[Step], start: Moment, head: Moment) -> dict[str, Any]:
    """The points of a field's step chart, oldest first: the value the run started with (at
    revision `start`), every change, and the value held at the `head`; x is the revision or
    its time, y the value (a category's index for anything but numbers)."""
    shown = states(steps, start, head)
    values = [step.new for step in shown]
    numeric = {type(v) for v in values} <= {int, float}  # JSON's numbers (a bool is not one)
    # a number's repr is its JSON text (what `value_text` gives), at a fraction of the cost
    labels = list(map(repr, values)) if numeric else [value_text(v) for v in values]
    index = {} if numeric else {label: i for i, label in enumerate(dict.fromkeys(labels))}
    positive = numeric and bool(values) and min(values) > 0
    return {
        "numeric": numeric,
        "categories": list(index),
        "y": values if numeric else [index[label] for label in labels],
        "labels": labels,
        "revisions": [step.revision for step in shown],
        "times": [step.time for step in shown],
        "changes": len(steps),
        "log_offered": positive,
        "log": positive and max(values) > DECADES * min(values),
    }


def states(steps: Sequence[Step], start: Moment, head: Moment) -> list[Step]:
    """The steps, preceded by the value in force at `start` when the first change came later,
    and followed by the last value at `head` when the last change came earlier: so that a
    field changed once shows both of its states."""
    if not steps:
        return []
    shown = list(steps)
    if steps[0].revision > start[0]:
        shown.insert(0, Step(start[0], start[1], steps[0].old, steps[0].old))
    if steps[-1].revision < head[0]:
        shown.append(Step(head[0], head[1], steps[-1].new, steps[-1].new))
    return shown


def table_page(
    steps: Sequence[Step], before: int | None, size: int
) -> tuple[list[Step], int | None, int | None]:
    """Up to `size` steps below revision `before` (all: the newest), newest first, with the
    `before` of the newer page and of the older one (None: there is none)."""
    revisions = [step.revision for step in steps]
    cut = len(steps) if before is None else bisect.bisect_left(revisions, before)
    start = max(0, cut - size)
    newer = None
    if cut < len(steps):
        newer = revisions[cut + size] if cut + size < len(steps) else revisions[-1] + 1
    return list(steps[start:cut][::-1]), newer, revisions[start] if start else None
