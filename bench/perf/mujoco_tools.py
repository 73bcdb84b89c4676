"""MuJoCo tool latency: every reference call of the mujoco_tool test split, timed with the cache bypassed.

    python -m toolwise.bench.perf.mujoco_tools [--repeat 3] [--markdown]

Each call runs the tool function directly (the registry's work minus argument validation and the cache),
``--repeat`` times; the best wall time and the matching CPU time are kept per call, so that a busy machine
inflates the figures as little as possible. Prints per-tool medians, 90th percentiles and maxima (wall and CPU: on
a shared machine the CPU time is what a call costs) and the slowest call; ``--tools`` times only the named tools. Figures
go to docs/mujoco.md (the issue's bar: one call at most 300 ms on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

import toolwise.tools.mujoco  # noqa: F401  (registers the scene tools)
from toolwise.bench.problem import read_jsonl
from toolwise.tasks.mujoco.generate import TEST_FILE
from toolwise.tools import get_tool


@dataclass(frozen=True)
class Timing:
    tool: str
    problem_id: str
    duration_s: float
    wall_ms: float
    cpu_ms: float


def time_calls(repeat: int, tools: set[str] | None = None) -> list[Timing]:
    timings = []
    for problem in read_jsonl(TEST_FILE):
        for call in problem.reference_calls:
            if tools and call.name not in tools:
                continue
            fn = get_tool(call.name).fn
            best = None
            for _ in range(repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                fn(**call.arguments)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if best is None or wall < best[0]:
                    best = (wall, cpu)
            assert best is not None
            timings.append(Timing(call.name, problem.id, call.arguments["duration_s"], 1e3 * best[0], 1e3 * best[1]))
    return timings


def p90(values: list[float]) -> float:
    """The 90th percentile (linear interpolation between the closest ranks; one value is its own percentile)."""
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def report(timings: list[Timing], markdown: bool) -> str:
    by_tool: dict[str, list[Timing]] = defaultdict(list)
    for t in timings:
        by_tool[t.tool].append(t)
    lines = [
        f"# {len(timings)} calls; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}",
        "| tool | calls | longest simulated s | median ms (wall) | p90 ms (wall) | max ms (wall) | median ms (CPU) "
        "| p90 ms (CPU) | max ms (CPU) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for tool, rows in sorted(by_tool.items(), key=lambda kv: -max(r.wall_ms for r in kv[1])):
        wall, cpu = [r.wall_ms for r in rows], [r.cpu_ms for r in rows]
        lines.append(
            f"| `{tool}` | {len(rows)} | {max(r.duration_s for r in rows):g} | "
            f"{statistics.median(wall):.0f} | {p90(wall):.0f} | {max(wall):.0f} | "
            f"{statistics.median(cpu):.0f} | {p90(cpu):.0f} | {max(cpu):.0f} |"
        )
    slowest = max(timings, key=lambda t: t.wall_ms)
    lines.append(
        f"slowest call: {slowest.tool} on {slowest.problem_id} ({slowest.duration_s:g} s simulated): "
        f"{slowest.wall_ms:.0f} ms wall, {slowest.cpu_ms:.0f} ms CPU"
    )
    text = "\n".join(lines)
    return text if markdown else text.replace("`", "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per call; the fastest is kept")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--tools", nargs="*", help="time only these tools (default: all)")
    args = parser.parse_args(argv)
    print(report(time_calls(args.repeat, set(args.tools or ())), args.markdown))


if __name__ == "__main__":
    main()
