"""Allocating an intervention budget across counties: its effect on a statewide target, and an optimiser.

An allocation gives each county a strength (share of contacts removed, 0..1) of one kind of intervention from
a start day to the end of the forecast. Its cost is the sum of the strengths; a budget caps that sum and a
per-county cap caps each strength. The target is the statewide peak (maximum over days 0..N) or final (day N)
value of one output; lower is better.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy.optimize import minimize

from toolwise.tools.epidemiology._model import EpidemicModel, Measure, Scenario
from toolwise.tools.epidemiology._outputs import region_series

TargetMeasure = Literal["peak", "final"]


@dataclass(frozen=True, eq=False)
class AllocationProblem:
    """A background scenario plus what may be allocated, from when, and what to minimise."""

    scenario: Scenario
    days: int
    kind: str
    start_day: int
    target: str
    measure: TargetMeasure
    budget: float
    cap: float

    def allocation_measure(self, strengths: np.ndarray) -> Measure:
        return Measure(kind=self.kind, strengths=np.asarray(strengths, float), start_day=float(self.start_day))

    def feasible(self, strengths: np.ndarray, slack: float = 1e-9) -> bool:
        return bool(
            np.all(strengths >= 0)
            and np.all(strengths <= self.cap * (1 + slack))
            and strengths.sum() <= self.budget * (1 + slack)
        )

    def uniform(self) -> np.ndarray:
        """The same strength everywhere: the budget spread evenly over all counties, capped."""
        n = self.scenario.seeds.shape[0]
        return np.full(n, min(self.cap, self.budget / n))


def target_value(
    model: EpidemicModel, problem: AllocationProblem, strengths: np.ndarray | None, rtol: float | None = None
) -> float:
    """Statewide peak or final value of the target with the allocation added to the background scenario."""
    scenario = problem.scenario
    if strengths is not None and np.any(strengths > 0):
        scenario = replace(scenario, measures=(*scenario.measures, problem.allocation_measure(strengths)))
    trajectory = model.simulate(scenario, problem.days, rtol=rtol, atol=rtol)
    series = region_series(trajectory, problem.target, None)
    return float(series.max() if problem.measure == "peak" else series[-1])


@dataclass(frozen=True)
class OptimisedAllocation:
    strengths: np.ndarray
    value: float
    evaluations: int


def optimise_allocation(
    model: EpidemicModel, problem: AllocationProblem, rtol: float = 1e-7, refine_iterations: int = 12
) -> OptimisedAllocation:
    """A good (best-known, not proven optimal) allocation.

    1. Screen: the benefit of giving each county the full cap on its own.
    2. Greedy: fill counties to the cap in order of that benefit until the budget is spent.
    3. Refine: SLSQP over the most promising counties, starting from the greedy allocation.
    The result is the best of no allocation, the uniform one, the greedy one and the refined one, so it is
    never worse than any of them.
    """
    n = model.n_counties
    evaluations = 0

    def value(strengths: np.ndarray) -> float:
        nonlocal evaluations
        evaluations += 1
        return target_value(model, problem, strengths, rtol=rtol)

    baseline = value(np.zeros(n))
    candidates: list[tuple[float, np.ndarray]] = [(baseline, np.zeros(n))]
    uniform = problem.uniform()
    candidates.append((value(uniform), uniform))
    if problem.budget <= 0 or problem.cap <= 0:
        return _best(candidates, evaluations)

    benefit = np.empty(n)
    for i in range(n):
        single = np.zeros(n)
        single[i] = min(problem.cap, problem.budget)
        benefit[i] = baseline - value(single)
    order = [int(i) for i in np.argsort(-benefit, kind="stable") if benefit[i] > 0]
    greedy = np.zeros(n)
    left = problem.budget
    for i in order:
        greedy[i] = min(problem.cap, left)
        left -= greedy[i]
        if left <= 0:
            break
    if greedy.sum() > 0:
        candidates.append((value(greedy), greedy))

    pool = order[: min(len(order), math.ceil(problem.budget / problem.cap) + 8)]
    if len(pool) > 1:
        refined = _refine(problem, value, greedy, pool, refine_iterations)
        candidates.append((value(refined), refined))
    return _best(candidates, evaluations)


def _refine(
    problem: AllocationProblem,
    value: Callable[[np.ndarray], float],
    start: np.ndarray,
    pool: list[int],
    iterations: int,
) -> np.ndarray:
    full = start.copy()

    def objective(x: np.ndarray) -> float:
        full[pool] = np.clip(x, 0.0, problem.cap)
        return value(full) / scale

    scale = max(abs(value(start)), 1e-12)
    result = minimize(
        objective,
        start[pool],
        method="SLSQP",
        bounds=[(0.0, problem.cap)] * len(pool),
        constraints=[{"type": "ineq", "fun": lambda x: problem.budget - x.sum(), "jac": lambda x: -np.ones_like(x)}],
        options={"maxiter": iterations, "eps": 0.01 * problem.cap, "ftol": 1e-7},
    )
    refined = start.copy()
    refined[pool] = np.clip(result.x, 0.0, problem.cap)
    excess = refined.sum() - problem.budget
    if excess > 0:  # SLSQP may overshoot the linear constraint by round-off
        refined *= problem.budget / refined.sum()
    return refined


def _best(candidates: list[tuple[float, np.ndarray]], evaluations: int) -> OptimisedAllocation:
    value, strengths = min(candidates, key=lambda c: c[0])
    return OptimisedAllocation(strengths=strengths, value=value, evaluations=evaluations)
