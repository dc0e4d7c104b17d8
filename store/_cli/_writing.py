"""Commands that write: `create`, `set`, `unset`, `rollback`."""

from __future__ import annotations

from pathlib import Path

import click

from store._cli._files import load_config, warn_import
from store._cli._options import (
    assignment,
    expect_option,
    format_option,
    open_store,
    write_options,
)
from store._cli._output import report
from store._files import is_preset


@click.command()
@click.argument("run")
@click.option(
    "--schema", help="Schema of the new run (default: the one that claims --from's file)."
)
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="Take the first revision's values from a config file (- for standard input).",
)
@format_option
@write_options
def create(
    run: str,
    schema: str | None,
    source: str | None,
    fmt: str | None,
    message: str | None,
    author: str | None,
) -> None:
    """Create RUN, bound to a schema, optionally with values from a file."""
    with open_store() as opened:
        if source is None:
            report(opened.create(run, schema=schema or "training", message=message, author=author))
            return
        result = opened.import_config(
            run,
            load_config(source, fmt),
            schema=schema,
            message=message,
            author=author,
            exclusive=True,
            preset=source != "-" and is_preset(Path(source)),
        )
        warn_import(result)
        report(result.revision)


@click.command(name="set")
@click.argument("run")
@click.argument(
    "assignments", metavar="PATH=VALUE...", nargs=-1, required=True, callback=assignment
)
@write_options
@expect_option
def set_(
    run: str,
    assignments: dict[str, str],
    message: str | None,
    author: str | None,
    expect_revision: int | None,
) -> None:
    """Set fields of RUN in one revision; VALUE is JSON where it parses, else text."""
    with open_store() as opened:
        written = opened.update(
            run,
            assignments,
            from_text=True,
            message=message,
            author=author,
            expected_revision=expect_revision,
        )
        report(written)


@click.command()
@click.argument("run")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
@write_options
@expect_option
def unset(
    run: str,
    paths: tuple[str, ...],
    message: str | None,
    author: str | None,
    expect_revision: int | None,
) -> None:
    """Return fields of RUN to the run's own default, in one revision.

    The default is the schema's (pinned where the run crossed a schema upgrade), also on a
    run created from a preset or a file: the preset's value is not a default. To return a
    field to its value at an earlier revision instead: store rollback RUN --field PATH --to REF
    """
    with open_store() as opened:
        written = opened.unset(
            run, paths, message=message, author=author, expected_revision=expect_revision
        )
        report(written)


@click.command()
@click.argument("run")
@click.option(
    "--to",
    "to",
    metavar="REF",
    required=True,
    help="The revision to go back to: a number, a tag, head~K or a UTC time.",
)
@click.option(
    "--field",
    "fields",
    metavar="PATH",
    multiple=True,
    help="Only return this field to its value at REF (repeatable); the rest stays.",
)
@write_options
@expect_option
def rollback(
    run: str,
    to: str,
    fields: tuple[str, ...],
    message: str | None,
    author: str | None,
    expect_revision: int | None,
) -> None:
    """Append one revision that brings RUN (or only the --field paths) back to REF."""
    with open_store() as opened:
        written = opened.rollback(
            run,
            int(to) if to.removeprefix("-").isdecimal() and to.isascii() else to,
            fields=fields,
            message=message,
            author=author,
            expected_revision=expect_revision,
        )
        report(written)
