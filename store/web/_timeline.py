"""One field's timeline as the step chart draws it: numbers on a numeric axis, anything
else (strings, booleans, lists) as categories in order of first appearance; and the page of
its table that is shown."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from store import Step
from store._shapes import value_text


def chart(steps: Sequence[Step]) -> dict[str, Any]:
    """Every point of a field's timeline, oldest first: x is the revision, y the new value."""
    values = [step.new for step in steps]
    numeric = {type(v) for v in values} <= {int, float}  # JSON's numbers (a bool is not one)
    # a number's repr is its JSON text (what `value_text` gives), at a fraction of the cost
    labels = list(map(repr, values)) if numeric else [value_text(v) for v in values]
    index = {} if numeric else {label: i for i, label in enumerate(dict.fromkeys(labels))}
    return {
        "numeric": numeric,
        "categories": list(index),
        "y": values if numeric else [index[label] for label in labels],
        "labels": labels,
        "revisions": [step.revision for step in steps],
    }


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
