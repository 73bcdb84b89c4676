"""Global-mean surface air temperature from the precomputed FaIR ensemble.

All values are ensemble means of the same calibrated FaIR v2 members (see
``prepare/fair_runs.py``), anomalies relative to 1850-1900 in K (= degrees C of
change). A species' emissions scaled by ``p`` percent from 2015 on are read by a
cubic spline through the precomputed 10 % grid; scalings of several species
combine additively (FaIR's response to these perturbations is close to linear,
and the tests bound the error).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.interpolate import CubicSpline

from toolwise.tools.climate._data import active_ensemble, fair_responses

SCENARIOS = ("ssp126", "ssp245", "ssp370", "ssp585")
SCENARIO_NAMES = {"ssp126": "SSP1-2.6", "ssp245": "SSP2-4.5", "ssp370": "SSP3-7.0", "ssp585": "SSP5-8.5"}
SPECIES = ("CO2", "CH4", "SO2", "BC")
FIRST_YEAR, LAST_YEAR = 1850, 2100
FIRST_SCENARIO_YEAR = 2015  # RCMIP SSP emissions are historical up to 2014; perturbations start in 2015


def _index(year: int) -> int:
    return int(year) - FIRST_YEAR


def _scenario_index(scenario: str) -> int:
    return fair_responses().scenarios.index(scenario)


def global_warming(scenario: str, year: int) -> float:
    """GSAT anomaly relative to 1850-1900 (K)."""
    return float(fair_responses().baseline[_scenario_index(scenario), _index(year)])


def global_warming_series(scenario: str) -> np.ndarray:
    return fair_responses().baseline[_scenario_index(scenario)]


def aerosol_warming(scenario: str, year: int) -> float:
    """The part of the GSAT anomaly caused by aerosol precursor emissions (negative: a cooling)."""
    r = fair_responses()
    i = _scenario_index(scenario)
    return float(r.baseline[i, _index(year)] - r.no_aerosol[i, _index(year)])


def _spline(scenario: str, species: str) -> CubicSpline:
    return _spline_for(active_ensemble(), scenario, species)


@cache
def _spline_for(ensemble: str, scenario: str, species: str) -> CubicSpline:
    r = fair_responses()
    block = r.scaled[_scenario_index(scenario), r.species.index(species)]  # (percent, year)
    return CubicSpline(r.percent_grid, block, axis=0)


def scaled_change(scenario: str, species: str, percent: float, year: int) -> float:
    """GSAT change (K) when ``species`` emissions are multiplied by 1 + percent/100 from 2015 on."""
    if percent == 0 or year < FIRST_SCENARIO_YEAR:
        return 0.0
    spline = _spline(scenario, species)
    return float(spline(percent)[_index(year)] - spline(0.0)[_index(year)])


def sensitivity_per_percent(scenario: str, species: str, year: int) -> float:
    """d GSAT / d percent at zero (K per 1 % of the species' global emissions from 2015 on)."""
    if year < FIRST_SCENARIO_YEAR:
        return 0.0
    return float(_spline(scenario, species).derivative()(0.0)[_index(year)])


def perturbed_warming(scenario: str, year: int, percents: dict[str, float]) -> tuple[float, float]:
    """(baseline, perturbed) GSAT anomaly for several species scaled at once."""
    base = global_warming(scenario, year)
    change = sum(scaled_change(scenario, sp, pct, year) for sp, pct in percents.items())
    return base, base + change
