"""The math domain: MATH (numeric subset): answers checked by a Python snippet run in the sandbox."""

from pathlib import Path

from toolwise.bench.domain import Domain
from toolwise.tasks.math.generate import generate_problems, key_from_tool_results

DOMAIN = Domain(
    name="math",
    tool_modules=("toolwise.tools.python_sandbox",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    splits=("test", "train"),
)
