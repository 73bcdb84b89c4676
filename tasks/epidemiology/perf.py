"""The epidemiology domain's performance probe: the 28-day forecast goal (≤ 50 ms) and the allocation optimiser.

The forecast case runs a 28-day statewide ``epi_forecast`` of every distinct scenario of the test splits,
through the registry with the cache cleared, best of ``repeats`` each; the optimiser case times
``optimise_allocation`` (the open questions' key, not a tool call) on the first three open test problems.
"""

from __future__ import annotations

import json
import time

from toolwise.bench.problem import read_jsonl
from toolwise.tasks.epidemiology.generate import TEST_FILES
from toolwise.tools import get_tool
from toolwise.tools.epidemiology import AllocationProblem, build_scenario, california_model, optimise_allocation

SCENARIO_KEYS = ("r0", "seed_infections", "seasonality_min", "start_day_of_year", "interventions")


def forecast_ms(repeats: int) -> list[float]:
    """Best-of-``repeats`` milliseconds of a 28-day forecast, one per distinct test scenario."""
    spec, seen, out = get_tool("epi_forecast"), set(), []
    for path in TEST_FILES.values():
        for problem in read_jsonl(path):
            scenario = {k: v for k, v in problem.reference_calls[0].arguments.items() if k in SCENARIO_KEYS}
            if (key := json.dumps(scenario, sort_keys=True)) in seen:
                continue
            seen.add(key)
            times = []
            for _ in range(repeats):
                spec.clear_cache()
                times.append(spec.call({**scenario, "days": 28, "outputs": ["hospitalized"]}).seconds)
            out.append(1000 * min(times))
    return out


def optimiser_ms(n: int = 3) -> tuple[list[float], list[int]]:
    """Milliseconds and model runs of one optimisation, for each of the first ``n`` open test problems."""
    model, out, runs = california_model(), [], []
    for problem in read_jsonl(TEST_FILES["open"])[:n]:
        a = problem.answer["tool_arguments"]
        scenario = build_scenario(
            model, a["r0"], a["seed_infections"], a.get("seasonality_min", 1.0), a.get("start_day_of_year", 1),
            a.get("interventions", []),
        )  # fmt: skip
        keys = ("days", "kind", "start_day", "target", "measure", "budget", "max_per_county")
        start = time.perf_counter()
        runs.append(optimise_allocation(model, AllocationProblem(scenario, *(a[k] for k in keys))).evaluations)
        out.append(1000 * (time.perf_counter() - start))
    return out, runs


def probe(repeats: int) -> dict[str, list[float]]:
    optimiser, runs = optimiser_ms()
    return {
        "epi_forecast, 28 days, statewide (each test scenario)": forecast_ms(repeats),
        f"optimise_allocation ({min(runs)}-{max(runs)} model runs)": optimiser,
    }
