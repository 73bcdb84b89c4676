"""The climate domain's performance probe: aerosol geometries beyond the test split, up to the worst case.

Routes and regions cost in proportion to the cells they cover, so the probe times random routes of 40 and
200 waypoints (round the world) and regions from 20x20 degrees to a 200-vertex hemisphere, through the
registry with the cache cleared; every run draws new arguments (seeded), so nothing repeats.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from toolwise.tools import get_tool

SCENARIOS = ("ssp126", "ssp245", "ssp370", "ssp585")


def _route(rng: np.random.Generator, n: int) -> list[dict[str, float]]:
    lats = np.clip(rng.uniform(-80, 80) + np.cumsum(rng.uniform(-3, 3, n)), -80, 80)
    lons = rng.uniform(-180, 180) + np.cumsum(rng.uniform(2, 4, n))
    lons = (lons + 180) % 360 - 180
    return [{"longitude": float(lo), "latitude": float(la)} for la, lo in zip(lats, lons, strict=True)]


def _hemisphere(rng: np.random.Generator) -> list[dict[str, float]]:
    lons = np.concatenate([np.linspace(-179, 0, 100), np.linspace(0, -179, 100)])
    lats = np.concatenate([np.full(100, -89.0), np.full(100, 89.0)]) + rng.uniform(-0.5, 0.5, 200)
    return [{"longitude": float(lo), "latitude": float(la)} for lo, la in zip(lons, lats, strict=True)]


def probe(repeats: int) -> dict[str, list[float]]:
    """Milliseconds per call of each geometry, ``10 * repeats`` random calls each."""
    rng = np.random.default_rng(0)
    square = [{"longitude": lo, "latitude": la} for lo, la in [(-40, 0), (-20, 0), (-20, 20), (-40, 20)]]
    around = [{"longitude": float(lo), "latitude": 0.0} for lo in np.linspace(-179, 179, 200)]
    route, region = ("climate_route_aerosol_warming", "waypoints"), ("climate_region_aerosol_warming", "polygon")
    cases: dict[str, tuple[tuple[str, str], Callable[[], Any]]] = {
        "route, 40 waypoints": (route, lambda: _route(rng, 40)),
        "route, 200 waypoints round the world": (route, lambda: around),
        "region, 20x20 degrees": (region, lambda: square),
        "region, hemisphere of 200 vertices": (region, lambda: _hemisphere(rng)),
    }
    out: dict[str, list[float]] = {}
    for name, ((tool, field), points) in cases.items():
        spec = get_tool(tool)
        out[name] = []
        for _ in range(10 * repeats):
            spec.clear_cache()
            year, scenario = int(rng.integers(2015, 2101)), str(rng.choice(SCENARIOS))
            args = {"scenario": scenario, "year": year, "species": "SO2", "percent_change": 10.0, field: points()}
            outcome = spec.call(args)
            if not outcome.ok:
                raise RuntimeError(f"{name}: {outcome.error}")
            out[name].append(1000 * outcome.seconds)
    return out
