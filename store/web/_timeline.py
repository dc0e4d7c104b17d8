"""One field's timeline as the step chart draws it: numbers on a numeric axis, anything
else (strings, booleans, lists) as categories in order of first appearance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store._records import Revision
from store._shapes import value_text


def chart(revisions: Sequence[Revision]) -> dict[str, Any]:
    """The points of a field's timeline, oldest first: x is the revision, y the new value."""
    values = [r.changes[0].new for r in revisions]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    labels = [value_text(v) for v in values]
    index = {} if numeric else {label: i for i, label in enumerate(dict.fromkeys(labels))}
    return {
        "numeric": numeric,
        "categories": list(index),
        "y": values if numeric else [index[label] for label in labels],
        "labels": labels,
        "revisions": [r.number for r in revisions],
        "times": [r.created_at for r in revisions],
        "old": [value_text(r.changes[0].old) for r in revisions],
    }
