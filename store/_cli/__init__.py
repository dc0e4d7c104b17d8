"""The `store` command line: each command opens the store, makes one call, renders the result.

Read commands return an `Output` (a JSON document and a table for people); the one
`output_options` decorator adds `--json` and renders it. Every `StoreError` is turned into
one `Error: …` line (exit 1) in `StoreGroup.invoke`; usage errors exit 2 as click does.
The commands live by what they do: `_reading`, `_writing`, `_files`, `_database`.
"""

from __future__ import annotations

from typing import Any

import click

from store._cli import _database, _files, _reading, _serve, _writing
from store._errors import StoreError

__all__ = ["cli", "main"]


class StoreGroup(click.Group):
    """A command group that turns every `StoreError` into one `Error: …` line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a library error becomes a `click.ClickException`."""
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise click.ClickException(" ".join(str(exc).split("\n"))) from exc


@click.group(cls=StoreGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="URL",
    help="Database URL (default: $STORE_URL, else sqlite:///store.db).",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """An event-sourced, audited store of training configs."""
    ctx.obj = db


for command in (
    _reading.runs,
    _writing.create,
    _writing.set_,
    _writing.unset,
    _reading.show_run,
    _reading.history,
    _reading.diff,
    _writing.rollback,
    _files.import_,
    _files.export,
    _reading.verify,
    _database.db,
    _serve.serve,
):
    cli.add_command(command)


def main() -> None:
    """The `store` console script."""
    cli(prog_name="store")
