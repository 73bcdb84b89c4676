"""The climate tools a model can call (registered on import of ``toolwise.tools.climate``)."""

from __future__ import annotations

import difflib
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from toolwise.tools import ToolError, tool
from toolwise.tools.climate import _aerosol, _global, _local
from toolwise.tools.climate._data import cities, cities_by_name, fold
from toolwise.tools.climate._geo import is_land, wrap_longitude

Scenario = Literal["ssp126", "ssp245", "ssp370", "ssp585"]
Season = Literal["annual", "DJF", "JJA"]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=360)]
Year = Annotated[int, Field(ge=1850, le=2100)]
FutureYear = Annotated[int, Field(ge=2015, le=2100)]
Percent = Annotated[float, Field(ge=-100, le=100)]


# A point is an object with both keys; kept inline (no $ref) so every chat template and API renders it.
GeoPoint = dict[Literal["longitude", "latitude"], float]


def _points(items: list[dict[str, float]], what: str) -> tuple[np.ndarray, np.ndarray]:
    """(latitudes, longitudes) of a list of points, or a ToolError naming the bad point."""
    for k, item in enumerate(items):
        missing = {"longitude", "latitude"} - set(item)
        if missing:
            raise ToolError(f"{what} {k} lacks {', '.join(sorted(missing))}: give both longitude and latitude")
        if not -90 <= item["latitude"] <= 90 or not -180 <= item["longitude"] <= 360:
            raise ToolError(f"{what} {k} is out of range: latitude in [-90, 90], longitude in [-180, 360]")
    lat = np.array([p["latitude"] for p in items], dtype=float)
    lon = np.array([p["longitude"] for p in items], dtype=float)
    return lat, lon


def _sig(x: float, digits: int = 4) -> float:
    """Round to significant digits (tools return rounded, stable numbers)."""
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def _c(x: float) -> float:
    return round(float(x), 3)


def _surface(lat: float, lon: float) -> str:
    return "land" if bool(is_land(lat, lon)) else "sea"


def _check_future(year: int) -> None:
    if year < _global.FIRST_SCENARIO_YEAR:
        raise ToolError(
            f"emission perturbations start in {_global.FIRST_SCENARIO_YEAR}; ask about a year from "
            f"{_global.FIRST_SCENARIO_YEAR} to 2100 (got {year})"
        )


@tool
def climate_city_coordinates(city: str, country: str = "") -> dict:
    """Look up a city's latitude and longitude in the bundled GeoNames city table (cities of 300,000+ people and capitals).

    Args:
        city: City name, e.g. "Lagos" or "São Paulo" (case and accents are ignored).
        country: Optional country name or two-letter ISO code to pick between cities of the same name, e.g. "Nigeria" or "NG".
    """
    matches = cities_by_name().get(fold(city), ())
    if country:
        want = fold(country)
        matches = tuple(c for c in matches if want in (fold(c.country), fold(c.country_code)))
    if not matches:
        names = sorted({c.name for c in cities()})
        close = difflib.get_close_matches(city, names, n=5, cutoff=0.75)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        where = f" in {country}" if country else ""
        raise ToolError(f"city '{city}'{where} is not in the city table{hint}")
    best = matches[0]  # most populous
    result = {
        "city": best.name,
        "country": best.country,
        "country_code": best.country_code,
        "latitude": best.latitude,
        "longitude": best.longitude,
        "population": best.population,
    }
    if len(matches) > 1:
        result["other_matches"] = [f"{c.name}, {c.country}" for c in matches[1:5]]
    return result


@tool
def climate_local_temperature(
    latitude: Latitude, longitude: Longitude, year: Year, scenario: Scenario, season: Season = "annual"
) -> dict:
    """Surface air temperature at a place in a year from 1850 to 2100, from the FaIR-based climate emulator with pattern scaling.

    Returns the mean temperature in degrees C and the local warming relative to 1850-1900. Years before 2015 are the historical simulation and are the same for every scenario.

    Args:
        latitude: Degrees north (negative = south).
        longitude: Degrees east (negative = west).
        year: Calendar year, 1850-2100.
        scenario: Emission scenario: ssp126 (SSP1-2.6), ssp245 (SSP2-4.5), ssp370 (SSP3-7.0) or ssp585 (SSP5-8.5).
        season: "annual" mean, "DJF" (December-February) or "JJA" (June-August) mean.
    """
    lon = float(wrap_longitude(longitude))
    temp = _local.local_temperature(latitude, lon, scenario, year, season)
    warming = _local.local_warming(latitude, lon, scenario, year, season)
    return {
        "temperature_C": _c(temp),
        "warming_vs_1850_1900_C": _c(warming),
        "global_mean_warming_vs_1850_1900_C": _c(_global.global_warming(scenario, year)),
        "surface": _surface(latitude, lon),
        "year": year,
        "scenario": scenario,
        "season": season,
    }


@tool
def climate_greenhouse_perturbation(
    latitude: Latitude,
    longitude: Longitude,
    year: FutureYear,
    scenario: Scenario,
    gas: Literal["CO2", "CH4"],
    percent_change: Percent,
    season: Season = "annual",
) -> dict:
    """Temperature at a place when a scenario's CO2 or CH4 emissions are scaled by a percentage in every year from 2015 on.

    A percent_change of 20 multiplies the gas's global emissions by 1.20, -20 by 0.80 (CO2 = fossil + land use). Returns the perturbed and unperturbed temperatures (degrees C) and their difference.

    Args:
        latitude: Degrees north (negative = south).
        longitude: Degrees east (negative = west).
        year: Calendar year, 2015-2100.
        scenario: Emission scenario: ssp126, ssp245, ssp370 or ssp585.
        gas: "CO2" or "CH4".
        percent_change: Change of the gas's emissions in percent, -100 to 100 (e.g. 30 for +30 %, -50 for half).
        season: "annual" mean, "DJF" or "JJA" mean.
    """
    _check_future(year)
    lon = float(wrap_longitude(longitude))
    base = _local.local_temperature(latitude, lon, scenario, year, season)
    global_change = _global.scaled_change(scenario, gas, percent_change, year)
    change = _local.local_change_from_global(latitude, lon, gas, global_change, season)
    return {
        "temperature_C": _c(base + change),
        "baseline_temperature_C": _c(base),
        "temperature_change_C": _c(change),
        "global_mean_temperature_change_C": _c(global_change),
        "year": year,
        "scenario": scenario,
        "gas": gas,
        "percent_change": percent_change,
    }


@tool
def climate_global_temperature(
    year: Year,
    scenario: Scenario,
    co2_percent_change: Percent = 0.0,
    ch4_percent_change: Percent = 0.0,
    so2_percent_change: Percent = 0.0,
    bc_percent_change: Percent = 0.0,
) -> dict:
    """Global-mean surface air temperature change relative to 1850-1900 (degrees C) for a scenario, optionally with global emissions of CO2, CH4, SO2 or black carbon scaled by percentages in every year from 2015 on.

    Args:
        year: Calendar year, 1850-2100 (perturbations act from 2015 on).
        scenario: Emission scenario: ssp126, ssp245, ssp370 or ssp585.
        co2_percent_change: Change of CO2 emissions in percent (-100 to 100; 0 = unchanged).
        ch4_percent_change: Change of CH4 emissions in percent (-100 to 100).
        so2_percent_change: Change of SO2 emissions in percent (-100 to 100).
        bc_percent_change: Change of black carbon emissions in percent (-100 to 100).
    """
    percents = {
        "CO2": co2_percent_change,
        "CH4": ch4_percent_change,
        "SO2": so2_percent_change,
        "BC": bc_percent_change,
    }
    percents = {k: v for k, v in percents.items() if v != 0}
    if percents:
        _check_future(year)
    base, perturbed = _global.perturbed_warming(scenario, year, percents)
    return {
        "warming_vs_1850_1900_C": _c(perturbed),
        "baseline_warming_vs_1850_1900_C": _c(base),
        "change_C": _c(perturbed - base),
        "year": year,
        "scenario": scenario,
    }


def _regional_result(scenario: str, year: int, species: str, percent: float, fraction: float, eff: float) -> dict:
    change = _aerosol.regional_change(scenario, species, year, percent, fraction, eff)
    return {
        "global_mean_temperature_change_C": _sig(change, 4),
        "global_mean_temperature_change_mK": _sig(change * 1000, 4),
        "share_of_global_emissions_percent": _sig(fraction * 100, 4),
        "mean_aerosol_efficiency": _sig(eff, 4),
        "year": year,
        "scenario": scenario,
        "species": species,
        "percent_change": percent,
    }


@tool
def climate_route_aerosol_warming(
    scenario: Scenario,
    year: FutureYear,
    species: Literal["SO2", "BC"],
    percent_change: Percent,
    waypoints: Annotated[list[GeoPoint], Field(min_length=2, max_length=200)],
) -> dict:
    """Global-mean temperature change in a year when the SO2 or black-carbon emissions along a shipping route change by a percentage in every year from 2015 on.

    The route joins consecutive waypoints by great-circle arcs; its emissions are those of a 100 km wide corridor along it. The effect per tonne is larger where there is more sunlight and less rain; its sign is the emulator's global response to the species. Returns the change in degrees C (negative = cooling) and in mK, the route length, and which waypoints lie on land.

    Args:
        scenario: Emission scenario: ssp126, ssp245, ssp370 or ssp585.
        year: Calendar year, 2015-2100.
        species: "SO2" (sulfur dioxide) or "BC" (black carbon).
        percent_change: Change of the route's emissions in percent, -100 to 100 (e.g. 10 for a 10 % increase).
        waypoints: Route points in order, each {"longitude": ..., "latitude": ...} in degrees.
    """
    lat, lon = _points(waypoints, "waypoint")
    lon = wrap_longitude(lon)
    length, fraction, eff = _aerosol.route_effect(lat, lon)
    result = _regional_result(scenario, year, species, percent_change, fraction, eff)
    result["route_length_km"] = round(length, 1)
    result["waypoints_on_land"] = [i for i, land in enumerate(is_land(lat, lon)) if land]
    return result


@tool
def climate_region_aerosol_warming(
    scenario: Scenario,
    year: FutureYear,
    species: Literal["SO2", "BC"],
    percent_change: Percent,
    polygon: Annotated[list[GeoPoint], Field(min_length=3, max_length=200)],
) -> dict:
    """Global-mean temperature change in a year when the SO2 or black-carbon emissions inside a region change by a percentage in every year from 2015 on.

    The region is a polygon in longitude-latitude coordinates (vertices in order, not crossing the 180th meridian). Returns the change in degrees C (negative = cooling) and in mK and the region's area.

    Args:
        scenario: Emission scenario: ssp126, ssp245, ssp370 or ssp585.
        year: Calendar year, 2015-2100.
        species: "SO2" (sulfur dioxide) or "BC" (black carbon).
        percent_change: Change of the region's emissions in percent, -100 to 100.
        polygon: Polygon vertices in order, each {"longitude": ..., "latitude": ...} in degrees.
    """
    lat, lon = _points(polygon, "polygon vertex")
    lon = np.where(lon > 180, lon - 360, lon)
    if lon.max() - lon.min() > 180:
        raise ToolError("the polygon spans more than 180 degrees of longitude; split it at the 180th meridian")
    fraction, eff = _aerosol.polygon_effect(lat, lon)
    if fraction == 0:
        raise ToolError("the polygon encloses no area; give at least three distinct vertices in order")
    result = _regional_result(scenario, year, species, percent_change, fraction, eff)
    result["region_area_km2"] = _sig(fraction * _aerosol.EARTH_AREA_KM2, 4)
    return result


@tool
def climate_land_or_sea(latitude: Latitude, longitude: Longitude) -> dict:
    """Whether a point is on land or at sea (Natural Earth 1:110m coastlines, 0.1 degree cells).

    Args:
        latitude: Degrees north (negative = south).
        longitude: Degrees east (negative = west).
    """
    lon = float(wrap_longitude(longitude))
    return {"latitude": latitude, "longitude": longitude, "surface": _surface(latitude, lon)}
