"""Loading the shipped tables once per process (see data/README.md for sources and licences)."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class FairResponses:
    """Ensemble-mean GSAT anomalies (K, relative to 1850-1900) from the precomputed FaIR runs."""

    years: np.ndarray  # (n_years,) 1850..2100
    scenarios: tuple[str, ...]
    species: tuple[str, ...]
    percent_grid: np.ndarray  # (n_pct,) -100..100
    perturbation_start: int
    baseline: np.ndarray  # (scenario, year)
    no_aerosol: np.ndarray  # (scenario, year)
    scaled: np.ndarray  # (scenario, species, percent, year)
    combo: np.ndarray  # (scenario, year): all four species perturbed at once (full ensemble)
    combo_percents: dict[str, float]
    late_century_percentiles: np.ndarray  # (scenario, 3): 5/50/95 % of 2081-2100 means
    recent_decade_percentiles: np.ndarray  # (3,): 2011-2020, SSP2-4.5 members
    n_members: int


ENSEMBLES = ("mean", "half0", "half1")
_active = {"ensemble": "mean"}


def active_ensemble() -> str:
    return _active["ensemble"]


@contextmanager
def use_ensemble(name: str) -> Iterator[None]:
    """Temporarily read the mean of one half of the members (``half0``/``half1``): for robustness checks only."""
    if name not in ENSEMBLES:
        raise ValueError(f"unknown ensemble {name!r}; choose from {ENSEMBLES}")
    previous = _active["ensemble"]
    _active["ensemble"] = name
    try:
        yield
    finally:
        _active["ensemble"] = previous


def fair_responses() -> FairResponses:
    return _load_fair(_active["ensemble"])


@cache
def _load_fair(ensemble: str) -> FairResponses:
    suffix = "" if ensemble == "mean" else f"_{ensemble}"
    with np.load(DATA_DIR / "fair_responses.npz") as z:
        return FairResponses(
            years=z["years"].astype(int),
            scenarios=tuple(str(s) for s in z["ssps"]),
            species=tuple(str(s) for s in z["species"]),
            percent_grid=z["percent_grid"].astype(float),
            perturbation_start=int(z["perturbation_start"]),
            baseline=z["baseline" + suffix].astype(float),
            no_aerosol=z["no_aerosol" + suffix].astype(float),
            scaled=z["scaled" + suffix].astype(float),
            combo=z["combo"].astype(float),
            combo_percents=dict(zip((str(s) for s in z["species"]), z["combo_percents"].astype(float), strict=True)),
            late_century_percentiles=z["late_century_percentiles"],
            recent_decade_percentiles=z["recent_decade_percentiles"],
            n_members=len(z["configs"]),
        )


@dataclass(frozen=True)
class Climatology:
    """ERA5 2000-2025 2-m air temperature (degrees C) and precipitation (mm/day)."""

    temperature: dict[str, np.ndarray]  # season -> (lat 90..-90, lon 0..360) on `step`
    step: float
    precip_mm_day: np.ndarray  # (lat 90..-90, lon 0..359) on `precip_step`
    precip_step: float
    base_period: tuple[int, int]


@cache
def climatology() -> Climatology:
    with np.load(DATA_DIR / "climatology.npz") as z:
        fields = [str(f) for f in z["fields"]]
        temps = z["temperature_centi_c"].astype(float) / 100.0
        return Climatology(
            temperature={name: temps[i] for i, name in enumerate(fields)},
            step=float(z["step"]),
            precip_mm_day=z["precip_mm_day"].astype(float),
            precip_step=float(z["precip_step"]),
            base_period=(int(z["base_period"][0]), int(z["base_period"][1])),
        )


@cache
def land_mask() -> tuple[np.ndarray, float]:
    """Boolean land mask (rows north to south from 90N, columns east from 180W) and its cell size in degrees."""
    with np.load(DATA_DIR / "landmask.npz") as z:
        shape = tuple(int(s) for s in z["shape"])
        bits = np.unpackbits(z["land_bits"])[: shape[0] * shape[1]]
        return bits.reshape(shape).astype(bool), float(z["step"])


@dataclass(frozen=True)
class City:
    name: str
    country_code: str
    country: str
    latitude: float
    longitude: float
    population: int
    capital: bool


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, for lookups."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


@cache
def cities() -> tuple[City, ...]:
    with open(DATA_DIR / "cities.csv", encoding="utf-8", newline="") as fh:
        return tuple(
            City(
                name=row["name"],
                country_code=row["country_code"],
                country=row["country"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                population=int(row["population"]),
                capital=row["capital"] == "1",
            )
            for row in csv.DictReader(fh)
        )


@cache
def cities_by_name() -> dict[str, tuple[City, ...]]:
    index: dict[str, list[City]] = {}
    for city in cities():  # most populous first
        index.setdefault(fold(city.name), []).append(city)
    return {k: tuple(v) for k, v in index.items()}
