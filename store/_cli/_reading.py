"""Commands that read: `runs`, `show`, `history`, `log`, `diff`, `compare`, `verify`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import click

import store
from store._cli._options import open_store, revision_number
from store._cli._output import (
    Output,
    Table,
    change_text,
    changes_table,
    kind_text,
    output_options,
    printable,
    rev_text,
)
from store._shapes import (
    config_data,
    origins_data,
    revision_data,
    runs_data,
    value_text,
    verify_data,
)


@click.command()
@click.option("--all", "archived", is_flag=True, help="Also list archived runs.")
@click.option(
    "--where",
    metavar="PATH=VALUE",
    multiple=True,
    help="Keep runs whose current config has this value (also !=, and <, <=, >, >= for "
    "numbers); repeatable, all must hold.",
)
@click.option("--schema", help="Only runs of this schema.")
@output_options
def runs(archived: bool, where: tuple[str, ...], schema: str | None) -> Output:
    """List the runs: schema, revisions, last change, author (tags and origin where any)."""
    with open_store(create=False) as opened:
        summaries = opened.runs(archived=archived, where=where, schema=schema)
    rows = [
        (
            f"{s.name} (archived)" if s.archived else s.name,
            s.schema,
            str(s.revisions),
            s.last_change or "",
            printable(s.author or ""),
            " ".join(s.tags),
            s.forked_from or "",
        )
        for s in summaries
    ]
    columns = ("name", "schema", "revisions", "last change", "author", "tags", "forked from")
    shown = [i for i in range(len(columns)) if i < 5 or any(row[i] for row in rows)]
    return Output(
        runs_data(summaries),
        Table(
            tuple(columns[i] for i in shown),
            [tuple(row[i] for i in shown) for row in rows],
            empty="no runs",
        ),
    )


@click.command(name="show")
@click.argument("ref", metavar="RUN[@REF]")
@click.option("--rev", type=int, help="Show the config as it was at this revision.")
@click.option("--explain", is_flag=True, help="Add, for every field, where its value comes from.")
@click.option("--stamp", is_flag=True, help="Print the stamp a checkpoint records (JSON).")
@output_options
def show_run(ref: str, rev: int | None, explain: bool, stamp: bool) -> Output:
    """Show the effective config at RUN[@REF], headed by the revision number and hashes read."""
    with open_store(create=False) as opened:
        reading = opened.read(ref, rev)
        origins = opened.explain(reading.run, reading.revision) if explain else []
    if stamp:
        stamped = reading.stamp()  # JSON either way: it is meant for a checkpoint's metadata
        return Output(stamped, Table((), [], title=json.dumps(stamped, indent=2)))
    title = f"{reading.run} @ revision {reading.revision}  {reading.hash}"
    title += f"  config {reading.config_hash}"
    if reading.forked_from:
        title += f"  (fork of {reading.forked_from})"
    if explain:
        return _origins(origins, title)
    return Output(
        config_data(reading),
        Table(
            ("path", "value"),
            [(path, value_text(value)) for path, value in reading.values.items()],
            title,
        ),
    )


def _origins(origins: list[store.Origin], title: str) -> Output:
    """`show --explain`: every field with where its value comes from."""
    return Output(
        origins_data(origins),
        Table(
            ("path", "value", "origin"),
            [(o.path, value_text(o.value), o.describe()) for o in origins],
            title,
        ),
    )


@click.command()
@click.argument("run")
@click.option("--field", metavar="PATH", help="Only revisions that changed this field.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many revisions.")
@click.option("--reverse", is_flag=True, help="Oldest first.")
@output_options
def history(run: str, field: str | None, limit: int | None, reverse: bool) -> Output:
    """Show the revisions of RUN, newest first, each with its changes."""
    with open_store(create=False) as opened:
        revisions = opened.history(run, field=field, limit=limit)
    if reverse:
        revisions.reverse()
    return revisions_table(revisions, with_run=False)


@click.command()
@click.option(
    "--run", "pattern", metavar="GLOB", help="Only runs whose name matches, e.g. 'lora*'."
)
@click.option("--author", help="Only revisions by this author.")
@click.option("--since", metavar="TIME", help="Only revisions at or after this UTC time.")
@click.option("--until", metavar="TIME", help="Only revisions at or before this UTC time.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many revisions.")
@output_options
def log(
    pattern: str | None,
    author: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
) -> Output:
    """Show every revision of every run, newest first, with the run's name in front."""
    with open_store(create=False) as opened:
        revisions = opened.log(run=pattern, author=author, since=since, until=until, limit=limit)
    return revisions_table(revisions, with_run=True)


def revisions_table(revisions: Sequence[store.Revision], with_run: bool) -> Output:
    """Revisions with their changes (`history`; `log` puts the run in front)."""
    front = ("run",) if with_run else ()
    return Output(
        [{**({"run": r.run} if with_run else {}), **revision_data(r)} for r in revisions],
        Table(
            (*front, "rev", "time", "author", "kind", "message", "changes"),
            [
                (
                    *((r.run,) if with_run else ()),
                    rev_text(r),
                    r.time.strftime("%Y-%m-%d %H:%M:%S"),
                    printable(r.author),
                    kind_text(r),
                    printable(r.message),
                    "\n".join(change_text(c) for c in r.changes),
                )
                for r in revisions
            ],
            empty="no revisions",
        ),
    )


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("left", metavar="REF|RUN")
@click.argument("right", metavar="REF|A")
@click.argument("b", metavar="[B]", required=False)
@output_options
def diff(left: str, right: str, b: str | None) -> Output:
    """Show the fields that differ between two references (`a b`: both heads; `a@2 b@tag`),
    or between revisions A and B (default: the newest) of RUN (`RUN A [B]`)."""
    if b is not None and "@" in left:
        raise click.UsageError("give two references, or RUN A [B] with revision numbers")
    with open_store(create=False) as opened:
        if b is None and not right.removeprefix("-").isdigit():
            return changes_table(opened.diff(left, right))
        newer = None if b is None else revision_number(b, "B")
        return changes_table(opened.diff(left, revision_number(right, "A"), newer))


@click.command()
@click.argument("refs", metavar="REF REF...", nargs=-1, required=True)
@click.option("--only-changed", is_flag=True, help="Only the fields whose values differ.")
@click.option(
    "--field", "fields", metavar="PATH", multiple=True, help="Only this field; repeatable."
)
@output_options
def compare(refs: tuple[str, ...], only_changed: bool, fields: tuple[str, ...]) -> Output:
    """Show configs side by side: a row per field, a column per reference (as typed)."""
    with open_store(create=False) as opened:
        result = opened.compare(refs, only_changed=only_changed, fields=fields or None)
    return Output(
        result.data(),
        Table(
            ("path", *result.columns),
            [(r.path, *(value_text(v) for v in r.values)) for r in result.rows],
            empty="no differences" if only_changed else "no fields",
        ),
    )


@click.command()
@click.argument("run", required=False)
@click.option(
    "--expect",
    metavar="RUN@N:HASH",
    multiple=True,
    help="Also check that revision N of RUN has this hash (kept outside the database).",
)
@click.option(
    "--rebuild-snapshots",
    is_flag=True,
    help="Drop the snapshots of the runs checked and rebuild them from the log.",
)
@click.option(
    "--digests",
    metavar="FILE",
    help="Also check every digest in FILE (what `store digest` printed): the log grew, "
    "never changed.",
)
@click.option(
    "--stamp",
    metavar="FILE",
    help="Also check a stamp (what `store show --stamp` printed, or a checkpoint's metadata "
    'holding it under "store").',
)
@output_options
def verify(
    run: str | None,
    expect: tuple[str, ...],
    rebuild_snapshots: bool,
    digests: str | None,
    stamp: str | None,
) -> Output:
    """Recompute the hash chains and replay every run (or RUN) against its recorded config
    hashes and snapshots; exit 1 listing each problem."""
    with open_store(create=False) as opened:
        result = opened.verify(
            run,
            expect=expect,
            rebuild_snapshots=rebuild_snapshots,
            digests=digests,
            stamp=stamp,
        )
    return Output(
        verify_data(result),
        Table(
            ("run", "rev", "kind", "problem"),
            [(p.run, str(p.revision), p.kind, p.detail) for p in result.problems],
            empty=f"ok: {result.runs} run(s) verified, every chain holds and replays",
        ),
        status=0 if result.ok else 1,
    )


@click.command()
@click.option("--run", help="Only this run.")
@click.option("--json", "as_json", is_flag=True, help="Print [{run, revision, hash, time}].")
def digest(run: str | None, as_json: bool) -> None:
    """Print each run's head as `RUN@N:HASH TIME`, a line to keep outside the database
    (`store verify --digests FILE` checks it later)."""
    with open_store(create=False) as opened:
        found = opened.digest(run)
    if as_json:
        click.echo(json.dumps([d.data() for d in found], indent=2, ensure_ascii=False))
    else:
        for line in found:
            click.echo(line.line())


@click.command()
@click.argument("config_hash")
@output_options
def find(config_hash: str) -> Output:
    """List every run and revision whose config has CONFIG_HASH (from a stamp), newest first."""
    with open_store(create=False) as opened:
        found = opened.find(config_hash)
    return Output(
        [asdict(f) for f in found],
        Table(
            ("run", "rev", "time", "author"),
            [(f.run, str(f.revision), f.time, printable(f.author)) for f in found],
            empty=f"no revision has config hash {config_hash}",
        ),
    )
