"""The scibench domain: SciBench textbook problems: answers in the stated unit, checked by a sandboxed snippet."""

from pathlib import Path

from toolwise.bench.domain import Domain
from toolwise.tasks.scibench.generate import generate_problems, key_from_tool_results

DOMAIN = Domain(
    name="scibench",
    tool_modules=("toolwise.tools.python_sandbox",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    splits=("test", "train"),
)
