"""Open-ended questions: allocate an intervention budget across counties to lower a statewide target.

The rubric stores the tool arguments that define the task (everything but the allocation) and three anchor
values of the target, all produced by ``epi_allocation_effect``: no allocation, the uniform allocation and the
best allocation the optimiser found. ``open_scoring.score`` maps an answer's value onto them.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from toolwise.bench.problem import Problem, ToolCall
from toolwise.tasks.epidemiology._mcq import DOMAIN, SERIES_NOUN, TOOLS, people, target_phrase
from toolwise.tasks.epidemiology._scenarios import ALL_COUNTIES, sample_scenario
from toolwise.tools.epidemiology import (
    AllocationProblem,
    build_scenario,
    california_model,
    epi_allocation_effect,
    optimise_allocation,
)

OPEN_KINDS = {
    "home": "home contact reductions (strength = share of home contacts removed)",
    "school": "school contact reductions (strength = share of school contacts removed)",
    "work": "work contact reductions (strength = share of work contacts removed)",
    "community": "community contact reductions (strength = share of community contacts removed)",
    "school_closure": "school closures (strength = share of schools closed)",
}
OPEN_TARGETS = (("hospitalized", "peak"), ("hospitalized", "final"), ("icu", "peak"), ("icu", "final"),
                ("deaths", "final"), ("new_hospitalizations", "peak"))  # fmt: skip
ALLOCATION_DECIMALS = 3


def floor_to(value: float, decimals: int) -> float:
    """Round down, so a rounded allocation never exceeds the budget or the cap."""
    scale = 10**decimals
    return math.floor(value * scale + 1e-9) / scale


def uniform_strength(budget: float, cap: float, n_counties: int) -> float:
    return floor_to(min(cap, budget / n_counties), 4)


def allocation_problem(rng: np.random.Generator, rtol: float = 1e-7) -> Problem | None:
    """One open question, or None when the anchors are too close to score answers apart."""
    spec = sample_scenario(rng, r0_range=(2.0, 3.2), max_interventions=1)
    kind = str(rng.choice(list(OPEN_KINDS)))
    output, measure = OPEN_TARGETS[int(rng.integers(len(OPEN_TARGETS)))]
    days = int(rng.choice([60, 90, 120]))
    start = int(rng.choice([0, 7, 14, 21]))
    cap = float(rng.choice([0.3, 0.4, 0.5, 0.6]))
    budget = round(cap * int(rng.integers(2, 7)), 2)
    arguments: dict[str, Any] = {
        **spec.tool_arguments(),
        "days": days,
        "kind": kind,
        "target": output,
        "measure": measure,
        "start_day": start,
        "budget": budget,
        "max_per_county": cap,
    }
    model = california_model()
    scenario = build_scenario(
        model, spec.r0, spec.seed_infections, spec.seasonality_min, spec.start_day_of_year, spec.interventions
    )
    task = AllocationProblem(scenario, days, kind, start, output, measure, budget, cap)
    best = optimise_allocation(model, task, rtol=rtol)
    allocation = {
        model.network.names[i]: floor_to(float(s), ALLOCATION_DECIMALS)
        for i, s in enumerate(best.strengths)
        if floor_to(float(s), ALLOCATION_DECIMALS) > 0
    }
    uniform = uniform_strength(budget, cap, model.n_counties)
    best_call = ToolCall("epi_allocation_effect", {**arguments, "allocation": allocation})
    uniform_call = ToolCall("epi_allocation_effect", {**arguments, "allocation": dict.fromkeys(ALL_COUNTIES, uniform)})
    best_result = epi_allocation_effect(**best_call.arguments)
    uniform_result = epi_allocation_effect(**uniform_call.arguments)
    rubric = rubric_from_results(arguments, uniform, allocation, [best_result, uniform_result])
    none, uni, top = rubric["value_no_intervention"], rubric["value_uniform"], rubric["value_best_known"]
    if not (none - top >= 0.05 * none and none - uni >= 0.005 * none and uni - top >= 0.02 * none):
        return None
    question = (
        f"You may add {OPEN_KINDS[kind]} in any California counties, from day {start} to the end of a {days}-day "
        f"forecast, on top of the scenario. Give each county a strength between 0 and {cap:g}; the strengths may "
        f"add up to at most {budget:g}. Choose them to make the {target_phrase(output, measure, days)} as low as "
        'possible. Give your allocation as a JSON object mapping county names to strengths, e.g. {"Kern": 0.1, '
        '"Napa": 0.05}; counties left out get 0.'
    )
    answer_json = json.dumps(allocation)
    solution = (
        f"The {target_phrase(output, measure, days)} is {people(none)} without any allocation, "
        f"{people(uni)} with the budget spread evenly ({uniform:g} in every county), and {people(top)} "
        f"({100 * (none - top) / none:.1f}% lower than without) with the budget put where it helps most, so "
        f"the answer is {answer_json}"
    )
    return Problem(
        id="pending",
        domain=DOMAIN,
        question=f"{spec.text()}\n\n{question}",
        answer_type="open",
        answer=rubric,
        tools=list(TOOLS),
        reference_calls=[best_call, uniform_call],
        template=f"allocation_{measure}",
        params={"template": f"allocation_{measure}", "target": output, "noun": SERIES_NOUN[output]},
        solution=solution,
    )


def rubric_from_results(
    arguments: dict[str, Any], uniform: float, allocation: dict[str, float], results: list[dict[str, Any]]
) -> dict[str, Any]:
    """The rubric, its anchor values read from the results of the best and the uniform allocation calls."""
    best_result, uniform_result = results
    return {
        "tool_arguments": arguments,
        "value_no_intervention": best_result["without_allocation"],
        "value_uniform": uniform_result["with_allocation"],
        "value_best_known": best_result["with_allocation"],
        "uniform_strength": uniform,
        "best_known_allocation": allocation,
        "reference_answer": f"Answer: {json.dumps(allocation)}",
    }
