"""How fine the grid must be, and the limits past which a call is refused rather than left to hang."""

from __future__ import annotations

import math

from toolwise.tools import ToolError

# Grid points per smallest length scale. Measured: 12 per √(D·t) puts a smoothed jump within 5e-5 of its
# erf profile and its steepest slope within 3e-4 (docs/pde.md); 1-D grids cost microseconds, so they get twice
# that (a quarter of the error). 8 per √(D/r) puts a Fisher–KPP front's speed within 0.2 % of the converged value.
POINTS_PER_SCALE_1D = 24
POINTS_PER_SCALE_2D = 12
POINTS_PER_SCALE_FRONT = 8
# BDF tolerance of the Fisher–KPP solver: at 1e-5 the time error is already far below the grid's (the test
# split's Fisher–KPP keys move by < 2 % of an option step from 1e-9 to 1e-4), and each tenfold tightening
# costs ~20 % more steps.
FISHER_KPP_RTOL = 1e-5
MIN_CELLS = 32
MAX_CELLS_1D = 40_000
MAX_NODES_2D = 2_500_000
MAX_CELLS_FISHER_KPP = 8_000
MAX_GROWTH_TIMES_TIME = 500.0


def cells_for(length: float, scale: float, points_per_scale: int, refinement: int) -> int:
    """Cells on an axis of ``length`` so that ``scale`` spans ``points_per_scale`` of them (times refinement)."""
    cells = max(MIN_CELLS, math.ceil(points_per_scale * length / scale))
    # Even counts keep a step at L/2 on a cell face of the dual grid.
    cells += cells % 2
    return cells * refinement


def refuse_if_too_fine(cells: int, limit: int, scale_name: str, scale: float, what: str) -> None:
    """ToolError when resolving ``scale`` would need more than ``limit`` grid cells/nodes."""
    if cells > limit:
        raise ToolError(
            f"cannot resolve this problem: {scale_name} = {scale:.3g} is too small compared with the domain "
            f"(it would need {cells:,} {what}, the limit is {limit:,}). Check the units of the diffusivity, "
            "lengths and time, or ask about a later time or a smaller domain."
        )
