"""Fixed model assumptions: age groups, setting contact matrices, and the course of disease.

These are stylised, documented assumptions of the right order of magnitude for a COVID-19-like respiratory
epidemic in 2020, not a calibration (docs/epidemiology.md lists them with their sources of scale).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SETTINGS = ("home", "school", "work", "community")


@dataclass(frozen=True, eq=False)
class ContactStructure:
    """Age groups and, per setting, contacts per day a person of age a has with people of age b.

    ``matrices[s][a, b]`` obeys reciprocity, ``share[a] * C[a, b] == share[b] * C[b, a]``, so the number of
    contact pairs between two groups is the same counted from either side.
    """

    age_groups: tuple[str, ...]
    shares: np.ndarray  # population share of each age group, sums to 1
    matrices: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        n = len(self.age_groups)
        if self.shares.shape != (n,) or not np.isclose(self.shares.sum(), 1.0):
            raise ValueError("age shares must have one entry per group and sum to 1")
        if set(self.matrices) != set(SETTINGS):
            raise ValueError(f"contact matrices needed for exactly the settings {SETTINGS}")
        for setting, matrix in self.matrices.items():
            pairs = self.shares[:, None] * matrix
            if matrix.shape != (n, n) or np.any(matrix < 0) or not np.allclose(pairs, pairs.T):
                raise ValueError(f"{setting} contact matrix must be ({n}, {n}), non-negative and reciprocal")

    @property
    def total(self) -> np.ndarray:
        return sum((self.matrices[s] for s in SETTINGS), start=np.zeros((len(self.age_groups),) * 2))


def reciprocal_matrix(shares: np.ndarray, upper: dict[tuple[int, int], float]) -> np.ndarray:
    """A contact matrix from its upper triangle (a <= b); the lower triangle follows from reciprocity."""
    n = len(shares)
    matrix = np.zeros((n, n))
    for (a, b), contacts in upper.items():
        if a > b:
            raise ValueError("give contacts for a <= b only")
        matrix[a, b] = contacts
        matrix[b, a] = contacts * shares[a] / shares[b]
    return matrix


# California's 2020 age mix, rounded (about a quarter under 20, 15% aged 65 or more); used for every county.
AGE_GROUPS = ("0-19", "20-64", "65+")
AGE_SHARES = np.array([0.25, 0.60, 0.15])

# Contacts per day of a person of the row group with people of the column group, by setting. Stylised, with the
# overall scale of the POLYMOD diary survey (Mossong et al. 2008, PLoS Med 5:e74): about 14 contacts a day for
# children, 11 for working-age adults and 7 for people over 65.
_CONTACTS_UPPER = {
    "home": {(0, 0): 1.5, (0, 1): 1.6, (0, 2): 0.2, (1, 1): 1.3, (1, 2): 0.2, (2, 2): 1.0},
    "school": {(0, 0): 6.0, (0, 1): 0.6, (1, 1): 0.1},
    "work": {(0, 0): 0.3, (0, 1): 0.3, (1, 1): 4.0, (1, 2): 0.2},
    "community": {(0, 0): 2.0, (0, 1): 1.5, (0, 2): 0.3, (1, 1): 3.0, (1, 2): 0.6, (2, 2): 1.5},
}


def default_contacts() -> ContactStructure:
    matrices = {s: reciprocal_matrix(AGE_SHARES, _CONTACTS_UPPER[s]) for s in SETTINGS}
    return ContactStructure(age_groups=AGE_GROUPS, shares=AGE_SHARES, matrices=matrices)


@dataclass(frozen=True, eq=False)
class DiseaseParameters:
    """Course of infection; rates per day, probabilities per age group (same order as the age groups).

    Exposed people become infectious after ``latent_days``; a fraction ``asymptomatic_fraction`` stays
    asymptomatic and transmits with ``asymptomatic_infectiousness`` relative weight. Symptomatic people are
    hospitalised at the end of their infectious period with ``hospitalisation_probability``; from the ward a
    patient moves to ICU, dies or is discharged; from ICU a patient dies or recovers. Hospital and ICU patients
    are isolated and do not transmit.
    """

    latent_days: float = 3.0
    infectious_days: float = 5.0
    asymptomatic_fraction: float = 0.4
    asymptomatic_infectiousness: float = 0.5
    hospitalisation_probability: np.ndarray = field(default_factory=lambda: np.array([0.004, 0.03, 0.18]))
    ward_days: float = 5.0
    icu_probability: np.ndarray = field(default_factory=lambda: np.array([0.1, 0.2, 0.3]))
    ward_death_probability: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.02, 0.1]))
    icu_days: float = 10.0
    icu_death_probability: np.ndarray = field(default_factory=lambda: np.array([0.1, 0.25, 0.5]))

    def check(self, n_ages: int) -> None:
        for name in (
            "hospitalisation_probability",
            "icu_probability",
            "ward_death_probability",
            "icu_death_probability",
        ):
            values = getattr(self, name)
            if values.shape != (n_ages,) or np.any(values < 0) or np.any(values > 1):
                raise ValueError(f"{name} needs {n_ages} probabilities in [0, 1]")
        if np.any(self.icu_probability + self.ward_death_probability > 1):
            raise ValueError("a ward patient cannot go to ICU and die on the ward with total probability above 1")
        if min(self.latent_days, self.infectious_days, self.ward_days, self.icu_days) <= 0:
            raise ValueError("stage durations must be positive")
        if not (0 <= self.asymptomatic_fraction <= 1 and 0 <= self.asymptomatic_infectiousness <= 1):
            raise ValueError("asymptomatic fraction and infectiousness must lie in [0, 1]")

    @property
    def infectiousness_per_infection(self) -> float:
        """Expected infectious days, weighted by infectiousness, of one new infection."""
        p = self.asymptomatic_fraction
        return (p * self.asymptomatic_infectiousness + (1 - p)) * self.infectious_days
