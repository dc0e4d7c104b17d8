"""The package's shape: layers import one way, and the public surface is what `__all__` says."""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path

import pytest

import store

PACKAGE = Path(store.__file__).parent
DOMAIN = [
    "_schema",
    "_leaves",
    "_notes",
    "_paths",
    "_element_paths",
    "_records",
    "_replay",
    "_verify",
    "_training",
    "_errors",
    "_onetrainer",
    "_values",
    "_versions",
    "_files",
    "_history",
    "_refs",
    "_compare",
    "_describe",
    "_filters",
    "_proof",
    "_digests",
]
PERSISTENCE = [
    "_tables",
    "_migrations",
    "_rows",
    "_transaction",
    "_statements",
    "_persistence",
    "_sqlite",
    "_postgres",
]
API = [
    "_store",
    "_registry",
    "_reads",
    "_log",
    "_trainer",
    "_writes",
    "_imports",
    "_audit",
    "_find",
    "_names",
    "_runs",
    "_shapes",
    "_backup",
]
LAYERS = [DOMAIN, PERSISTENCE, API, ["_cli", "__main__", "web"]]


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def layer_of(module: str) -> int:
    top = module.removeprefix("store.").split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def sources_of(layer: list[str]) -> list[Path]:
    return [
        path
        for name in layer
        for path in [PACKAGE / f"{name}.py", *sorted((PACKAGE / name).rglob("*.py"))]
        if path.exists()
    ]


@pytest.mark.parametrize("level", range(len(LAYERS)))
def test_a_layer_imports_only_itself_and_the_layers_below(level: int) -> None:
    for path in sources_of(LAYERS[level]):
        for module in imported_modules(path):
            if module.startswith("store.") and module != "store":
                assert layer_of(module) <= level, f"{path.name} imports {module}"


def test_the_domain_has_no_sql() -> None:
    for path in sources_of(DOMAIN):
        modules = imported_modules(path)
        assert not {m for m in modules if m.split(".")[0] in {"sqlalchemy", "alembic", "sqlite3"}}


def test_every_module_belongs_to_a_layer() -> None:
    names = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    assert names - {"__init__"} <= {m for layer in LAYERS for m in layer}


def test_the_public_surface_is_all_and_only_all() -> None:
    public = {  # `store.web` is a public submodule once imported, not a name of `__all__`
        name
        for name in dir(store)
        if not name.startswith("_") and not isinstance(getattr(store, name), types.ModuleType)
    }
    assert public == set(store.__all__)


def test_the_package_ships_its_type_information() -> None:
    assert (PACKAGE / "py.typed").exists()


def test_the_readme_code_map_names_every_module() -> None:
    readme = (PACKAGE.parent / "README.md").read_text()
    mapped = set(re.findall(r"^\| `(store/[^`]+\.py)` \|", readme, re.MULTILINE))
    on_disk = {
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if "_alembic" not in p.parts
    }
    assert mapped == on_disk
