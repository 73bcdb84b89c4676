"""California counties: 2020 Census populations, the adjacency graph, and cross-county contact shares."""

from __future__ import annotations

import csv
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from toolwise.tools import ToolError

DATA_FILE = Path(__file__).parent / "data" / "california_counties.csv"
STATE_NAME = "California"
CALIFORNIA_POPULATION_2020 = 39_538_223


@dataclass(frozen=True, eq=False)
class CountyNetwork:
    """Counties with their populations and which pairs share a border."""

    names: tuple[str, ...]
    populations: np.ndarray  # people, shape (n,)
    adjacency: np.ndarray  # bool, symmetric, zero diagonal, shape (n, n)

    def __post_init__(self) -> None:
        n = len(self.names)
        if self.populations.shape != (n,) or self.adjacency.shape != (n, n):
            raise ValueError("populations and adjacency must match the number of counties")
        if np.any(self.populations <= 0):
            raise ValueError("county populations must be positive")
        if not np.array_equal(self.adjacency, self.adjacency.T) or np.any(np.diag(self.adjacency)):
            raise ValueError("adjacency must be symmetric with an empty diagonal")

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Position of a county, matching case-insensitively and ignoring a trailing 'County'."""
        lookup = _name_lookup(self.names)
        key = _normalise(name)
        if key in lookup:
            return lookup[key]
        close = difflib.get_close_matches(name.strip().title(), self.names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; call epi_county_list for the names"
        raise ToolError(f"unknown California county '{name}'{hint}")

    def indices(self, names: Sequence[str]) -> list[int]:
        return [self.index(name) for name in names]

    def neighbours(self, name: str) -> list[str]:
        row = self.adjacency[self.index(name)]
        return [self.names[j] for j in np.flatnonzero(row)]

    def contact_shares(self, share_per_neighbour: float) -> np.ndarray:
        """Row-stochastic matrix W: W[i, j] is the share of county i's contacts made with residents of county j.

        A gravity rule on the adjacency graph, W[i, j] = c * N_j / (N_i + N_j) for neighbours, makes the number
        of cross-border contact pairs N_i W[i, j] = c N_i N_j / (N_i + N_j) the same seen from either side
        (reciprocity). The rest of each row stays in the home county.
        """
        pops = self.populations
        pair = share_per_neighbour * pops[None, :] / (pops[:, None] + pops[None, :])
        shares = np.where(self.adjacency, pair, 0.0)
        if np.any(shares.sum(axis=1) >= 1.0):
            raise ValueError("cross-county share too large: a county would have no contacts at home")
        return shares + np.diag(1.0 - shares.sum(axis=1))


def _normalise(name: str) -> str:
    key = " ".join(name.strip().lower().split())
    key = key.removesuffix(", ca").removesuffix(", california")
    return key.removesuffix(" county")


@cache
def _name_lookup(names: tuple[str, ...]) -> dict[str, int]:
    return {_normalise(name): i for i, name in enumerate(names)}


@cache
def california() -> CountyNetwork:
    """The 58 California counties from the shipped CSV (sources in data/README.md)."""
    with open(DATA_FILE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = tuple(row["county"] for row in rows)
    position = {name: i for i, name in enumerate(names)}
    adjacency = np.zeros((len(names), len(names)), dtype=bool)
    for i, row in enumerate(rows):
        for other in row["adjacent_counties"].split(";"):
            adjacency[i, position[other]] = adjacency[position[other], i] = True
    populations = np.array([float(row["population_2020"]) for row in rows])
    return CountyNetwork(names=names, populations=populations, adjacency=adjacency)
