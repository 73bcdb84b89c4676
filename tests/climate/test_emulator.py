"""The emulator against physics and assessments: IPCC AR6 ranges, signs, monotonicity, additivity."""

from __future__ import annotations

import numpy as np
import pytest

from toolwise.tools.climate import _global
from toolwise.tools.climate._data import fair_responses, use_ensemble

# IPCC AR6 WGI Table SPM.1: very likely range of 2081-2100 GSAT relative to 1850-1900 (degrees C)
AR6_LATE_CENTURY = {"ssp126": (1.3, 2.4), "ssp245": (2.1, 3.5), "ssp370": (2.8, 4.6), "ssp585": (3.3, 5.7)}


def _mean(scenario: str, first: int, last: int) -> float:
    return float(np.mean([_global.global_warming(scenario, y) for y in range(first, last + 1)]))


@pytest.mark.parametrize("scenario", _global.SCENARIOS)
def test_late_century_warming_is_inside_the_ar6_very_likely_range(scenario: str) -> None:
    low, high = AR6_LATE_CENTURY[scenario]
    assert low <= _mean(scenario, 2081, 2100) <= high
    # the ensemble's own 5-95 % range overlaps the assessed one
    p5, _, p95 = fair_responses().late_century_percentiles[_global.SCENARIOS.index(scenario)]
    assert p5 < high and p95 > low


def test_late_century_warming_is_ordered_by_scenario() -> None:
    values = [_mean(s, 2081, 2100) for s in _global.SCENARIOS]
    assert values == sorted(values)


@pytest.mark.parametrize("scenario", _global.SCENARIOS)
def test_historical_warming_2011_2020_matches_observations(scenario: str) -> None:
    assert 0.95 <= _mean(scenario, 2011, 2020) <= 1.20


def test_history_is_shared_by_all_scenarios_and_1850_1900_is_the_zero() -> None:
    r = fair_responses()
    history = r.years < 2015
    assert np.allclose(r.baseline[:, history], r.baseline[0, history], atol=1e-6)
    ref = (r.years >= 1850) & (r.years <= 1900)
    assert np.allclose(r.baseline[:, ref].mean(axis=1), 0.0, atol=1e-6)


@pytest.mark.parametrize("species", ["CO2", "CH4"])
def test_more_greenhouse_gas_warms_monotonically(species: str) -> None:
    percents = np.linspace(-100, 100, 41)  # off the 10 % grid too: the spline must stay monotonic
    changes = [_global.scaled_change("ssp245", species, p, 2080) for p in percents]
    assert np.all(np.diff(changes) > 0)
    assert changes[-1] > 0 > changes[0]


def test_more_so2_cools_monotonically() -> None:
    percents = np.linspace(-100, 100, 41)
    changes = [_global.scaled_change("ssp370", "SO2", p, 2050) for p in percents]
    assert np.all(np.diff(changes) < 0)
    assert changes[-1] < 0 < changes[0]


def test_black_carbon_net_effect_is_small_in_the_calibrated_ensemble() -> None:
    # FaIR 1.4.1 gives BC aerosol-cloud interactions as well as absorption: the net global effect of
    # moderate changes is small and its sign depends on scenario and year (docs/climate.md)
    for scenario in _global.SCENARIOS:
        for pct in (-50, -20, 20, 50):
            assert abs(_global.scaled_change(scenario, "BC", pct, 2080)) < 0.05


def test_doubling_co2_emissions_warms_by_a_plausible_amount() -> None:
    # +100 % CO2 from 2015 on roughly adds the 2015-2100 cumulative emissions again: about 1-3 K by 2100 (TCRE ~0.45 K/1000 GtCO2)
    change = _global.scaled_change("ssp245", "CO2", 100, 2100)
    assert 0.8 < change < 3.0


def test_no_perturbation_effect_before_2015() -> None:
    assert _global.scaled_change("ssp585", "CO2", 50, 2014) == 0.0
    assert _global.sensitivity_per_percent("ssp585", "SO2", 2000) == 0.0


@pytest.mark.parametrize("scenario", _global.SCENARIOS)
def test_combined_perturbations_add_up(scenario: str) -> None:
    r = fair_responses()
    i = _global.SCENARIOS.index(scenario)
    _, summed = _global.perturbed_warming(scenario, 2100, r.combo_percents)
    joint = r.combo[i, 2100 - 1850]
    assert abs(summed - joint) < 0.05 + 0.05 * abs(joint - _global.global_warming(scenario, 2100))


def test_aerosols_cool_today_and_less_so_in_the_clean_scenario() -> None:
    assert _global.aerosol_warming("ssp245", 2014) < -0.2
    assert _global.aerosol_warming("ssp126", 2090) > _global.aerosol_warming("ssp370", 2090)


def test_ensemble_halves_agree_with_the_mean() -> None:
    full = _mean("ssp245", 2081, 2100)
    for half in ("half0", "half1"):
        with use_ensemble(half):
            assert abs(_mean("ssp245", 2081, 2100) - full) < 0.15
    assert abs(_mean("ssp245", 2081, 2100) - full) < 1e-12  # restored after the block
