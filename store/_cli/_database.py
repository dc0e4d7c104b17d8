"""Commands on the database itself: `db upgrade`, `db current`."""

from __future__ import annotations

import click

from store._cli._options import open_store
from store._cli._output import Output, Table, output_options


@click.group()
def db() -> None:
    """Manage the database itself."""


@db.command()
def upgrade() -> None:
    """Migrate the database to this version of store (opening it does the same)."""
    with open_store() as opened:
        click.echo(f"database at migration {opened.migration()}")


@db.command(name="current")
@output_options
def current_migration() -> Output:
    """Show the migration the database is at, without upgrading it."""
    with open_store(create=False, upgrade=False) as opened:
        migration = opened.migration()
    return Output({"migration": migration}, Table(("migration",), [(migration or "",)]))
