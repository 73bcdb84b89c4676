"""Random epidemic scenarios: the tool arguments, the same facts as a short English text, and a model run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolwise.tools.epidemiology import Trajectory, build_scenario, california_model, region_series

STATE = "California"

# Counties sampled for seeds, questions and options: the 25 most populous (all above 250,000 people).
_MODEL = california_model()
_BY_POPULATION = sorted(_MODEL.network.names, key=lambda n: -_MODEL.network.populations[_MODEL.network.index(n)])
LARGE_COUNTIES: tuple[str, ...] = tuple(_BY_POPULATION[:25])
ALL_COUNTIES: tuple[str, ...] = _MODEL.network.names

KIND_PHRASES = {
    "home": "home contacts cut by {p}%",
    "school": "school contacts cut by {p}%",
    "work": "work contacts cut by {p}%",
    "community": "community contacts cut by {p}%",
    "school_closure": "{p}% of schools closed",
    "commuting": "cross-county work contacts (commuting) cut by {p}%",
    "travel": "cross-county non-work contacts (travel) cut by {p}%",
}

OUTPUT_PHRASES = {
    "infectious": "the number of people currently infectious",
    "hospitalized": "the number of patients in hospital (ICU included)",
    "icu": "the number of patients in intensive care",
    "deaths": "cumulative deaths since day 0",
    "cumulative_infections": "cumulative infections since day 0 (seed infections included)",
    "new_infections": "new infections per day",
    "new_hospitalizations": "new hospital admissions per day",
    "new_deaths": "new deaths per day",
}

MONTHS = ((31, "January"), (28, "February"), (31, "March"), (30, "April"), (31, "May"), (30, "June"),
          (31, "July"), (31, "August"), (30, "September"), (31, "October"), (30, "November"), (31, "December"))  # fmt: skip


def date_of_day_of_year(day: int) -> str:
    """'1 March' for day 60 (a non-leap year)."""
    for length, month in MONTHS:
        if day <= length:
            return f"{day} {month}"
        day -= length
    raise ValueError("day of the year beyond 365")


def percent(strength: float) -> str:
    return f"{round(100 * strength):d}"


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def region_text(region: str) -> str:
    return "statewide in California" if region == STATE else f"in {region} County"


def intervention_text(spec: dict[str, Any]) -> str:
    """'from day 14 until day 40, work contacts cut by 40% in Orange and Kern' (end day exclusive)."""
    what = KIND_PHRASES[spec["kind"]].format(p=percent(spec["strength"]))
    counties = spec.get("counties")
    where = "in all counties" if not counties else f"in {join_names(list(counties))}"
    start = spec.get("start_day", 0)
    end = spec.get("end_day")
    when = f"from day {start}" + (f" until day {end}" if end is not None else "")
    return f"{when}, {what} {where}"


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario as tool arguments; ``text()`` states exactly these facts."""

    r0: float
    seed_infections: dict[str, int]
    seasonality_min: float = 1.0
    start_day_of_year: int = 1
    interventions: list[dict[str, Any]] = field(default_factory=list)

    def tool_arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {"r0": self.r0, "seed_infections": dict(self.seed_infections)}
        if self.seasonality_min != 1.0:
            args["seasonality_min"] = self.seasonality_min
            args["start_day_of_year"] = self.start_day_of_year
        if self.interventions:
            args["interventions"] = [dict(spec) for spec in self.interventions]
        return args

    def text(self) -> str:
        # Alphabetical: the jsonl stores arguments with sorted keys, so the text must not depend on dict order.
        seeds = [f"{count} in {county}" for county, count in sorted(self.seed_infections.items())]
        parts = [f"R0 = {self.r0:.1f}", f"on day 0, new infections: {join_names(seeds)}"]
        if self.seasonality_min != 1.0:
            parts.append(
                f"seasonal transmission falls from 1 in mid-January to {self.seasonality_min:.2f} in mid-July, "
                f"and day 0 is {date_of_day_of_year(self.start_day_of_year)}"
            )
        else:
            parts.append("no seasonality")
        if self.interventions:
            parts.extend(intervention_text(spec) for spec in self.interventions)
        else:
            parts.append("no interventions")
        return "California county epidemic model scenario: " + "; ".join(parts) + "."

    def simulate(self, days: int, rtol: float = 1e-6, extra: list[dict[str, Any]] | None = None) -> Trajectory:
        """Run the model directly (``rtol`` lets a check re-solve with a tighter tolerance)."""
        interventions = [*self.interventions, *(extra or [])]
        scenario = build_scenario(
            _MODEL, self.r0, self.seed_infections, self.seasonality_min, self.start_day_of_year, interventions
        )
        return _MODEL.simulate(scenario, days, rtol=rtol, atol=rtol)


def series(spec: ScenarioSpec, output: str, region: str, days: int, rtol: float = 1e-6) -> np.ndarray:
    county = None if region == STATE else _MODEL.network.index(region)
    return region_series(spec.simulate(days, rtol=rtol), output, county)


def sample_scenario(
    rng: np.random.Generator, r0_range: tuple[float, float] = (1.8, 3.2), max_interventions: int = 2
) -> ScenarioSpec:
    """A random scenario: R0, 1-3 seeded counties, maybe seasonality, 0-2 background interventions."""
    r0 = round(float(rng.uniform(*r0_range)), 1)
    n_seeds = int(rng.integers(1, 4))
    seeded = rng.choice(len(LARGE_COUNTIES), size=n_seeds, replace=False)
    seeds = {LARGE_COUNTIES[i]: int(rng.choice([20, 50, 100, 200, 500, 1000])) for i in sorted(seeded)}
    seasonality_min, start_day = 1.0, 1
    if rng.random() < 0.5:
        seasonality_min = float(rng.choice([0.6, 0.7, 0.8, 0.9]))
        start_day = int(rng.integers(1, 366))
    interventions = [_sample_intervention(rng) for _ in range(int(rng.integers(0, max_interventions + 1)))]
    return ScenarioSpec(r0, seeds, seasonality_min, start_day, interventions)


def _sample_intervention(rng: np.random.Generator) -> dict[str, Any]:
    kind = str(rng.choice(["home", "school", "work", "community", "school_closure", "commuting", "travel"]))
    spec: dict[str, Any] = {"kind": kind, "strength": float(rng.choice([0.2, 0.3, 0.4, 0.5, 0.6]))}
    start = int(rng.choice([0, 7, 14, 21, 28, 35]))
    if start:
        spec["start_day"] = start
    if rng.random() < 0.3:
        spec["end_day"] = start + int(rng.choice([14, 21, 28]))
    if rng.random() < 0.4:
        picked = rng.choice(len(LARGE_COUNTIES), size=int(rng.integers(1, 4)), replace=False)
        spec["counties"] = [LARGE_COUNTIES[i] for i in sorted(picked)]
    return spec
