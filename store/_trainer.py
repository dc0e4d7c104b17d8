"""A trainer's calls: the module-level `store.current` and `store.read`, through one open
database per URL for the process; they load neither the `Store` facade nor the write path."""

from __future__ import annotations

import atexit
import os

from pydantic import BaseModel

from store import _reads
from store._persistence import Recorder, default_url, open_recorder
from store._reads import Reading
from store._values import Overrides

_opened: dict[str, Recorder] = {}
"""One open database per URL for the module-level `current` and `read`: no engine and no
migration check per call. Closed at exit; a forked child forgets its parent's connections."""


def _shared(url: str | None) -> Recorder:
    """The process's open database at `url` (default `$STORE_URL`, else `sqlite:///store.db`);
    a missing one is an error, never created."""
    key = default_url() if url is None else url
    found = _opened.get(key)
    if found is None:
        found = _opened[key] = open_recorder(key, create=False)
    return found


def _close_shared() -> None:
    """Close every shared database (at exit)."""
    while _opened:
        _opened.popitem()[1].close()


def _forget_shared() -> None:
    """In a forked child: drop the parent's pooled connections without closing them."""
    for opened in _opened.values():
        opened.forget_connections()
    _opened.clear()


atexit.register(_close_shared)
os.register_at_fork(after_in_child=_forget_shared)


def current(run: str, url: str | None = None, *, overrides: Overrides = None) -> BaseModel:
    """The effective config of `run` in the default store: one call for a trainer.

    `overrides` (`["batch_size=8"]` or `{"batch_size": 8}`) are checked as `store set`
    checks them and applied to what is returned, never written.
    """
    return _reads.current(_shared(url), run, overrides)


def read(
    run: str,
    revision: int | None = None,
    *,
    url: str | None = None,
    overrides: Overrides = None,
) -> Reading:
    """The `Reading` of a run (or reference) in the default store: config, revision, hashes,
    and `stamp()` for a checkpoint's metadata."""
    return _reads.read(_shared(url), run, revision, overrides)
