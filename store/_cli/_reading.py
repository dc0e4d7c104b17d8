"""Commands that read: `runs`, `show`, `history`, `diff`, `verify`."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

import store
from store._cli._options import open_store, revision_number
from store._cli._output import (
    Output,
    Table,
    change_text,
    changes_table,
    output_options,
    printable,
    revision_data,
    value_text,
)


@click.command()
@output_options
def runs() -> Output:
    """List every run: schema, revisions, last change and author."""
    with open_store(create=False) as opened:
        summaries = opened.runs()
    return Output(
        [asdict(s) for s in summaries],
        Table(
            ("name", "schema", "revisions", "last change", "author"),
            [
                (s.name, s.schema, str(s.revisions), s.last_change or "", printable(s.author or ""))
                for s in summaries
            ],
            empty="no runs",
        ),
    )


@click.command(name="show")
@click.argument("run")
@click.option("--rev", type=int, help="Show the config as it was at this revision.")
@click.option("--explain", is_flag=True, help="Add, for every field, where its value comes from.")
@click.option("--stamp", is_flag=True, help="Print the stamp a checkpoint records (JSON).")
@output_options
def show_run(run: str, rev: int | None, explain: bool, stamp: bool) -> Output:
    """Show the effective config of RUN, headed by the revision number and hash read."""
    with open_store(create=False) as opened:
        reading = opened.read(run, rev)
        origins = opened.explain(run, reading.revision) if explain else []
    title = f"{run} @ revision {reading.revision}  {reading.hash}  config {reading.config_hash}"
    if stamp:
        stamped = reading.stamp()  # JSON either way: it is meant for a checkpoint's metadata
        return Output(stamped, Table((), [], title=json.dumps(stamped, indent=2)))
    if explain:
        return _origins(origins, title)
    return Output(
        reading.config.model_dump(mode="json"),
        Table(
            ("path", "value"),
            [(path, value_text(value)) for path, value in reading.values.items()],
            title,
        ),
    )


def _origins(origins: list[store.Origin], title: str) -> Output:
    """`show --explain`: every field with where its value comes from."""
    return Output(
        [{**asdict(o), "description": o.describe()} for o in origins],
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
    return Output(
        [revision_data(r) for r in revisions],
        Table(
            ("rev", "time", "author", "kind", "message", "changes"),
            [
                (
                    str(r.number),
                    r.time.strftime("%Y-%m-%d %H:%M:%S"),
                    printable(r.author),
                    r.kind,
                    printable(r.message),
                    "\n".join(change_text(c) for c in r.changes),
                )
                for r in revisions
            ],
        ),
    )


@click.command(context_settings={"ignore_unknown_options": True})
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
    with open_store(create=False) as opened:
        return changes_table(opened.diff(run, left, right, other=other))


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
@output_options
def verify(run: str | None, expect: tuple[str, ...], rebuild_snapshots: bool) -> Output:
    """Recompute the hash chains and replay every run (or RUN) against its recorded config
    hashes and snapshots; exit 1 listing each problem."""
    with open_store(create=False) as opened:
        result = opened.verify(run, expect=expect, rebuild_snapshots=rebuild_snapshots)
    return Output(
        {
            "ok": result.ok,
            "problems": [
                {"run": p.run, "revision": p.revision, "kind": p.kind, "detail": p.detail}
                for p in result.problems
            ],
        },
        Table(
            ("run", "rev", "kind", "problem"),
            [(p.run, str(p.revision), p.kind, p.detail) for p in result.problems],
            empty=f"ok: {result.runs} run(s) verified, every chain holds and replays",
        ),
        status=0 if result.ok else 1,
    )


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
