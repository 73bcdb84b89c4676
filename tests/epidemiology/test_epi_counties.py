"""The shipped county data: 2020 Census populations, the symmetrised adjacency, name lookup, contact shares."""

from __future__ import annotations

import numpy as np
import pytest

from toolwise.tools import ToolError
from toolwise.tools.epidemiology import california
from toolwise.tools.epidemiology._counties import CALIFORNIA_POPULATION_2020


def test_58_counties_sum_to_californias_2020_census_count() -> None:
    network = california()
    assert network.size == 58
    assert int(network.populations.sum()) == CALIFORNIA_POPULATION_2020 == 39_538_223
    assert network.populations[network.index("Los Angeles")] == 10_014_009
    assert network.populations[network.index("Alpine")] == 1_204  # the smallest county


def test_adjacency_is_the_symmetrised_census_graph() -> None:
    network = california()
    adjacency = network.adjacency
    assert np.array_equal(adjacency, adjacency.T)
    assert adjacency.sum() // 2 == 144
    degrees = adjacency.sum(axis=1)
    assert degrees.min() == 2 and degrees.max() == 8
    # Los Angeles lists Kern only on Kern's row in the Census file; symmetrising restores the pair.
    assert set(network.neighbours("Los Angeles")) == {"Kern", "Orange", "San Bernardino", "Ventura"}
    assert "Contra Costa" in network.neighbours("San Francisco")  # water adjacency, as in the Census file


@pytest.mark.parametrize(
    "spelling", ["Los Angeles", "los angeles", "Los Angeles County", " LOS  ANGELES ", "Los Angeles, CA"]
)
def test_county_names_match_loosely(spelling: str) -> None:
    network = california()
    assert network.names[network.index(spelling)] == "Los Angeles"


def test_unknown_county_suggests_the_closest_name() -> None:
    with pytest.raises(ToolError, match="did you mean Los Angeles"):
        california().index("Los Angelos")
    with pytest.raises(ToolError, match="unknown California county"):
        california().index("Manhattan")


def test_cross_county_contacts_are_row_stochastic_and_reciprocal() -> None:
    network = california()
    shares = network.contact_shares(0.05)
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert np.all(shares >= 0)
    off = shares - np.diag(np.diag(shares))
    assert np.array_equal(off > 0, network.adjacency)  # only neighbours share contacts
    pairs = network.populations[:, None] * shares  # contact pairs between counties, seen from each side
    assert np.allclose(pairs, pairs.T)
    assert np.diag(shares).min() > 0.5  # most contacts stay in the home county
