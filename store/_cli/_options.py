"""Arguments and options shared by several commands, and the store the global `--db` names."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

import store
from store._files import FORMATS
from store._values import assignments


def database_url() -> str | None:
    """The URL of the global `--db` option (None: `$STORE_URL`, else the default)."""
    url: str | None = click.get_current_context().find_root().obj
    return url


def open_store(*, create: bool = True, upgrade: bool = True) -> store.Store:
    """The store the global `--db` option names; commands that only read pass `create=False`."""
    return store.open(database_url(), create=create, upgrade=upgrade)


def assignment(
    _ctx: click.Context, _param: click.Parameter, values: Sequence[str]
) -> dict[str, str]:
    """`PATH=VALUE` arguments as a map; a malformed one is a usage error."""
    for text in values:
        path, sep, _ = text.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"expected PATH=VALUE, got {text!r}")
    return assignments(values)


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

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="File format (default: by the file's extension; JSON for - and others).",
)


every_option = click.option(
    "--all", "every", is_flag=True, help="Also list each field a revision pinned unchanged."
)
"""`--all` of `history` and `log`: the pinned fields listed one by one, not summarised."""
