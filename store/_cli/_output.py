"""What the command line shows: tables for people, JSON for programs, Markdown and CSV for
reports, from one decorator."""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import click

from store._records import Change, Revision
from store._shapes import change_lines, changes_data, value_text

STYLES = {"rev": "cyan", "old": "red", "new": "green", "hash": "dim", "time": "dim"}
"""Column colours on a terminal."""


@dataclass(frozen=True)
class Table:
    """What a command shows people: a title, named columns and rows of cells.

    A cell is text, a number, a config value (in a column of `values`: JSON for people, so
    that `"512"` and `512` differ) or `Lines`. Tables show every cell with its control
    characters escaped; md and csv write plain values (`plain_cell`).
    """

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    title: str = ""
    empty: str = ""
    values: frozenset[int] = frozenset()
    """Indexes of the columns that hold config values."""


class Lines(tuple[str, ...]):
    """A cell of several lines (history's changes): one per line in every format."""


@dataclass(frozen=True)
class Output:
    """A read command's result: the `--json` document, the table for people, the exit status,
    and the table md and csv write where it differs (history: tags in a column of their own)."""

    data: Any
    table: Table
    status: int = 0
    plain: Table | None = None


FORMATS = ("table", "json", "md", "csv")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet would read as a formula starts."""
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""Text that a spreadsheet reads as a number, not a formula: left as it is."""


def output_options(command: Callable[..., Output]) -> Callable[..., None]:
    """Add `--format` and `--json` to a read command and render what it returns (sqlite-utils'
    pattern)."""

    @click.option(
        "--format",
        "form",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people, json (shapes in README), md (a GitHub table) or csv.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print JSON: short for --format json.")
    @functools.wraps(command)
    def render(*args: Any, form: str, as_json: bool, **kwargs: Any) -> None:
        output = command(*args, **kwargs)
        if as_json or form == "json":
            click.echo(json.dumps(output.data, indent=2, ensure_ascii=False))
        elif form == "md":
            click.echo(markdown(output.plain or output.table), nl=False)
        elif form == "csv":
            click.echo(comma_separated(output.plain or output.table), nl=False)
        else:
            show(output.table)
        click.get_current_context().exit(output.status)

    return render


def markdown(table: Table) -> str:
    """A GitHub table (for CI comments) of plain cells; `|` escaped, a multi-line cell joined
    with `<br>`."""

    def line(cells: Iterable[Any]) -> str:
        escaped = (str(c).replace("|", "\\|").replace("\n", "<br>") for c in cells)
        return "| " + " | ".join(escaped) + " |\n"

    title = f"**{table.title}**\n\n" if table.title else ""
    if not table.rows and table.empty:
        return title + table.empty + "\n"
    rule = "|" + "|".join("---" for _ in table.columns) + "|\n"
    rows = (map(plain_cell, row) for row in table.rows)
    return title + line(table.columns) + rule + "".join(line(row) for row in rows)


def comma_separated(table: Table) -> str:
    """The table's columns and rows as CSV of plain cells (no title: only data)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows(map(plain_cell, row) for row in table.rows)
    return text.getvalue()


def plain_cell(cell: Any) -> str | int | float:
    """A cell as md and csv write it: a number stays a number; anything else is text (a
    string without JSON's quotes), each line's control characters escaped, and a leading
    `=`, `+`, `-`, `@`, tab or carriage return neutralised with `'` (OWASP's rule against
    formula injection) unless the text is a number."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and math.isfinite(cell):
        return cell
    if isinstance(cell, Lines):
        text = "\n".join(cell)
    else:
        text = cell if isinstance(cell, str) else value_text(cell)
    if text.startswith(FORMULA) and not NUMBER.fullmatch(text):
        text = "'" + text
    return "\n".join(map(printable, text.split("\n")))


def cell_text(cell: Any, value: bool) -> str:
    """A cell as a table shows it to people: a config value (or a number) as JSON, text as
    it is, every control character escaped (a newline too, but between `Lines`)."""
    if isinstance(cell, Lines):
        return "\n".join(map(printable, cell))
    return printable(cell if isinstance(cell, str) and not value else value_text(cell))


def people_rows(table: Table) -> list[list[str]]:
    """The table's rows as the text a person is shown."""
    return [[cell_text(c, i in table.values) for i, c in enumerate(row)] for row in table.rows]


def show(table: Table) -> None:
    """A rich table with colour on a terminal, aligned plain text when piped."""
    if table.title:
        click.echo(table.title)
    if not table.rows:
        if table.empty:
            click.echo(table.empty)
        return
    rows = people_rows(table)
    if on_terminal(sys.stdout):  # rich is imported only to draw on a terminal
        _draw(table.columns, rows)
        return
    for line in _plain(table.columns, rows):
        click.echo(line)


def on_terminal(stream: TextIO) -> bool:
    """Whether output goes to a terminal (or `$FORCE_COLOR` says to draw as if it did)."""
    return stream.isatty() or bool(os.environ.get("FORCE_COLOR"))


def _draw(columns: tuple[str, ...], rows: list[list[str]]) -> None:
    """The table drawn by rich, in colour; a long value wraps, never cut short."""
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    rich = RichTable(*columns)
    for column in rich.columns:
        column.style = STYLES.get(str(column.header), "")
        column.overflow = "fold"
    for row in rows:
        rich.add_row(*(Text(cell) for cell in row))
    Console(highlight=False).print(rich)


PADDED = 80
"""Piped, a column is padded to its widest cell up to this many characters: a longer cell
overflows on its own line instead of padding every other line to its width."""


def _plain(columns: tuple[str, ...], rows: list[list[str]]) -> Iterator[str]:
    """Columns padded to their widest cell (up to `PADDED`); a multi-line cell continues on
    the next lines; no line ends in spaces."""
    lines: list[list[str]] = [list(columns)]
    for row in rows:
        cells = [cell.split("\n") for cell in row]
        for i in range(max(len(c) for c in cells)):
            lines.append([c[i] if i < len(c) else "" for c in cells])
    widths = [
        max((len(line[i]) for line in lines if len(line[i]) <= PADDED), default=0)
        for i in range(len(columns))
    ]
    for line in lines:
        yield "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()


def printable(text: str) -> str:
    """Text with control characters escaped (`\\n`, `\\x1b`), so that a message cannot fake
    rows of a table or colour a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def changes_table(changes: Sequence[Change]) -> Output:
    """Changes as `path old new` rows (`diff`)."""
    return Output(
        changes_data(changes),
        Table(
            ("path", "old", "new"),
            [(c.path, c.old, c.new) for c in changes],
            empty="no differences",
            values=frozenset({1, 2}),
        ),
    )


def kind_text(revision: Revision) -> str:
    """`update`, `rollback to 3`, `create (fork of a@2)`: the kind with what it recorded."""
    detail = revision.detail or {}
    if "rollback_fields" in detail:
        return f"rollback of {', '.join(detail['rollback_fields'])} to {detail['rollback_to']}"
    if "rollback_to" in detail:
        return f"rollback to {detail['rollback_to']}"
    if "forked_from" in detail:
        return f"{revision.kind} (fork of {detail['forked_from']})"
    return revision.kind


def time_text(stored: str) -> str:
    """A stored time as tables show it, to the second with its zone (`2026-12-04T01:41:21Z`):
    pasted into a reference (`RUN@TIME`) it names the revision shown."""
    return stored[:19] + "Z" if len(stored) > 19 else stored


def rev_text(revision: Revision) -> str:
    """The revision number, with the tags that name it: `3 [baseline]`."""
    return (
        f"{revision.number} [{', '.join(revision.tags)}]" if revision.tags else str(revision.number)
    )


def report(written: Revision) -> None:
    """Tell people which revision a write appended and what it changed."""
    click.echo(f"{written.run}: revision {written.number} ({written.kind}) {written.hash}")
    for line in change_lines(written):
        click.echo(f"  {line}")


def warn(message: str) -> None:
    """One `Warning: …` line on standard error."""
    click.echo(f"Warning: {printable(message)}", err=True)
