"""The physical settings of the PDE questions: what diffuses, in what units, over which parameter ranges.

Ranges follow the AWL paper's PDE generator (research/paper.md §1.3) where they
are physically sensible, and are widened where the paper's would leave nothing
to ask: its chemical-diffusion runs (√(D·t) ≤ 1 cm in tubes up to 10 cm) and
population runs (√(D·t) ≤ 3 km over up to 100 km) barely move from the initial
state. Diffusivities: metals and stone ~0.01–1.2 cm²/s; solutes in gels and
liquids 1e-5–1e-3 cm²/s; animal dispersal (Skellam's muskrat) ~10–200 km²/year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scenario:
    name: str
    process: str  # "heat conduction"
    quantity: str  # "temperature"
    unit: str  # "°C"
    length_unit: str
    time_unit: str
    medium_1d: str  # "rod"
    medium_2d: str  # "plate"
    diffusivity_range: tuple[float, float]
    diffusivity_decimals: int
    length_range: tuple[float, float]  # 1-D length and 2-D sides
    length_quantum: float
    time_range: tuple[float, float]
    time_quantum: float
    value_range: tuple[float, float]
    value_decimals: int
    coordinate_decimals: int

    @property
    def diffusivity_unit(self) -> str:
        return f"{self.length_unit}²/{'s' if self.time_unit == 's' else 'year'}"

    def diffusivity(self, rng: np.random.Generator) -> float:
        return round(float(rng.uniform(*self.diffusivity_range)), self.diffusivity_decimals)

    def length(self, rng: np.random.Generator, low: float | None = None, high: float | None = None) -> float:
        lo, hi = low or self.length_range[0], high or self.length_range[1]
        return _quantised(rng.uniform(lo, hi), self.length_quantum)

    def time(self, rng: np.random.Generator) -> float:
        return _quantised(rng.uniform(*self.time_range), self.time_quantum)

    def value(self, rng: np.random.Generator) -> float:
        return round(float(rng.uniform(*self.value_range)), self.value_decimals)

    def coordinate(self, rng: np.random.Generator, length: float) -> float:
        """An interior point, away from the walls (values on a Dirichlet wall are given, not asked)."""
        return round(float(rng.uniform(0.1 * length, 0.9 * length)), self.coordinate_decimals)


def _quantised(x: float, quantum: float) -> float:
    q = max(quantum, round(x / quantum) * quantum)
    return float(round(q, 6))


HEAT = Scenario(
    name="heat_conduction",
    process="heat conduction",
    quantity="temperature",
    unit="°C",
    length_unit="cm",
    time_unit="s",
    medium_1d="metal rod",
    medium_2d="thin metal plate",
    diffusivity_range=(0.1, 1.0),
    diffusivity_decimals=2,
    length_range=(10, 100),
    length_quantum=1,
    time_range=(60, 600),
    time_quantum=10,
    value_range=(0, 100),
    value_decimals=0,
    coordinate_decimals=0,
)

CHEMICAL = Scenario(
    name="chemical_diffusion",
    process="chemical diffusion",
    quantity="concentration",
    unit="mol/L",
    length_unit="cm",
    time_unit="s",
    medium_1d="gel-filled tube",
    medium_2d="thin gel sheet",
    diffusivity_range=(0.0001, 0.001),
    diffusivity_decimals=5,
    length_range=(1, 5),
    length_quantum=0.5,
    time_range=(300, 3600),
    time_quantum=60,
    value_range=(0, 2),
    value_decimals=2,
    coordinate_decimals=2,
)

POPULATION = Scenario(
    name="population_spread",
    process="population spread",
    quantity="population density",
    unit="individuals/km²",
    length_unit="km",
    time_unit="years",
    medium_1d="narrow valley",
    medium_2d="rectangular region",
    diffusivity_range=(1, 20),
    diffusivity_decimals=1,
    length_range=(10, 100),
    length_quantum=1,
    time_range=(1, 20),
    time_quantum=1,
    value_range=(0, 500),
    value_decimals=0,
    coordinate_decimals=0,
)

DIFFUSION_SCENARIOS = (HEAT, CHEMICAL, POPULATION)


@dataclass(frozen=True)
class InvasionRanges:
    """Fisher–KPP population invasion (units: km, years, individuals/km²)."""

    diffusivity: tuple[float, float] = (1.0, 20.0)  # km²/year
    growth_rate: tuple[float, float] = (0.2, 1.0)  # 1/year
    capacity: tuple[int, int] = (10, 100)  # × 10 individuals/km²
    length: tuple[int, int] = (5, 20)  # × 10 km
    time: tuple[int, int] = (5, 30)  # years
    occupied: tuple[int, int] = (5, 20)  # km
    max_growth_times_time: float = 20.0


INVASION = InvasionRanges()
