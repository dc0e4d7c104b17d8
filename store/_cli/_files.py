"""Commands that move whole configs in and out: `import`, `export`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import track

import store
from store._cli._options import open_store, write_options
from store._cli._output import report, warn
from store._files import read_config
from store._values import run_name_from


@click.command(name="import")
@click.argument("args", metavar="FILE RUN | --many FILE_OR_DIR...", nargs=-1, required=True)
@click.option(
    "--many", is_flag=True, help="Import each file (or *.json in a folder) as its own run."
)
@click.option("--schema", help="Schema of a new run (default: training).")
@click.option("--schema-version", type=int, help="Read the file at this version.")
@click.option("--strict", is_flag=True, help="Refuse a file with keys the schema does not know.")
@write_options
def import_(
    args: tuple[str, ...],
    many: bool,
    schema: str | None,
    schema_version: int | None,
    strict: bool,
    message: str | None,
    author: str | None,
) -> None:
    """Import a JSON config into a new or existing run (only the differences are stored)."""
    files = _named_files(args, many)
    contents = [(read_config(path), path, run) for path, run in files]
    with open_store() as opened:
        for data, path, run in _progress(contents, many):
            result = opened.import_config(
                run,
                data,
                schema=schema,
                schema_version=schema_version,
                strict=strict,
                message=message,
                author=author,
                preset=path.name.startswith("#"),
            )
            warn_import(result)
            report(result.revision)


def _named_files(args: Sequence[str], many: bool) -> list[tuple[Path, str]]:
    """`FILE RUN`, or with `--many` every file named with a run named after it."""
    if many:
        return [(path, run_name_from(path.stem)) for path in config_files(args)]
    if len(args) == 2:
        return [(Path(args[0]), args[1])]
    raise click.UsageError("expected FILE RUN (or --many FILE_OR_DIR...)")


def _progress(items: list[Any], many: bool) -> Any:
    """`items`, with a progress bar on a terminal while importing many files."""
    console = Console(stderr=True)
    return track(
        items,
        description="importing",
        console=console,
        transient=True,
        disable=not (many and console.is_terminal),
    )


def config_files(paths: Sequence[str]) -> list[Path]:
    """The files named, and every `*.json` below the folders named, in order."""
    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found += sorted(path.rglob("*.json"))
        elif path.exists():
            found.append(path)
        else:
            raise click.BadParameter(f"{text!r} does not exist", param_hint="FILE_OR_DIR")
    return found


def warn_import(result: store.ImportResult) -> None:
    """Print what an import skipped and what its upcasters noted, one `Warning: …` line each."""
    for path in result.skipped:
        warn(f"{path} was not imported (unknown key or a secret's value)")
    for note in result.notes:
        warn(note)


@click.command()
@click.argument("run")
@click.option("--rev", type=int, help="Export the config as it was at this revision.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def export(run: str, rev: int | None, output: Path | None) -> None:
    """Print (or write) the complete effective config of RUN as JSON with "__version"."""
    with open_store(create=False) as opened:
        text = json.dumps(opened.export_config(run, rev), indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
