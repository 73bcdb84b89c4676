"""Pattern scaling: local warming = pattern(place, season) x global warming.

Two stylised patterns, each a zonal profile for ocean and one for land blended
by the local land fraction, then normalised so that its area-weighted global
mean is exactly 1 (so the global mean of local warming is the global warming):

* greenhouse-gas (and other non-aerosol) warming: land warms about 1.5 times as
  much as ocean (AR6 WGI: 1.4-1.7), the Arctic two to three times the global
  mean (AR6: "more than twice"), the Southern Ocean and subpolar North Atlantic
  less than the mean;
* aerosol-driven change: concentrated in the Northern Hemisphere, where the
  emissions are (and so is the cooling they cause).

Seasons: the high-latitude amplification is stronger in each hemisphere's
winter and weaker in its summer. These are deliberately coarse (zonal bands
plus land/sea), not a CMIP6 grid: no pattern-scaling grid with a
redistributable licence is reachable offline.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np

from toolwise.tools.climate._data import land_mask
from toolwise.tools.climate._geo import bilinear

Season = Literal["annual", "DJF", "JJA"]
SEASONS: tuple[Season, ...] = ("annual", "DJF", "JJA")
PATTERN_STEP = 0.5  # degrees; land fraction is averaged from the 0.1 degree mask onto this grid

_KNOTS = np.array([-90, -75, -60, -45, -30, -15, 0, 15, 30, 45, 60, 75, 90], dtype=float)
_GHG_OCEAN = np.array([1.30, 0.90, 0.55, 0.65, 0.80, 0.85, 0.85, 0.85, 0.90, 1.05, 1.50, 2.40, 2.80])
_GHG_LAND = np.array([1.20, 1.20, 1.10, 1.15, 1.25, 1.30, 1.30, 1.30, 1.35, 1.45, 1.70, 2.20, 2.50])
_AER_OCEAN = np.array([0.50, 0.50, 0.50, 0.55, 0.60, 0.70, 0.80, 0.95, 1.15, 1.35, 1.55, 1.80, 1.90])
_AER_LAND = np.array([0.50, 0.50, 0.55, 0.65, 0.75, 0.85, 0.95, 1.15, 1.50, 1.75, 1.85, 1.95, 2.00])
_WINTER_BOOST, _SUMMER_DAMP = 0.35, -0.40


def _polar_weight(abs_lat: np.ndarray) -> np.ndarray:
    """0 equatorward of 40 degrees, 1 poleward of 70, smooth in between."""
    s = np.clip((abs_lat - 40.0) / 30.0, 0, 1)
    return s * s * (3 - 2 * s)


def _seasonal_factor(lat: np.ndarray, season: Season) -> np.ndarray:
    if season == "annual":
        return np.ones_like(lat)
    north_winter = season == "DJF"
    winter = np.where(lat >= 0, north_winter, not north_winter)
    k = np.where(winter, _WINTER_BOOST, _SUMMER_DAMP)
    return 1.0 + k * _polar_weight(np.abs(lat))


@cache
def land_fraction_grid() -> np.ndarray:
    """Land fraction on the 0.5 degree pattern grid (rows 90N..90S by cell centre, columns 0E..360E)."""
    mask, step = land_mask()
    k = round(PATTERN_STEP / step)
    coarse = mask.reshape(mask.shape[0] // k, k, mask.shape[1] // k, k).mean(axis=(1, 3))  # columns from 180W
    return np.roll(coarse, coarse.shape[1] // 2, axis=1)  # columns from 0E


def _grid_lats() -> np.ndarray:
    n = land_fraction_grid().shape[0]
    return 90.0 - PATTERN_STEP * (np.arange(n) + 0.5)


def _raw(kind: str, lat: np.ndarray, land_frac: np.ndarray, season: Season) -> np.ndarray:
    ocean, land = (_GHG_OCEAN, _GHG_LAND) if kind == "ghg" else (_AER_OCEAN, _AER_LAND)
    zonal_ocean = np.interp(lat, _KNOTS, ocean)
    zonal_land = np.interp(lat, _KNOTS, land)
    base = zonal_ocean + land_frac * (zonal_land - zonal_ocean)
    return 1.0 + (base - 1.0) * _seasonal_factor(lat, season) if kind == "ghg" else base * _seasonal_factor(lat, season)


@cache
def _normaliser(kind: str, season: Season) -> float:
    frac = land_fraction_grid()
    lats = _grid_lats()
    lat2d = np.repeat(lats[:, None], frac.shape[1], axis=1)
    raw = _raw(kind, lat2d, frac, season)
    weights = np.cos(np.deg2rad(lat2d))
    return float(np.sum(raw * weights) / np.sum(weights))


def land_fraction(lat: np.ndarray | float, lon: np.ndarray | float) -> np.ndarray:
    """Land fraction around a point, interpolated from the 0.5 degree grid."""
    frac = land_fraction_grid()
    # the grid holds cell centres; shift by half a cell so that bilinear() sees nodes
    return np.clip(
        bilinear(frac, PATTERN_STEP, np.asarray(lat) + PATTERN_STEP / 2, np.asarray(lon) - PATTERN_STEP / 2), 0, 1
    )


def pattern(kind: Literal["ghg", "aerosol"], lat, lon, season: Season = "annual") -> np.ndarray:
    """Local change per 1 K of global-mean change, for GHG-driven or aerosol-driven warming."""
    lat = np.asarray(lat, float)
    return _raw(kind, lat, land_fraction(lat, lon), season) / _normaliser(kind, season)


def pattern_grid(kind: Literal["ghg", "aerosol"], season: Season = "annual") -> tuple[np.ndarray, np.ndarray]:
    """The pattern on its own grid (cell centres) with the matching latitudes, for checks and plots."""
    frac = land_fraction_grid()
    lats = _grid_lats()
    lat2d = np.repeat(lats[:, None], frac.shape[1], axis=1)
    return _raw(kind, lat2d, frac, season) / _normaliser(kind, season), lats
