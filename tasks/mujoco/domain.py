"""The mujoco domain: Rigid-body scenes simulated in MuJoCo, asked as multiple choice."""

from pathlib import Path

from toolwise.bench.domain import Domain
from toolwise.tasks.mujoco.generate import generate_problems, key_from_tool_results

DOMAIN = Domain(
    name="mujoco",
    tool_modules=("toolwise.tools.mujoco",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    splits=("test", "train", "validation"),
)
