"""The PDE solvers against physics that can be written down: Fourier modes, Gaussians, erf profiles,
conservation, steady states, logistic growth, the critical patch and the Fisher–KPP front speed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erf, erfinv

from toolwise.tools.pde import solve_diffusion_1d, solve_diffusion_2d, solve_fisher_kpp_1d
from toolwise.tools.pde._grid import Axis
from toolwise.tools.pde._linear import LinearDiffusion


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# --------------------------------------------------------------------------------------------- the linear solver core


@pytest.mark.parametrize("boundary", ["dirichlet", "neumann", "periodic"])
def test_a_single_fourier_mode_decays_as_exp_minus_d_k2_t(boundary: str) -> None:
    length, diffusivity, time = 3.0, 0.4, 0.5
    axis = Axis(length, 256, boundary)  # type: ignore[arg-type]
    x = axis.nodes()
    k = {"dirichlet": 2 * math.pi / length, "neumann": 3 * math.pi / length, "periodic": 4 * math.pi / length}[boundary]
    mode = np.sin(k * x) if boundary == "dirichlet" else np.cos(k * x)
    walls = [(0.0, 0.0)] if boundary == "dirichlet" else None
    field = LinearDiffusion([axis], diffusivity, mode, walls).field(time)
    amplitude = math.exp(-diffusivity * k**2 * time)
    # The grid's eigenvalue is k²·(1 − (kh)²/12 + ...): a relative error of ~D·k⁴·h²·t/12 ≈ 7e-4 here.
    assert np.max(np.abs(field - mode * amplitude)) < 1e-3 * amplitude


def test_grid_error_is_second_order() -> None:
    errors = []
    for cells in (32, 64, 128):
        axis = Axis(1.0, cells, "dirichlet")
        x = axis.nodes()
        field = LinearDiffusion([axis], 1.0, np.sin(math.pi * x), [(0.0, 0.0)]).field(0.1)
        errors.append(np.max(np.abs(field - np.sin(math.pi * x) * math.exp(-(math.pi**2) * 0.1))))
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.02)
    assert errors[1] / errors[2] == pytest.approx(4.0, rel=0.02)


def test_a_gaussian_spreads_with_variance_growing_by_two_d_t() -> None:
    length, diffusivity, time, sigma0 = 40.0, 0.5, 4.0, 1.0
    axis = Axis(length, 800, "periodic")
    x = axis.nodes()
    bump = np.exp(-((x - length / 2) ** 2) / (2 * sigma0**2))
    field = LinearDiffusion([axis], diffusivity, bump).field(time)
    weights = axis.quadrature_weights() * field
    mean_x = np.sum(weights * x) / np.sum(weights)
    variance = np.sum(weights * (x - mean_x) ** 2) / np.sum(weights)
    assert variance == pytest.approx(sigma0**2 + 2 * diffusivity * time, rel=1e-4)
    peak = 1 / math.sqrt(1 + 2 * diffusivity * time / sigma0**2)  # amplitude falls as σ0/σ(t)
    assert field.max() == pytest.approx(peak, rel=1e-4)


# ----------------------------------------------------------------------------------------------------- 1-D diffusion


def test_a_step_smooths_into_an_erf_profile_with_the_predicted_steepest_slope() -> None:
    # On a long insulated rod the walls are too far to matter: u = b + (a − b)/2 · erfc((x − L/2)/√(4Dt)).
    a, b, diffusivity, time, length = 80.0, 20.0, 0.3, 50.0, 100.0
    out = solve_diffusion_1d(
        diffusivity, length, time, "step", a, "neumann", initial_value_right=b, points=[47.0, 50.0, 53.5]
    )
    width = math.sqrt(4 * diffusivity * time)
    for point in out["points"]:
        expected = b + (a - b) / 2 * (1 - erf((point["x"] - length / 2) / width))
        assert point["value"] == pytest.approx(expected, abs=1e-4 * (a - b))
    assert out["max_abs_gradient"] == pytest.approx((a - b) / math.sqrt(4 * math.pi * diffusivity * time), rel=1e-3)
    assert out["max_abs_gradient_at"]["x"] == pytest.approx(length / 2, abs=0.2)


def test_threshold_time_inverts_the_erf_profile() -> None:
    # u(x, t) = a + (b − a)/2 · (1 + erf((x − L/2)/√(4Dt))) reaches u* at t = ((x − L/2) / (2·erfinv(s)))² / D.
    a, b, diffusivity, length, x, level = 0.0, 1.0, 1.0, 40.0, 21.0, 0.7
    s = 2 * (level - a) / (b - a) - 1
    expected = ((x - length / 2) / (2 * erfinv(s))) ** 2 / diffusivity
    out = solve_diffusion_1d(
        diffusivity, length, 3.0, "step", a, "neumann", initial_value_right=b, points=[x], threshold=level
    )
    assert out["points"][0]["first_time_at_threshold"] == pytest.approx(expected, rel=2e-3)


def test_a_threshold_never_reached_is_reported_as_null() -> None:
    out = solve_diffusion_1d(
        0.1, 10.0, 1.0, "step", 0.0, "neumann", initial_value_right=1.0, points=[1.0], threshold=0.5
    )
    assert out["points"][0]["first_time_at_threshold"] is None


def test_a_cold_wall_pulls_with_the_semi_infinite_slope() -> None:
    # Semi-infinite rod at 0, wall raised to 1: u = erfc(x/√(4Dt)), slope at the wall 1/√(πDt).
    diffusivity, time = 0.5, 2.0
    out = solve_diffusion_1d(diffusivity, 100.0, time, "constant", 0.0, "dirichlet", left_value=1.0, right_value=0.0)
    assert out["max_abs_gradient"] == pytest.approx(1 / math.sqrt(math.pi * diffusivity * time), rel=1e-3)
    assert out["max_value"] == 1.0 and out["min_value"] == 0.0


@pytest.mark.parametrize("time", [1.0, 30.0, 400.0])
def test_insulated_ends_conserve_the_mean(time: float) -> None:
    out = solve_diffusion_1d(0.7, 30.0, time, "step", 90.0, "neumann", initial_value_right=10.0)
    assert out["mean_value"] == pytest.approx(50.0, rel=1e-9)


@pytest.mark.parametrize("time", [1.0, 30.0, 400.0])
def test_a_ring_conserves_the_mean(time: float) -> None:
    out = solve_diffusion_1d(0.7, 30.0, time, "step", 90.0, "periodic", initial_value_right=10.0)
    assert out["mean_value"] == pytest.approx(50.0, rel=1e-9)


def test_the_steady_dirichlet_profile_is_linear() -> None:
    points = [0.0, 2.5, 7.0, 10.0]
    out = solve_diffusion_1d(1.0, 10.0, 1e4, "step", 3.0, "dirichlet", initial_value_right=9.0, left_value=100.0,
                             right_value=40.0, points=points)  # fmt: skip
    for x, point in zip(points, out["points"], strict=True):
        assert point["value"] == pytest.approx(100.0 - 6.0 * x, abs=1e-6)
    assert out["mean_value"] == pytest.approx(70.0, rel=1e-9)
    assert out["max_abs_gradient"] == pytest.approx(6.0, rel=1e-9)


def test_values_stay_within_the_maximum_principle_bounds() -> None:
    out = solve_diffusion_1d(0.2, 20.0, 15.0, "step", 10.0, "dirichlet", initial_value_right=60.0, left_value=35.0,
                             right_value=5.0, points=[1.0, 9.9, 10.1, 19.0])  # fmt: skip
    assert 5.0 <= out["min_value"] <= out["max_value"] <= 60.0
    assert all(5.0 <= p["value"] <= 60.0 for p in out["points"])


# ----------------------------------------------------------------------------------------------------- 2-D diffusion


def _square_wave(x: float, size: float, diffusivity: float, time: float, terms: int = 4001) -> float:
    """The periodic ±1 square wave of half-period ``size`` after diffusing: its Fourier sine series."""
    k = np.arange(1, terms, 2)
    wavenumber = k * math.pi / size
    return float(np.sum(4 / (math.pi * k) * np.sin(wavenumber * x) * np.exp(-diffusivity * wavenumber**2 * time)))


def test_a_periodic_checkerboard_is_the_product_of_two_diffusing_square_waves() -> None:
    even, odd, size, diffusivity, time = 100.0, 20.0, 2.0, 0.3, 0.6
    points = [[0.5, 0.5], [1.7, 3.1], [3.9, 2.2]]
    out = solve_diffusion_2d(
        diffusivity, 4 * size, 2 * size, time, "checkerboard", even, "periodic",
        checker_value=odd, checker_size=size, points=points,
    )  # fmt: skip
    for (x, y), point in zip(points, out["points"], strict=True):
        sx, sy = (_square_wave(c, size, diffusivity, time) for c in (x, y))
        assert point["value"] == pytest.approx((even + odd) / 2 + (even - odd) / 2 * sx * sy, abs=0.05)
    assert out["mean_value"] == pytest.approx((even + odd) / 2, rel=1e-9)


def test_insulated_plate_conserves_the_mean_of_a_partial_checkerboard() -> None:
    # A 5 × 3 plate with squares of side 2: the even squares are [0,2)×[0,2), [2,4)×[2,3) and [4,5)×[0,2),
    # areas 4 + 2 + 2 = 8 of 15.
    out = solve_diffusion_2d(0.1, 5.0, 3.0, 3.0, "checkerboard", 1.0, "neumann", checker_value=0.0, checker_size=2.0)
    assert out["mean_value"] == pytest.approx(8 / 15, rel=1e-5)


def test_steady_square_centre_averages_the_four_edges() -> None:
    # By superposition and the square's symmetry each edge contributes a quarter at the centre.
    out = solve_diffusion_2d(1.0, 10.0, 10.0, 1e4, "constant", 0.0, "dirichlet", left_value=10.0, right_value=20.0,
                             bottom_value=30.0, top_value=80.0, points=[[5.0, 5.0]])  # fmt: skip
    assert out["points"][0]["value"] == pytest.approx(35.0, abs=0.01)


def test_a_corner_between_different_edges_has_no_finite_gradient() -> None:
    args = dict(initial_condition="constant", initial_value=0.0, boundary="dirichlet", left_value=1.0, right_value=1.0)
    different = solve_diffusion_2d(1.0, 4.0, 4.0, 1.0, bottom_value=1.0, top_value=0.0, **args)  # type: ignore[arg-type]
    assert different["max_abs_gradient"] is None and "corner" in different["note"]
    equal = solve_diffusion_2d(1.0, 4.0, 4.0, 1.0, bottom_value=1.0, top_value=1.0, **args)  # type: ignore[arg-type]
    assert equal["max_abs_gradient"] > 0


def test_a_uniform_plate_held_at_its_own_value_stays_put() -> None:
    out = solve_diffusion_2d(1.0, 4.0, 2.0, 5.0, "constant", 7.0, "dirichlet", left_value=7.0, right_value=7.0,
                             bottom_value=7.0, top_value=7.0, points=[[1.0, 1.0]])  # fmt: skip
    assert out["min_value"] == out["max_value"] == out["points"][0]["value"] == 7.0


# ----------------------------------------------------------------------------------------------------- Fisher–KPP


def test_a_uniform_population_grows_logistically() -> None:
    capacity, start, growth, time = 500.0, 20.0, 0.4, 12.0
    out = solve_fisher_kpp_1d(3.0, growth, capacity, 50.0, time, "step", start, "neumann", occupied_length=49.99)
    logistic = capacity * start * math.exp(growth * time) / (capacity + start * (math.exp(growth * time) - 1))
    # the 0.01 km gap empties a sliver; its effect on the mean is below 1e-3 of the value
    assert out["mean_value"] == pytest.approx(logistic, rel=1e-3)


def test_a_front_speed_approaches_two_root_rd_from_below() -> None:
    diffusivity, growth = 1.0, 1.0
    out = solve_fisher_kpp_1d(diffusivity, growth, 1.0, 200.0, 60.0, "step", 1.0, "neumann", occupied_length=10.0,
                              points=[40.0, 80.0, 110.0], threshold=0.5)  # fmt: skip
    t40, t80, t110 = (p["first_time_at_threshold"] for p in out["points"])
    early, late = 40.0 / (t80 - t40), 30.0 / (t110 - t80)
    asymptotic = 2 * math.sqrt(growth * diffusivity)
    assert early < late < asymptotic  # Bramson: c(t) = 2√(rD) − (3/2)·√(D/r)/t + ..., from below
    assert late > 0.97 * asymptotic


def test_hostile_edges_kill_a_patch_below_the_critical_length() -> None:
    diffusivity, growth = 1.0, 0.1
    critical = math.pi * math.sqrt(diffusivity / growth)  # ≈ 9.93 km
    args = dict(
        initial_condition="constant", initial_density=0.5, boundary="dirichlet", left_value=0.0, right_value=0.0
    )
    small = solve_fisher_kpp_1d(diffusivity, growth, 1.0, 0.8 * critical, 200.0, **args)  # type: ignore[arg-type]
    large = solve_fisher_kpp_1d(diffusivity, growth, 1.0, 1.2 * critical, 200.0, **args)  # type: ignore[arg-type]
    assert small["max_value"] < 1e-4
    assert large["max_value"] > 0.3


def test_the_front_position_advances_with_the_invasion() -> None:
    args = dict(initial_condition="step", initial_density=100.0, boundary="neumann", occupied_length=5.0)
    early = solve_fisher_kpp_1d(4.0, 0.5, 100.0, 150.0, 10.0, **args)  # type: ignore[arg-type]
    later = solve_fisher_kpp_1d(4.0, 0.5, 100.0, 150.0, 20.0, **args)  # type: ignore[arg-type]
    speed = (later["front_position"] - early["front_position"]) / 10.0
    asymptotic = 2.0 * math.sqrt(4.0 * 0.5)
    # Bramson's correction at t ≈ 15: 2√(rD) − (3/2)·√(D/r)/t ≈ 2.83 − 0.28
    assert 0.85 * asymptotic < speed < asymptotic
