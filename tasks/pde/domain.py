"""The pde domain: diffusion and Fisher–KPP multiple-choice problems, solved by the PDE tools."""

from toolwise.bench.domain import Domain
from toolwise.tasks.kit.splits import SPLITS
from toolwise.tasks.pde import generate

DOMAIN = Domain.from_module(generate, tool_modules=("toolwise.tools.pde",), splits=SPLITS)
