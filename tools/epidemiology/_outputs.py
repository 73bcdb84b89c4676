"""Named model outputs (what a tool can report), per county or summed over the state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np

from toolwise.tools.epidemiology._counties import STATE_NAME
from toolwise.tools.epidemiology._model import Trajectory

OutputName = Literal[
    "susceptible",
    "exposed",
    "infectious",
    "symptomatic",
    "asymptomatic",
    "hospitalized",
    "icu",
    "recovered",
    "deaths",
    "cumulative_infections",
    "new_infections",
    "new_hospitalizations",
    "new_icu_admissions",
    "new_deaths",
]
OUTPUT_NAMES: tuple[str, ...] = get_args(OutputName)


def _daily(counts: np.ndarray) -> np.ndarray:
    """New events during each day (between day d-1 and day d); 0 on day 0."""
    return np.vstack([np.zeros((1, counts.shape[1])), np.diff(counts, axis=0)])


_OUTPUTS: dict[str, Callable[[Trajectory], np.ndarray]] = {
    "susceptible": lambda tr: tr.row("S"),
    "exposed": lambda tr: tr.row("E"),
    "infectious": lambda tr: tr.row("Ia") + tr.row("Is"),
    "symptomatic": lambda tr: tr.row("Is"),
    "asymptomatic": lambda tr: tr.row("Ia"),
    "hospitalized": lambda tr: tr.row("H") + tr.row("U"),
    "icu": lambda tr: tr.row("U"),
    "recovered": lambda tr: tr.row("R"),
    "deaths": lambda tr: tr.row("D"),
    "cumulative_infections": lambda tr: tr.row("infections"),
    "new_infections": lambda tr: _daily(tr.row("infections")),
    "new_hospitalizations": lambda tr: _daily(tr.row("admissions")),
    "new_icu_admissions": lambda tr: _daily(tr.row("icu_admissions")),
    "new_deaths": lambda tr: _daily(tr.row("D")),
}
assert set(_OUTPUTS) == set(OUTPUT_NAMES)

OUTPUT_DESCRIPTIONS = {
    "susceptible": "people never infected",
    "exposed": "people infected but not yet infectious",
    "infectious": "people currently infectious (symptomatic plus asymptomatic)",
    "symptomatic": "people currently infectious with symptoms",
    "asymptomatic": "people currently infectious without symptoms",
    "hospitalized": "patients currently in hospital, ICU included",
    "icu": "patients currently in intensive care",
    "recovered": "people recovered",
    "deaths": "cumulative deaths since day 0",
    "cumulative_infections": "cumulative infections since day 0, seed infections included",
    "new_infections": "new infections during the day",
    "new_hospitalizations": "new hospital admissions during the day",
    "new_icu_admissions": "new ICU admissions during the day",
    "new_deaths": "new deaths during the day",
}


def county_series(trajectory: Trajectory, output: str) -> np.ndarray:
    """Output per day and county, shape (days + 1, n_counties)."""
    return _OUTPUTS[output](trajectory)


def region_series(trajectory: Trajectory, output: str, county: int | None) -> np.ndarray:
    """Output per day for one county (its index) or, with None, the state total."""
    values = county_series(trajectory, output)
    return values.sum(axis=1) if county is None else values[:, county]


def round_sig(value: float, digits: int = 5) -> float:
    """``value`` rounded to ``digits`` significant digits (tiny negative round-off shown as 0)."""
    value = float(value)
    if abs(value) < 1e-9:
        return 0.0
    return float(f"{value:.{digits}g}")


def is_state(region: str) -> bool:
    return region.strip().lower() in (STATE_NAME.lower(), "ca", "state", "statewide", "state of california")
