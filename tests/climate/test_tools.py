"""The climate tools as a model meets them: schemas, lookups, units, signs, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import toolwise.tools.climate as climate
from toolwise.tools import get_tool
from toolwise.tools.climate import _aerosol, _global
from toolwise.tools.climate._data import climatology
from toolwise.tools.climate._geo import bilinear


def call(name: str, **arguments):
    result = get_tool(name).call(arguments)
    assert result.ok, result.error
    return result.value


def error(name: str, **arguments) -> str:
    result = get_tool(name).call(arguments)
    assert not result.ok
    return result.error


def test_every_tool_is_registered_with_a_valid_name_and_documented_schema() -> None:
    for name in climate.TOOL_NAMES:
        spec = get_tool(name)
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name)
        assert spec.description
        for pname, prop in spec.parameters["properties"].items():
            assert prop.get("description") or "$ref" in str(prop), f"{name}.{pname} undocumented"


def test_city_lookup_ignores_case_and_accents_and_disambiguates_by_country() -> None:
    lagos = call("climate_city_coordinates", city="lagos")
    assert lagos["country_code"] == "NG" and lagos["latitude"] == pytest.approx(6.45, abs=0.05)
    assert call("climate_city_coordinates", city="Sao Paulo")["city"] == "São Paulo"
    valencia = call("climate_city_coordinates", city="Valencia", country="Venezuela")
    assert valencia["country_code"] == "VE" and valencia["longitude"] < 0
    assert "Londn" in error("climate_city_coordinates", city="Londn") and "London" in error(
        "climate_city_coordinates", city="Londn"
    )


def test_local_temperature_matches_the_era5_climatology_over_its_base_period() -> None:
    lat, lon = 38.7251, -9.1498  # Lisbon
    mean_2000_2025 = np.mean(
        [climate.climate_local_temperature(lat, lon, y, "ssp245")["temperature_C"] for y in range(2000, 2026)]
    )
    clim = climatology()
    assert mean_2000_2025 == pytest.approx(float(bilinear(clim.temperature["annual"], clim.step, lat, lon)), abs=0.01)
    assert 15.0 < mean_2000_2025 < 18.0  # Lisbon's observed annual mean is about 17 C


def test_local_temperature_geography_and_seasons_make_sense() -> None:
    singapore = call("climate_local_temperature", latitude=1.29, longitude=103.85, year=2050, scenario="ssp245")
    oslo = call("climate_local_temperature", latitude=59.91, longitude=10.75, year=2050, scenario="ssp245")
    assert singapore["temperature_C"] > oslo["temperature_C"] + 15
    assert oslo["warming_vs_1850_1900_C"] > singapore["warming_vs_1850_1900_C"]
    moscow = {
        s: call("climate_local_temperature", latitude=55.75, longitude=37.62, year=2000, scenario="ssp126", season=s)[
            "temperature_C"
        ]
        for s in ("DJF", "JJA")
    }
    assert moscow["JJA"] - moscow["DJF"] > 20


def test_years_before_2015_are_the_same_in_every_scenario_and_later_ones_differ() -> None:
    past = {
        s: call("climate_local_temperature", latitude=30, longitude=31, year=1990, scenario=s)["temperature_C"]
        for s in _global.SCENARIOS
    }
    assert len(set(past.values())) == 1
    future = [
        call("climate_local_temperature", latitude=30, longitude=31, year=2090, scenario=s)["temperature_C"]
        for s in _global.SCENARIOS
    ]
    assert future == sorted(future)


def test_longitude_east_of_180_is_wrapped() -> None:
    a = call("climate_local_temperature", latitude=21.3, longitude=-157.86, year=2050, scenario="ssp370")
    b = call("climate_local_temperature", latitude=21.3, longitude=202.14, year=2050, scenario="ssp370")
    assert a["temperature_C"] == pytest.approx(b["temperature_C"], abs=1e-3)


def test_land_or_sea_does_not_swap_latitude_and_longitude() -> None:
    assert call("climate_land_or_sea", latitude=48.85, longitude=2.35)["surface"] == "land"  # Paris
    assert call("climate_land_or_sea", latitude=2.35, longitude=48.85)["surface"] == "sea"  # Indian Ocean
    assert call("climate_land_or_sea", latitude=0.0, longitude=-30.0)["surface"] == "sea"
    assert call("climate_land_or_sea", latitude=-80.0, longitude=0.0)["surface"] == "land"  # Antarctica


def test_greenhouse_perturbation_signs_and_errors() -> None:
    up = call(
        "climate_greenhouse_perturbation",
        latitude=52.5,
        longitude=13.4,
        year=2080,
        scenario="ssp245",
        gas="CO2",
        percent_change=30,
    )
    down = call(
        "climate_greenhouse_perturbation",
        latitude=52.5,
        longitude=13.4,
        year=2080,
        scenario="ssp245",
        gas="CO2",
        percent_change=-30,
    )
    assert up["temperature_change_C"] > 0 > down["temperature_change_C"]
    assert up["temperature_C"] == pytest.approx(up["baseline_temperature_C"] + up["temperature_change_C"], abs=2e-3)
    assert "2015" in error(
        "climate_greenhouse_perturbation",
        latitude=0,
        longitude=0,
        year=2010,
        scenario="ssp245",
        gas="CH4",
        percent_change=10,
    )
    assert "percent_change" in error(
        "climate_greenhouse_perturbation",
        latitude=0,
        longitude=0,
        year=2050,
        scenario="ssp245",
        gas="CH4",
        percent_change=150,
    )
    assert "scenario" in error("climate_local_temperature", latitude=0, longitude=0, year=2050, scenario="rcp45")


def test_global_temperature_with_several_perturbations_adds_their_effects() -> None:
    base = call("climate_global_temperature", year=2070, scenario="ssp370")
    co2 = call("climate_global_temperature", year=2070, scenario="ssp370", co2_percent_change=40)
    so2 = call("climate_global_temperature", year=2070, scenario="ssp370", so2_percent_change=-60)
    both = call(
        "climate_global_temperature", year=2070, scenario="ssp370", co2_percent_change=40, so2_percent_change=-60
    )
    assert base["change_C"] == 0 and co2["change_C"] > 0 and so2["change_C"] > 0  # less SO2 = less cooling
    assert both["change_C"] == pytest.approx(co2["change_C"] + so2["change_C"], abs=2e-3)


ROUTE = [
    {"longitude": -9.15, "latitude": 38.7},
    {"longitude": -30.0, "latitude": 30.0},
    {"longitude": -60.0, "latitude": 25.0},
]


def test_route_so2_cools_bc_follows_the_global_response_and_the_percentage_is_a_percentage() -> None:
    so2 = {
        p: call(
            "climate_route_aerosol_warming",
            scenario="ssp245",
            year=2060,
            species="SO2",
            percent_change=p,
            waypoints=ROUTE,
        )["global_mean_temperature_change_C"]
        for p in (5, 10)
    }
    bc = call(
        "climate_route_aerosol_warming", scenario="ssp245", year=2060, species="BC", percent_change=10, waypoints=ROUTE
    )["global_mean_temperature_change_C"]
    assert so2[10] < 0
    assert np.sign(bc) == np.sign(_global.sensitivity_per_percent("ssp245", "BC", 2060))
    assert so2[5] == pytest.approx(so2[10] / 2, rel=1e-3)  # 5 % is half of 10 %, not a factor 6 vs 11


def test_route_tool_reports_length_and_land_points() -> None:
    out = call(
        "climate_route_aerosol_warming",
        scenario="ssp126",
        year=2050,
        species="BC",
        percent_change=10,
        waypoints=[{"longitude": 2.35, "latitude": 48.85}, {"longitude": -30.0, "latitude": 45.0}],
    )
    assert out["waypoints_on_land"] == [0]
    assert 2300 < out["route_length_km"] < 2600


def test_two_hemisphere_polygons_add_up_to_a_global_scaling() -> None:
    # emissions raised by p % everywhere = the two half-globe regions together; this holds only if the
    # efficiency map has an area-weighted (not unweighted) global mean of 1
    west = [{"longitude": lo, "latitude": la} for lo, la in [(-180, -90), (0, -90), (0, 90), (-180, 90)]]
    east = [{"longitude": lo, "latitude": la} for lo, la in [(0, -90), (180, -90), (180, 90), (0, 90)]]
    total = sum(
        call(
            "climate_region_aerosol_warming",
            scenario="ssp245",
            year=2070,
            species="SO2",
            percent_change=2,
            polygon=poly,
        )["global_mean_temperature_change_C"]
        for poly in (west, east)
    )
    assert total == pytest.approx(_global.sensitivity_per_percent("ssp245", "SO2", 2070) * 2, rel=5e-3)
    assert total == pytest.approx(_global.scaled_change("ssp245", "SO2", 2, 2070), rel=0.03)  # linear at 2 %


def test_aerosol_efficiency_is_larger_where_it_is_sunny_and_dry() -> None:
    assert _aerosol.efficiency(-20.0, -85.0) > 2 * _aerosol.efficiency(60.0, -30.0)  # SE Pacific vs N Atlantic
    assert _aerosol.efficiency(20.0, -25.0) > _aerosol.efficiency(5.0, -25.0)  # dry subtropics vs rainy ITCZ
    q = _aerosol.annual_mean_insolation(np.array([0.0, 90.0]))
    assert q[0] == pytest.approx(418, abs=6) and q[1] == pytest.approx(173, abs=6)  # textbook values, S0 = 1361


def test_polygon_errors_are_readable() -> None:
    wide = [{"longitude": lo, "latitude": la} for lo, la in [(-170, 0), (170, 0), (170, 10)]]
    assert "180" in error(
        "climate_region_aerosol_warming", scenario="ssp245", year=2050, species="BC", percent_change=10, polygon=wide
    )
