"""The PDE tools a model can call: 1-D and 2-D diffusion, 1-D Fisher–KPP reaction–diffusion.

Each tool takes exactly the physical facts of a diffusion question (diffusivity,
lengths, elapsed time, initial and boundary conditions, where to look) and
returns what such questions ask: extremes, mean, steepest gradient, values at
points, and when a point first reaches a threshold. Units are whatever the
caller uses, as long as they are consistent (D in length²/time).

Each public tool has a private twin taking ``refinement``: the dataset checks
re-solve every key on a grid that many times finer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from toolwise.tools import ToolError, tool
from toolwise.tools.pde._fisher_kpp import solve_fisher_kpp
from toolwise.tools.pde._grid import Axis, square_wave_cumulative, step_cumulative
from toolwise.tools.pde._linear import LinearDiffusion
from toolwise.tools.pde._measures import FieldSummary, summarise, value_at
from toolwise.tools.pde._resolution import (
    FISHER_KPP_RTOL,
    MAX_CELLS_1D,
    MAX_CELLS_FISHER_KPP,
    MAX_GROWTH_TIMES_TIME,
    MAX_NODES_2D,
    POINTS_PER_SCALE_1D,
    POINTS_PER_SCALE_2D,
    POINTS_PER_SCALE_FRONT,
    cells_for,
    refuse_if_too_fine,
)

SIGNIFICANT_DIGITS = 6
MAX_POINTS = 20

Positive = Annotated[float, Field(ge=1e-9, le=1e9, allow_inf_nan=False)]  # 0 < tiny floats broke the grid maths
Value = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Coordinate = Annotated[float, Field(allow_inf_nan=False)]

VALUE_UNITS = "as given: values in the units of u, gradients in units of u per length unit, times in the time unit of D"


def _round(x: float | None, scale: float = 0.0) -> float | None:
    """Six significant digits; values below 1e-12 of ``scale`` (round-off around zero) become 0."""
    if x is None or not math.isfinite(x):
        return x
    if x == 0 or abs(x) < 1e-12 * scale:
        return 0.0
    return round(x, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(x))))


def _check_points(points: list[float] | None, length: float, name: str = "x") -> list[float]:
    points = list(points or [])
    if len(points) > MAX_POINTS:
        raise ToolError(f"at most {MAX_POINTS} points per call, got {len(points)}")
    for p in points:
        if not 0.0 <= p <= length * (1 + 1e-12):
            raise ToolError(f"point {name}={p:g} is outside the domain 0 ≤ {name} ≤ {length:g}")
    return [min(p, length) for p in points]


def _check_walls(boundary: str, walls: dict[str, float | None]) -> None:
    given = [name for name, v in walls.items() if v is not None]
    if boundary == "dirichlet":
        missing = [name for name, v in walls.items() if v is None]
        if missing:
            raise ToolError(f"boundary='dirichlet' needs the fixed wall values {', '.join(missing)}")
    elif given:
        raise ToolError(f"{', '.join(given)} only apply to boundary='dirichlet' (this call has '{boundary}')")


def _check_1d_probes(
    boundary: str,
    left_value: float | None,
    right_value: float | None,
    points: list[float] | None,
    threshold: float | None,
    length: float,
) -> list[float]:
    """A 1-D call's wall values, watched points and threshold checked; the points, clipped to the domain."""
    _check_walls(boundary, {"left_value": left_value, "right_value": right_value})
    xs = _check_points(points, length)
    if threshold is not None and not xs:
        raise ToolError("a threshold needs at least one point in 'points' to watch")
    return xs


def _point_values(
    axis: Axis, field: np.ndarray, xs: list[float], threshold: float | None, crossings: Sequence[float | None]
) -> list[dict[str, Any]]:
    """The field at each watched point of a 1-D call and, with a threshold, the first time it is reached there."""
    magnitude = float(np.max(np.abs(field)))
    entries = []
    for i, x in enumerate(xs):
        entry: dict[str, Any] = {"x": x, "value": _round(value_at([axis], field, [x]), magnitude)}
        if threshold is not None:
            entry["first_time_at_threshold"] = _round(crossings[i])
        entries.append(entry)
    return entries


# --------------------------------------------------------------------------------------------------- 1-D diffusion


@tool
def solve_diffusion_1d(
    diffusivity: Positive,
    length: Positive,
    time: Positive,
    initial_condition: Literal["constant", "step"],
    initial_value: Value,
    boundary: Literal["dirichlet", "neumann", "periodic"],
    initial_value_right: Value | None = None,
    left_value: Value | None = None,
    right_value: Value | None = None,
    points: list[Coordinate] | None = None,
    threshold: Value | None = None,
) -> dict[str, Any]:
    """Solve the 1-D diffusion (heat) equation ∂u/∂t = D·∂²u/∂x² on 0 ≤ x ≤ L and report the field at a given time.

    Use it for heat conduction in a rod (u = temperature), chemical diffusion in a tube (u = concentration) or
    the spread of a population without growth (u = density). Use one consistent set of units: D in
    length²/time of the same length and time units as L, x and t. Returns the maximum, minimum and mean of u
    over the whole domain (walls included), the largest |∂u/∂x| and where it occurs, the value at each requested
    point, and, if a threshold is given, the first time at which u at each point reaches it. The solver is
    converged (exact in time, grid refined to the smallest length scale).

    Args:
        diffusivity: Diffusion coefficient D > 0 (e.g. cm²/s, km²/year).
        length: Domain length L > 0 (e.g. cm, km).
        time: Elapsed time t > 0 since the initial state (e.g. s, years).
        initial_condition: 'constant' (u = initial_value everywhere) or 'step' (u = initial_value for x < L/2 and
            initial_value_right for x > L/2).
        initial_value: Initial value of u (everywhere for 'constant'; on the left half for 'step').
        boundary: 'dirichlet' (u held at left_value at x = 0 and right_value at x = L), 'neumann' (zero flux,
            insulated ends) or 'periodic' (x = 0 and x = L joined, like a ring).
        initial_value_right: Initial value of u on the right half (x > L/2); only for initial_condition='step'.
        left_value: Fixed value of u at x = 0; only for boundary='dirichlet'.
        right_value: Fixed value of u at x = L; only for boundary='dirichlet'.
        points: Positions x (0 ≤ x ≤ L) at which to report u; optional.
        threshold: If given, also report for each point the first time in (0, t] at which u there equals this
            value (null if it does not within t).
    """
    return _diffusion_1d(**locals())


def _diffusion_1d(
    diffusivity: float,
    length: float,
    time: float,
    initial_condition: str,
    initial_value: float,
    boundary: str,
    initial_value_right: float | None = None,
    left_value: float | None = None,
    right_value: float | None = None,
    points: list[float] | None = None,
    threshold: float | None = None,
    refinement: int = 1,
) -> dict[str, Any]:
    right = _initial_right(initial_condition, initial_value, initial_value_right)
    xs = _check_1d_probes(boundary, left_value, right_value, points, threshold, length)
    walls = (left_value, right_value) if boundary == "dirichlet" else None
    has_jump = right != initial_value or (
        walls is not None and any(w != v for w in walls for v in (initial_value, right))
    )
    diffusion_length = math.sqrt(diffusivity * time)
    scale = min(length, diffusion_length) if has_jump else length
    cells = cells_for(length, scale, POINTS_PER_SCALE_1D, refinement)
    refuse_if_too_fine(cells, MAX_CELLS_1D * refinement, "the diffusion length √(D·t)", diffusion_length, "cells")
    axis = Axis(length, cells, boundary)  # type: ignore[arg-type]
    initial = axis.cell_averages(step_cumulative(initial_value, right, length / 2))
    solver = LinearDiffusion([axis], diffusivity, initial, [walls] if walls else None)
    field = solver.field(time)
    summary = summarise([axis], field)
    report = _summary_report(time, summary, ("x",), cells)
    crossings = solver.first_crossings([[x] for x in xs], threshold, time) if threshold is not None else []
    report["points"] = _point_values(axis, field, xs, threshold, crossings)
    return report


def _initial_right(initial_condition: str, initial_value: float, initial_value_right: float | None) -> float:
    if initial_condition == "step":
        if initial_value_right is None:
            raise ToolError("initial_condition='step' needs initial_value_right (the value for x > L/2)")
        return initial_value_right
    if initial_value_right is not None:
        raise ToolError("initial_value_right only applies to initial_condition='step'")
    return initial_value


def _summary_report(time: float, summary: FieldSummary, names: tuple[str, ...], cells: Any) -> dict[str, Any]:
    scale = max(abs(summary.maximum), abs(summary.minimum))
    return {
        "time": time,
        "max_value": _round(summary.maximum, scale),
        "min_value": _round(summary.minimum, scale),
        "mean_value": _round(summary.mean, scale),
        "max_abs_gradient": _round(summary.max_abs_gradient, scale),
        "max_abs_gradient_at": {n: _round(c) for n, c in zip(names, summary.max_gradient_location, strict=True)},
        "grid_cells": cells,
        "units": VALUE_UNITS,
    }


# --------------------------------------------------------------------------------------------------- 2-D diffusion


@tool
def solve_diffusion_2d(
    diffusivity: Positive,
    length_x: Positive,
    length_y: Positive,
    time: Positive,
    initial_condition: Literal["constant", "checkerboard"],
    initial_value: Value,
    boundary: Literal["dirichlet", "neumann", "periodic"],
    checker_value: Value | None = None,
    checker_size: Positive | None = None,
    left_value: Value | None = None,
    right_value: Value | None = None,
    bottom_value: Value | None = None,
    top_value: Value | None = None,
    points: list[Annotated[list[Coordinate], Field(min_length=2, max_length=2)]] | None = None,
) -> dict[str, Any]:
    """Solve the 2-D diffusion (heat) equation ∂u/∂t = D·(∂²u/∂x² + ∂²u/∂y²) on the rectangle 0 ≤ x ≤ Lx, 0 ≤ y ≤ Ly.

    Use it for heat conduction in a plate, chemical diffusion in a sheet or population spread over a region.
    Use one consistent set of units: D in length²/time of the same units as the lengths, points and time.
    Returns the maximum, minimum and mean of u over the rectangle (edges included), the largest gradient
    magnitude |∇u| and where it occurs, and the value at each requested point. When two Dirichlet edges that
    meet at a corner hold different values the gradient is infinite at that corner: max_abs_gradient is then
    null. The solver is converged (exact in time, grid refined to the smallest length scale).

    Args:
        diffusivity: Diffusion coefficient D > 0 (e.g. cm²/s, km²/year).
        length_x: Side Lx > 0 along x.
        length_y: Side Ly > 0 along y.
        time: Elapsed time t > 0 since the initial state.
        initial_condition: 'constant' (u = initial_value everywhere) or 'checkerboard' (squares of side
            checker_size starting at the origin: u = initial_value on squares where ⌊x/s⌋ + ⌊y/s⌋ is even,
            checker_value where it is odd).
        initial_value: Initial value of u (everywhere, or on the checkerboard's even squares).
        boundary: 'dirichlet' (each edge held at a fixed value), 'neumann' (zero flux, insulated edges) or
            'periodic' (opposite edges joined).
        checker_value: Initial value on the checkerboard's odd squares; only for 'checkerboard'.
        checker_size: Side s > 0 of the checkerboard squares; only for 'checkerboard'.
        left_value: Fixed value on the edge x = 0; only for boundary='dirichlet'.
        right_value: Fixed value on the edge x = Lx; only for boundary='dirichlet'.
        bottom_value: Fixed value on the edge y = 0; only for boundary='dirichlet'.
        top_value: Fixed value on the edge y = Ly; only for boundary='dirichlet'.
        points: Points [x, y] inside the rectangle at which to report u; optional.
    """
    return _diffusion_2d(**locals())


def _diffusion_2d(
    diffusivity: float,
    length_x: float,
    length_y: float,
    time: float,
    initial_condition: str,
    initial_value: float,
    boundary: str,
    checker_value: float | None = None,
    checker_size: float | None = None,
    left_value: float | None = None,
    right_value: float | None = None,
    bottom_value: float | None = None,
    top_value: float | None = None,
    points: list[list[float]] | None = None,
    refinement: int = 1,
) -> dict[str, Any]:
    if initial_condition == "checkerboard":
        if checker_value is None or checker_size is None:
            raise ToolError("initial_condition='checkerboard' needs checker_value and checker_size")
    elif checker_value is not None or checker_size is not None:
        raise ToolError("checker_value and checker_size only apply to initial_condition='checkerboard'")
    edges = {"left_value": left_value, "right_value": right_value, "bottom_value": bottom_value, "top_value": top_value}
    _check_walls(boundary, edges)
    xs = _check_points([p[0] for p in points or []], length_x, "x")
    ys = _check_points([p[1] for p in points or []], length_y, "y")
    walls = ((left_value, right_value), (bottom_value, top_value)) if boundary == "dirichlet" else None
    values = {initial_value} if checker_value is None else {initial_value, checker_value}
    wall_set = {w for pair in walls for w in pair} if walls else set()
    has_jump = len(values) > 1 or bool(wall_set - values) or len(wall_set) > 1
    diffusion_length = math.sqrt(diffusivity * time)
    scale = min(length_x, length_y, diffusion_length) if has_jump else min(length_x, length_y)
    if checker_size is not None and len(values) > 1:
        scale = min(scale, checker_size)
    cells = [cells_for(side, scale, POINTS_PER_SCALE_2D, refinement) for side in (length_x, length_y)]
    nodes = (cells[0] + 1) * (cells[1] + 1)
    refuse_if_too_fine(nodes, MAX_NODES_2D * refinement**2, "the smallest length scale", scale, "grid nodes")
    axes = [Axis(length_x, cells[0], boundary), Axis(length_y, cells[1], boundary)]  # type: ignore[arg-type]
    initial = _checkerboard(axes, initial_value, checker_value, checker_size)
    solver = LinearDiffusion(axes, diffusivity, initial, walls)
    field = solver.field(time)
    magnitude = float(np.max(np.abs(field)))
    summary = summarise(axes, field, exclude_corners=walls is not None)
    report = _summary_report(time, summary, ("x", "y"), cells)
    if len(wall_set) > 1:  # some two edges meeting at a corner differ
        report["max_abs_gradient"] = None
        report["max_abs_gradient_at"] = None
        report["note"] = "adjacent Dirichlet edges hold different values: the gradient is infinite at a corner"
    report["points"] = [
        {"x": x, "y": y, "value": _round(value_at(axes, field, [x, y]), magnitude)} for x, y in zip(xs, ys, strict=True)
    ]
    return report


def _checkerboard(axes: list[Axis], even: float, odd: float | None, size: float | None) -> np.ndarray:
    """Dual-cell averages of the checkerboard (even + odd)/2 + (even - odd)/2 · s(x)·s(y)."""
    shape = tuple(len(a.nodes()) for a in axes)
    if odd is None or size is None:
        return np.full(shape, float(even))
    sx, sy = (a.cell_averages(square_wave_cumulative(size)) for a in axes)
    return (even + odd) / 2 + (even - odd) / 2 * np.multiply.outer(sx, sy)


# --------------------------------------------------------------------------------------------------- Fisher–KPP


@tool
def solve_fisher_kpp_1d(
    diffusivity: Positive,
    growth_rate: Positive,
    carrying_capacity: Positive,
    length: Positive,
    time: Positive,
    initial_condition: Literal["constant", "step"],
    initial_density: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)],
    boundary: Literal["dirichlet", "neumann", "periodic"],
    occupied_length: Positive | None = None,
    left_value: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)] | None = None,
    right_value: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)] | None = None,
    points: list[Coordinate] | None = None,
    threshold: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)] | None = None,
) -> dict[str, Any]:
    """Solve the 1-D Fisher–KPP equation ∂u/∂t = D·∂²u/∂x² + r·u·(1 − u/K) on 0 ≤ x ≤ L: a population that spreads and grows logistically.

    Use it for a population (density u, e.g. individuals/km²) invading a habitat: it spreads with
    diffusivity D, grows at rate r and saturates at the carrying capacity K; an invasion front moves at a speed
    that approaches 2·√(r·D). Use one consistent set of units (D in length²/time, r in 1/time). Returns the
    maximum, minimum and mean density, the largest |∂u/∂x|, the front position (the largest x where u = K/2),
    the density at each requested point and, if a threshold is given, the first time each point reaches it.

    Args:
        diffusivity: Diffusion coefficient D > 0 (e.g. km²/year).
        growth_rate: Intrinsic growth rate r > 0 (e.g. 1/year).
        carrying_capacity: Carrying capacity K > 0 (same units as the density).
        length: Habitat length L > 0.
        time: Elapsed time t > 0 since the initial state.
        initial_condition: 'constant' (u = initial_density everywhere) or 'step' (u = initial_density for
            x < occupied_length, 0 beyond).
        initial_density: Initial density (≥ 0).
        boundary: 'dirichlet' (density held at left_value at x = 0 and right_value at x = L; 0 = hostile edge),
            'neumann' (closed habitat, no flux) or 'periodic' (x = 0 and x = L joined).
        occupied_length: Length of the initially occupied strip 0 ≤ x < occupied_length; only for 'step'.
        left_value: Density held at x = 0; only for boundary='dirichlet'.
        right_value: Density held at x = L; only for boundary='dirichlet'.
        points: Positions x (0 ≤ x ≤ L) at which to report the density; optional.
        threshold: If given, also report for each point the first time in (0, t] at which the density there
            equals this value (null if it does not within t).
    """
    return _fisher_kpp_1d(**locals())


def _fisher_kpp_1d(
    diffusivity: float,
    growth_rate: float,
    carrying_capacity: float,
    length: float,
    time: float,
    initial_condition: str,
    initial_density: float,
    boundary: str,
    occupied_length: float | None = None,
    left_value: float | None = None,
    right_value: float | None = None,
    points: list[float] | None = None,
    threshold: float | None = None,
    refinement: int = 1,
) -> dict[str, Any]:
    if initial_condition == "step":
        if occupied_length is None:
            raise ToolError("initial_condition='step' needs occupied_length")
        if occupied_length >= length:
            raise ToolError(f"occupied_length={occupied_length:g} must be less than the length L={length:g}")
        edge = occupied_length
    elif occupied_length is not None:
        raise ToolError("occupied_length only applies to initial_condition='step'")
    else:
        edge = length
    xs = _check_1d_probes(boundary, left_value, right_value, points, threshold, length)
    if growth_rate * time > MAX_GROWTH_TIMES_TIME:
        raise ToolError(
            f"growth_rate × time = {growth_rate * time:.3g} is beyond {MAX_GROWTH_TIMES_TIME:g} generations; "
            "check the units of r and t"
        )
    walls = (left_value or 0.0, right_value or 0.0)
    initial_values = {initial_density, 0.0} if initial_condition == "step" else {initial_density}
    has_jump = len(initial_values) > 1 or (boundary == "dirichlet" and bool(set(walls) - initial_values))
    front_width = math.sqrt(diffusivity / growth_rate)
    scale = min(length, front_width, math.sqrt(diffusivity * time)) if has_jump else min(length, front_width)
    cells = cells_for(length, scale, POINTS_PER_SCALE_FRONT, refinement)
    refuse_if_too_fine(cells, MAX_CELLS_FISHER_KPP * refinement, "the length scale min(√(D/r), √(D·t))", scale, "cells")
    axis = Axis(length, cells, boundary)  # type: ignore[arg-type]
    initial = axis.cell_averages(step_cumulative(initial_density, 0.0, edge))
    if boundary == "dirichlet":
        initial[0], initial[-1] = walls
    solution = solve_fisher_kpp(
        axis,
        diffusivity,
        growth_rate,
        carrying_capacity,
        initial,
        time,
        wall_values=walls,
        points=xs,
        threshold=threshold,
        rtol=FISHER_KPP_RTOL / refinement**2,
    )
    summary = summarise([axis], solution.field)
    report = _summary_report(time, summary, ("x",), cells)
    report["front_position"] = _round(front_position(axis.nodes(), solution.field, carrying_capacity / 2))
    report["points"] = _point_values(axis, solution.field, xs, threshold, solution.first_crossings)
    return report


def front_position(x: np.ndarray, u: np.ndarray, level: float) -> float | None:
    """The largest x where the piecewise-linear profile crosses ``level``; None when it never does."""
    above = u >= level
    crossings = np.nonzero(above[:-1] != above[1:])[0]
    if not len(crossings):
        return None
    i = int(crossings[-1])
    return float(x[i] + (level - u[i]) / (u[i + 1] - u[i]) * (x[i + 1] - x[i]))


REFINABLE = {
    "solve_diffusion_1d": _diffusion_1d,
    "solve_diffusion_2d": _diffusion_2d,
    "solve_fisher_kpp_1d": _fisher_kpp_1d,
}
