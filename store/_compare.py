"""Many configs side by side: one row per field, one column per reference (domain; no SQL)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from store._element_paths import matches
from store._errors import InvalidChange
from store._paths import unknown_path
from store._records import encode
from store._schema import Flat


@dataclass(frozen=True)
class ComparedField:
    """One field across the compared configs (None where a config lacks the field)."""

    path: str
    values: tuple[Any, ...]

    @property
    def changed(self) -> bool:
        """Whether the configs disagree on this field."""
        return len({encode(v) for v in self.values}) > 1


@dataclass(frozen=True)
class Comparison:
    """Configs side by side: the references as typed, and a row per field."""

    columns: tuple[str, ...]
    rows: tuple[ComparedField, ...]

    def data(self) -> dict[str, Any]:
        """The documented JSON shape: `{"columns": [...], "rows": [{"path", "values"}]}`."""
        return {
            "columns": list(self.columns),
            "rows": [{"path": r.path, "values": list(r.values)} for r in self.rows],
        }


def compare(
    columns: Sequence[str],
    configs: Sequence[Flat],
    only_changed: bool = False,
    fields: Collection[str] | None = None,
) -> Comparison:
    """Compare flat configs field by field, optionally only `fields` or only what differs."""
    paths = list(dict.fromkeys(p for config in configs for p in config))
    if fields:
        for path in fields:
            if not any(matches(p, path) for p in paths):
                raise InvalidChange(unknown_path(path, paths))
        paths = [p for p in paths if any(matches(p, f) for f in fields)]
    rows = (ComparedField(p, tuple(c.get(p) for c in configs)) for p in paths)
    return Comparison(tuple(columns), tuple(r for r in rows if not only_changed or r.changed))
