"""Commands that name and put away: `tag`, `tags`, `fork`, `archive`, `unarchive`."""

from __future__ import annotations

from dataclasses import asdict

import click

import store
from store._cli._options import open_store, write_options
from store._cli._output import Output, Table, output_options, report, time_text


@click.command()
@click.argument("ref", metavar="RUN[@REF]")
@click.argument("name")
@click.option(
    "--force", is_flag=True, help="Move the tag if it names another revision (history kept)."
)
@write_options
def tag(ref: str, name: str, force: bool, message: str | None, author: str | None) -> None:
    """Name the revision RUN[@REF] (default: the head) NAME, e.g. baseline."""
    with open_store() as opened:
        made = opened.tag(ref, name, force=force, message=message, author=author)
    click.echo(f"{ref.partition('@')[0]}@{made.revision}: tagged {made.name}")


@click.command()
@click.argument("run")
@click.option(
    "--history", "moves", is_flag=True, help="Every position each tag held, oldest first."
)
@output_options
def tags(run: str, moves: bool) -> Output:
    """List the tags of RUN: the revision each names, who put it there, when and why."""
    with open_store(create=False) as opened:
        found = opened.tags(run, history=moves)
    return Output(
        [asdict(t) for t in found],
        Table(
            ("tag", "rev", "time", "author", "message"),
            [(t.name, t.revision, time_text(t.time), t.author, t.message) for t in found],
            empty=f"run {run!r} has no tags",
        ),
    )


@click.command()
@click.argument("source", metavar="SRC[@REF]")
@click.argument("new")
@write_options
def fork(source: str, new: str, message: str | None, author: str | None) -> None:
    """Create NEW whose revision 1 holds exactly the config of SRC[@REF]."""
    with open_store() as opened:
        report(opened.fork(source, new, message=message, author=author))


@click.command()
@click.argument("run")
@write_options
def archive(run: str, message: str | None, author: str | None) -> None:
    """Archive RUN: hidden from `runs` (but `runs --all`), refuses writes, stays readable.

    Who (--author), when and why (-m) are recorded with the run, outside its revisions
    (the config and its hashes are untouched); `store history RUN` shows them as a row."""
    with open_store() as opened:
        _done(opened.archive(run, message=message, author=author))


@click.command()
@click.argument("run")
@write_options
def unarchive(run: str, message: str | None, author: str | None) -> None:
    """Unarchive RUN: listed by `runs` and writable again.

    Recorded as `archive` is (who, when, why); `store history RUN` shows it as a row."""
    with open_store() as opened:
        _done(opened.unarchive(run, message=message, author=author))


def _done(event: store.RunEvent) -> None:
    """`run: archived by ana at TIME`."""
    click.echo(f"{event.run}: {event.action}d by {event.author} at {event.time}")
