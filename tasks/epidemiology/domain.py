"""The epidemiology domain: California county epidemics: multiple choice and open vaccine allocation."""

from pathlib import Path

from toolwise.bench.domain import Domain
from toolwise.tasks.epidemiology.generate import generate_problems, key_from_tool_results
from toolwise.tasks.epidemiology.open_scoring import score

DOMAIN = Domain(
    name="epidemiology",
    tool_modules=("toolwise.tools.epidemiology",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    splits=("test", "train", "validation"),
    kinds=("mcq", "open"),
    open_scorer=score,
)
