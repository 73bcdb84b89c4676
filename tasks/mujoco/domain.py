"""The mujoco domain: rigid-body scenes simulated in MuJoCo, asked as multiple choice."""

from toolwise.bench.domain import Domain
from toolwise.tasks.kit.splits import SPLITS
from toolwise.tasks.mujoco import generate

DOMAIN = Domain.from_module(generate, tool_modules=("toolwise.tools.mujoco",), splits=SPLITS)
