"""The layers of grader/ import one way (docs/architecture.md): the pages and
the API never import each other (grader/app.py alone assembles both), what
they share lives in grader.http, and the services know no HTTP framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> module prefixes it must never import
FORBIDDEN = {
    "grader/api": ("grader.web", "grader.app"),
    "grader/web": ("grader.api", "grader.app"),
    "grader/http": ("grader.api", "grader.web", "grader.app"),
    "grader/services": ("grader.api", "grader.web", "grader.http", "grader.app", "fastapi",
                        "starlette"),
    "worker": ("grader.api", "grader.web", "grader.http", "grader.app", "fastapi"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            # `from grader import web` names a module too
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _hits(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_none_of_what_it_must_not(package: str) -> None:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        found += [f"{path.relative_to(ROOT)}: {name}" for name in sorted(_imports(path))
                  if _hits(name, FORBIDDEN[package])]
    assert found == []


def test_only_the_app_module_knows_both_edges() -> None:
    both = []
    for path in sorted((ROOT / "grader").rglob("*.py")):
        names = _imports(path)
        if any(_hits(n, ("grader.api",)) for n in names) and any(
                _hits(n, ("grader.web",)) for n in names):
            both.append(path.relative_to(ROOT).as_posix())
    assert both == ["grader/app.py"]
