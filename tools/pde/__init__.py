"""PDE tools: diffusion in 1-D and 2-D and Fisher–KPP reaction–diffusion, on a converged solver of our own.

Importing this package registers ``solve_diffusion_1d``, ``solve_diffusion_2d``
and ``solve_fisher_kpp_1d``. :func:`solve_refined` re-runs a call on a finer
grid (the dataset's convergence check).
"""

from __future__ import annotations

from typing import Any

from toolwise.tools import get_tool
from toolwise.tools.pde._tools import REFINABLE, solve_diffusion_1d, solve_diffusion_2d, solve_fisher_kpp_1d

TOOL_NAMES = tuple(REFINABLE)


def solve_refined(name: str, arguments: dict[str, Any], refinement: int = 2) -> dict[str, Any]:
    """The result of tool ``name`` on ``arguments`` with a grid ``refinement`` times finer (and tighter tolerances)."""
    kwargs = get_tool(name).validate(arguments)
    return REFINABLE[name](**kwargs, refinement=refinement)


__all__ = ["TOOL_NAMES", "solve_diffusion_1d", "solve_diffusion_2d", "solve_fisher_kpp_1d", "solve_refined"]
