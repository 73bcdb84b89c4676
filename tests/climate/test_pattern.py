"""Pattern scaling: land/sea contrast, Arctic amplification, seasons, and area-weighted normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from toolwise.tools.climate import _global, _local
from toolwise.tools.climate._pattern import SEASONS, land_fraction_grid, pattern, pattern_grid


def _area_mean(field: np.ndarray, lats: np.ndarray, where: np.ndarray | None = None) -> float:
    w = np.cos(np.deg2rad(lats))[:, None] * np.ones_like(field)
    if where is not None:
        w = w * where
    return float(np.sum(field * w) / np.sum(w))


@pytest.mark.parametrize("kind", ["ghg", "aerosol"])
@pytest.mark.parametrize("season", SEASONS)
def test_area_weighted_global_mean_of_each_pattern_is_one(kind: str, season: str) -> None:
    field, lats = pattern_grid(kind, season)
    assert _area_mean(field, lats) == pytest.approx(1.0, abs=1e-9)
    if kind == "ghg":  # an unweighted mean would differ (polar cells over-counted): the check above has teeth
        assert abs(float(field.mean()) - 1.0) > 0.05


def test_area_mean_of_local_warming_is_the_global_warming() -> None:
    lats = np.arange(-89, 90, 2.0)
    lons = np.arange(-179, 180, 2.0)
    lat2d, lon2d = np.meshgrid(lats, lons, indexing="ij")
    ghg = _global.global_warming("ssp585", 2100) - _global.aerosol_warming("ssp585", 2100)
    aer = _global.aerosol_warming("ssp585", 2100)
    local = pattern("ghg", lat2d, lon2d) * ghg + pattern("aerosol", lat2d, lon2d) * aer
    assert _area_mean(local, lats) == pytest.approx(_global.global_warming("ssp585", 2100), rel=0.02)


def test_land_warms_more_than_ocean_by_the_ar6_ratio() -> None:
    field, lats = pattern_grid("ghg")
    frac = land_fraction_grid()
    land = _area_mean(field, lats, frac > 0.5)
    ocean = _area_mean(field, lats, frac < 0.5)
    assert 1.4 <= land / ocean <= 1.7  # AR6 WGI: land warms 1.4-1.7 times as much as ocean


def test_arctic_warms_more_than_twice_the_tropics_and_the_globe() -> None:
    field, lats = pattern_grid("ghg")
    lat2d = np.repeat(lats[:, None], field.shape[1], axis=1)
    arctic = _area_mean(field, lats, lat2d > 66.5)
    tropics = _area_mean(field, lats, np.abs(lat2d) < 23.5)
    assert arctic > 2.0 and arctic > 2.0 * tropics


def test_arctic_amplification_is_strongest_in_winter() -> None:
    point = (75.0, 40.0)  # Barents Sea
    assert pattern("ghg", *point, "DJF") > pattern("ghg", *point, "annual") > pattern("ghg", *point, "JJA")


def test_local_warming_at_points_land_beats_sea_and_arctic_beats_tropics() -> None:
    sahara, atlantic = (23.0, 10.0), (23.0, -35.0)
    assert _local.local_warming(*sahara, "ssp245", 2080) > _local.local_warming(*atlantic, "ssp245", 2080)
    svalbard, singapore = (78.2, 15.6), (1.3, 103.8)
    assert _local.local_warming(*svalbard, "ssp245", 2080) > 2 * _local.local_warming(*singapore, "ssp245", 2080)


def test_aerosol_cooling_is_concentrated_in_the_northern_hemisphere() -> None:
    assert pattern("aerosol", 45.0, 100.0) > 1.5 * pattern("aerosol", -45.0, 100.0)
