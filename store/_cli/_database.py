"""Commands on the database itself: `db upgrade`, `db current`, `backup`."""

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


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path: str) -> None:
    """Copy the SQLite database consistently to the new file PATH (also while it is in use),
    then verify the copy; for PostgreSQL use pg_dump."""
    with open_store(create=False) as opened:
        made = opened.backup(path)
    if not made.report.ok:
        for problem in made.report.problems:
            click.echo(
                f"Error: {path}: {problem.run}@{problem.revision}: {problem.detail}", err=True
            )
        raise click.exceptions.Exit(1)
    click.echo(f"{path}: {made.runs} run(s), {made.revisions} revision(s), verified")
