"""The epidemic forecast is right over its whole schema range (issue 18): drawn arguments, invariants.

hypothesis draws r0, seeds, horizon, seasonality and start day from the schema's full ranges: people are
conserved (every compartment summed is the state population on every day), cumulative infections are the
susceptibles lost, the epidemic only moves forward, and a larger r0 never infects fewer people.
"""

from __future__ import annotations

import itertools
import math

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from toolwise.tools.epidemiology import epi_forecast
from toolwise.tools.epidemiology._counties import CALIFORNIA_POPULATION_2020, california

SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
COMPARTMENTS = ["susceptible", "exposed", "infectious", "hospitalized", "recovered", "deaths"]
COUNTIES = california().names


def rounding(values: list[float]) -> float:
    """The largest error that rounding each value to 5 significant digits can add to their sum."""
    return sum(0.5 * 10 ** (math.floor(math.log10(abs(v))) - 4) for v in values if v != 0)


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    county = draw(st.sampled_from(COUNTIES))
    population = int(california().populations[COUNTIES.index(county)])
    return {
        "r0": draw(st.floats(0, 8, exclude_min=True)),
        "seed_infections": {county: draw(st.floats(0, population, exclude_min=True))},
        "days": draw(st.integers(1, 120)),
        "seasonality_min": draw(st.floats(0.5, 1.0)),
        "start_day_of_year": draw(st.integers(1, 365)),
    }


@SETTINGS
@given(scenarios())
def test_people_are_conserved_and_the_epidemic_only_moves_forward(args: dict) -> None:
    state = epi_forecast(**args, outputs=COMPARTMENTS)["series"]["California"]
    for day in range(args["days"] + 1):
        values = [state[name][day] for name in COMPARTMENTS]
        assert abs(sum(values) - CALIFORNIA_POPULATION_2020) <= rounding(values) + 1.0
    susceptible, deaths = state["susceptible"], state["deaths"]
    assert all(b <= a for a, b in itertools.pairwise(susceptible))
    assert all(b >= a for a, b in itertools.pairwise(deaths))
    total = epi_forecast(**args, outputs=["cumulative_infections"])["series"]["California"]
    lost = [CALIFORNIA_POPULATION_2020 - s for s in susceptible]
    for day in range(args["days"] + 1):
        assert abs(total["cumulative_infections"][day] - lost[day]) <= rounding([susceptible[day]]) + 1.0 + (
            rounding([total["cumulative_infections"][day]])
        )


@SETTINGS
@given(scenarios(), st.floats(0, 8, exclude_min=True))
def test_a_larger_r0_never_infects_fewer_people(args: dict, other_r0: float) -> None:
    low, high = sorted((args["r0"], other_r0))
    fewer = epi_forecast(**{**args, "r0": low}, outputs=["cumulative_infections"])["series"]["California"]
    more = epi_forecast(**{**args, "r0": high}, outputs=["cumulative_infections"])["series"]["California"]
    final_fewer, final_more = fewer["cumulative_infections"][-1], more["cumulative_infections"][-1]
    assert final_more >= final_fewer - rounding([final_fewer, final_more])
