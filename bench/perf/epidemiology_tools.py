"""Epidemiology tool latency (goal: a 28-day forecast in ≤ 50 ms) and the allocation optimiser's run time.

    python -m toolwise.bench.perf.epidemiology_tools --repeats 3 --optimise 3

1. A 28-day ``epi_forecast`` of every distinct scenario in the two test splits (statewide hospitalized),
   through the tool registry with the cache cleared; the best of ``repeats`` runs counts (the others measure
   the machine's load, not the model).
2. Every reference call of the test splits, grouped by template, the same way.
3. ``optimise_allocation`` on the first ``--optimise`` open test problems (wall time and model runs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import defaultdict
from typing import Any

from toolwise.bench.problem import read_jsonl
from toolwise.tasks.epidemiology.generate import TEST_FILES
from toolwise.tools import get_tool
from toolwise.tools.epidemiology import (
    AllocationProblem,
    build_scenario,
    california_model,
    optimise_allocation,
)

GOAL_MS = 50.0
SCENARIO_KEYS = ("r0", "seed_infections", "seasonality_min", "start_day_of_year", "interventions")


def best_ms(name: str, arguments: dict[str, Any], repeats: int) -> float:
    spec = get_tool(name)
    best = float("inf")
    for _ in range(repeats):
        spec.clear_cache()
        outcome = spec.call(arguments)
        if not outcome.ok:
            raise RuntimeError(f"{name}: {outcome.error}")
        best = min(best, outcome.seconds)
    return 1000 * best


def scenarios() -> list[dict[str, Any]]:
    seen, unique = set(), []
    for path in TEST_FILES.values():
        for problem in read_jsonl(path):
            scenario = {k: v for k, v in problem.reference_calls[0].arguments.items() if k in SCENARIO_KEYS}
            key = json.dumps(scenario, sort_keys=True)
            if key not in seen:
                seen.add(key)
                unique.append(scenario)
    return unique


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p90:.1f} | {max(values):.1f} |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per call; the best counts")
    parser.add_argument("--optimise", type=int, default=3, help="open problems to run the optimiser on")
    args = parser.parse_args(argv)
    forecast = {"days": 28, "outputs": ["hospitalized"]}
    best_ms("epi_forecast", {**scenarios()[0], **forecast}, 1)  # warm-up: imports, model build
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; best of {args.repeats}\n"
    )

    timings = [best_ms("epi_forecast", {**s, **forecast}, args.repeats) for s in scenarios()]
    print("| 28-day forecast | scenarios | median ms | p90 ms | max ms |\n|---|---:|---:|---:|---:|")
    print(_row("epi_forecast, days=28", timings))
    verdict = "meets" if max(timings) <= GOAL_MS else "misses"
    print(f"\nslowest 28-day forecast: {max(timings):.1f} ms ({verdict} the {GOAL_MS:.0f} ms goal)\n")

    by_template: dict[str, list[float]] = defaultdict(list)
    for path in TEST_FILES.values():
        for problem in read_jsonl(path):
            for call in problem.reference_calls:
                by_template[f"{problem.template} ({call.name})"].append(
                    best_ms(call.name, call.arguments, args.repeats)
                )
    print("| reference calls | calls | median ms | p90 ms | max ms |\n|---|---:|---:|---:|---:|")
    for template in sorted(by_template):
        print(_row(template, by_template[template]))

    model = california_model()
    print("\n| optimiser | days | model runs | seconds |\n|---|---:|---:|---:|")
    for problem in read_jsonl(TEST_FILES["open"])[: args.optimise]:
        a = problem.answer["tool_arguments"]
        scenario = build_scenario(
            model, a["r0"], a["seed_infections"], a.get("seasonality_min", 1.0), a.get("start_day_of_year", 1),
            a.get("interventions", []),
        )  # fmt: skip
        task = AllocationProblem(
            scenario, a["days"], a["kind"], a["start_day"], a["target"], a["measure"], a["budget"], a["max_per_county"]
        )
        start = time.perf_counter()
        result = optimise_allocation(model, task)
        print(f"| {problem.id} | {a['days']} | {result.evaluations} | {time.perf_counter() - start:.1f} |")


if __name__ == "__main__":
    main()
