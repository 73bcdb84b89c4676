"""The climate domain: Emulated warming: multiple choice (climate_tool) and open route design (climate_open_tool)."""

from pathlib import Path

from toolwise.bench.domain import Domain
from toolwise.tasks.climate.generate import generate_problems, key_from_tool_results
from toolwise.tasks.climate.open_scoring import score

DOMAIN = Domain(
    name="climate",
    tool_modules=("toolwise.tools.climate",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    splits=("test", "train", "validation"),
    kinds=("mcq", "open"),
    open_scorer=score,
)
