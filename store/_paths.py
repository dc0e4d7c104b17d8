"""Dotted paths: turning nested config dicts into flat `{path: value}` maps and back."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypeVar

from store._errors import InvalidChange

T = TypeVar("T")


def flatten(nested: Mapping[str, Any], leaves: Collection[str], prefix: str = "") -> dict[str, Any]:
    """Flatten `nested` into dotted paths; a dict at a known leaf path stays whole."""
    flat: dict[str, Any] = {}
    stack = [(prefix, iter(nested.items()))]  # not recursive: any depth of nesting is fine
    while stack:
        above, items = stack[-1]
        for key, value in items:
            path = f"{above}{key}"
            if isinstance(value, Mapping) and path not in leaves:
                stack.append((f"{path}.", iter(value.items())))
                break
            if path in flat:
                raise InvalidChange(f"{path} is given twice (a dotted key and a nested one)")
            flat[path] = value
        else:
            stack.pop()
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Nest a flat `{dotted.path: value}` map into sections."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        *sections, leaf = path.split(".")
        node = nested
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = value
    return nested


def sections_of(leaves: Iterable[str]) -> set[str]:
    """Every section prefix (`optimizer` for `optimizer.name`) of the given leaf paths."""
    found: set[str] = set()
    for path in leaves:
        parts = path.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return found


def nearest(path: str, known: Iterable[str]) -> str | None:
    """The known path closest to a mistyped one, for a "did you mean" hint."""
    known = list(known)
    matches = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    tail = path.rsplit(".", 1)[-1]
    by_tail = [p for p in known if p.rsplit(".", 1)[-1] == tail]
    return by_tail[0] if len(by_tail) == 1 else None


def unknown_path(path: str, known: Iterable[str]) -> str:
    """An "unknown path" message, with the nearest known path as a hint where there is one."""
    hint = nearest(path, known)
    return f"unknown path {path!r}" + (f"; did you mean {hint}?" if hint else "")


def check_path(path: str, leaves: Mapping[str, T]) -> T:
    """The leaf at `path`; a section or an unknown path is refused with the nearest known path."""
    if path in leaves:
        return leaves[path]
    if path in sections_of(leaves):
        inside = sorted(p for p in leaves if p.startswith(f"{path}."))
        raise InvalidChange(f"{path} is a section, not a field; its fields: {', '.join(inside)}")
    raise InvalidChange(unknown_path(path, leaves))
