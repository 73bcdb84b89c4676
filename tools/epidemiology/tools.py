"""The epidemiology tools a model can call: forecast, peak, values on a day, allocation effect, county list.

Every forecast tool takes the same scenario arguments (R0, seed infections, seasonality, start day of the year,
interventions) and runs the California county model for ``days`` days (at most 120).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal, NotRequired

import numpy as np
from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this TypedDict on Python < 3.12

from toolwise.tools import ToolError, tool
from toolwise.tools.epidemiology._allocation import AllocationProblem, target_value
from toolwise.tools.epidemiology._counties import CALIFORNIA_POPULATION_2020, STATE_NAME
from toolwise.tools.epidemiology._model import INTERVENTION_KINDS, Trajectory, california_model
from toolwise.tools.epidemiology._outputs import OutputName, is_state, region_series, round_sig
from toolwise.tools.epidemiology._scenario import MAX_DAYS, build_scenario, check_day, county_strengths

InterventionKind = Literal["home", "school", "work", "community", "school_closure", "commuting", "travel"]
assert set(InterventionKind.__args__) == set(INTERVENTION_KINDS)  # type: ignore[attr-defined]


class Intervention(TypedDict):
    """One intervention: a share of contacts removed in some counties over a range of days."""

    kind: Annotated[
        InterventionKind,
        Field(
            description="home, school, work or community: cut contacts in that setting; school_closure: close that "
            "share of schools; commuting / travel: cut cross-county contacts at work / elsewhere"
        ),
    ]
    strength: Annotated[float, Field(ge=0, le=1, description="share removed, from 0 (nothing) to 1 (all)")]
    start_day: NotRequired[Annotated[int, Field(ge=0, le=MAX_DAYS, description="first day it applies (default 0)")]]
    end_day: NotRequired[
        Annotated[int | None, Field(ge=1, le=MAX_DAYS, description="day it stops (exclusive); omit for no end")]
    ]
    counties: NotRequired[
        Annotated[list[str] | None, Field(min_length=1, description="counties it applies to; omit for all")]
    ]


R0 = Annotated[float, Field(gt=0, le=8)]
Seeds = Annotated[dict[str, Annotated[float, Field(gt=0)]], Field(min_length=1, max_length=58)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
SeasonalityMin = Annotated[float, Field(ge=0.5, le=1.0)]
StartDayOfYear = Annotated[int, Field(ge=1, le=365)]
Interventions = Annotated[Sequence[Intervention], Field(max_length=64)]
Regions = Annotated[Sequence[str], Field(min_length=1, max_length=10)]
Outputs = Annotated[list[OutputName], Field(min_length=1, max_length=6)]


def _run(
    r0: float,
    seed_infections: Mapping[str, float],
    days: int,
    seasonality_min: float,
    start_day_of_year: int,
    interventions: Sequence[Mapping[str, Any]],
) -> Trajectory:
    model = california_model()
    scenario = build_scenario(model, r0, seed_infections, seasonality_min, start_day_of_year, interventions)
    return model.simulate(scenario, days)


def _regions(regions: Sequence[str]) -> list[tuple[str, int | None]]:
    """(display name, county index or None for the state) for each requested region."""
    network = california_model().network
    resolved = []
    for region in regions:
        if is_state(region):
            resolved.append((STATE_NAME, None))
        else:
            i = network.index(region)
            resolved.append((network.names[i], i))
    return resolved


@tool
def epi_forecast(
    r0: R0,
    seed_infections: Seeds,
    days: Days,
    outputs: Outputs,
    regions: Regions = ("California",),
    seasonality_min: SeasonalityMin = 1.0,
    start_day_of_year: StartDayOfYear = 1,
    interventions: Interventions = (),
) -> dict:
    """Forecast an epidemic in California's 58 counties and return daily series (people) from day 0 to `days`.

    A deterministic SEIR-type model with hospital and ICU stages, 2020 Census county populations, home, school,
    work and community contacts, and contacts between neighbouring counties. Outputs: susceptible, exposed,
    infectious, symptomatic, asymptomatic, hospitalized (ICU included), icu, recovered, deaths (cumulative),
    cumulative_infections, and daily counts new_infections, new_hospitalizations, new_icu_admissions, new_deaths
    (events between day d-1 and day d; 0 on day 0). Values have 5 significant digits.

    Args:
        r0: basic reproduction number without interventions at the mid-January seasonal peak.
        seed_infections: people newly infected on day 0, by county name, e.g. {"Los Angeles": 100}.
        days: length of the forecast in days, 1 to 120.
        outputs: which outputs to return (1 to 6 names).
        regions: "California" for the state total and/or county names (1 to 10).
        seasonality_min: transmission multiplier in mid-July relative to mid-January (1 = no seasonality).
        start_day_of_year: day of the year of day 0 (1 = 1 January).
        interventions: list of interventions (kind, strength, optional start_day, end_day, counties).
    """
    trajectory = _run(r0, seed_infections, days, seasonality_min, start_day_of_year, interventions)
    series: dict[str, dict[str, list[float]]] = {}
    for name, county in _regions(regions):
        series[name] = {out: [round_sig(v) for v in region_series(trajectory, out, county)] for out in outputs}
    return {"days": list(range(days + 1)), "series": series, "units": "people"}


@tool
def epi_peak(
    r0: R0,
    seed_infections: Seeds,
    days: Days,
    output: OutputName,
    regions: Regions = ("California",),
    seasonality_min: SeasonalityMin = 1.0,
    start_day_of_year: StartDayOfYear = 1,
    interventions: Interventions = (),
) -> dict:
    """Peak (largest daily value) of one output over days 0 to `days`, and the day it occurs, per region.

    Same model and scenario arguments as epi_forecast. `peak_on_last_day` true means the output is still
    rising when the forecast ends, so the true peak comes later.

    Args:
        r0: basic reproduction number without interventions at the mid-January seasonal peak.
        seed_infections: people newly infected on day 0, by county name, e.g. {"Los Angeles": 100}.
        days: length of the forecast in days, 1 to 120.
        output: the output whose peak is wanted, e.g. "hospitalized" or "new_deaths".
        regions: "California" for the state total and/or county names (1 to 10).
        seasonality_min: transmission multiplier in mid-July relative to mid-January (1 = no seasonality).
        start_day_of_year: day of the year of day 0 (1 = 1 January).
        interventions: list of interventions (kind, strength, optional start_day, end_day, counties).
    """
    trajectory = _run(r0, seed_infections, days, seasonality_min, start_day_of_year, interventions)
    peaks = []
    for name, county in _regions(regions):
        values = region_series(trajectory, output, county)
        day = int(np.argmax(values))
        peaks.append(
            {"region": name, "peak_day": day, "peak_value": round_sig(values[day]), "peak_on_last_day": day == days}
        )
    return {"output": output, "peaks": peaks, "units": "people"}


@tool
def epi_values_on_day(
    r0: R0,
    seed_infections: Seeds,
    day: Annotated[int, Field(ge=0, le=MAX_DAYS)],
    outputs: Outputs,
    regions: Regions = ("California",),
    seasonality_min: SeasonalityMin = 1.0,
    start_day_of_year: StartDayOfYear = 1,
    interventions: Interventions = (),
) -> dict:
    """Values of some outputs on one day (people), per region: the state total and/or counties.

    Same model and scenario arguments as epi_forecast.

    Args:
        r0: basic reproduction number without interventions at the mid-January seasonal peak.
        seed_infections: people newly infected on day 0, by county name, e.g. {"Los Angeles": 100}.
        day: the day wanted, 0 to 120 (day 0 is the start).
        outputs: which outputs to return (1 to 6 names).
        regions: "California" for the state total and/or county names (1 to 10).
        seasonality_min: transmission multiplier in mid-July relative to mid-January (1 = no seasonality).
        start_day_of_year: day of the year of day 0 (1 = 1 January).
        interventions: list of interventions (kind, strength, optional start_day, end_day, counties).
    """
    trajectory = _run(r0, seed_infections, max(day, 1), seasonality_min, start_day_of_year, interventions)
    values = {
        name: {out: round_sig(region_series(trajectory, out, county)[day]) for out in outputs}
        for name, county in _regions(regions)
    }
    return {"day": day, "values": values, "units": "people"}


@tool
def epi_allocation_effect(
    r0: R0,
    seed_infections: Seeds,
    days: Days,
    kind: InterventionKind,
    allocation: Annotated[dict[str, Annotated[float, Field(ge=0, le=1)]], Field(max_length=58)],
    target: OutputName,
    measure: Literal["peak", "final"],
    start_day: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 0,
    budget: Annotated[float, Field(ge=0)] | None = None,
    max_per_county: Annotated[float, Field(ge=0, le=1)] | None = None,
    seasonality_min: SeasonalityMin = 1.0,
    start_day_of_year: StartDayOfYear = 1,
    interventions: Interventions = (),
) -> dict:
    """Effect of allocating one kind of intervention across counties on a statewide target (lower is better).

    Each county in `allocation` gets that strength of `kind` from `start_day` to the end of the forecast, on top
    of the scenario's `interventions`. The target is the statewide peak (largest value over days 0..`days`) or
    final (value on day `days`) of an output. The cost of an allocation is the sum of its strengths; if `budget`
    or `max_per_county` are given, an allocation that breaks them is refused.

    Args:
        r0: basic reproduction number without interventions at the mid-January seasonal peak.
        seed_infections: people newly infected on day 0, by county name, e.g. {"Los Angeles": 100}.
        days: length of the forecast in days, 1 to 120.
        kind: the intervention allocated: home, school, work, community, school_closure, commuting or travel.
        allocation: strength (0 to 1) per county name; counties left out get none.
        target: the output to lower, e.g. "hospitalized", "icu" or "deaths".
        measure: "peak" (largest daily value) or "final" (value on the last day).
        start_day: day the allocated intervention starts (default 0).
        budget: largest allowed sum of strengths (optional check).
        max_per_county: largest allowed strength in one county (optional check).
        seasonality_min: transmission multiplier in mid-July relative to mid-January (1 = no seasonality).
        start_day_of_year: day of the year of day 0 (1 = 1 January).
        interventions: background interventions (kind, strength, optional start_day, end_day, counties).
    """
    check_day(start_day, days, "start_day")
    model = california_model()
    scenario = build_scenario(model, r0, seed_infections, seasonality_min, start_day_of_year, interventions)
    strengths = np.zeros(model.n_counties)
    for county, strength in allocation.items():
        strengths += county_strengths(model, [county], strength)
    if np.any(strengths > 1):
        raise ToolError("a county appears more than once in the allocation with a total strength above 1")
    total = float(strengths.sum())
    if budget is not None and total > budget * (1 + 1e-9):
        raise ToolError(f"the allocation totals {total:g}, more than the budget {budget:g}")
    if max_per_county is not None and strengths.max(initial=0.0) > max_per_county * (1 + 1e-9):
        county = model.network.names[int(np.argmax(strengths))]
        raise ToolError(f"{county} gets {strengths.max():g}, more than the per-county cap {max_per_county:g}")
    problem = AllocationProblem(
        scenario=scenario,
        days=days,
        kind=kind,
        start_day=start_day,
        target=target,
        measure=measure,
        budget=budget if budget is not None else total,
        cap=max_per_county if max_per_county is not None else 1.0,
    )
    without = round_sig(target_value(model, problem, None))
    with_allocation = round_sig(target_value(model, problem, strengths))
    reduction = without - with_allocation
    return {
        "target": f"statewide {measure} {target}",
        "without_allocation": without,
        "with_allocation": with_allocation,
        "reduction": round_sig(reduction),
        "reduction_percent": round_sig(100 * reduction / without, 4) if without > 0 else 0.0,
        "total_allocated": round_sig(total, 6),
        "units": "people",
    }


@tool
def epi_county_list(with_neighbours: bool = False) -> dict:
    """The 58 California county names the other epidemiology tools accept, with 2020 Census populations.

    Args:
        with_neighbours: also list each county's neighbouring counties.
    """
    network = california_model().network
    counties = []
    for i, name in enumerate(network.names):
        entry: dict[str, Any] = {"county": name, "population_2020": int(network.populations[i])}
        if with_neighbours:
            entry["neighbours"] = network.neighbours(name)
        counties.append(entry)
    return {"counties": counties, "state_population_2020": CALIFORNIA_POPULATION_2020}


EPI_TOOLS = (epi_forecast, epi_peak, epi_values_on_day, epi_allocation_effect, epi_county_list)


@contextmanager
def solver_tolerance(rtol: float) -> Iterator[None]:
    """Run the tools with another integrator tolerance (key robustness checks); clears the tool caches."""
    model = california_model()
    saved = model.rtol, model.atol
    for fn in EPI_TOOLS:
        fn.tool_spec.clear_cache()  # type: ignore[attr-defined]
    model.rtol = model.atol = rtol
    try:
        yield
    finally:
        model.rtol, model.atol = saved
        for fn in EPI_TOOLS:
            fn.tool_spec.clear_cache()  # type: ignore[attr-defined]
