"""The README's examples run as written."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize(
    "heading", ["## The Python API", "## Schemas and upcasters", "### Lists of versioned sections"]
)
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
