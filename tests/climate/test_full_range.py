"""The global temperature tool is right over its whole schema range (issue 18): monotone in every forcing.

hypothesis draws a year, a scenario and two emission changes from the schema's full -100..100 % range: more CO2
or CH4 never cools, more SO2 (reflecting aerosol) never warms, and no change changes nothing. Black carbon has
no fixed sign in FaIR 1.4.1 (its aerosol-cloud term competes with its absorption; docs/climate.md), so it is
only checked to stay below half a degree (the largest, cutting BC entirely in ssp585 by 2100, is 0.41 °C).
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from toolwise.tools.climate import climate_global_temperature

SETTINGS = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
ROUNDING_C = 0.001  # the tool reports degrees with three decimals
WARMING = {"co2_percent_change": 1, "ch4_percent_change": 1, "so2_percent_change": -1}

years = st.integers(2015, 2100)
scenarios = st.sampled_from(["ssp126", "ssp245", "ssp370", "ssp585"])
percents = st.floats(-100, 100)


@SETTINGS
@given(years, scenarios, st.sampled_from(sorted(WARMING)), percents, percents)
def test_warming_is_monotone_in_each_emission_change(
    year: int, scenario: str, species: str, first: float, second: float
) -> None:
    low, high = sorted((first, second))
    cooler = climate_global_temperature(year, scenario, **{species: low})["change_C"]
    warmer = climate_global_temperature(year, scenario, **{species: high})["change_C"]
    assert WARMING[species] * (warmer - cooler) >= -ROUNDING_C


@SETTINGS
@given(st.integers(1850, 2100), scenarios)
def test_no_emission_change_changes_nothing(year: int, scenario: str) -> None:
    out = climate_global_temperature(year, scenario)
    assert out["change_C"] == 0.0
    assert out["warming_vs_1850_1900_C"] == out["baseline_warming_vs_1850_1900_C"]


@SETTINGS
@given(years, scenarios, percents)
def test_black_carbon_changes_stay_small_in_either_direction(year: int, scenario: str, percent: float) -> None:
    assert abs(climate_global_temperature(year, scenario, bc_percent_change=percent)["change_C"]) < 0.5
