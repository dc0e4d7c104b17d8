"""Every command and every option says what it does."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from store._cli import cli


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path below `group`, groups included."""
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
    return found


def command_at(path: tuple[str, ...]) -> click.Command:
    """The command at a path such as `("db", "upgrade")`."""
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


ALL = commands(cli)


def test_the_commands_of_the_issue_exist() -> None:
    assert set(" ".join(p) for p in ALL) >= {
        "archive",
        "compare",
        "create",
        "db",
        "db current",
        "db upgrade",
        "diff",
        "export",
        "find",
        "fork",
        "history",
        "import",
        "log",
        "rollback",
        "runs",
        "schema",
        "schemas",
        "set",
        "show",
        "tag",
        "tags",
        "unarchive",
        "unset",
        "verify",
    }


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_every_command_and_option_has_help(path: tuple[str, ...]) -> None:
    command = command_at(path)
    assert command.help, path
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, (path, param.name)
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert " ".join(command.help.split()) in " ".join(result.stdout.split())


def test_the_group_has_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "--db URL" in result.stdout
    assert "$STORE_URL" in result.stdout
