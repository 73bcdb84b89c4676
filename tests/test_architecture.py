"""The import layers stay one-way, read from the source with ``ast`` (no module is imported).

tools import nothing of ours but their own registry; the contracts (problem, transcript, domain, backend,
sampling) import only one another; tasks import the contracts and tools; bench finds tasks only through the
index (bench/task_index.py, by name at run time); training sits on bench and tasks; the leaderboard reads
result files and imports nothing of ours; the commands (bench/cli.py) sit on top and nothing imports them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tools", "tasks", "bench", "training", "leaderboard")
CONTRACTS = {
    "toolwise.bench.problem",
    "toolwise.bench.transcript",
    "toolwise.bench.domain",
    "toolwise.bench.sampling",
    "toolwise.bench.backends.base",
}
# What a domain's tasks folder may use of bench besides the contracts: pure helpers with no engine behind them.
TASK_HELPERS = {"toolwise.bench.answers", "toolwise.bench.solutions"}
# Known exceptions, each with its reason; the list may only shrink.
EXCEPTIONS = {
    # custom_dataset hooks of the public numeric datasets build lm-eval's DatasetDict with problems_to_dataset.
    ("tasks/math/data.py", "toolwise.bench.lmeval_task"),
    ("tasks/scibench/data.py", "toolwise.bench.lmeval_task"),
    # the comparison command prints leaderboard tables; it is a command, beside bench/cli.py.
    ("bench/compare.py", "toolwise.leaderboard"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(("toolwise", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def our_imports(path: Path) -> set[str]:
    """The ``toolwise.*`` modules a file imports (relative imports resolved), at any depth of the file."""
    found = set()
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("toolwise.")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.startswith("toolwise."):
                found.add(base)
    return found


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def allowed(source: str, target: str) -> bool:
    layer, target_layer = source.split(".")[1], target.split(".")[1]
    if source in CONTRACTS:
        return target in CONTRACTS
    if target == "toolwise.bench.cli":
        return False  # the top: nothing imports the command line
    if layer == "tools":
        return target_layer == "tools"
    if layer == "leaderboard":
        return target_layer == "leaderboard"
    if layer == "tasks":
        return target_layer in ("tasks", "tools") or target in CONTRACTS | TASK_HELPERS
    if layer == "bench":
        if source == "toolwise.bench.cli":
            return True
        return target_layer in ("bench", "tools")
    if layer == "training":
        return target_layer in ("training", "bench", "tasks", "tools", "leaderboard")
    return False


def violations() -> list[str]:
    out = []
    for path in sources():
        source, relative = module_name(path), path.relative_to(ROOT).as_posix()
        for target in sorted(our_imports(path)):
            if not allowed(source, target) and (relative, target) not in EXCEPTIONS:
                out.append(f"{relative} imports {target}")
    return out


def test_the_import_layers_point_one_way() -> None:
    assert violations() == []


def test_the_known_exceptions_still_exist() -> None:
    # An exception that no longer occurs is removed from the list, so that it cannot come back unnoticed.
    present = {(p.relative_to(ROOT).as_posix(), t) for p in sources() for t in our_imports(p)}
    assert not EXCEPTIONS - present, sorted(EXCEPTIONS - present)


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        ("toolwise.tools.pde._grid", "toolwise.bench.problem", False),
        ("toolwise.tools.pde._grid", "toolwise.tools._registry", True),
        ("toolwise.bench.problem", "toolwise.bench.loop", False),
        ("toolwise.bench.domain", "toolwise.bench.problem", True),
        ("toolwise.tasks.pde.generate", "toolwise.bench.loop", False),
        ("toolwise.tasks.pde.generate", "toolwise.tools.pde", True),
        ("toolwise.bench.loop", "toolwise.tasks.pde.generate", False),
        ("toolwise.bench.loop", "toolwise.training.collect", False),
        ("toolwise.training.collect", "toolwise.bench.cli", False),
        ("toolwise.leaderboard._board", "toolwise.bench.scoring", False),
    ],
)
def test_the_rules_refuse_what_they_should(source: str, target: str, ok: bool) -> None:
    assert allowed(source, target) is ok
