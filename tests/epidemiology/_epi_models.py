"""Small hand-made model configurations for physics tests."""

from __future__ import annotations

import numpy as np

from toolwise.tools.epidemiology import ContactStructure, CountyNetwork, DiseaseParameters, EpidemicModel

CONTACTS_PER_DAY = {"home": 3.0, "school": 2.0, "work": 3.0, "community": 2.0}  # 10 a day in all


def one_age_group() -> ContactStructure:
    matrices = {s: np.array([[c]]) for s, c in CONTACTS_PER_DAY.items()}
    return ContactStructure(age_groups=("all",), shares=np.array([1.0]), matrices=matrices)


def one_age_disease() -> DiseaseParameters:
    return DiseaseParameters(
        hospitalisation_probability=np.array([0.05]),
        icu_probability=np.array([0.2]),
        ward_death_probability=np.array([0.05]),
        icu_death_probability=np.array([0.3]),
    )


def homogeneous_model(populations: list[float], edges: list[tuple[int, int]] = ()) -> EpidemicModel:
    """Counties named c0, c1, ... with one age group; ``edges`` couple them at work and in the community."""
    n = len(populations)
    adjacency = np.zeros((n, n), dtype=bool)
    for i, j in edges:
        adjacency[i, j] = adjacency[j, i] = True
    network = CountyNetwork(names=tuple(f"c{i}" for i in range(n)), populations=np.array(populations, float),
                            adjacency=adjacency)  # fmt: skip
    return EpidemicModel(network, one_age_group(), one_age_disease())
