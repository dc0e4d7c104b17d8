"""Proving what a read serves: a revision's hash recomputed from its stored content and its
predecessor's hash, its MAC under the chain key, and a state checked against the revision's
own events (domain; no SQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

from pydantic import BaseModel

from store._errors import StoreError
from store._records import GENESIS, StoredRevision, encode
from store._replay import RunState

CHAIN_KEY = "STORE_CHAIN_KEY"
"""The environment variable a chain key is read from when `open` is not given one."""


class Proof(NamedTuple):
    """One revision as stored, with what proving it needs besides: the stored hash of the
    revision before it (None for revision 1) and its stored MAC (None: written without a key)."""

    revision: StoredRevision
    previous: str | None
    mac: str | None


def chain_key(given: str | bytes | None) -> bytes | None:
    """The chain key as bytes: `given`, else `$STORE_CHAIN_KEY`, else None (no key)."""
    key = os.environ.get(CHAIN_KEY) if given is None else given
    if key is None or key == "":
        return None
    if not isinstance(key, str | bytes):
        raise StoreError(f"a chain key is text or bytes, not {type(key).__name__}")
    return key.encode() if isinstance(key, str) else key


def mac(key: bytes, digest: str) -> str:
    """The HMAC-SHA256 of a revision's hash under the chain key, as 64 hex digits."""
    return hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def chain_doubt(run: str, schema: str, proof: Proof, key: bytes | None) -> str | None:
    """Why the stored revision is not proven by the chain (None: it is): its hash is not the
    one its content and its predecessor's stored hash give, or under a key its MAC is missing
    or wrong."""
    revision = proof.revision
    previous = GENESIS if revision.number == 1 else proof.previous or ""
    digest = revision.recomputed_hash(run, schema, previous)
    if digest != revision.hash:
        return "its hash does not match its content and predecessor"
    return None if key is None else mac_doubt(key, revision.hash, proof.mac)


def mac_doubt(key: bytes, digest: str, stored: str | None) -> str | None:
    """Why a revision's MAC does not prove it under `key` (None: it does)."""
    if stored is None:
        return "it carries no chain MAC, and the store has a chain key"
    if not hmac.compare_digest(stored, mac(key, digest)):
        return "its chain MAC is wrong (written without the chain key)"
    return None


def state_doubt(state: RunState, revision: StoredRevision) -> str | None:
    """Why a state said to be the one right after `revision` contradicts that revision's own
    events (None: it agrees): each field it sets holds the value set there and is marked as
    set by it, each field it unsets is unmarked, and no mark names a later revision."""
    number = revision.number
    marked = {path for path, mark in state.explicit.items() if mark == number}
    if any(mark > number or mark < 1 for mark in state.explicit.values()):
        return "its set fields name revisions it does not follow"
    if marked != {path for op, path, _ in revision.events if op == "set"}:
        return "its set fields differ from the log"
    for op, path, text in revision.events:
        if op == "set" and (path not in state.values or encode(state.values[path]) != text):
            return "its values differ from the revision's events"
        if op != "set" and path in state.explicit:
            return "its set fields differ from the log"
    return None


def config_agrees(
    model: BaseModel, text: str, events: Sequence[tuple[str, str, str | None]]
) -> bool:
    """Whether a config (validated from the JSON `text`) holds, at each path its revision set,
    the value set there: read off the model where the value is a plain scalar, else from
    the decoded text (decoding a large config costs as much as validating it)."""
    for op, path, text_set in events:
        if op != "set":
            continue
        found: object = model
        for part in path.split("."):
            found = getattr(found, part, _ABSENT)
        if isinstance(found, Enum):
            found = found.value
        if type(found) not in _PLAIN or encode(found) != text_set:
            return events_agree(json.loads(text), events)
    return True


_ABSENT = object()
_PLAIN = (str, int, float, bool, type(None))
"""The types whose value on a model is the value in its JSON."""


def events_agree(config: object, events: Sequence[tuple[str, str, str | None]]) -> bool:
    """Whether a nested config holds, at each path its revision set, the value set there."""
    for op, path, text in events:
        if op != "set":
            continue
        found = config
        for part in path.split("."):
            if not isinstance(found, dict) or part not in found:
                return False
            found = found[part]
        if encode(found) != text:
            return False
    return True
