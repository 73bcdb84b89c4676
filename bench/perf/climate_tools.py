"""Climate tool latency: one-time warm-up, then per-call time of every tool with the registry cache bypassed.

    python -m toolwise.bench.perf.climate_tools --calls 200

Arguments vary from call to call (random places, years, scenarios,
percentages, routes of 2-40 waypoints) so that nothing is served from a
cache; the functions are called directly, which is the registry's work minus
argument validation. Figures go to docs/climate.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _time(fn: Callable[[], Any], calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    start = time.perf_counter()
    import toolwise.tools.climate as climate
    from toolwise.tools import get_tool

    climate.warm_up()
    warm_up = time.perf_counter() - start

    def point() -> tuple[float, float]:
        return float(rng.uniform(-80, 80)), float(rng.uniform(-180, 180))

    def route(n: int) -> list[dict[str, float]]:
        lat0, lon0 = point()
        lats = np.clip(lat0 + np.cumsum(rng.uniform(-3, 3, n)), -80, 80)
        lons = lon0 + np.cumsum(rng.uniform(2, 4, n))
        return [
            {"longitude": float((lo + 180) % 360 - 180), "latitude": float(la)}
            for la, lo in zip(lats, lons, strict=True)
        ]

    def hemisphere() -> list[dict[str, float]]:
        lons = np.concatenate([np.linspace(-179, 0, 100), np.linspace(0, -179, 100)])
        lats = np.concatenate([np.full(100, -89.0), np.full(100, 89.0)]) + rng.uniform(-0.5, 0.5, 200)
        return [{"longitude": float(lo), "latitude": float(la)} for lo, la in zip(lons, lats, strict=True)]

    scenarios = ("ssp126", "ssp245", "ssp370", "ssp585")
    cases: dict[str, Callable[[], Any]] = {
        "climate_city_coordinates": lambda: climate.climate_city_coordinates(
            str(rng.choice(["Lagos", "Tokyo", "Lima", "Oslo"]))
        ),
        "climate_local_temperature": lambda: climate.climate_local_temperature(
            *point(),
            int(rng.integers(1850, 2101)),
            str(rng.choice(scenarios)),
            str(rng.choice(["annual", "DJF", "JJA"])),
        ),
        "climate_greenhouse_perturbation": lambda: climate.climate_greenhouse_perturbation(
            *point(),
            int(rng.integers(2015, 2101)),
            str(rng.choice(scenarios)),
            str(rng.choice(["CO2", "CH4"])),
            float(rng.uniform(-100, 100)),
        ),
        "climate_global_temperature": lambda: climate.climate_global_temperature(
            int(rng.integers(2015, 2101)),
            str(rng.choice(scenarios)),
            float(rng.uniform(-100, 100)),
            float(rng.uniform(-100, 100)),
            float(rng.uniform(-100, 100)),
            float(rng.uniform(-100, 100)),
        ),
        "climate_route_aerosol_warming (40 waypoints)": lambda: climate.climate_route_aerosol_warming(
            str(rng.choice(scenarios)), int(rng.integers(2015, 2101)), "SO2", 10.0, route(40)
        ),
        "climate_region_aerosol_warming (20x20 deg)": lambda: climate.climate_region_aerosol_warming(
            str(rng.choice(scenarios)),
            int(rng.integers(2015, 2101)),
            "BC",
            10.0,
            [{"longitude": lo, "latitude": la} for lo, la in [(-40, 0), (-20, 0), (-20, 20), (-40, 20)]],
        ),
        "climate_route_aerosol_warming (200 waypoints, round the world)": lambda: climate.climate_route_aerosol_warming(
            "ssp585",
            int(rng.integers(2015, 2101)),
            "SO2",
            10.0,
            [{"longitude": float(lo), "latitude": float(rng.uniform(-5, 5))} for lo in np.linspace(-179, 179, 200)],
        ),
        "climate_region_aerosol_warming (hemisphere, 200 vertices)": lambda: climate.climate_region_aerosol_warming(
            "ssp126",
            int(rng.integers(2015, 2101)),
            "SO2",
            10.0,
            hemisphere(),
        ),
        "climate_land_or_sea": lambda: climate.climate_land_or_sea(*point()),
    }
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"one-time warm-up (imports, data, grids): {warm_up * 1000:.0f} ms\n")
    print("| tool | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    slowest = 0.0
    for name, fn in cases.items():
        times = sorted(_time(fn, args.calls))
        p95 = times[int(0.95 * (len(times) - 1))]
        slowest = max(slowest, times[-1])
        print(f"| {name} | {statistics.median(times):.2f} | {p95:.2f} | {times[-1]:.2f} |")
    registry = get_tool("climate_local_temperature")
    times = sorted(
        _time(
            lambda: registry.call({"latitude": 1.0, "longitude": 2.0, "year": 2050, "scenario": "ssp245"}), args.calls
        )
    )
    print(f"\nregistry call served from its cache: median {statistics.median(times):.3f} ms")
    print(f"slowest single call: {slowest:.1f} ms")


if __name__ == "__main__":
    main()
