"""Element paths: `concepts[1].balancing` names one value inside an element of a list of
sections (a `SectionList` field), `concepts[1]` the element itself, `concepts[+]` a new element
at the end and `concepts[+1]` a new one inserted at position 1. A write through element paths
becomes the whole list (the log stores lists whole, so stored configs and their hashes keep
their meaning); a changed list is shown as changes at element paths, elements matched by
their index (domain; no SQL)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from store._errors import InvalidChange
from store._leaves import VERSION_KEY, Leaf
from store._paths import check_path, flatten, nearest, sections_of
from store._records import Change, same_value

_ELEMENT = re.compile(r"(?P<field>[^\[\]]+)\[(?P<index>\+?[0-9]*)\](?:\.(?P<rest>[^\[\]]+))?")
GRAMMAR = "FIELD[N], FIELD[N].PATH, FIELD[+] (append) or FIELD[+N] (insert at N)"


class ElementPath(NamedTuple):
    """The parts of an element path: the list's path, the element, the path inside it."""

    field: str
    position: int | None
    """The element's position; None for `[+]`, the end of the list."""
    insert: bool
    rest: str
    """The path inside the element; "" for the whole element."""

    def element(self) -> str:
        """The element's own path, `concepts[1]`."""
        return f"{self.field}[{self.position}]"


def parse(path: str) -> ElementPath | None:
    """The parts of an element path; None for a plain path; a malformed one is refused."""
    if "[" not in path and "]" not in path:
        return None
    found = _ELEMENT.fullmatch(path)
    if found is None or found["index"] == "":
        raise InvalidChange(f"malformed element path {path!r}: use {GRAMMAR}")
    number = found["index"].lstrip("+")
    insert = found["index"].startswith("+")
    if insert and found["rest"]:
        raise InvalidChange(f"{path}: a new element is given whole: {found['field']}[+]={{...}}")
    return ElementPath(found["field"], int(number) if number else None, insert, found["rest"] or "")


def base_path(path: str) -> str:
    """The stored path a path lives in: `concepts` for `concepts[1].balancing`."""
    parsed = parse(path)
    return path if parsed is None else parsed.field


def element_leaves(leaf: Leaf) -> Mapping[str, Leaf]:
    """The fields of the newest version of a list's elements (none for a plain leaf)."""
    if leaf.elements is None:
        return {}
    schema = leaf.elements.schema
    return schema.version(schema.latest).leaves


def list_leaf(leaves: Mapping[str, Leaf], parsed: ElementPath, path: str) -> Leaf:
    """The leaf of an element path's list; refused where the field is not a list of sections."""
    leaf = check_path(parsed.field, leaves)
    if leaf.elements is None:
        raise InvalidChange(f"{path}: {parsed.field} is not a list of sections; set it whole")
    return leaf


def check_element_path(leaves: Mapping[str, Leaf], path: str) -> Leaf | None:
    """The field an element path names inside its element (None for a whole element);
    an unknown one is refused with the nearest known path."""
    parsed = parse(path)
    assert parsed is not None
    inner = element_leaves(list_leaf(leaves, parsed, path))
    if not parsed.rest:
        return None
    if parsed.rest in inner:
        return inner[parsed.rest]
    prefix = path[: len(path) - len(parsed.rest)]
    if parsed.rest in sections_of(inner):
        return None
    raise InvalidChange(unknown_key(prefix, parsed.rest, inner))


def check_any_path(leaves: Mapping[str, Leaf], path: str) -> Leaf | None:
    """The leaf a plain or element path names (None for a whole element); refused if unknown."""
    return check_path(path, leaves) if parse(path) is None else check_element_path(leaves, path)


def unknown_key(prefix: str, key: str, known: Iterable[str]) -> str:
    """An "unknown path" message for a key inside an element, with the nearest known one."""
    hint = nearest(key, known)
    return f"unknown path {prefix + key!r}" + (f"; did you mean {prefix}{hint}?" if hint else "")


def with_elements(
    leaves: Mapping[str, Leaf], values: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """`changes` with every element path folded into its whole list, edited from `values`."""
    result: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for path, value in changes.items():
        parsed = parse(path)
        if parsed is None:
            result[path] = value
            continue
        items = _editable(lists, leaves, values, parsed, path)
        check_element_path(leaves, path)
        if parsed.insert:
            _insert(items, parsed, path, value)
        else:
            _element(items, parsed, path)
            if parsed.rest:
                _assign(items[parsed.position or 0], parsed.rest, value)
            else:
                items[parsed.position or 0] = _whole(path, value)
    return _merged(result, lists)


def without_elements(
    leaves: Mapping[str, Leaf], values: Mapping[str, Any], paths: Iterable[str]
) -> tuple[list[str], dict[str, Any]]:
    """Unset paths split into plain paths and whole lists: an unset element is removed, an
    unset value inside an element goes back to the element's default."""
    plain: list[str] = []
    lists: dict[str, list[Any]] = {}
    for path in paths:
        parsed = parse(path)
        if parsed is None:
            plain.append(path)
            continue
        if parsed.insert:
            raise InvalidChange(f"{path}: there is no element to unset at [+]")
        items = _editable(lists, leaves, values, parsed, path)
        check_element_path(leaves, path)
        _element(items, parsed, path)
        index = parsed.position or 0
        if not parsed.rest:
            del items[index]
            continue
        defaults = element_leaves(leaves[parsed.field])
        inside = {p: leaf.default for p, leaf in defaults.items() if _within(p, parsed.rest)}
        for inner, default in inside.items():
            _assign(items[index], inner, copy.deepcopy(default))
    return plain, _merged({p: None for p in plain if p in lists}, lists)


def _within(path: str, section: str) -> bool:
    return path == section or path.startswith(f"{section}.")


def _merged(result: dict[str, Any], lists: dict[str, list[Any]]) -> dict[str, Any]:
    """Plain changes and edited lists together; a list given whole and by element is refused."""
    for field, items in lists.items():
        if field in result:
            raise InvalidChange(f"{field} is given twice (whole and by element)")
        result[field] = items
    return result


def _editable(
    lists: dict[str, list[Any]],
    leaves: Mapping[str, Leaf],
    values: Mapping[str, Any],
    parsed: ElementPath,
    path: str,
) -> list[Any]:
    """The list an element path edits: a copy of its current value, its elements brought to
    their newest version (an empty list for none)."""
    if parsed.field not in lists:
        leaf = list_leaf(leaves, parsed, path)
        current = copy.deepcopy(values.get(parsed.field)) or []
        assert leaf.elements is not None
        lists[parsed.field] = list(leaf.elements.upcast(current))
    return lists[parsed.field]


def _element(items: list[Any], parsed: ElementPath, path: str) -> None:
    """Refuse an element path past the end of its list."""
    if (parsed.position or 0) >= len(items):
        held = f"elements 0..{len(items) - 1}" if items else "no elements"
        raise InvalidChange(f"{path}: {parsed.field} has {held}; no {parsed.element()}")


def _insert(items: list[Any], parsed: ElementPath, path: str, value: Any) -> None:
    """A new element at the end (`[+]`) or at a position (`[+N]`, 0..len)."""
    index = len(items) if parsed.position is None else parsed.position
    if index > len(items):
        raise InvalidChange(
            f"{path}: {parsed.field} has {len(items)} elements; insert at 0..{len(items)}"
        )
    items.insert(index, _whole(path, value))


def _whole(path: str, value: Any) -> dict[str, Any]:
    """An element given whole: an object of its fields (the missing ones take defaults)."""
    if not isinstance(value, dict):
        raise InvalidChange(f"{path}: an element is an object of its fields, not {value!r}")
    return copy.deepcopy(value)


def _assign(element: Any, path: str, value: Any) -> None:
    """Set a dotted path inside an element's nested dict."""
    *sections, key = path.split(".")
    node = element
    for section in sections:
        node = node.setdefault(section, {})
    node[key] = value


def check_elements(path: str, leaf: Leaf, value: Any) -> None:
    """Refuse a key that an element of a list of sections does not have, naming the element's
    path and the nearest known key."""
    if leaf.elements is None or not isinstance(value, list):
        return
    schema = leaf.elements.schema
    for index, item in enumerate(value):
        version = item.get(VERSION_KEY, schema.latest) if isinstance(item, dict) else None
        if isinstance(version, bool) or not isinstance(version, int) or not schema.knows(version):
            continue  # the validator says what is wrong with it
        known = schema.version(version).leaves
        fields = {k: v for k, v in item.items() if k != VERSION_KEY}
        for key in flatten(fields, known):
            if key not in known:
                raise InvalidChange(unknown_key(f"{path}[{index}].", key, known))


def finest(changes: Iterable[Change], leaves: Mapping[str, Leaf]) -> list[Change]:
    """Changes with each changed list of sections split by element: a moved value inside an
    element as `FIELD[N].PATH`, an element added or removed as one change at `FIELD[N]`."""
    result: list[Change] = []
    for change in changes:
        leaf = leaves.get(change.path)
        if (
            leaf is None
            or leaf.elements is None
            or not (_records(change.old) and _records(change.new))
            or same_value(change.old, change.new)
        ):
            result.append(change)
            continue
        result.extend(_element_changes(change, element_leaves(leaf)))
    return result


def _records(value: Any) -> bool:
    """Whether a value is a list of objects (or none), as a list of sections holds."""
    return value is None or (isinstance(value, list) and all(isinstance(v, dict) for v in value))


def _element_changes(change: Change, inner: Mapping[str, Leaf]) -> Iterator[Change]:
    """How each element of one list moved, matched by index."""
    old, new = change.old or [], change.new or []
    for index in range(max(len(old), len(new))):
        element = f"{change.path}[{index}]"
        if index >= len(old):
            yield Change(element, None, new[index])
        elif index >= len(new):
            yield Change(element, old[index], None)
        else:
            before, after = spread_element(old[index], inner), spread_element(new[index], inner)
            for path in dict.fromkeys([*before, *after]):
                if not same_value(before.get(path), after.get(path)):
                    yield Change(f"{element}.{path}", before.get(path), after.get(path))


def spread_element(element: Mapping[str, Any], inner: Mapping[str, Leaf]) -> dict[str, Any]:
    """An element's fields as flat paths (its version key left out)."""
    return flatten({k: v for k, v in element.items() if k != VERSION_KEY}, inner)


def spread(values: Mapping[str, Any], leaves: Mapping[str, Leaf]) -> dict[str, Any]:
    """A flat config with each non-empty list of sections spread into element paths."""
    result: dict[str, Any] = {}
    for path, value in values.items():
        leaf = leaves.get(path)
        if leaf is None or leaf.elements is None or not value or not _records(value):
            result[path] = value
            continue
        inner = element_leaves(leaf)
        for index, element in enumerate(value):
            for inside, item in spread_element(element, inner).items():
                result[f"{path}[{index}].{inside}"] = item
    return result


def value_at(values: Mapping[str, Any], path: str) -> Any:
    """The value at a plain or element path of a flat config (None where there is none)."""
    parsed = parse(path)
    if parsed is None:
        return values.get(path)
    items = values.get(parsed.field) or []
    index = parsed.position or 0
    if parsed.insert or index >= len(items) or not isinstance(items[index], dict):
        return None
    return _dig(items[index], parsed.rest)


def default_at(leaves: Mapping[str, Leaf], path: str) -> Any:
    """The schema's default at a plain path, or the element's own default at an element
    path (None where there is none)."""
    parsed = parse(path)
    if parsed is None:
        leaf = leaves.get(path)
    else:
        holder = leaves.get(parsed.field)
        leaf = element_leaves(holder).get(parsed.rest) if holder is not None else None
    return None if leaf is None else leaf.default


def matches(change_path: str, path: str) -> bool:
    """Whether a change at `change_path` concerns `path`: the same, inside it, or the element
    or list that holds it."""
    pairs = ((change_path, path), (path, change_path))
    return any(a == b or a.startswith((f"{b}.", f"{b}[")) for a, b in pairs)


def narrowed(changes: Iterable[Change], path: str) -> tuple[Any, Any]:
    """One path's old and new value from a revision's changes: its own change, or the element
    added or removed around it."""
    for change in changes:
        if change.path == path:
            return change.old, change.new
        if path.startswith(f"{change.path}."):
            inner = path[len(change.path) + 1 :]
            return _dig(change.old, inner), _dig(change.new, inner)
    return None, None


def _dig(node: Any, path: str) -> Any:
    """The value at a dotted path inside nested dicts (None where there is none)."""
    for key in path.split(".") if path else ():
        node = node.get(key) if isinstance(node, dict) else None
    return node


def is_element_change(change: Change) -> bool:
    """Whether a change adds or removes a whole element (`concepts[2]`)."""
    return change.path.endswith("]") and (change.old is None) != (change.new is None)


def element_label(element: Any) -> str:
    """A short name for an element in an "added"/"removed" line: its `name`, else its index."""
    if isinstance(element, dict) and isinstance(element.get("name"), str) and element["name"]:
        return f'"name={element["name"]}"'
    return ""
