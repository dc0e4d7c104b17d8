"""Conditions on a config, `PATH=VALUE`, `PATH!=VALUE`, `PATH<N`, … for `runs --where`
(domain; no SQL)."""

from __future__ import annotations

import json
import operator
import re
import types
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from store._describe import leaf_type
from store._errors import InvalidChange
from store._leaves import Leaf
from store._paths import unknown_path
from store._records import encode
from store._schema import Flat

_CONDITION = re.compile(r"(?P<path>[^=!<>]+)(?P<op>!=|<=|>=|=|<|>)(?P<value>.*)", re.S)
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Condition:
    """`path op value`: equality on any value (as typed, or as JSON), order on numbers."""

    path: str
    op: str
    text: str

    @property
    def value(self) -> Any:
        """The value as JSON where it parses, else the text as typed."""
        try:
            return json.loads(self.text)
        except ValueError:
            return self.text

    def holds(self, config: Flat) -> bool:
        """Whether a flat config meets the condition (a config without the path does not)."""
        if self.path not in config:
            return False
        actual = config[self.path]
        if self.op in ("=", "!="):
            equal = encode(actual) == encode(self.value) or actual == self.text
            return equal == (self.op == "=")
        return _number(actual) and _ORDER[self.op](actual, self.value)


def _number(value: Any) -> bool:
    """Whether a value is an int or a float (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_condition(text: str) -> Condition:
    """`PATH=VALUE` (also `!=`, `<`, `<=`, `>`, `>=`) as a `Condition`."""
    found = _CONDITION.fullmatch(text)
    if not found:
        raise InvalidChange(f"expected PATH=VALUE (or !=, <, <=, >, >=), got {text!r}")
    condition = Condition(found["path"].strip(), found["op"], found["value"])
    if condition.op in _ORDER and not _number(condition.value):
        raise InvalidChange(f"{text!r}: {condition.op} compares numbers, not {condition.text!r}")
    return condition


def matching(
    configs: Mapping[str, Flat],
    conditions: Sequence[Condition],
    fields: Mapping[str, Mapping[str, Leaf]] | None = None,
) -> list[str]:
    """The names of the configs that meet every condition; an unknown path is refused, and so
    is a condition no config's field can meet (`fields`: the leaves of each config's schema,
    by schema name): an order on a field that is not a number, or a value it cannot hold."""
    known: Collection[str] = {path for config in configs.values() for path in config}
    for condition in conditions:
        if configs and condition.path not in known:
            raise InvalidChange(unknown_path(condition.path, known))
        leaves = {n: f[condition.path] for n, f in (fields or {}).items() if condition.path in f}
        problems = {n: _problem(condition, leaf) for n, leaf in leaves.items()}
        if problems and all(problems.values()):
            raise InvalidChange(f"{condition.path} is {_either(problems)}")
    return [name for name, config in configs.items() if all(c.holds(config) for c in conditions)]


def _either(problems: Mapping[str, str | None]) -> str:
    """One problem, or each schema's: `a whole number, not 'x'`, `text (schema a); or …`."""
    texts = set(problems.values())
    if len(texts) == 1:
        return str(texts.pop())
    return "; or ".join(f"{text} (schema {name})" for name, text in problems.items())


def _problem(condition: Condition, leaf: Leaf) -> str | None:
    """Why `condition` can never hold for the field `leaf`, after `PATH is` (None: it can)."""
    kind = leaf_type(leaf)
    kind = f"a {kind}" if kind.startswith(("whole", "number", "list", "mapping")) else kind
    if condition.op in _ORDER:
        return None if _is_number(leaf.annotation) else f"{kind}: {condition.op} compares numbers"
    if leaf.adapter is None or leaf.secret:
        return None
    for candidate in (condition.value, condition.text):
        try:
            leaf.adapter.validate_json(encode(candidate), strict=True)
            return None
        except ValidationError:
            continue
    return f"{kind}, not {condition.text!r}"


def _is_number(annotation: Any) -> bool:
    """Whether a field's type is a number (int or float), optional or constrained."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_number(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(kinds) and all(_is_number(a) for a in kinds)
    return annotation in (int, float)
