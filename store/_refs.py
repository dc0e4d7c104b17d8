"""References to a revision: `RUN`, `RUN@N`, `RUN@head`, `RUN@head~K`, `RUN@TAG` and
`RUN@TIME` (ISO 8601; UTC unless it says otherwise), parsed without the database (domain;
no SQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from store._errors import InvalidReference
from store._records import format_time
from store._values import RUN_NAME, check_run_name

HEAD_BACK = re.compile(r"head~([0-9]{1,9})")
WHOLE_SECOND = re.compile(r"[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-]|$)")


@dataclass(frozen=True)
class Ref:
    """A parsed reference: the run and one selector (all None: the head)."""

    text: str
    run: str
    number: int | None = None
    back: int | None = None
    tag: str | None = None
    time: str | None = None


def parse_ref(text: str) -> Ref:
    """`RUN[@SELECTOR]` as a `Ref`; a malformed one is an `InvalidReference`."""
    if not isinstance(text, str):
        raise InvalidReference(f"a reference is text such as 'my_run@3', not {text!r}")
    run, at, selector = text.partition("@")
    check_run_name(run)
    if not at or selector == "head":
        return Ref(text, run)
    if selector.isascii() and selector.isdigit():
        return Ref(text, run, number=int(selector))
    if back := HEAD_BACK.fullmatch(selector):
        return Ref(text, run, back=int(back.group(1)))
    if (moment := parse_time(selector, end=True)) is not None:
        return Ref(text, run, time=moment)
    if RUN_NAME.fullmatch(selector):
        return Ref(text, run, tag=selector)
    raise InvalidReference(
        f"cannot read reference {text!r}: after '@' give a revision number, head, head~K, "
        "a tag or an ISO 8601 UTC time such as 2026-11-30T12:00:00Z"
    )


def parse_time(text: str, *, end: bool = False) -> str | None:
    """An ISO 8601 time (or a date) in the stored form; None if not a time.

    A time without an offset is UTC, as the tables print it (`2026-12-04 01:41:21` or
    `…T01:41:21Z`). With `end`, a time given to the whole second stands for the end of that
    second, so a time copied from a table names the revision shown at it."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?(Z|[+-][0-9:]+)?", text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidReference(f"{text!r} is not a valid time") from None
    if end and WHOLE_SECOND.search(text):
        moment += timedelta(microseconds=999_999)
    return format_time(moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC))


def require_time(text: str, *, end: bool = False) -> str:
    """An ISO 8601 UTC time (or a date) in the stored form; anything else is refused."""
    moment = parse_time(text, end=end)
    if moment is None:
        raise InvalidReference(f"{text!r} is not a time such as 2026-11-30T12:00:00Z")
    return moment


def check_tag_name(name: str) -> str:
    """A tag follows the run-name rule and is not a number, `head`, `head~K` or a time."""
    check_run_name(name)
    if name.isdigit() or name == "head" or HEAD_BACK.fullmatch(name) or parse_time(name):
        raise InvalidReference(
            f"invalid tag name {name!r}: a tag cannot be a number, head, head~K or a time"
        )
    return name
