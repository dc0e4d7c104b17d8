"""Commands that move whole configs in and out: `import` (one file, or `--many` kept in sync),
`export`; JSON, TOML or YAML, `-` for standard input or output."""

from __future__ import annotations

import collections
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import store
from store._cli._options import format_option, open_store, write_options
from store._cli._output import on_terminal, report, warn
from store._files import file_format, is_preset, read_config, read_unnamed


@click.command(name="import")
@click.argument("args", metavar="FILE RUN | --many FILE_OR_DIR...", nargs=-1, required=True)
@click.option(
    "--many", is_flag=True, help="Keep one run per file (every config file in a folder) in sync."
)
@click.option("--schema", help="Schema of a new run (default: the one that claims the file).")
@click.option("--schema-version", type=int, help="Read the file at this version.")
@click.option("--strict", is_flag=True, help="Refuse a file with keys the schema does not know.")
@format_option
@click.option("--dry-run", is_flag=True, help="With --many: say what would happen, write nothing.")
@click.option("-q", "--quiet", is_flag=True, help="With --many: print only errors and the summary.")
@click.option(
    "--archive-missing",
    is_flag=True,
    help="With --many: archive the runs whose file left the folder (else only listed).",
)
@write_options
def import_(
    args: tuple[str, ...],
    many: bool,
    schema: str | None,
    schema_version: int | None,
    strict: bool,
    fmt: str | None,
    dry_run: bool,
    quiet: bool,
    archive_missing: bool,
    message: str | None,
    author: str | None,
) -> None:
    """Import a config file into a new or existing run (only the differences are stored).

    With --many, every file that fails is named (one `Error:` line each) and nothing is
    written; a run whose file left a folder named is listed, and archived on request."""
    _check_flags(many, fmt, dry_run or quiet or archive_missing)
    if many:
        with _many_store(dry_run) as opened, _progress() as advance, _each_error():
            results = opened.import_files(
                _existing(args), schema=schema, schema_version=schema_version, strict=strict,
                message=message, author=author, dry_run=dry_run, progress=advance,
                archive_missing=archive_missing,
            )  # fmt: skip
        _report_many(results, quiet, dry_run)
        return
    name, run = _file_and_run(args)
    with open_store() as opened:
        result = opened.import_config(
            run, load_config(name, fmt), schema=schema, schema_version=schema_version,
            strict=strict, message=message, author=author, preset=is_preset(Path(name)),
        )  # fmt: skip
    warn_import(result)
    report(result.revision)


def _check_flags(many: bool, fmt: str | None, many_only: bool) -> None:
    """`--format` goes with one file (`--many` reads each by its extension); `--dry-run`
    and `--quiet` go with `--many`; anything else is a usage error."""
    if many and fmt:
        raise click.UsageError(
            "--format goes with FILE RUN; --many reads each file by its extension"
        )
    if many_only and not many:
        raise click.UsageError("--dry-run, --quiet and --archive-missing go with --many")


def _file_and_run(args: Sequence[str]) -> tuple[str, str]:
    """`FILE RUN`; anything else is a usage error."""
    if len(args) == 2:
        return args[0], args[1]
    raise click.UsageError("expected FILE RUN (or --many FILE_OR_DIR...)")


def _existing(paths: Sequence[str]) -> list[Path]:
    """The files and folders named; one that does not exist is a usage error."""
    for text in paths:
        if not Path(text).exists():
            raise click.BadParameter(f"{text!r} does not exist", param_hint="FILE_OR_DIR")
    return [Path(text) for text in paths]


def _many_store(dry_run: bool) -> store.Store:
    """The store `--db` names; for a dry run where there is no database yet, an empty one in
    memory, so that a dry run creates nothing."""
    if not dry_run:
        return open_store()
    try:
        return open_store(create=False)
    except store.NoDatabase:
        return store.open("sqlite:///:memory:")


@contextmanager
def _each_error() -> Iterator[None]:
    """Several files refused: one `Error: FILE: …` line each on standard error, then exit 1."""
    try:
        yield
    except store.FilesRefused as exc:
        for line in exc.errors:
            click.echo(f"Error: {' '.join(line.splitlines())}", err=True)
        raise click.exceptions.Exit(1) from None


@contextmanager
def _progress() -> Iterator[Callable[[Path], None] | None]:
    """A progress bar on a terminal (standard error), advanced once per file; else nothing."""
    if not on_terminal(sys.stderr):  # rich is imported only to draw on a terminal
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("importing", total=None)
        yield lambda _path: bar.advance(task)


def _report_many(results: Sequence[store.FileImport], quiet: bool, dry_run: bool) -> None:
    """A line per file (its run, what happened, the revision written) with the warnings of
    what was written, then the summary line; `quiet` keeps only the summary."""
    width = max((len(r.run) for r in results), default=0)
    for result in results if not quiet else ():
        if result.revision is not None:
            warn_import(result, f"{result.path}: ")
        number = f"revision {result.revision.number}" if result.revision else ""
        click.echo(f"{result.status:<9}  {result.run:<{width}}  {number:<10}  {result.path}")
    counts: collections.Counter[str] = collections.Counter(r.status for r in results)
    files = ("new", "updated", "unchanged")
    parts = ", ".join(f"{counts[s]} {s}" for s in files)
    gone = _gone(results)
    suffix = " (dry run: nothing written)" if dry_run else ""
    click.echo(f"{sum(counts[s] for s in files)} files: {parts}{gone}{suffix}")


def _gone(results: Sequence[store.FileImport]) -> str:
    """The summary's part naming the runs whose file left the folder (or that were archived)."""
    missing = [r.run for r in results if r.status == "missing"]
    archived = [r.run for r in results if r.status == "archived"]
    if missing:
        return f"; without their file: {', '.join(missing)} (--archive-missing archives them)"
    if archived:
        return f"; archived, their file gone: {', '.join(archived)}"
    return ""


def load_config(name: str, fmt: str | None) -> Any:
    """The content of the config file `name` (`-`: standard input, its format `fmt` or the
    one its content shows)."""
    if name == "-":
        return read_unnamed(click.get_binary_stream("stdin"), "stdin", fmt)
    return read_config(Path(name), fmt)


def warn_import(result: store.ImportResult | store.FileImport, where: str = "") -> None:
    """Print what an import skipped and what its upcasters noted, one `Warning: …` line each."""
    for path in result.skipped:
        warn(f"{where}{path} was not imported (unknown key or a secret's value)")
    for note in result.notes:
        warn(f"{where}{note}")


@click.command()
@click.argument("run")
@click.option("--rev", type=int, help="Export the config as it was at this revision.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write to this file (format by its extension) instead of standard output.",
)
@format_option
def export(run: str, rev: int | None, output: str | None, fmt: str | None) -> None:
    """Print (or write) the complete effective config of RUN with "__version"."""
    target = output or "-"
    with open_store(create=False) as opened:
        text = opened.export_text(run, rev, format=file_format(target, fmt))
    if target == "-":
        click.echo(text, nl=False)
    else:
        write_file(Path(target), text)


def write_file(path: Path, text: str) -> None:
    """Write an exported config; a path that cannot be written is one `Error:` line."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
