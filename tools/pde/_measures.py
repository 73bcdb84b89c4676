"""What the tools report about a field on the grid: extremes, mean, steepest gradient, point values.

All are second-order consistent with the grid: the mean is the trapezoid rule,
gradients are centred differences at cell (or interval) midpoints, points are
linearly interpolated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolwise.tools.pde._grid import Axis


@dataclass(frozen=True)
class FieldSummary:
    maximum: float
    minimum: float
    mean: float
    max_abs_gradient: float
    max_gradient_location: tuple[float, ...]


def summarise(axes: Sequence[Axis], field: np.ndarray, exclude_corners: bool = False) -> FieldSummary:
    """Max, min, mean and steepest gradient of ``field`` (values on every node of ``axes``).

    ``exclude_corners`` leaves the four corner nodes of a 2-D Dirichlet box out
    of the extremes: there two walls meet and the value is not defined.
    """
    values = field
    if exclude_corners and field.ndim == 2:
        values = field.copy()
        for i in (0, -1):
            for j in (0, -1):
                values[i, j] = np.nan
    weights = axes[0].quadrature_weights()
    for axis in axes[1:]:
        weights = np.multiply.outer(weights, axis.quadrature_weights())
    volume = float(np.prod([a.length for a in axes]))
    magnitude, centres = _gradient_magnitude(axes, field)
    where = np.unravel_index(int(np.argmax(magnitude)), magnitude.shape)
    return FieldSummary(
        maximum=float(np.nanmax(values)),
        minimum=float(np.nanmin(values)),
        mean=float(np.sum(weights * field) / volume),
        max_abs_gradient=float(magnitude[where]),
        max_gradient_location=tuple(float(c[i]) for c, i in zip(centres, where, strict=True)),
    )


def value_at(axes: Sequence[Axis], field: np.ndarray, point: Sequence[float]) -> float:
    """Linear (1-D) or bilinear (2-D) interpolation of the nodal field at ``point``."""
    result = field
    for axis, x in zip(axes, point, strict=True):
        idx, w = axis.stencil(x)
        result = np.tensordot(w, np.take(result, idx, axis=0), axes=(0, 0))
    return float(result)


def _gradient_magnitude(axes: Sequence[Axis], field: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """|∇u| at the midpoint of every interval (1-D) or the centre of every cell (2-D)."""
    periodic = axes[0].boundary == "periodic"
    u = np.concatenate([field, field[:1]], axis=0) if periodic else field
    if len(axes) == 1:
        centres = [axes[0].nodes()[: len(u) - 1] + axes[0].h / 2]
        return np.abs(np.diff(u)) / axes[0].h, centres
    if periodic:
        u = np.concatenate([u, u[:, :1]], axis=1)
    hx, hy = axes[0].h, axes[1].h
    dx = np.diff(u, axis=0) / hx
    dy = np.diff(u, axis=1) / hy
    gx = (dx[:, 1:] + dx[:, :-1]) / 2
    gy = (dy[1:, :] + dy[:-1, :]) / 2
    centres = [np.arange(gx.shape[0]) * hx + hx / 2, np.arange(gx.shape[1]) * hy + hy / 2]
    return np.hypot(gx, gy), centres
