"""Commands that read: `runs`, `show`, `history`, `diff`, `verify`."""

from __future__ import annotations

import click

import store
from store._cli._options import open_store, revision_number
from store._cli._output import (
    Output,
    Table,
    change_text,
    changes_table,
    output_options,
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
@output_options
def runs() -> Output:
    """List every run: schema, revisions, last change and author."""
    with open_store() as opened:
        summaries = opened.runs()
    return Output(
        runs_data(summaries),
        Table(
            ("name", "schema", "revisions", "last change", "author"),
            [
                (s.name, s.schema, str(s.revisions), s.last_change or "", s.author or "")
                for s in summaries
            ],
            empty="no runs",
        ),
    )


@click.command(name="show")
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


@click.command()
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
        return changes_table(opened.diff(run, left, right, other=other))


@click.command()
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
        verify_data(result),
        Table(
            ("run", "rev", "problem"),
            [(p.run, str(p.revision), p.message) for p in result.problems],
            empty=f"ok: {result.runs} run(s) verified, every chain holds",
        ),
        status=0 if result.ok else 1,
    )
