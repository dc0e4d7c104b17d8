"""The README's examples run as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from store import _registry

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def python_block(heading: str) -> str:
    """The first ```python block after `heading`."""
    section = README[README.index(heading) :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, heading
    return found.group(1)


@pytest.mark.parametrize("heading", ["## The Python API", "## Schemas and upcasters"])
def test_a_python_example_runs(
    heading: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_registry, "_registered", dict(_registry._registered))
    monkeypatch.setenv("STORE_URL", "sqlite:///runs.db")
    exec(compile(python_block(heading), heading, "exec", dont_inherit=True), {})


def test_the_quickstart_is_the_two_commands_ci_runs() -> None:
    quickstart = README[README.index("## Quickstart") :]
    block = re.search(r"```bash\n(.*?)```", quickstart, re.S)
    assert block
    commands = block.group(1).strip().splitlines()
    assert len(commands) == 2
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert all(command in ci for command in commands[:1])
    assert "python -m pytest" in commands[1] and "python -m pytest" in ci


def test_the_onetrainer_section_starts_with_import_many_and_its_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from store._cli import cli

    section = README[README.index("## OneTrainer\n") :]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block and section.index("```console") < section.index("\n\n", 15)
    command, *shown = block.group(1).splitlines()
    assert command == "$ store import --many path/to/OneTrainer/training_presets"
    shown = shown[: next(i for i, line in enumerate(shown) if line.startswith("$ "))]
    presets = Path(__file__).parent / "data" / "onetrainer" / "training_presets"
    target = tmp_path / "path" / "to" / "OneTrainer" / "training_presets"
    shutil.copytree(presets, target)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STORE_URL", raising=False)
    result = CliRunner().invoke(cli, command.split()[2:])
    assert result.exit_code == 0
    lines = result.output.splitlines()  # stdout and stderr as a terminal shows them
    head = shown.index("…")
    assert shown[:head] == lines[:head]
    assert shown[head + 1 :] == lines[-(len(shown) - head - 1) :]
