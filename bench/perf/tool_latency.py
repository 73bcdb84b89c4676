"""Tool-call latency of every domain: each reference call of the test splits, through the registry, uncached.

    python -m toolwise.bench.perf.tool_latency                       # every domain the index finds
    python -m toolwise.bench.perf.tool_latency --domain pde --by template --repeats 5

Each call runs through the tool registry (validation included) with the cache cleared, ``--repeats``
times; the best of the repeats is the call's latency (the others measure the machine's load, not the tool).
The first call of every tool is made once beforehand, so import cost and warm-up (FFT plans, data loads)
stay out of the figures. Prints one markdown table per domain, grouped by tool or template (templates named
``family/kind`` also per family), and the slowest call; ``--probes`` adds each domain's own ``performance_probe`` figures. Nothing asserts a time:
the figures go in the domain's docs page.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from collections import defaultdict
from dataclasses import dataclass

from toolwise.bench.domain import Domain
from toolwise.bench.problem import Problem
from toolwise.bench.task_index import domains, get_domain, tasks_of_domain
from toolwise.tools import get_tool


@dataclass(frozen=True)
class CallTiming:
    problem_id: str
    tool: str
    template: str
    ms: float


def split_problems(domain: Domain) -> list[Problem]:
    """Every problem of the domain's test splits (a split that cannot be loaded here is reported and skipped)."""
    problems = []
    for task in tasks_of_domain(domain.name):
        try:
            problems.extend(task.load_test_split())
        except Exception as exc:  # a hub dataset offline, a missing file: the other splits still count
            print(f"# {task.name}: test split not loaded ({type(exc).__name__}: {exc})")
    return problems


def time_calls(problems: list[Problem], repeats: int) -> list[CallTiming]:
    """Best-of-``repeats`` milliseconds of every reference call."""
    warmed: set[str] = set()
    timings = []
    for problem in problems:
        for call in problem.reference_calls:
            spec = get_tool(call.name)
            if call.name not in warmed:
                warmed.add(call.name)
                spec.clear_cache()
                spec.call(call.arguments)
            best = float("inf")
            for _ in range(repeats):
                spec.clear_cache()
                outcome = spec.call(call.arguments)
                if not outcome.ok:
                    raise RuntimeError(f"{problem.id}: {call.name} failed: {outcome.error}")
                best = min(best, outcome.seconds)
            timings.append(CallTiming(problem.id, call.name, problem.template, 1000 * best))
    return timings


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p90:.1f} | {max(values):.1f} |"


def report(name: str, timings: list[CallTiming], by: str) -> str:
    groups: dict[str, list[float]] = defaultdict(list)
    for timing in timings:
        groups[timing.tool if by == "tool" else timing.template].append(timing.ms)
    lines = [f"## {name}", "", f"| {by} | calls | median ms | p90 ms | max ms |", "|---|---:|---:|---:|---:|"]
    lines += [_row(key, groups[key]) for key in sorted(groups)]
    families = sorted({key.split("/")[0] for key in groups if "/" in key})  # templates named family/kind
    lines += [_row(f"**{f}**", [ms for k, v in groups.items() if k.startswith(f + "/") for ms in v]) for f in families]
    lines.append(_row("**all**", [t.ms for t in timings]))
    worst = max(timings, key=lambda t: t.ms)
    lines.append(f"\nslowest call: {worst.tool} on {worst.problem_id} at {worst.ms:.1f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", action="append", help="only this domain (repeatable); default: every domain")
    parser.add_argument("--repeats", type=int, default=3, help="runs per call; the best counts")
    parser.add_argument("--by", choices=["tool", "template"], default="tool", help="rows per tool or per template")
    parser.add_argument("--probes", action="store_true", help="also print each domain's performance_probe")
    args = parser.parse_args(argv)
    chosen = [get_domain(name) for name in args.domain] if args.domain else list(domains().values())
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; best of {args.repeats}\n"
    )
    for domain in chosen:
        domain.import_tools()
        timings = time_calls(split_problems(domain), args.repeats)
        print(report(domain.name, timings, args.by) if timings else f"## {domain.name}\n\nno reference calls")
        if args.probes and domain.performance_probe is not None:
            print(domain.performance_probe(args.repeats))
        print()


if __name__ == "__main__":
    main()
