"""The `store` command line: each command opens the store, makes one call, renders the result.

Read commands return an `Output` (a JSON document and a table for people); the one
`output_options` decorator adds `--format`/`--json` and renders it. Every `StoreError` is
turned into one `Error: …` line (exit 1) in `StoreGroup.invoke`; usage errors exit 2 as click does.
The commands live by what they do: `_reading`, `_writing`, `_naming`, `_files`, `_schemas`,
`_database`.
"""

from __future__ import annotations

import warnings
from typing import Any

import click

from store._cli import _database, _files, _naming, _reading, _schemas, _serve, _writing
from store._cli._output import warn
from store._errors import StoreError, StoreWarning
from store._migrations import HEAD

__all__ = ["cli", "main"]


class StoreGroup(click.Group):
    """A command group that turns every `StoreError` into one `Error: …` line and exit 1,
    and every `StoreWarning` into one `Warning: …` line."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a library error becomes a `click.ClickException`."""
        with warnings.catch_warnings():
            warnings.simplefilter("always", StoreWarning)
            warnings.showwarning = _shown(warnings.showwarning)
            try:
                return super().invoke(ctx)
            except StoreError as exc:
                raise click.ClickException(" ".join(str(exc).split("\n"))) from exc


def _shown(original: Any) -> Any:
    """A `warnings.showwarning` that prints a `StoreWarning` as one `Warning: …` line."""

    def show(message: Warning | str, category: type[Warning], *where: Any) -> None:
        if issubclass(category, StoreWarning):
            warn(str(message))
        else:
            original(message, category, *where)

    return show


def program_version() -> str:
    """`store X.Y.Z (migration NNNN)`: the installed distribution and its newest migration."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        number = version("train-config-store")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout, not installed
        number = "unknown"
    return f"store {number} (migration {HEAD})"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--version`: print `program_version()` and exit (looked up only when asked)."""
    if value and not ctx.resilient_parsing:
        click.echo(program_version())
        ctx.exit()


@click.group(cls=StoreGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.option(
    "--db",
    metavar="URL",
    help="Database URL, or a SQLite file's path (default: $STORE_URL, else sqlite:///store.db).",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """An event-sourced, audited store of training configs."""
    if db == "":
        raise click.BadParameter("is empty: give a database URL", param_hint="--db")
    ctx.obj = db


for command in (
    _reading.runs,
    _writing.create,
    _writing.set_,
    _writing.unset,
    _reading.show_run,
    _reading.history,
    _reading.log,
    _reading.diff,
    _reading.compare,
    _writing.rollback,
    _naming.tag,
    _naming.tags,
    _naming.fork,
    _naming.archive,
    _naming.unarchive,
    _files.import_,
    _files.export,
    _reading.verify,
    _reading.digest,
    _reading.find,
    _schemas.schemas,
    _schemas.schema,
    _database.db,
    _database.backup,
    _serve.serve,
):
    cli.add_command(command)


def main() -> None:
    """The `store` console script."""
    cli(prog_name="store")
