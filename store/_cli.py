"""The `store` command line: each command opens the store, makes one call, renders the result.

Read commands return an `Output` (a JSON document and a table for people); the one
`output_options` decorator adds `--json` and renders it. Every `StoreError` is turned into
one `Error: …` line (exit 1) in `StoreGroup.invoke`; usage errors exit 2 as click does.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import track
from rich.table import Table as RichTable
from rich.text import Text

import store
from store._errors import InvalidConfigFile, StoreError
from store._records import Change, Revision
from store._store import run_name_from

STYLES = {"rev": "cyan", "old": "red", "new": "green", "hash": "dim", "time": "dim"}
"""Column colours on a terminal."""


@dataclass(frozen=True)
class Table:
    """What a command shows people: a title, named columns and rows of text."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[str]]
    title: str = ""
    empty: str = ""


@dataclass(frozen=True)
class Output:
    """A read command's result: the `--json` document, the table for people, the exit status."""

    data: Any
    table: Table
    status: int = 0


def output_options(command: Callable[..., Output]) -> Callable[..., None]:
    """Add `--json` to a read command and render what it returns (sqlite-utils' pattern)."""

    @click.option(
        "--json", "as_json", is_flag=True, help="Print JSON (shapes in README) instead of text."
    )
    @functools.wraps(command)
    def render(*args: Any, as_json: bool, **kwargs: Any) -> None:
        output = command(*args, **kwargs)
        if as_json:
            click.echo(json.dumps(output.data, indent=2, ensure_ascii=False))
        else:
            show(output.table)
        click.get_current_context().exit(output.status)

    return render


def show(table: Table) -> None:
    """A rich table with colour on a terminal, aligned plain text when piped."""
    console = Console(highlight=False)
    if table.title:
        click.echo(table.title)
    if not table.rows:
        if table.empty:
            click.echo(table.empty)
        return
    if console.is_terminal:
        rich = RichTable(*table.columns)
        for column in rich.columns:
            column.style = STYLES.get(str(column.header), "")
        for row in table.rows:
            rich.add_row(*(Text(cell) for cell in row))
        console.print(rich)
        return
    for line in _plain(table):
        click.echo(line)


def _plain(table: Table) -> Iterator[str]:
    """Columns padded to their widest cell; a multi-line cell continues on the next lines."""
    lines: list[list[str]] = [list(table.columns)]
    for row in table.rows:
        cells = [cell.split("\n") for cell in row]
        for i in range(max(len(c) for c in cells)):
            lines.append([c[i] if i < len(c) else "" for c in cells])
    widths = [max(len(line[i]) for line in lines) for i in range(len(table.columns))]
    for line in lines:
        yield "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()


def value_text(value: Any) -> str:
    """A config value as JSON text, so that `"512"` and `512` read differently."""
    return json.dumps(value, ensure_ascii=False)


def change_text(change: Change) -> str:
    """`path: old → new`."""
    return f"{change.path}: {value_text(change.old)} → {value_text(change.new)}"


def revision_data(revision: Revision) -> dict[str, Any]:
    """The documented JSON shape of one revision (`history --json`)."""
    return {
        "revision": revision.number,
        "time": revision.created_at,
        "author": revision.author,
        "message": revision.message,
        "kind": revision.kind,
        "schema_version": revision.schema_version,
        "hash": revision.hash,
        "changes": [c._asdict() for c in revision.changes],
    }


def read_config(path: Path) -> Any:
    """A config file's JSON content; a file that is not UTF-8 JSON is an `InvalidConfigFile`."""
    try:
        return json.loads(
            path.read_bytes().decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_constant=_refuse_number,
            parse_float=_finite_float,
        )
    except UnicodeDecodeError as exc:
        reason = f"{exc.reason} at byte {exc.start}"
        raise InvalidConfigFile(f"{path}: not UTF-8 text ({reason})") from None
    except json.JSONDecodeError as exc:
        raise InvalidConfigFile(f"{path}: not valid JSON: {exc}") from None
    except ValueError as exc:
        raise InvalidConfigFile(f"{path}: {exc}") from None
    except RecursionError:
        raise InvalidConfigFile(f"{path}: JSON nested too deeply") from None
    except OSError as exc:
        raise InvalidConfigFile(f"{path}: cannot read: {exc.strerror}") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a repeated key is refused, not overwritten."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"key {key!r} appears twice in one object")
        found[key] = value
    return found


def _refuse_number(name: str) -> Any:
    """`NaN`, `Infinity` and `-Infinity` are not JSON: refused."""
    raise ValueError(f"{name} is refused (not a finite number)")


def _finite_float(text: str) -> float:
    """A JSON number too large for a float (`1e999`) is refused, not read as infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is refused (not a finite number)")
    return value


def report(written: Revision) -> None:
    """Tell people which revision a write appended and what it changed."""
    click.echo(f"{written.run}: revision {written.number} ({written.kind}) {written.hash}")
    for change in written.changes:
        click.echo(f"  {change_text(change)}")


def warn_import(result: store.ImportResult) -> None:
    """Print what an import skipped and what its upcasters noted, one `Warning: …` line each."""
    for path in result.skipped:
        click.echo(f"Warning: {path} was not imported (unknown key or a secret's value)", err=True)
    for note in result.notes:
        click.echo(f"Warning: {note}", err=True)


def open_store(upgrade: bool = True) -> store.Store:
    """The store named by the global `--db` option (migrated to the newest schema, by default)."""
    return store.open(click.get_current_context().find_root().obj, upgrade=upgrade)


def assignment(
    _ctx: click.Context, _param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    """`PATH=VALUE` arguments as a map; a malformed one is a usage error."""
    parsed: dict[str, str] = {}
    for text in values:
        path, sep, value = text.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"expected PATH=VALUE, got {text!r}")
        parsed[path] = value
    return parsed


def revision_number(text: str, name: str) -> int:
    """A revision given on the command line; not a whole number is a usage error."""
    try:
        return int(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a revision number", param_hint=name) from None


def write_options(command: Callable[..., None]) -> Callable[..., None]:
    """`-m/--message` and `--author`, shared by every command that writes."""
    command = click.option("-m", "--message", help="Why: stored with the revision.")(command)
    return click.option("--author", help="Who: default $STORE_AUTHOR, else user@host.")(command)


expect_option = click.option(
    "--expect-revision",
    type=int,
    help="Refuse (nothing written) unless the run is still at this revision.",
)


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


@cli.command()
@output_options
def runs() -> Output:
    """List every run: schema, revisions, last change and author."""
    with open_store() as opened:
        summaries = opened.runs()
    return Output(
        [asdict(s) for s in summaries],
        Table(
            ("name", "schema", "revisions", "last change", "author"),
            [
                (s.name, s.schema, str(s.revisions), s.last_change or "", s.author or "")
                for s in summaries
            ],
            empty="no runs",
        ),
    )


@cli.command()
@click.argument("run")
@click.option("--schema", help="Schema of the new run (default: training).")
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Take the first revision's values from a JSON config file.",
)
@write_options
def create(
    run: str, schema: str | None, source: Path | None, message: str | None, author: str | None
) -> None:
    """Create RUN, bound to a schema, optionally with values from a file."""
    with open_store() as opened:
        if source is None:
            report(opened.create(run, schema=schema or "training", message=message, author=author))
            return
        result = opened.import_config(
            run,
            read_config(source),
            schema=schema,
            message=message,
            author=author,
            exclusive=True,
        )
        warn_import(result)
        report(result.revision)


@cli.command(name="set")
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


@cli.command()
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
    """Return fields of RUN to the run's own default, in one revision."""
    with open_store() as opened:
        written = opened.unset(
            run, paths, message=message, author=author, expected_revision=expect_revision
        )
        report(written)


@cli.command(name="show")
@click.argument("run")
@click.option("--rev", type=int, help="Show the config as it was at this revision.")
@click.option("--explain", is_flag=True, help="Add, for every field, where its value comes from.")
@output_options
def show_run(run: str, rev: int | None, explain: bool) -> Output:
    """Show the effective config of RUN, headed by the revision number and hash read."""
    with open_store() as opened:
        reading = opened.read(run, rev)
        origins = opened.explain(run, reading.revision) if explain else []
    title = f"{run} @ revision {reading.revision}  {reading.hash}"
    if explain:
        return Output(
            [{**asdict(o), "description": o.describe()} for o in origins],
            Table(
                ("path", "value", "origin"),
                [(o.path, value_text(o.value), o.describe()) for o in origins],
                title,
            ),
        )
    return Output(
        reading.config.model_dump(mode="json"),
        Table(
            ("path", "value"),
            [(path, value_text(value)) for path, value in reading.values.items()],
            title,
        ),
    )


@cli.command()
@click.argument("run")
@click.option("--field", metavar="PATH", help="Only revisions that changed this field.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many revisions.")
@click.option("--reverse", is_flag=True, help="Oldest first.")
@output_options
def history(run: str, field: str | None, limit: int | None, reverse: bool) -> Output:
    """Show the revisions of RUN, newest first, each with its changes."""
    with open_store() as opened:
        revisions = opened.history(run, field=field, limit=limit)
    if reverse:
        revisions.reverse()
    return Output(
        [revision_data(r) for r in revisions],
        Table(
            ("rev", "time", "author", "kind", "message", "changes"),
            [
                (
                    str(r.number),
                    r.time.strftime("%Y-%m-%d %H:%M:%S"),
                    r.author,
                    r.kind,
                    r.message,
                    "\n".join(change_text(c) for c in r.changes),
                )
                for r in revisions
            ],
        ),
    )


@cli.command()
@click.argument("run", metavar="RUN|RUN@A")
@click.argument("a", metavar="A|OTHER@B")
@click.argument("b", metavar="[B]", required=False)
@output_options
def diff(run: str, a: str, b: str | None) -> Output:
    """Show the fields that differ: `RUN A [B]` (B: the newest) or `RUN@A OTHER[@B]`."""
    if "@" in run:
        if b is not None:
            raise click.UsageError("give either RUN A [B] or RUN@A OTHER@B")
        run, left_text = run.rsplit("@", 1)
        other, _, right_text = a.partition("@")
        left = revision_number(left_text, "A")
        right = revision_number(right_text, "B") if right_text else None
    else:
        other = run
        left = revision_number(a, "A")
        right = None if b is None else revision_number(b, "B")
    with open_store() as opened:
        changes = opened.diff(run, left, right, other=other)
    return Output(
        [c._asdict() for c in changes],
        Table(
            ("path", "old", "new"),
            [(c.path, value_text(c.old), value_text(c.new)) for c in changes],
            empty="no differences",
        ),
    )


@cli.command()
@click.argument("run")
@click.option("--to", "to", type=int, required=True, help="The revision to go back to.")
@write_options
@expect_option
def rollback(
    run: str, to: int, message: str | None, author: str | None, expect_revision: int | None
) -> None:
    """Append one revision that brings RUN back to an earlier revision."""
    with open_store() as opened:
        written = opened.rollback(
            run, to, message=message, author=author, expected_revision=expect_revision
        )
        report(written)


@cli.command(name="import")
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
    if many:
        files = [(path, run_name_from(path.stem)) for path in config_files(args)]
    elif len(args) == 2:
        files = [(Path(args[0]), args[1])]
    else:
        raise click.UsageError("expected FILE RUN (or --many FILE_OR_DIR...)")
    contents = [(read_config(path), path, run) for path, run in files]
    console = Console(stderr=True)
    shown = track(
        contents,
        description="importing",
        console=console,
        transient=True,
        disable=not (many and console.is_terminal),
    )
    with open_store() as opened:
        for data, path, run in shown:
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


@cli.command()
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
    with open_store() as opened:
        text = json.dumps(opened.export_config(run, rev), indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


@cli.command()
@click.argument("run", required=False)
@click.option(
    "--expect",
    metavar="RUN@N:HASH",
    multiple=True,
    help="Also check that revision N of RUN has this hash (kept outside the database).",
)
@output_options
def verify(run: str | None, expect: tuple[str, ...]) -> Output:
    """Recompute the hash chains (of every run, or RUN); exit 1 listing any bad revision."""
    with open_store() as opened:
        result = opened.verify(run, expect=expect)
    return Output(
        {"ok": result.ok, "problems": [asdict(p) for p in result.problems]},
        Table(
            ("run", "rev", "problem"),
            [(p.run, str(p.revision), p.message) for p in result.problems],
            empty=f"ok: {result.runs} run(s) verified, every chain holds",
        ),
        status=0 if result.ok else 1,
    )


@cli.group()
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
    with open_store(upgrade=False) as opened:
        migration = opened.migration()
    return Output({"migration": migration}, Table(("migration",), [(migration or "",)]))


def main() -> None:
    """The `store` console script."""
    cli(prog_name="store")
