"""Temperature at a place: ERA5 climatology + pattern-scaled emulator warming (the delta method).

``T(place, year) = climatology(place) + warming(place, year) - mean warming(place) over 2000-2025``,
where the climatology is the ERA5 2000-2025 mean and local warming is
``pattern_ghg * (GSAT - GSAT_aerosol) + pattern_aerosol * GSAT_aerosol``. The
2000-2025 reference uses the historical run and SSP2-4.5 for 2015-2025 (the
SSPs differ by hundredths of a degree there), the same for every scenario, so
years before 2015 give one value whatever the scenario.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from toolwise.tools.climate import _global
from toolwise.tools.climate._data import active_ensemble, climatology, fair_responses
from toolwise.tools.climate._geo import bilinear
from toolwise.tools.climate._pattern import Season, pattern


def _split(scenario: str, year: int) -> tuple[float, float]:
    """(non-aerosol, aerosol) parts of the GSAT anomaly."""
    aer = _global.aerosol_warming(scenario, year)
    return _global.global_warming(scenario, year) - aer, aer


def _reference_split() -> tuple[float, float]:
    """Mean (non-aerosol, aerosol) GSAT anomaly over the climatology's base period."""
    return _reference_split_for(active_ensemble())


@cache
def _reference_split_for(ensemble: str) -> tuple[float, float]:
    first, last = climatology().base_period
    parts = np.array([_split("ssp245", y) for y in range(first, last + 1)])
    return float(parts[:, 0].mean()), float(parts[:, 1].mean())


def local_warming(lat: float, lon: float, scenario: str, year: int, season: Season = "annual") -> float:
    """Local surface air temperature change relative to 1850-1900 (K)."""
    ghg, aer = _split(scenario, year)
    return float(pattern("ghg", lat, lon, season) * ghg + pattern("aerosol", lat, lon, season) * aer)


def local_temperature(lat: float, lon: float, scenario: str, year: int, season: Season = "annual") -> float:
    """Absolute surface air temperature (degrees C)."""
    clim = climatology()
    base = float(bilinear(clim.temperature[season], clim.step, lat, lon))
    ref_ghg, ref_aer = _reference_split()
    ref = pattern("ghg", lat, lon, season) * ref_ghg + pattern("aerosol", lat, lon, season) * ref_aer
    return base + local_warming(lat, lon, scenario, year, season) - float(ref)


def local_change_from_global(lat: float, lon: float, species: str, global_change: float, season: Season) -> float:
    """Local change caused by a global change driven by one species (aerosols use the aerosol pattern)."""
    kind = "aerosol" if species in ("SO2", "BC") else "ghg"
    return float(pattern(kind, lat, lon, season) * global_change)


def years_available() -> tuple[int, int]:
    years = fair_responses().years
    return int(years[0]), int(years[-1])


def warm_up() -> None:
    """Load every table and build every cache once (a few hundred ms), so later calls take well under 50 ms."""
    from toolwise.tools.climate import _aerosol
    from toolwise.tools.climate._data import cities_by_name, land_mask
    from toolwise.tools.climate._pattern import SEASONS

    cities_by_name()
    land_mask()
    _aerosol.efficiency_grid()
    for step in _aerosol.GRID_STEPS:
        _aerosol._grid(step)
    for season in SEASONS:
        for kind in ("ghg", "aerosol"):
            pattern(kind, 0.0, 0.0, season)
    _reference_split()
    for scenario in _global.SCENARIOS:
        for species in _global.SPECIES:
            _global.sensitivity_per_percent(scenario, species, 2050)
