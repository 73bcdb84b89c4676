"""The spatial grid of the PDE solvers: one uniform axis per dimension, and initial data on it.

Every axis is a vertex grid ``x_i = i·h``. Dirichlet and Neumann axes hold the
nodes ``0..N`` (both walls are nodes); a periodic axis holds ``0..N-1`` (node N
is node 0). The second-difference operator of each axis is diagonalised by a
fast orthonormal transform (DST-I, DCT-I, FFT): that is what lets the linear
solver step to any time exactly. Initial data enter as averages over each
node's dual cell ``[x_i - h/2, x_i + h/2]``, so a jump in the initial condition
costs second-order accuracy, not first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.fft as sfft

Boundary = Literal["dirichlet", "neumann", "periodic"]
# A cumulative integral F(x) = ∫_0^x f(s) ds of a piecewise-constant profile on [0, L].
Cumulative = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Axis:
    """One uniform axis of ``cells`` intervals on ``[0, length]`` with one boundary kind at both ends."""

    length: float
    cells: int
    boundary: Boundary

    @property
    def h(self) -> float:
        return self.length / self.cells

    def nodes(self) -> np.ndarray:
        """Positions of every node the field is reported on (walls included)."""
        count = self.cells if self.boundary == "periodic" else self.cells + 1
        return np.arange(count) * self.h

    def unknowns(self) -> slice:
        """The nodes that evolve (Dirichlet walls are held fixed)."""
        return slice(1, self.cells) if self.boundary == "dirichlet" else slice(None)

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the second-difference operator on the unknowns, in transform order."""
        n = self.cells
        if self.boundary == "dirichlet":
            k = np.arange(1, n)
            return -4.0 / self.h**2 * np.sin(np.pi * k / (2 * n)) ** 2
        if self.boundary == "neumann":
            k = np.arange(n + 1)
            return -4.0 / self.h**2 * np.sin(np.pi * k / (2 * n)) ** 2
        k = np.arange(n)
        return -4.0 / self.h**2 * np.sin(np.pi * k / n) ** 2

    def symmetriser(self) -> np.ndarray:
        """Diagonal S with S·A·S⁻¹ symmetric (A the operator on the unknowns); S² ∝ trapezoid weights."""
        count = len(self.nodes()[self.unknowns()])
        s = np.ones(count)
        if self.boundary == "neumann":
            s[0] = s[-1] = np.sqrt(0.5)
        return s

    def transform(self, values: np.ndarray, axis: int) -> np.ndarray:
        """Orthonormal (unitary) transform onto the operator's eigenvectors; it is its own inverse up to conj."""
        if self.boundary == "dirichlet":
            return sfft.dst(values, type=1, norm="ortho", axis=axis)
        if self.boundary == "neumann":
            return sfft.dct(values, type=1, norm="ortho", axis=axis)
        return sfft.fft(values, norm="ortho", axis=axis)

    def inverse_transform(self, coefficients: np.ndarray, axis: int) -> np.ndarray:
        if self.boundary == "periodic":
            return sfft.ifft(coefficients, norm="ortho", axis=axis)
        return self.transform(coefficients, axis)

    def quadrature_weights(self) -> np.ndarray:
        """Weights of the trapezoid rule over every node; they sum to the length."""
        w = np.full(len(self.nodes()), self.h)
        if self.boundary != "periodic":
            w[0] = w[-1] = self.h / 2
        return w

    def dual_cell_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Each node's dual cell; clipped at walls, reaching below 0 at node 0 of a periodic axis."""
        x = self.nodes()
        lo, hi = x - self.h / 2, x + self.h / 2
        if self.boundary != "periodic":
            lo, hi = np.clip(lo, 0.0, self.length), np.clip(hi, 0.0, self.length)
        return lo, hi

    def cell_averages(self, cumulative: Cumulative) -> np.ndarray:
        """Average of a profile (given by its cumulative integral on [0, L]) over each dual cell."""
        lo, hi = self.dual_cell_bounds()
        extended = _periodic_extension(cumulative, self.length)
        return (extended(hi) - extended(lo)) / (hi - lo)

    def stencil(self, x: float) -> tuple[np.ndarray, np.ndarray]:
        """Node indices and weights of linear interpolation at ``x`` (0 ≤ x ≤ L)."""
        position = x / self.h
        left = min(int(np.floor(position)), self.cells - 1)
        frac = position - left
        right = left + 1
        if self.boundary == "periodic":
            right %= self.cells
        return np.array([left, right]), np.array([1.0 - frac, frac])


def _periodic_extension(cumulative: Cumulative, length: float) -> Cumulative:
    """F(x + kL) = F(x) + k·F(L): lets a dual cell that wraps around a periodic axis be averaged."""
    total = float(cumulative(np.array([length]))[0])

    def extended(x: np.ndarray) -> np.ndarray:
        periods = np.floor(x / length)
        inside = np.clip(x - periods * length, 0.0, length)
        return cumulative(inside) + periods * total

    return extended


def step_cumulative(left_value: float, right_value: float, position: float) -> Cumulative:
    """Cumulative integral of ``left_value`` on [0, position) and ``right_value`` beyond."""

    def cumulative(x: np.ndarray) -> np.ndarray:
        return left_value * np.minimum(x, position) + right_value * np.maximum(x - position, 0.0)

    return cumulative


def square_wave_cumulative(cell: float) -> Cumulative:
    """Cumulative integral of s(x) = (-1)^⌊x/cell⌋: a triangle wave between 0 and ``cell``."""

    def cumulative(x: np.ndarray) -> np.ndarray:
        m = np.floor(x / cell)
        r = x - m * cell
        odd = np.mod(m, 2) == 1
        return np.where(odd, cell - r, r)

    return cumulative
