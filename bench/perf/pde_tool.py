"""PDE tool-call latency over the test split's reference calls (goal: ≤ 200 ms typical and worst).

    python -m toolwise.bench.perf.pde_tool --repeats 3

Each reference call of ``tasks/pde/data/test.jsonl`` runs through the tool
registry (validation included) with the cache cleared, ``repeats`` times; the
best of the repeats is the call's latency (the others measure the machine's
load, not the solver). Prints one row per template and the overall figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from collections import defaultdict

from toolwise.bench.problem import read_jsonl
from toolwise.tasks.pde.generate import TEST_FILE
from toolwise.tools import get_tool
from toolwise.tools.pde import TOOL_NAMES

GOAL_MS = 200.0


def measure(repeats: int) -> dict[str, list[tuple[str, float]]]:
    """Best-of-``repeats`` milliseconds of every reference call, grouped by problem template."""
    by_template: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for problem in read_jsonl(TEST_FILE):
        for call in problem.reference_calls:
            spec = get_tool(call.name)
            best = float("inf")
            for _ in range(repeats):
                spec.clear_cache()
                outcome = spec.call(call.arguments)
                if not outcome.ok:
                    raise RuntimeError(f"{problem.id}: {outcome.error}")
                best = min(best, outcome.seconds)
            by_template[problem.template].append((problem.id, 1000 * best))
    return by_template


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p90:.1f} | {max(values):.1f} |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per call; the best counts")
    args = parser.parse_args(argv)
    for name in TOOL_NAMES:  # import cost and first-call warm-up (FFT plans, scipy) stay out of the figures
        get_tool(name)
    warm = read_jsonl(TEST_FILE)[0].reference_calls[0]
    get_tool(warm.name).call(warm.arguments)

    results = measure(args.repeats)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; best of {args.repeats}"
    )
    print("| template | calls | median ms | p90 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    everything = []
    for template in sorted(results):
        values = [ms for _, ms in results[template]]
        everything.extend(results[template])
        print(_row(template, values))
    for family in sorted({t.split("/")[0] for t in results}):
        values = [ms for t, rows in results.items() if t.startswith(family + "/") for _, ms in rows]
        print(_row(f"**{family}**", values))
    print(_row("**all**", [ms for _, ms in everything]))
    worst_id, worst_ms = max(everything, key=lambda item: item[1])
    verdict = "meets" if worst_ms <= GOAL_MS else "misses"
    print(f"\nworst call: {worst_id} at {worst_ms:.1f} ms ({verdict} the {GOAL_MS:.0f} ms goal)")


if __name__ == "__main__":
    main()
