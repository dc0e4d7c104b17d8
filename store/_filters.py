"""Conditions on a config, `PATH=VALUE`, `PATH!=VALUE`, `PATH<N`, … for `runs --where`
(domain; no SQL)."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from store._errors import InvalidChange
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


def matching(configs: Mapping[str, Flat], conditions: Sequence[Condition]) -> list[str]:
    """The names of the configs that meet every condition; an unknown path is refused."""
    known: Collection[str] = {path for config in configs.values() for path in config}
    for condition in conditions:
        if configs and condition.path not in known:
            raise InvalidChange(unknown_path(condition.path, known))
    return [name for name, config in configs.items() if all(c.holds(config) for c in conditions)]
