"""The leaderboard reads result files only: it imports no other toolwise part (DESIGN.md, arrows point one way)."""

from __future__ import annotations

import ast
from pathlib import Path

import toolwise.leaderboard

PACKAGE = Path(toolwise.leaderboard.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_leaderboard_imports_only_itself_of_toolwise() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 8
    for path in files:
        ours = {name for name in imported_modules(path) if name.startswith("toolwise")}
        assert all(name.startswith("toolwise.leaderboard") for name in ours), (path.name, ours)


def test_the_page_template_ships_with_the_package() -> None:
    # setup.py's package_data includes **/*.jinja for every subpackage
    assert (PACKAGE / "page.html.jinja").is_file()
