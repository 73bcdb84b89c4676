"""The model against what can be written down: final size, early growth, subcritical outbreaks, conservation."""

from __future__ import annotations

import numpy as np
import pytest
from _epi_models import CONTACTS_PER_DAY, homogeneous_model
from scipy.optimize import brentq

from toolwise.tools.epidemiology import Measure, Scenario, california_model, region_series


def _scenario(model, r0: float, seeds: dict[int, float], **kwargs) -> Scenario:  # type: ignore[no-untyped-def]
    vector = np.zeros(model.n_counties)
    for i, count in seeds.items():
        vector[i] = count
    return Scenario(r0=r0, seeds=vector, **kwargs)


@pytest.mark.parametrize("r0", [1.5, 2.5, 4.0])
def test_single_county_final_size_solves_the_sir_relation(r0: float) -> None:
    # Homogeneous mixing: whatever the stages and the asymptomatic share, the final size z obeys
    # z = 1 - exp(-R0 z) (Kermack-McKendrick), because R0 is the expected number of infections one case causes.
    model = homogeneous_model([1e6])
    trajectory = model.simulate(_scenario(model, r0, {0: 10.0}), days=1500)
    simulated = trajectory.row("infections")[-1, 0] / 1e6
    exact = brentq(lambda z: z - (1 - np.exp(-r0 * z)), 1e-6, 1.0)
    assert simulated == pytest.approx(exact, rel=0.01)
    assert trajectory.row("E")[-1, 0] + trajectory.row("Is")[-1, 0] < 1e-3  # the epidemic is over


def test_single_county_r0_is_the_next_generation_number() -> None:
    model = homogeneous_model([1e6])
    d = model.disease
    p, q = d.asymptomatic_fraction, d.asymptomatic_infectiousness
    infectious_days = (p * q + (1 - p)) * d.infectious_days  # infectiousness-weighted days of one case
    assert model.beta(2.0) * sum(CONTACTS_PER_DAY.values()) * infectious_days == pytest.approx(2.0)


def test_single_county_early_growth_is_the_dominant_eigenvalue() -> None:
    model = homogeneous_model([1e8])
    d, beta = model.disease, model.beta(2.5)
    p, q = d.asymptomatic_fraction, d.asymptomatic_infectiousness
    sigma, gamma, contacts = 1 / d.latent_days, 1 / d.infectious_days, sum(CONTACTS_PER_DAY.values())
    # Linearised (E, Ia, Is) at the disease-free state, S = N.
    jacobian = np.array(
        [
            [-sigma, beta * contacts * q, beta * contacts],
            [p * sigma, -gamma, 0.0],
            [(1 - p) * sigma, 0.0, -gamma],
        ]
    )
    rate = max(np.linalg.eigvals(jacobian).real)
    exposed = model.simulate(_scenario(model, 2.5, {0: 1.0}), days=60).row("E")[:, 0]
    simulated = np.log(exposed[60] / exposed[40]) / 20
    assert simulated == pytest.approx(rate, rel=0.005)


def _infected_subsystem(model, r0: float) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """F (new infections) and V (transitions) of the (E, Ia, Is) states of every county and age group."""
    g = model.n_groups
    d = model.disease
    p, q, sigma, gamma = (
        d.asymptomatic_fraction,
        d.asymptomatic_infectiousness,
        1 / d.latent_days,
        1 / d.infectious_days,
    )
    contact = model.beta(r0) * model.transmission_matrix([], 0.0)  # per infectious person of each group
    ratio = model.group_population[:, None] / model.group_population[None, :]  # S_g / N_h at the start
    f = np.zeros((3 * g, 3 * g))
    f[:g, g : 2 * g] = q * contact * ratio
    f[:g, 2 * g :] = contact * ratio
    v = np.zeros((3 * g, 3 * g))
    v[:g, :g] = sigma * np.eye(g)
    v[g : 2 * g, :g] = -p * sigma * np.eye(g)
    v[2 * g :, :g] = -(1 - p) * sigma * np.eye(g)
    v[g : 2 * g, g : 2 * g] = gamma * np.eye(g)
    v[2 * g :, 2 * g :] = gamma * np.eye(g)
    return f, v


def test_california_next_generation_matrix_has_spectral_radius_r0() -> None:
    model = california_model()
    f, v = _infected_subsystem(model, 2.3)
    radius = max(abs(np.linalg.eigvals(f @ np.linalg.inv(v))))
    assert radius == pytest.approx(2.3, rel=1e-9)


def test_california_early_growth_is_the_dominant_eigenvalue() -> None:
    model = california_model()
    f, v = _infected_subsystem(model, 2.3)
    rate = max(np.linalg.eigvals(f - v).real)
    la = model.network.index("Los Angeles")
    trajectory = model.simulate(_scenario(model, 2.3, {la: 1.0}), days=80)
    exposed = trajectory.row("E").sum(axis=1)
    simulated = np.log(exposed[80] / exposed[60]) / 20
    assert simulated == pytest.approx(rate, rel=0.01)


@pytest.mark.parametrize("r0", [0.5, 0.8])
def test_below_one_a_single_county_outbreak_totals_seeds_over_one_minus_r0(r0: float) -> None:
    # A subcritical branching process: each case causes R0 more on average, so n seeds give n / (1 - R0) cases.
    model = homogeneous_model([1e7])
    trajectory = model.simulate(_scenario(model, r0, {0: 100.0}), days=400)
    assert trajectory.row("infections")[-1, 0] == pytest.approx(100 / (1 - r0), rel=0.002)
    assert trajectory.row("E")[-1, 0] + trajectory.row("Is")[-1, 0] < 0.1  # died out


@pytest.mark.parametrize("r0", [0.5, 0.8])
def test_below_one_california_outbreak_size_follows_the_next_generation_matrix(r0: float) -> None:
    # Seeds x0 (by age group) cause K x0, then K^2 x0, ...: in all (I - K)^-1 x0, with K the next-generation
    # matrix between new infections. Depletion of susceptibles can only lower the simulated total.
    model = california_model()
    fresno = model.network.index("Fresno")
    seeds = 10.0  # few enough that depleting susceptibles changes the total by far less than the tolerance
    trajectory = model.simulate(_scenario(model, r0, {fresno: seeds}), days=400)
    total = region_series(trajectory, "cumulative_infections", None)[-1]
    f, v = _infected_subsystem(model, r0)
    g = model.n_groups
    k = (f @ np.linalg.inv(v))[:g, :g]
    x0 = np.zeros(g)
    x0[fresno * model.n_ages : (fresno + 1) * model.n_ages] = seeds * model.contacts.shares
    expected = np.linalg.solve(np.eye(g) - k, x0).sum()
    assert total == pytest.approx(expected, rel=0.002)
    assert total <= expected * (1 + 1e-6)
    assert sum(region_series(trajectory, out, None)[-1] for out in ("exposed", "infectious")) < 1e-3 * seeds


def test_population_is_conserved_in_every_county_on_every_day() -> None:
    model = california_model()
    strengths = np.zeros(model.n_counties)
    strengths[[3, 17, 36]] = 0.7
    measures = (
        Measure("work", np.full(model.n_counties, 0.4), start_day=10.0, end_day=50.0),
        Measure("travel", strengths, start_day=20.0),
        Measure("school_closure", np.full(model.n_counties, 1.0), start_day=5.0),
    )
    scenario = _scenario(model, 3.0, {model.network.index("Orange"): 500.0, 0: 50.0}, measures=measures,
                         seasonality_min=0.7, start_day_of_year=200)  # fmt: skip
    trajectory = model.simulate(scenario, days=120)
    population = trajectory.population()
    assert np.max(np.abs(population / model.network.populations - 1)) < 1e-9
    assert abs(population.sum(axis=1) / model.network.populations.sum() - 1).max() < 1e-9
    assert trajectory.states.min() > -1e-6  # no compartment goes negative
    hospital, icu = region_series(trajectory, "hospitalized", None), region_series(trajectory, "icu", None)
    assert np.all(icu <= hospital)
    assert np.all(np.diff(region_series(trajectory, "deaths", None)) >= -1e-9)


def test_seasonality_slows_spread_away_from_the_winter_peak() -> None:
    model = california_model()
    la = model.network.index("Los Angeles")
    winter = _scenario(model, 2.5, {la: 100.0}, seasonality_min=0.6, start_day_of_year=15)
    summer = _scenario(model, 2.5, {la: 100.0}, seasonality_min=0.6, start_day_of_year=197)
    assert winter.season(0.0) == pytest.approx(1.0)
    assert summer.season(0.5) == pytest.approx(0.6, abs=1e-6)  # day 197.5 is half a year after 15 January
    infections = [region_series(model.simulate(s, 40), "cumulative_infections", None)[-1] for s in (winter, summer)]
    assert infections[0] > 3 * infections[1]
