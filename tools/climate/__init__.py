"""Climate tools: a distributable emulator (FaIR ensemble + pattern scaling) of temperature by place, year and scenario.

Importing this package registers the tools (``climate_*``) with the toolwise
tool registry. Data sources and licences: ``data/README.md``.
"""

from toolwise.tools.climate._local import warm_up
from toolwise.tools.climate.tools import (
    GeoPoint,
    climate_city_coordinates,
    climate_global_temperature,
    climate_greenhouse_perturbation,
    climate_land_or_sea,
    climate_local_temperature,
    climate_region_aerosol_warming,
    climate_route_aerosol_warming,
)

TOOL_NAMES = (
    "climate_city_coordinates",
    "climate_local_temperature",
    "climate_greenhouse_perturbation",
    "climate_global_temperature",
    "climate_route_aerosol_warming",
    "climate_region_aerosol_warming",
    "climate_land_or_sea",
)

__all__ = [
    "TOOL_NAMES",
    "GeoPoint",
    "climate_city_coordinates",
    "climate_global_temperature",
    "climate_greenhouse_perturbation",
    "climate_land_or_sea",
    "climate_local_temperature",
    "climate_region_aerosol_warming",
    "climate_route_aerosol_warming",
    "warm_up",
]
