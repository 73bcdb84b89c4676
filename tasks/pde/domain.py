"""The pde domain: Diffusion and Fisher–KPP multiple-choice problems, solved by the PDE tools."""

from pathlib import Path

from toolwise.bench.domain import Domain
from toolwise.tasks.pde.generate import generate_problems, key_from_tool_results

DOMAIN = Domain(
    name="pde",
    tool_modules=("toolwise.tools.pde",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    splits=("test", "train", "validation"),
)
