"""Tags: names of revisions ("baseline", "paper"), append-only; moving one needs `force`, and
its old positions stay in its history."""

from __future__ import annotations

from store._errors import NoChange, TagExists
from store._persistence import Recorder
from store._reads import require_run, target
from store._refs import check_tag_name, parse_ref
from store._rows import Tag
from store._writes import require_writable, stamp


def tag(
    recorder: Recorder, ref: str, name: str, force: bool, author: str | None, message: str | None
) -> Tag:
    """Name the revision `ref` names; a tag elsewhere moves only with `force`."""
    check_tag_name(name)
    with recorder.write() as tx:
        row = require_writable(tx, parse_ref(ref).run)
        _, _, number = target(tx, ref, None)
        now_at = tx.tag_position(row, name)
        if now_at == number:
            raise NoChange(f"nothing changed: tag {name!r} names {row.name}@{number} already")
        if now_at is not None and not force:
            raise TagExists(
                f"tag {name!r} names {row.name}@{now_at}; moving it to {number} needs --force"
            )
        made = Tag(name, number, *stamp(author, message))
        tx.add_tag(row, made)
    return made


def tags(recorder: Recorder, run: str, moves: bool) -> list[Tag]:
    """The run's tags where they are now, by name; with `moves`, every position ever held."""
    with recorder.read() as tx:
        row = require_run(tx, run)
        return tx.tags(row) if moves else tx.current_tags(row)
