"""The documented JSON shapes of what reads return: one definition shared by the command
line's `--json` and the web view's `/api/…` routes, so the two never drift."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from store._records import DETAIL_KEYS

if TYPE_CHECKING:  # shapes of what the calls return: none of their modules is needed to start
    from store._history import Origin
    from store._reads import Reading
    from store._records import Change, Revision
    from store._rows import RunSummary
    from store._verify import VerifyReport


def runs_data(summaries: Sequence[RunSummary]) -> list[dict[str, Any]]:
    """`runs --json`: every run's summary."""
    return [asdict(s) for s in summaries]


def config_data(reading: Reading) -> dict[str, Any]:
    """`show --json`: the effective config, nested (secrets masked by pydantic)."""
    return reading.config.model_dump(mode="json")


def origins_data(origins: Sequence[Origin]) -> list[dict[str, Any]]:
    """`show --explain --json`: every field with where its value comes from."""
    return [{**asdict(o), "description": o.describe()} for o in origins]


def revision_data(revision: Revision) -> dict[str, Any]:
    """`history --json`: one revision with its changes, its detail's facts (`rollback_to`,
    `forked_from`, …) and its tags."""
    return {
        "revision": revision.number,
        "time": revision.created_at,
        "author": revision.author,
        "message": revision.message,
        "kind": revision.kind,
        "schema_version": revision.schema_version,
        "hash": revision.hash,
        "changes": changes_data(revision.moved),
        "pinned": list(revision.pinned),
        "tags": list(revision.tags),
        **{k: v for k, v in (revision.detail or {}).items() if k in DETAIL_KEYS},
    }


def changes_data(changes: Sequence[Change]) -> list[dict[str, Any]]:
    """`diff --json`: changes as `{"path", "old", "new"}`."""
    return [c._asdict() for c in changes]


def verify_data(report: VerifyReport) -> dict[str, Any]:
    """`verify --json`: whether every chain holds, and each problem found."""
    problems = [
        {"run": p.run, "revision": p.revision, "kind": p.kind, "detail": p.detail}
        for p in report.problems
    ]
    return {"ok": report.ok, "problems": problems}


def change_line(change: Change) -> str:
    """`path: old → new`; an element added or removed as `concepts[2]: added "name=c"`."""
    from store._element_paths import element_label, is_element_change

    if is_element_change(change):
        what, element = ("added", change.new) if change.old is None else ("removed", change.old)
        label = element_label(element)
        return f"{change.path}: {what}" + (f" {label}" if label else "")
    return f"{change.path}: {value_text(change.old)} → {value_text(change.new)}"


def change_lines(revision: Revision, every: bool = False) -> list[str]:
    """A revision's changes for people: what moved, then the fields it pinned at their
    current value as one summary line (each listed with `every`)."""
    lines = [change_line(c) for c in revision.moved]
    pinned = [c for c in revision.changes if c.pinned]
    if every:
        lines += [f"{c.path}: {value_text(c.new)} (pinned)" for c in pinned]
    elif pinned:
        fields = "field at its" if len(pinned) == 1 else "fields at their"
        lines.append(f"pinned {len(pinned)} {fields} current value")
    return lines


def value_text(value: Any) -> str:
    """A config value as JSON text, so that `"512"` and `512` read differently."""
    return json.dumps(value, ensure_ascii=False)
