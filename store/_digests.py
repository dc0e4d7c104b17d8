"""Anchors kept outside the database: digests (one line per run, `RUN@N:HASH TIME`) and
stamps, read back as the expectations `verify` checks (domain; no SQL)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from store._errors import StoreError
from store._verify import parse_expectation

Anchor = tuple[str, int, str]
"""`(run, revision, hash)`: a revision hash kept elsewhere."""
LIMIT = 64 * 2**20
"""The largest digest or stamp file read (bytes)."""


@dataclass(frozen=True)
class Digest:
    """A run's head as an anchor: its revision number, hash and time."""

    run: str
    revision: int
    hash: str
    time: str

    def line(self) -> str:
        """`RUN@N:HASH TIME`: what `store digest` prints, and `verify --digests` (and, without
        its time, `verify --expect`) reads."""
        return f"{self.run}@{self.revision}:{self.hash} {self.time}"

    def data(self) -> dict[str, Any]:
        """The `--json` shape: `{run, revision, hash, time}`."""
        return {"run": self.run, "revision": self.revision, "hash": self.hash, "time": self.time}


def read_digests(path: str | os.PathLike[str]) -> list[Anchor]:
    """The anchors in a digest file: lines `RUN@N:HASH [TIME]` (blank lines and `#` comments
    skipped), or the JSON list `store digest --json` prints."""
    text = _text(path, "digest")
    try:
        if text.lstrip().startswith("["):
            return [_anchor(item, path) for item in json.loads(text)]
        lines = [line.split("#", 1)[0].split() for line in text.splitlines()]
        return [parse_expectation(words[0]) for words in lines if words]
    except (ValueError, StoreError) as exc:
        raise StoreError(f"{os.fspath(path)}: not a digest file: {exc}") from None


def read_stamp(path: str | os.PathLike[str]) -> Anchor:
    """The anchor in a stamp file: the JSON `store show --stamp` prints, or a checkpoint's
    metadata holding it under `"store"`."""
    text = _text(path, "stamp")
    try:
        data = json.loads(text)
        stamp = data.get("store", data) if isinstance(data, dict) else data
        return _anchor(stamp, path)
    except (ValueError, StoreError, AttributeError) as exc:
        raise StoreError(f"{os.fspath(path)}: not a stamp: {exc}") from None


def _anchor(item: Any, path: str | os.PathLike[str]) -> Anchor:
    """An anchor from a JSON object with `run`, `revision` and `hash`."""
    if not isinstance(item, dict) or not {"run", "revision", "hash"} <= item.keys():
        raise StoreError("expected an object with run, revision and hash")
    return parse_expectation(f"{item['run']}@{item['revision']}:{item['hash']}")


def _text(path: str | os.PathLike[str], what: str) -> str:
    """A regular file's text (UTF-8, at most `LIMIT` bytes)."""
    try:
        if not os.path.isfile(path):
            raise StoreError(f"no {what} file at {os.fspath(path)}")
        with open(path, "rb") as file:
            data = file.read(LIMIT + 1)
        if len(data) > LIMIT:
            raise StoreError(f"{os.fspath(path)}: a {what} file above {LIMIT} bytes")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read {what} file {os.fspath(path)}: {exc}") from None
