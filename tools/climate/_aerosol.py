"""Regional aerosol emissions (SO2, black carbon) along a route or inside a polygon.

The global response comes from FaIR (``_global.sensitivity_per_percent``: the
GSAT change per 1 % more of the species' global emissions every year from
2015). Where the extra emission happens changes its effect through a
dimensionless efficiency ``r(place)`` with an area-weighted global mean of 1:

* sunlight: aerosol forcing is a shortwave effect, so ``r`` scales with the
  annual-mean top-of-atmosphere insolation at the latitude (closed form,
  solar constant 1361 W m-2, obliquity 23.44 degrees, circular orbit);
* lifetime: wet deposition removes most sulfate and BC mass (roughly 80-90 %,
  AeroCom; Textor et al. 2006), so the burden per unit emission scales as
  ``1 / ((1 - f) + f * P / P_mean)`` with ``f = 0.85`` and ``P`` the ERA5
  annual-mean precipitation smoothed over about 1000 km (aerosol travels
  before it rains out).

Baseline emissions are spread evenly over the Earth's surface (no
redistributable gridded inventory is reachable), so the emissions "along a
route" are those of a corridor ``CORRIDOR_WIDTH_KM`` wide: a route of length L
carries the fraction ``L * width / area of the Earth`` of the global emissions,
and raising them by p % adds that fraction times p % of global emissions. The
response is linear at these tiny perturbations.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.ndimage import gaussian_filter

from toolwise.tools.climate import _global
from toolwise.tools.climate._data import climatology
from toolwise.tools.climate._geo import (
    EARTH_AREA_KM2,
    bilinear,
    cell_area_weights,
    densify_route,
    points_in_polygon,
)

CORRIDOR_WIDTH_KM = 100.0
WET_REMOVAL_FRACTION = 0.85
SOLAR_CONSTANT = 1361.0
OBLIQUITY_DEG = 23.44
SMOOTHING_DEG = 5.0  # Gaussian sigma of the precipitation smoothing (about 550 km)


def annual_mean_insolation(lat: np.ndarray) -> np.ndarray:
    """Annual-mean daily insolation at the top of the atmosphere (W m-2), circular orbit."""
    phi = np.deg2rad(np.asarray(lat, float))[..., None]
    days = np.arange(365) + 0.5
    decl = np.deg2rad(OBLIQUITY_DEG) * np.sin(2 * np.pi * (days - 80.0) / 365.0)
    cos_h0 = np.clip(-np.tan(phi) * np.tan(decl), -1, 1)
    h0 = np.arccos(cos_h0)
    q = SOLAR_CONSTANT / np.pi * (h0 * np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.sin(h0))
    return q.mean(axis=-1)


@cache
def efficiency_grid() -> tuple[np.ndarray, float]:
    """The efficiency r on the 1 degree precipitation grid (rows 90N..90S, columns 0E..), normalised."""
    clim = climatology()
    precip = clim.precip_mm_day
    step = clim.precip_step
    lats = 90.0 - step * np.arange(precip.shape[0])
    smooth = gaussian_filter(precip, sigma=SMOOTHING_DEG / step, mode=("nearest", "wrap"))
    weights = cell_area_weights(lats, precip.shape[1])
    p_mean = np.sum(smooth * weights) / np.sum(weights)
    lifetime = 1.0 / ((1 - WET_REMOVAL_FRACTION) + WET_REMOVAL_FRACTION * smooth / p_mean)
    raw = annual_mean_insolation(lats)[:, None] * lifetime
    return raw / (np.sum(raw * weights) / np.sum(weights)), step


def efficiency(lat, lon) -> np.ndarray:
    grid, step = efficiency_grid()
    return bilinear(grid, step, lat, lon)


def route_effect(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float, float]:
    """(length km, emitted fraction of global emissions per 100 % increase, mean efficiency) of a route."""
    mid_lat, mid_lon, seg = densify_route(lat, lon)
    length = float(seg.sum())
    if length == 0:
        return 0.0, 0.0, 0.0
    mean_eff = float(np.sum(efficiency(mid_lat, mid_lon) * seg) / length)
    return length, length * CORRIDOR_WIDTH_KM / EARTH_AREA_KM2, mean_eff


GRID_STEPS = (0.25, 0.5, 1.0)
MAX_CELLS = 40_000  # cells tested against a polygon: finer grids for small regions, coarser for large ones


@cache
def _grid(step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lats = 90 - step * (np.arange(int(180 / step)) + 0.5)
    lons = -180 + step * (np.arange(int(360 / step)) + 0.5)
    lat2d, lon2d = np.meshgrid(lats, lons, indexing="ij")
    area = cell_area_weights(lats, len(lons))
    return lat2d, lon2d, area / area.sum()


def polygon_effect(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float]:
    """(area fraction of the Earth, area-weighted mean efficiency) inside a lon-lat polygon."""
    span = (lat.max() - lat.min()) * (lon.max() - lon.min())
    step = next((s for s in GRID_STEPS if span / s**2 <= MAX_CELLS), GRID_STEPS[-1])
    lat2d, lon2d, area = _grid(step)
    box = (lat2d >= lat.min()) & (lat2d <= lat.max()) & (lon2d >= lon.min()) & (lon2d <= lon.max())
    inside = np.zeros_like(box)
    inside[box] = points_in_polygon(lat2d[box], lon2d[box], lat, lon)
    frac = float(area[inside].sum())
    if frac == 0:
        return 0.0, 0.0
    mean_eff = float(np.sum(efficiency(lat2d[inside], lon2d[inside]) * area[inside]) / frac)
    return frac, mean_eff


def regional_change(
    scenario: str, species: str, year: int, percent: float, emitted_fraction: float, mean_eff: float
) -> float:
    """GSAT change (K) when the emissions of a region holding ``emitted_fraction`` of the global total rise by ``percent``."""
    return _global.sensitivity_per_percent(scenario, species, year) * percent * emitted_fraction * mean_eff
