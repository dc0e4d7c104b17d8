"""Commands that read: `runs`, `show`, `history`, `log`, `diff`, `compare`, `verify`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import click

import store
from store._cli._files import load_config
from store._cli._options import every_option, open_store, revision_number
from store._cli._output import (
    Lines,
    Output,
    Table,
    changes_table,
    kind_text,
    output_options,
    rev_text,
    time_text,
)
from store._describe import changed_paths, pruned
from store._history import Origin
from store._registry import get_schema
from store._shapes import (
    change_lines,
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
            s.revisions,
            time_text(s.last_change or ""),
            s.author or "",
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
@click.option(
    "--changed",
    is_flag=True,
    help="Only the values that differ from the schema's defaults (those of its newest version).",
)
@click.option("--stamp", is_flag=True, help="Print the stamp a checkpoint records (JSON).")
@click.option(
    "--override",
    "overrides",
    metavar="PATH=VALUE",
    multiple=True,
    help="Apply a launch override as a trainer does (checked, never written); repeatable. "
    "The config hash shown is then the one the trainer's stamp records.",
)
@output_options
def show_run(
    ref: str,
    rev: int | None,
    explain: bool,
    changed: bool,
    stamp: bool,
    overrides: tuple[str, ...],
) -> Output:
    """Show the effective config at RUN[@REF], headed by the revision number and hashes read."""
    with open_store(create=False) as opened:
        reading = opened.read(ref, rev, overrides=list(overrides))
        origins = opened.explain(reading.run, reading.revision) if explain else []
    if stamp:
        stamped = reading.stamp()  # JSON either way: it is meant for a checkpoint's metadata
        return Output(stamped, Table((), [], title=json.dumps(stamped, indent=2)))
    title = f"{reading.run} @ revision {reading.revision}  {reading.hash}"
    title += f"  config {reading.config_hash}{_with_overrides(reading.overrides)}"
    if reading.forked_from:
        title += f"  (fork of {reading.forked_from})"
    kept = changed_paths(get_schema(reading.schema), reading.values) if changed else None
    if explain:
        return _origins(origins, title, reading.overrides, kept)
    values = {p: v for p, v in reading.values.items() if kept is None or p in kept}
    return Output(
        config_data(reading) if kept is None else pruned(config_data(reading), kept),
        Table(
            ("path", "value"),
            list(values.items()),
            title,
            empty="every value is the schema's default",
            values=frozenset({1}),
        ),
    )


def _origins(
    origins: list[store.Origin],
    title: str,
    overrides: Mapping[str, Any],
    kept: Collection[str] | None,
) -> Output:
    """`show --explain`: every field (or only those `kept`) with where its value comes from;
    a launch override shows as such."""
    shown = [
        Origin(o.path, overrides[o.path], "override") if o.path in overrides else o
        for o in origins
        if kept is None or o.path in kept
    ]
    return Output(
        [
            {**d, "description": _origin_text(o)}
            for d, o in zip(origins_data(shown), shown, strict=True)
        ],
        Table(
            ("path", "value", "origin"),
            [(o.path, o.value, _origin_text(o)) for o in shown],
            title,
            empty="every value is the schema's default",
            values=frozenset({1}),
        ),
    )


def _origin_text(origin: store.Origin) -> str:
    """Where a value comes from, for people; a launch override is never written."""
    return "launch override (not written)" if origin.source == "override" else origin.describe()


@click.command()
@click.argument("run")
@click.option("--field", metavar="PATH", help="Only revisions that changed this field.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many revisions.")
@click.option("--reverse", is_flag=True, help="Oldest first.")
@every_option
@output_options
def history(run: str, field: str | None, limit: int | None, reverse: bool, every: bool) -> Output:
    """Show the revisions of RUN, newest first, each with its changes at their finest path
    (`concepts[1].balancing: 1.0 → 3.0`); fields a revision pinned at their current value are
    one summary line (`--all` lists them). Archives and unarchives of the run (who, when,
    why) are rows of their own between them (not in --json, which lists revisions)."""
    with open_store(create=False) as opened:
        revisions = opened.history(run, field=field, limit=limit)
        events = [] if field else opened.run_events(run)
    if limit is not None and len(revisions) == limit:  # only those among the revisions shown
        events = [e for e in events if e.time >= revisions[-1].created_at]
    shown = revisions_table(revisions, with_run=False, every=every)
    rows = [(r.created_at, row) for r, row in zip(revisions, shown.table.rows, strict=True)]
    rows += [(e.time, ("", time_text(e.time), e.author, e.action, e.message, ""))
             for e in events]  # fmt: skip
    rows.sort(key=lambda timed: timed[0], reverse=not reverse)
    if reverse:
        shown.data.reverse()
    table = dataclasses.replace(shown.table, rows=[row for _, row in rows])
    return dataclasses.replace(shown, table=table)


@click.command()
@click.option(
    "--run", "pattern", metavar="GLOB", help="Only runs whose name matches, e.g. 'lora*'."
)
@click.option("--author", help="Only revisions by this author.")
@click.option("--since", metavar="TIME", help="Only revisions at or after this UTC time.")
@click.option("--until", metavar="TIME", help="Only revisions at or before this UTC time.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many revisions.")
@every_option
@output_options
def log(
    pattern: str | None,
    author: str | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    every: bool,
) -> Output:
    """Show every revision of every run, newest first, with the run's name in front."""
    with open_store(create=False) as opened:
        revisions = opened.log(run=pattern, author=author, since=since, until=until, limit=limit)
    return revisions_table(revisions, with_run=True, every=every)


def revisions_table(revisions: Sequence[store.Revision], with_run: bool, every: bool) -> Output:
    """Revisions with their changes (`history`; `log` puts the run in front): tags beside
    the revision number for people, in a column of their own in md and csv."""
    front = ("run",) if with_run else ()
    rows = [
        (
            *((r.run,) if with_run else ()),
            r.number,
            " ".join(r.tags),
            time_text(r.created_at),
            r.author,
            kind_text(r),
            r.message,
            Lines(change_lines(r, every)),
        )
        for r in revisions
    ]
    plain = Table(
        (*front, "rev", "tags", "time", "author", "kind", "message", "changes"),
        rows,
        empty="no revisions",
    )
    at = len(front)  # where the revision number is
    merged = [
        (*row[:at], rev_text(r), *row[at + 2 :]) for r, row in zip(revisions, rows, strict=True)
    ]
    return Output(
        [{**({"run": r.run} if with_run else {}), **revision_data(r)} for r in revisions],
        Table(plain.columns[: at + 1] + plain.columns[at + 2 :], merged, empty=plain.empty),
        plain=plain,
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
            [(r.path, *r.values) for r in result.rows],
            empty="no differences" if only_changed else "no fields",
            values=frozenset(range(1, len(result.columns) + 1)),
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
            [(p.run, p.revision, p.kind, p.detail) for p in result.problems],
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
@click.argument("config_hash", required=False)
@click.option(
    "--stamp",
    "stamp_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="Check a stamp (as `show --stamp` prints it, or a checkpoint's JSON metadata holding "
    'it under "store"): rebuild the config it names, overrides and all, and compare hashes.',
)
@output_options
def find(config_hash: str | None, stamp_file: str | None) -> Output:
    """List every run and revision whose config has CONFIG_HASH (from a stamp; a unique prefix
    of 8 or more hex digits will do), newest first; or check a stamp with --stamp FILE."""
    if (config_hash is None) == (stamp_file is None):
        raise click.UsageError("give CONFIG_HASH or --stamp FILE")
    with open_store(create=False) as opened:
        if stamp_file is not None:
            return _stamp_checked(opened.check_stamp(load_config(stamp_file, "json")))
        found = opened.find(str(config_hash))
    return Output(
        [asdict(f) for f in found],
        Table(
            ("run", "rev", "time", "author"),
            [(f.run, f.revision, time_text(f.time), f.author) for f in found],
            empty=f"no revision has config hash {config_hash} "
            "(a stamp with overrides: store find --stamp FILE)",
        ),
    )


def _stamp_checked(check: store.StampCheck) -> Output:
    """`find --stamp`: the stamped revision and overrides, each hash as stamped and as
    rebuilt today; exit 1 unless both match."""
    reading, stamp = check.reading, check.stamp
    title = f"{reading.run}@{reading.revision}{_with_overrides(reading.overrides)}"
    stamped_at, read_at = stamp.get("schema_version"), reading.schema_version
    moved = (
        ""
        if stamped_at in (None, read_at)
        else f" (stamped at schema version {stamped_at}, read today at {read_at})"
    )
    rows = [
        ("revision hash", str(stamp["hash"]), reading.hash, _verdict(check.hash_matches, "")),
        (
            "config hash",
            str(stamp["config_hash"]),
            reading.config_hash,
            _verdict(check.config_hash_matches, moved),
        ),
    ]
    data = {
        "run": reading.run,
        "revision": reading.revision,
        "overrides": reading.overrides,
        "hash": {"stamp": stamp["hash"], "log": reading.hash, "matches": check.hash_matches},
        "config_hash": {
            "stamp": stamp["config_hash"],
            "rebuilt": reading.config_hash,
            "matches": check.config_hash_matches,
        },
        "ok": check.ok,
    }
    table = Table(("", "stamp", "rebuilt from the log", ""), rows, title)
    return Output(data, table, status=0 if check.ok else 1)


def _verdict(matches: bool, why: str) -> str:
    """`matches`, or `DIFFERS` with why it may."""
    return "matches" if matches else f"DIFFERS{why}"


def _with_overrides(overrides: dict[str, object]) -> str:
    """` with overrides batch_size=8 seed=1` (nothing without overrides)."""
    if not overrides:
        return ""
    return " with overrides " + " ".join(f"{p}={value_text(v)}" for p, v in overrides.items())
