"""A deterministic age- and county-structured SEIR-type epidemic model, integrated with scipy.

Compartments per county and age group: susceptible S, exposed E, infectious asymptomatic Ia and symptomatic Is,
hospitalised on a ward H, in intensive care U, recovered R, dead D (their sum is the population and is
conserved), plus three running counts: infections, hospital admissions and ICU admissions.

Transmission: the force of infection on group (i, a) is

    lambda_ia(t) = beta * season(t) * sum_s m_s,i(t) * sum_jb W^s_ij C^s_ab (Is_jb + q Ia_jb) / N_jb

over the settings s (home, school, work, community), where C^s is the age contact matrix, m_s,i the share of
contacts left by interventions in county i, and W^s the share of contacts made with residents of county j (the
identity at home and school, a gravity rule on the adjacency graph at work and in the community; commuting and
travel restrictions cut the off-diagonal part). beta is set so that the spectral radius of the next-generation
matrix without interventions at the seasonal peak equals R0.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.integrate import solve_ivp

from toolwise.tools.epidemiology._counties import CountyNetwork, california
from toolwise.tools.epidemiology._parameters import (
    SETTINGS,
    ContactStructure,
    DiseaseParameters,
    default_contacts,
)

COMPARTMENTS = ("S", "E", "Ia", "Is", "H", "U", "R", "D")
RUNNING_COUNTS = ("infections", "admissions", "icu_admissions")
STATE_ROWS = COMPARTMENTS + RUNNING_COUNTS
_ROW = {name: k for k, name in enumerate(STATE_ROWS)}

# Kinds of intervention: a contact reduction in one setting, school closure (scales school contacts like a
# reduction), and restrictions of cross-county contacts at work (commuting) and elsewhere (travel).
INTERVENTION_KINDS = ("home", "school", "work", "community", "school_closure", "commuting", "travel")

DEFAULT_RTOL = 1e-6  # relative integrator tolerance of the tools; keys are checked at 1e-10
DEFAULT_ATOL = 1e-6  # people
SEASONAL_PEAK_DAY_OF_YEAR = 15  # mid-January; the trough is half a year later, mid-July
DAYS_PER_YEAR = 365.0

# Share of a person's work (community) contacts made with each neighbouring county, before the gravity weighting.
WORK_SHARE_PER_NEIGHBOUR = 0.05
COMMUNITY_SHARE_PER_NEIGHBOUR = 0.02


@dataclass(frozen=True, eq=False)
class Measure:
    """An intervention as the model sees it: per-county strength (share removed) over [start_day, end_day)."""

    kind: str
    strengths: np.ndarray  # shape (n_counties,), each in [0, 1]
    start_day: float = 0.0
    end_day: float = np.inf

    def __post_init__(self) -> None:
        if self.kind not in INTERVENTION_KINDS:
            raise ValueError(f"unknown intervention kind {self.kind!r}; known: {INTERVENTION_KINDS}")
        if np.any(self.strengths < 0) or np.any(self.strengths > 1):
            raise ValueError("intervention strengths must lie in [0, 1]")
        if not self.start_day < self.end_day:
            raise ValueError("an intervention must end after it starts")
        if self.start_day % 1 or (np.isfinite(self.end_day) and self.end_day % 1):
            raise ValueError("interventions start and end on whole days")

    def active(self, t: float) -> bool:
        return self.start_day <= t < self.end_day


@dataclass(frozen=True, eq=False)
class Scenario:
    """Everything a forecast depends on."""

    r0: float
    seeds: np.ndarray  # people newly infected (exposed) on day 0, per county
    seasonality_min: float = 1.0
    start_day_of_year: int = 1
    measures: tuple[Measure, ...] = ()

    def season(self, t: float | np.ndarray) -> float | np.ndarray:
        """Transmission multiplier: 1 on 15 January, ``seasonality_min`` half a year later (cosine in between)."""
        phase = 2 * np.pi * (self.start_day_of_year + t - SEASONAL_PEAK_DAY_OF_YEAR) / DAYS_PER_YEAR
        return 1.0 - (1.0 - self.seasonality_min) * 0.5 * (1.0 - np.cos(phase))


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Model state on every whole day 0..days, summed over age groups: ``states[row, day, county]``."""

    network: CountyNetwork
    states: np.ndarray

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.states.shape[1])

    def row(self, name: str) -> np.ndarray:
        return self.states[_ROW[name]]

    def population(self) -> np.ndarray:
        """Sum of the eight compartments per day and county (constant in time)."""
        return self.states[: len(COMPARTMENTS)].sum(axis=0)


class EpidemicModel:
    """The metapopulation model over a county network; build once, simulate many scenarios."""

    def __init__(
        self,
        network: CountyNetwork,
        contacts: ContactStructure | None = None,
        disease: DiseaseParameters | None = None,
        work_share_per_neighbour: float = WORK_SHARE_PER_NEIGHBOUR,
        community_share_per_neighbour: float = COMMUNITY_SHARE_PER_NEIGHBOUR,
    ) -> None:
        self.network = network
        self.rtol = DEFAULT_RTOL
        self.atol = DEFAULT_ATOL
        self.contacts = contacts or default_contacts()
        self.disease = disease or DiseaseParameters()
        self.n_ages = len(self.contacts.age_groups)
        self.disease.check(self.n_ages)
        self.n_counties = network.size
        self.n_groups = self.n_counties * self.n_ages
        self.group_population = np.outer(network.populations, self.contacts.shares).ravel()
        identity = np.eye(self.n_counties)
        self.county_shares = {
            "home": identity,
            "school": identity,
            "work": network.contact_shares(work_share_per_neighbour),
            "community": network.contact_shares(community_share_per_neighbour),
        }
        # Spectral radius of the next-generation matrix per unit beta. With row-stochastic county shares the
        # vector (1, ..., 1) x v is a positive eigenvector, so the radius is that of the age matrix alone.
        age_ngm = self.contacts.total * self.disease.infectiousness_per_infection
        self.ngm_radius_per_beta = float(np.max(np.abs(np.linalg.eigvals(age_ngm))))
        d = self.disease
        tile = np.tile
        self._p_asym = d.asymptomatic_fraction
        self._q_asym = d.asymptomatic_infectiousness
        self._sigma = 1.0 / d.latent_days
        self._gamma = 1.0 / d.infectious_days
        self._hosp = tile(d.hospitalisation_probability, self.n_counties)
        self._ward_rate = 1.0 / d.ward_days
        self._to_icu = tile(d.icu_probability, self.n_counties)
        self._ward_death = tile(d.ward_death_probability, self.n_counties)
        self._icu_rate = 1.0 / d.icu_days
        self._icu_death = tile(d.icu_death_probability, self.n_counties)

    def beta(self, r0: float) -> float:
        """Transmission rate per contact that gives a next-generation matrix of spectral radius ``r0``."""
        return r0 / self.ngm_radius_per_beta

    def transmission_matrix(self, measures: Sequence[Measure], t: float) -> np.ndarray:
        """Contacts per day, (group, group), with the measures active at time t applied (no beta, no season)."""
        keep = {kind: np.ones(self.n_counties) for kind in INTERVENTION_KINDS}
        for measure in measures:
            if measure.active(t):
                keep[measure.kind] = keep[measure.kind] * (1.0 - measure.strengths)
        setting_keep = {
            "home": keep["home"],
            "school": keep["school"] * keep["school_closure"],
            "work": keep["work"],
            "community": keep["community"],
        }
        cross_keep = {"work": keep["commuting"], "community": keep["travel"]}
        matrix = np.zeros((self.n_groups, self.n_groups))
        for setting in SETTINGS:
            shares = self.county_shares[setting]
            if setting in cross_keep:
                # A restriction in either county cuts the contacts between them, so the pair stays reciprocal.
                pair_keep = np.outer(cross_keep[setting], cross_keep[setting])
                np.fill_diagonal(pair_keep, 1.0)
                shares = shares * pair_keep
            block = np.kron(shares, self.contacts.matrices[setting])
            matrix += np.repeat(setting_keep[setting], self.n_ages)[:, None] * block
        return matrix

    def initial_state(self, seeds: np.ndarray) -> np.ndarray:
        if seeds.shape != (self.n_counties,) or np.any(seeds < 0):
            raise ValueError("seeds must be non-negative, one value per county")
        if np.any(seeds > self.network.populations):
            raise ValueError("a county cannot have more seed infections than people")
        exposed = np.outer(seeds, self.contacts.shares).ravel()
        state = np.zeros((len(STATE_ROWS), self.n_groups))
        state[_ROW["S"]] = self.group_population - exposed
        state[_ROW["E"]] = exposed
        state[_ROW["infections"]] = exposed
        return state

    def simulate(
        self, scenario: Scenario, days: int, rtol: float | None = None, atol: float | None = None
    ) -> Trajectory:
        """Integrate ``days`` days; the integrator restarts where an intervention switches on or off.

        ``rtol`` / ``atol`` (people) default to the model's ``rtol`` / ``atol`` attributes.
        """
        rtol = self.rtol if rtol is None else rtol
        atol = self.atol if atol is None else atol
        if days < 1:
            raise ValueError("simulate at least one day")
        breaks = {0.0, float(days)}
        for m in scenario.measures:
            breaks.update(t for t in (m.start_day, m.end_day) if 0 < t < days)
        edges = sorted(breaks)
        beta = self.beta(scenario.r0)
        state = self.initial_state(scenario.seeds).ravel()
        samples = [state]
        for start, end in itertools.pairwise(edges):
            rhs = self._rhs(beta * self.transmission_matrix(scenario.measures, start), scenario)
            whole_days = np.arange(np.floor(start) + 1, np.floor(end) + 1)
            solution = solve_ivp(
                rhs, (start, end), state, method="RK45", t_eval=whole_days, rtol=rtol, atol=atol, first_step=0.1
            )
            if not solution.success:
                raise RuntimeError(f"integration failed: {solution.message}")
            samples.extend(solution.y.T)
            state = solution.y[:, -1]  # segments end on whole days, so this is the state at ``end``
        grouped = np.asarray(samples).reshape(len(samples), len(STATE_ROWS), self.n_counties, self.n_ages)
        return Trajectory(network=self.network, states=grouped.sum(axis=3).transpose(1, 0, 2))

    def _rhs(self, transmission: np.ndarray, scenario: Scenario) -> Callable[[float, np.ndarray], np.ndarray]:
        rows, groups = len(STATE_ROWS), self.n_groups
        inv_pop = 1.0 / self.group_population
        p, q, sigma, gamma = self._p_asym, self._q_asym, self._sigma, self._gamma
        hosp, ward_rate, to_icu, ward_death = self._hosp, self._ward_rate, self._to_icu, self._ward_death
        icu_rate, icu_death = self._icu_rate, self._icu_death
        season = scenario.season
        row = _ROW

        def rhs(t: float, y: np.ndarray) -> np.ndarray:
            y = y.reshape(rows, groups)
            exposed, asym, sym = y[row["E"]], y[row["Ia"]], y[row["Is"]]
            ward, icu = y[row["H"]], y[row["U"]]
            infection = season(t) * (transmission @ ((sym + q * asym) * inv_pop)) * y[row["S"]]
            onset = sigma * exposed
            asym_recovery = gamma * asym
            sym_end = gamma * sym
            admission = hosp * sym_end
            ward_out = ward_rate * ward
            icu_in = to_icu * ward_out
            ward_dead = ward_death * ward_out
            icu_out = icu_rate * icu
            icu_dead = icu_death * icu_out
            dy = np.empty((rows, groups))
            dy[row["S"]] = -infection
            dy[row["E"]] = infection - onset
            dy[row["Ia"]] = p * onset - asym_recovery
            dy[row["Is"]] = (onset - p * onset) - sym_end
            dy[row["H"]] = admission - ward_out
            dy[row["U"]] = icu_in - icu_out
            dy[row["R"]] = (
                asym_recovery + (sym_end - admission) + (ward_out - icu_in - ward_dead) + (icu_out - icu_dead)
            )
            dy[row["D"]] = ward_dead + icu_dead
            dy[row["infections"]] = infection
            dy[row["admissions"]] = admission
            dy[row["icu_admissions"]] = icu_in
            return dy.ravel()

        return rhs


@cache
def california_model() -> EpidemicModel:
    """The shared model of the 58 California counties with the default assumptions."""
    return EpidemicModel(california())
