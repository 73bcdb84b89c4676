"""Interventions only remove contacts, budgets only help, and uncoupled counties do not talk to each other."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _epi_models import homogeneous_model

from toolwise.tools.epidemiology import (
    INTERVENTION_KINDS,
    AllocationProblem,
    Measure,
    Scenario,
    california_model,
    epi_forecast,
    optimise_allocation,
    region_series,
    target_value,
)

SEEDS = {"Los Angeles": 200, "Sacramento": 50}


def _seeds(model, seeds: dict[str, float]) -> np.ndarray:  # type: ignore[no-untyped-def]
    vector = np.zeros(model.n_counties)
    for name, count in seeds.items():
        vector[model.network.index(name)] = count
    return vector


@pytest.mark.parametrize("kind", INTERVENTION_KINDS)
def test_no_intervention_raises_cumulative_infections_on_any_day(kind: str) -> None:
    # Cutting contacts for a while, in some counties, with seasonality: fewer infections and deaths so far, every
    # day. (A peak can come out higher: a temporary cut can push the wave into a season of higher transmission.)
    model = california_model()
    rng = np.random.default_rng(len(kind))
    strengths = rng.uniform(0, 1, model.n_counties) * (rng.random(model.n_counties) < 0.5)
    base = Scenario(r0=2.6, seeds=_seeds(model, SEEDS), seasonality_min=0.8, start_day_of_year=300)
    treated = Scenario(
        r0=2.6, seeds=base.seeds, seasonality_min=0.8, start_day_of_year=300,
        measures=(Measure(kind, strengths, start_day=10.0, end_day=70.0),),
    )  # fmt: skip
    before, after = model.simulate(base, 120, rtol=1e-10), model.simulate(treated, 120, rtol=1e-10)
    for output in ("cumulative_infections", "deaths"):
        for county in [None, *range(model.n_counties)]:  # the state and every county
            assert np.all(region_series(after, output, county) <= region_series(before, output, county) * (1 + 1e-8))
    assert np.allclose(after.states[:, :11], before.states[:, :11], rtol=1e-7, atol=1e-6)  # same until day 10
    final = [region_series(t, "cumulative_infections", None)[-1] for t in (after, before)]
    assert final[0] < final[1]


@pytest.mark.parametrize("kind", INTERVENTION_KINDS)
def test_interventions_everywhere_never_raise_a_peak(kind: str) -> None:
    # Peaks are checked for cuts applied in every county. Patchy cuts can raise a statewide peak: slowing Los
    # Angeles alone can line its wave up with the other counties' (docs/epidemiology.md).
    model = california_model()
    base = Scenario(r0=2.6, seeds=_seeds(model, SEEDS))
    measure = Measure(kind, np.full(model.n_counties, 0.3), start_day=10.0)
    before = model.simulate(base, 120, rtol=1e-10)
    after = model.simulate(Scenario(r0=2.6, seeds=base.seeds, measures=(measure,)), 120, rtol=1e-10)
    for output in ("infectious", "hospitalized", "icu", "new_infections"):
        for county in [None, *range(model.n_counties)]:
            peak_after = region_series(after, output, county).max()
            assert peak_after <= region_series(before, output, county).max() * (1 + 1e-8) + 1e-9


def test_stronger_contact_cuts_lower_the_final_size_monotonically() -> None:
    model = california_model()
    finals = []
    for strength in (0.0, 0.2, 0.4, 0.6):
        measure = Measure("community", np.full(model.n_counties, strength))
        scenario = Scenario(r0=2.4, seeds=_seeds(model, SEEDS), measures=(measure,))
        finals.append(region_series(model.simulate(scenario, 120), "cumulative_infections", None)[-1])
    assert all(a > b for a, b in itertools.pairwise(finals))


def test_uncoupled_counties_evolve_independently() -> None:
    coupled_free = homogeneous_model([2e6, 5e5, 1e6])  # no edges: three separate populations
    alone = homogeneous_model([2e6])
    both = coupled_free.simulate(Scenario(r0=2.5, seeds=np.array([100.0, 0.0, 30.0])), 120, rtol=1e-10)
    first = alone.simulate(Scenario(r0=2.5, seeds=np.array([100.0])), 120, rtol=1e-10)
    assert np.array_equal(both.row("infections")[:, 1], np.zeros(121))  # never seeded, never reached
    assert np.allclose(both.states[:, :, 0], first.states[:, :, 0], rtol=1e-7, atol=1e-7)


def test_neighbours_infect_each_other_until_cross_county_contacts_are_cut() -> None:
    model = homogeneous_model([1e6, 1e6], edges=[(0, 1)])
    cut = (Measure("commuting", np.array([1.0, 0.0])), Measure("travel", np.array([0.0, 1.0])))
    open_border = model.simulate(Scenario(r0=2.5, seeds=np.array([100.0, 0.0])), 100)
    closed = model.simulate(Scenario(r0=2.5, seeds=np.array([100.0, 0.0]), measures=cut), 100)
    assert open_border.row("infections")[-1, 1] > 1000
    assert closed.row("infections")[-1, 1] == 0.0


def test_full_restrictions_in_the_tool_isolate_unseeded_counties() -> None:
    cut = [{"kind": "commuting", "strength": 1.0}, {"kind": "travel", "strength": 1.0}]
    result = epi_forecast(r0=2.5, seed_infections={"Fresno": 100}, days=60, outputs=["cumulative_infections"],
                          regions=["Fresno", "Madera", "Los Angeles"], interventions=cut)  # fmt: skip
    series = result["series"]
    assert series["Fresno"]["cumulative_infections"][-1] > 1000
    assert max(series["Madera"]["cumulative_infections"]) == 0.0
    assert max(series["Los Angeles"]["cumulative_infections"]) == 0.0


def test_more_budget_never_raises_the_optimised_target() -> None:
    # A five-county chain: small enough that the optimiser runs in about a second per budget.
    model = homogeneous_model([3e6, 1e6, 5e5, 2e6, 2e5], edges=[(0, 1), (1, 2), (2, 3), (3, 4)])
    scenario = Scenario(r0=2.4, seeds=np.array([0.0, 0.0, 200.0, 0.0, 0.0]))
    values = []
    for budget in (0.0, 0.5, 1.5):
        problem = AllocationProblem(scenario, days=90, kind="work", start_day=5, target="hospitalized",
                                    measure="peak", budget=budget, cap=0.5)  # fmt: skip
        best = optimise_allocation(model, problem, refine_iterations=3)
        assert problem.feasible(best.strengths)
        assert best.value == pytest.approx(target_value(model, problem, best.strengths, rtol=1e-7), rel=1e-9)
        values.append(best.value)
    assert all(later <= earlier for earlier, later in itertools.pairwise(values))
    assert values[-1] < 0.9 * values[0]


@pytest.mark.slow
def test_optimiser_beats_no_allocation_and_uniform_on_california() -> None:
    model = california_model()
    scenario = Scenario(r0=2.5, seeds=_seeds(model, {"San Diego": 300}))
    problem = AllocationProblem(scenario, days=90, kind="community", start_day=7, target="icu", measure="peak",
                                budget=1.5, cap=0.5)  # fmt: skip
    best = optimise_allocation(model, problem, refine_iterations=3)
    none = target_value(model, problem, None)
    uniform = target_value(model, problem, problem.uniform())
    assert problem.feasible(best.strengths)
    assert best.value < uniform < none
    assert best.strengths[model.network.index("San Diego")] == pytest.approx(0.5)  # the seeded county first
