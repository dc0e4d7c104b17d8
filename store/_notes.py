"""Notes: what an upcaster step did to a user's value, collected while a config is read and
shown on import and `show` (domain)."""

from __future__ import annotations

import contextvars

_notes: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("notes", default=None)


def warn(message: str) -> None:
    """Report something an upcaster did to a user's value (shown on import and `show`)."""
    notes = _notes.get()
    if notes is not None and message not in notes:
        notes.append(message)


class collect_notes:
    """Collect the `warn()` messages of upcasters run inside the block."""

    def __enter__(self) -> list[str]:
        self._notes: list[str] = []
        self._token = _notes.set(self._notes)
        return self._notes

    def __exit__(self, *exc: object) -> None:
        _notes.reset(self._token)
