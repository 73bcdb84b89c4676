"""Turning tool arguments (county names, intervention dicts) into a model Scenario, with readable errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from toolwise.tools import ToolError
from toolwise.tools.epidemiology._model import EpidemicModel, Measure, Scenario

MAX_DAYS = 120


def seed_vector(model: EpidemicModel, seed_infections: Mapping[str, float]) -> np.ndarray:
    seeds = np.zeros(model.n_counties)
    if not seed_infections:
        raise ToolError("seed_infections needs at least one county with a positive number of infections")
    for name, count in seed_infections.items():
        i = model.network.index(name)
        if not np.isfinite(count) or count <= 0:
            raise ToolError(f"seed infections in {name} must be a positive number of people, got {count}")
        seeds[i] += count
        if seeds[i] > model.network.populations[i]:
            population = int(model.network.populations[i])
            raise ToolError(f"{model.network.names[i]} has {population} people; {seeds[i]:g} seed infections is more")
    return seeds


def county_strengths(model: EpidemicModel, counties: Iterable[str] | None, strength: float) -> np.ndarray:
    """Per-county strength vector: ``strength`` in the named counties (all counties when None)."""
    if counties is None:
        return np.full(model.n_counties, strength)
    names = list(counties)
    if not names:
        raise ToolError("an intervention's county list is empty; leave it out to mean all counties")
    strengths = np.zeros(model.n_counties)
    strengths[model.network.indices(names)] = strength
    return strengths


def measure_from_spec(model: EpidemicModel, spec: Mapping[str, Any]) -> Measure:
    """One intervention dict {kind, strength, start_day?, end_day?, counties?} as a model Measure."""
    start = int(spec.get("start_day", 0) or 0)
    end = spec.get("end_day")
    if end is not None and int(end) <= start:
        raise ToolError(f"intervention on {spec['kind']}: end_day {end} must come after start_day {start}")
    return Measure(
        kind=spec["kind"],
        strengths=county_strengths(model, spec.get("counties"), float(spec["strength"])),
        start_day=float(start),
        end_day=np.inf if end is None else float(end),
    )


def build_scenario(
    model: EpidemicModel,
    r0: float,
    seed_infections: Mapping[str, float],
    seasonality_min: float = 1.0,
    start_day_of_year: int = 1,
    interventions: Iterable[Mapping[str, Any]] = (),
    extra_measures: Iterable[Measure] = (),
) -> Scenario:
    return Scenario(
        r0=r0,
        seeds=seed_vector(model, seed_infections),
        seasonality_min=seasonality_min,
        start_day_of_year=start_day_of_year,
        measures=tuple(measure_from_spec(model, spec) for spec in interventions) + tuple(extra_measures),
    )


def check_day(day: int, days: int, what: str = "day") -> None:
    if not 0 <= day <= days:
        raise ToolError(f"{what} {day} is outside the forecast, which covers days 0 to {days}")
