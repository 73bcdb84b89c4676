"""Linear diffusion u_t = D∇²u by the method of lines, integrated exactly in time.

The semi-discrete system u' = D·A·u + b (A the second-difference operator on a
box, b the pull of fixed Dirichlet walls) has the solution
u(t) = u_s + exp(tDA)(u(0) - u_s), with u_s the discrete steady state. A is a
Kronecker sum of one-dimensional operators, each diagonalised by an
orthonormal fast transform (see ``_grid``), so the matrix exponential is a
product of transforms and ``exp(λt)``: no time step, no time-stepping error, the
same cost for t = 1 s or 1 year. What remains is the O(h²) error of the grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

from toolwise.tools.pde._grid import Axis

# Points of the time scan that brackets a threshold crossing before root finding.
_SCAN_POINTS = 400
_TIME_CHUNK = 50
_NEGLIGIBLE_DECAY = 40.0


class LinearDiffusion:
    """The exact-in-time solution of the semi-discrete diffusion equation on one or two axes.

    ``initial`` holds a value on every node (walls included); ``wall_values``
    gives, per axis, the fixed values at its low and high wall when the axes
    are Dirichlet (ignored otherwise).
    """

    def __init__(
        self,
        axes: Sequence[Axis],
        diffusivity: float,
        initial: np.ndarray,
        wall_values: Sequence[tuple[float, float]] | None = None,
    ) -> None:
        self.axes = tuple(axes)
        self.diffusivity = diffusivity
        shape = tuple(len(a.nodes()) for a in self.axes)
        if initial.shape != shape:
            raise ValueError(f"initial data has shape {initial.shape}, the grid {shape}")
        self._unknowns = tuple(a.unknowns() for a in self.axes)
        self._scale = _outer([a.symmetriser() for a in self.axes])
        self._rates = diffusivity * _outer_sum([a.eigenvalues() for a in self.axes])
        self.steady = self._steady_state(shape, wall_values)
        deviation = (initial - self.steady)[self._unknowns]
        self._coefficients = self._transform(deviation * self._scale)

    def field(self, time: float) -> np.ndarray:
        """The solution on every node at ``time``."""
        decayed = self._inverse(self._coefficients * _decay(self._rates * time))
        u = self.steady.copy()
        u[self._unknowns] += np.real(decayed) / self._scale
        return u

    def point_weights(self, point: Sequence[float]) -> np.ndarray:
        """Linear-interpolation weights of ``point`` over every node."""
        lines = []
        for axis, x in zip(self.axes, point, strict=True):
            idx, w = axis.stencil(x)
            line = np.zeros(len(axis.nodes()))
            np.add.at(line, idx, w)
            lines.append(line)
        return _outer(lines)

    def point_history(self, point: Sequence[float]) -> tuple[float, np.ndarray, np.ndarray]:
        """(steady value, amplitudes, rates) with u(point, t) = steady + Σ amplitude·exp(rate·t)."""
        weights = self.point_weights(point)
        steady = float(np.sum(weights * self.steady))
        projection = np.conj(self._transform(weights[self._unknowns] / self._scale))
        # The rates are real, so only the real part of each amplitude reaches Re Σ: keep it real (a complex
        # product would also take numpy's much slower complex matrix path in the scan).
        amplitudes = np.real(projection * self._coefficients).ravel()
        return steady, amplitudes, self._rates.ravel()

    def first_crossings(
        self, points: Sequence[Sequence[float]], threshold: float, end_time: float
    ) -> list[float | None]:
        """Per point, the first time in (0, end_time] at which its value equals ``threshold`` (None if never).

        One scan over a time grid brackets every point's first sign change (the
        decay factors are shared by all points), then Brent's method pins each.
        """
        histories = [self.point_history(p) for p in points]
        steady = np.array([h[0] for h in histories]) - threshold
        amplitudes = np.stack([h[1] for h in histories], axis=1)  # modes × points
        rates = histories[0][2] if histories else np.zeros(0)

        def offsets(t: np.ndarray, columns: np.ndarray) -> np.ndarray:
            """value − threshold at times ``t`` (rows) for the points ``columns``."""
            values = np.empty((len(t), len(columns)))
            for start in range(0, len(t), _TIME_CHUNK):
                chunk = t[start : start + _TIME_CHUNK]
                alive = rates * chunk.min() > -_NEGLIGIBLE_DECAY  # modes already below e^-40 add nothing
                decay = _decay(np.multiply.outer(chunk, rates[alive]))
                values[start : start + _TIME_CHUNK] = decay @ amplitudes[np.ix_(alive, columns)]
            return steady[columns] + values

        # Quadratic spacing: early times are where boundary layers and jumps change fastest.
        times = end_time * (np.arange(_SCAN_POINTS + 1) / _SCAN_POINTS) ** 2
        scan = offsets(times, np.arange(len(points)))
        crossings: list[float | None] = []
        for j in range(len(points)):
            column = scan[:, j]
            flips = np.nonzero(np.sign(column[1:]) != np.sign(column[0]))[0]
            if column[0] == 0.0:
                crossings.append(0.0)
            elif not len(flips):
                crossings.append(None)
            elif column[flips[0] + 1] == 0.0:
                crossings.append(float(times[flips[0] + 1]))
            else:
                i = int(flips[0])
                at = np.array([j])
                root = brentq(
                    lambda t, at=at: float(offsets(np.array([t]), at)[0, 0]), times[i], times[i + 1], xtol=1e-12
                )
                crossings.append(float(root))
        return crossings

    def _steady_state(self, shape: tuple[int, ...], wall_values: Sequence[tuple[float, float]] | None) -> np.ndarray:
        steady = np.zeros(shape)
        if self.axes[0].boundary != "dirichlet":
            return steady
        if wall_values is None or len(wall_values) != len(self.axes):
            raise ValueError("Dirichlet axes need a (low, high) wall value per axis")
        if len({v for pair in wall_values for v in pair}) == 1:  # one wall value: the steady state is that constant
            steady[...] = wall_values[0][0]
            return steady
        # Interior equation Σ (u[i+1] - 2u[i] + u[i-1]) / h² = 0 with walls known: A·u = -b.
        pull = np.zeros(tuple(a.cells - 1 for a in self.axes))
        for dim, (axis, (low, high)) in enumerate(zip(self.axes, wall_values, strict=True)):
            first = [slice(None)] * len(shape)
            last = [slice(None)] * len(shape)
            first[dim], last[dim] = 0, -1
            pull[tuple(first)] += low / axis.h**2
            pull[tuple(last)] += high / axis.h**2
        laplacian = _outer_sum([a.eigenvalues() for a in self.axes])
        steady[self._unknowns] = np.real(self._inverse(-self._transform(pull) / laplacian))
        _set_walls(steady, wall_values)
        return steady

    def _transform(self, values: np.ndarray) -> np.ndarray:
        for dim, axis in enumerate(self.axes):
            values = axis.transform(values, dim)
        return values

    def _inverse(self, coefficients: np.ndarray) -> np.ndarray:
        for dim, axis in enumerate(self.axes):
            coefficients = axis.inverse_transform(coefficients, dim)
        return coefficients


def _decay(exponents: np.ndarray) -> np.ndarray:
    """exp(exponents), with factors below e^-40 set to exactly 0.

    They add nothing at double precision, and left alone they underflow into
    subnormal numbers, which make the products that follow tens of times slower.
    """
    return np.exp(np.where(exponents < -_NEGLIGIBLE_DECAY, -np.inf, exponents))


def _outer(vectors: Sequence[np.ndarray]) -> np.ndarray:
    result = vectors[0]
    for v in vectors[1:]:
        result = np.multiply.outer(result, v)
    return result


def _outer_sum(vectors: Sequence[np.ndarray]) -> np.ndarray:
    result = vectors[0]
    for v in vectors[1:]:
        result = np.add.outer(result, v)
    return result


def _set_walls(field: np.ndarray, wall_values: Sequence[tuple[float, float]]) -> None:
    """Write the Dirichlet values on the walls; a 2-D corner gets the mean of its two edges.

    The corner value is a single point (it carries no weight in the limit and
    the 5-point stencil never reads it); the mean keeps quadrature symmetric.
    """
    ndim = field.ndim
    for dim, (low, high) in enumerate(wall_values):
        for index, value in ((0, low), (-1, high)):
            where = [slice(None)] * ndim
            where[dim] = index
            field[tuple(where)] = value
    if ndim == 2:
        (left, right), (bottom, top) = wall_values
        field[0, 0], field[0, -1] = (left + bottom) / 2, (left + top) / 2
        field[-1, 0], field[-1, -1] = (right + bottom) / 2, (right + top) / 2
