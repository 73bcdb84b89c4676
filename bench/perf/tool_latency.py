"""Tool-call latency of every domain: each reference call of the test splits, through the registry, uncached.

    python -m toolwise.bench.perf.tool_latency                       # every domain the index finds
    python -m toolwise.bench.perf.tool_latency --domain pde --by template --repeats 5

Each call runs through the tool registry (validation included) with the cache cleared, ``--repeats``
times; the best of the repeats is the call's latency (the others measure the machine's load, not the tool),
with the CPU time of that run beside it (on a shared machine the CPU time is what a call costs; a tool that
runs a subprocess, such as the sandbox, spends its CPU time outside this process). The cold start is
reported apart: importing the domain's tools, and the first call of every tool (data loads, grids, FFT
plans), which the table leaves out; so is a repeated call, served from the registry's cache. Prints one
markdown table per domain, grouped by tool or template (templates named ``family/kind`` also per family),
the slowest call, and the domain's own ``performance_probe`` cases (what a per-call table cannot show;
``--no-probes`` skips them). Nothing asserts a time: the figures go in the domain's docs page.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
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
    cpu_ms: float
    cached_ms: float


def split_problems(domain: Domain) -> list[Problem]:
    """Every problem of the domain's test splits (a split that cannot be loaded here is reported and skipped)."""
    problems = []
    for task in tasks_of_domain(domain.name):
        try:
            problems.extend(task.load_test_split())
        except Exception as exc:  # a hub dataset offline, a missing file: the other splits still count
            print(f"# {task.name}: test split not loaded ({type(exc).__name__}: {exc})")
    return problems


def time_calls(problems: list[Problem], repeats: int) -> tuple[list[CallTiming], dict[str, float]]:
    """Best-of-``repeats`` wall and CPU milliseconds of every reference call, and each tool's first call."""
    first: dict[str, float] = {}
    timings = []
    for problem in problems:
        for call in problem.reference_calls:
            spec = get_tool(call.name)
            if call.name not in first:
                spec.clear_cache()
                first[call.name] = 1000 * spec.call(call.arguments).seconds
            best = (float("inf"), 0.0)
            for _ in range(repeats):
                spec.clear_cache()
                wall, cpu = time.perf_counter(), time.process_time()
                outcome = spec.call(call.arguments)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if not outcome.ok:
                    raise RuntimeError(f"{problem.id}: {call.name} failed: {outcome.error}")
                best = min(best, (wall, cpu))
            wall_ms, cpu_ms, cached_ms = 1e3 * best[0], 1e3 * best[1], 1e3 * spec.call(call.arguments).seconds
            timings.append(CallTiming(problem.id, call.name, problem.template, wall_ms, cpu_ms, cached_ms))
    return timings, first


def _row(name: str, values: list[float], cpu: list[float] | None = None) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    row = f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p90:.1f} | {max(values):.1f} |"
    return row + (f" {statistics.median(cpu):.1f} | {max(cpu):.1f} |" if cpu is not None else "")


def report(timings: list[CallTiming], by: str, first: dict[str, float]) -> str:
    groups: dict[str, list[CallTiming]] = defaultdict(list)
    for timing in timings:
        groups[timing.tool if by == "tool" else timing.template].append(timing)

    def row(label: str, rows: list[CallTiming]) -> str:
        return _row(label, [t.ms for t in rows], [t.cpu_ms for t in rows])

    lines = [f"| {by} | calls | median ms | p90 ms | max ms | median ms CPU | max ms CPU |"]
    lines += ["|---|---:|---:|---:|---:|---:|---:|", *(row(key, groups[key]) for key in sorted(groups))]
    families = sorted({key.split("/")[0] for key in groups if "/" in key})  # templates named family/kind
    lines += [row(f"**{f}**", [t for k, v in groups.items() if k.startswith(f + "/") for t in v]) for f in families]
    lines.append(row("**all**", timings))
    worst = max(timings, key=lambda t: t.ms)
    lines.append(f"\nslowest call: {worst.tool} on {worst.problem_id} at {worst.ms:.1f} ms ({worst.cpu_ms:.1f} ms CPU)")
    lines.append("first call of each tool (cold): " + ", ".join(f"{k} {v:.0f} ms" for k, v in sorted(first.items())))
    cached = statistics.median(t.cached_ms for t in timings)
    lines.append(f"a repeated call, served from the registry cache: median {cached:.3f} ms")
    return "\n".join(lines)


def probe_report(cases: dict[str, list[float]]) -> str:
    """A performance probe's cases (name -> milliseconds, one per run) as a markdown table."""
    lines = ["| probe case | runs | median ms | p90 ms | max ms |", "|---|---:|---:|---:|---:|"]
    return "\n".join([*lines, *(_row(name, values) for name, values in cases.items())])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", action="append", help="only this domain (repeatable); default: every domain")
    parser.add_argument("--repeats", type=int, default=3, help="runs per call; the best counts")
    parser.add_argument("--by", choices=["tool", "template"], default="tool", help="rows per tool or per template")
    parser.add_argument("--no-probes", action="store_true", help="skip the domains' performance probes")
    args = parser.parse_args(argv)
    chosen = [get_domain(name) for name in args.domain] if args.domain else list(domains().values())
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; best of {args.repeats}\n"
    )
    for domain in chosen:
        start = time.perf_counter()
        domain.import_tools()
        print(f"## {domain.name}\n\nimporting the tools (cold start): {1000 * (time.perf_counter() - start):.0f} ms\n")
        timings, first = time_calls(split_problems(domain), args.repeats)
        print(report(timings, args.by, first) if timings else "no reference calls")
        if domain.performance_probe is not None and not args.no_probes:
            print("\n" + probe_report(domain.performance_probe(args.repeats)))
        print()


if __name__ == "__main__":
    main()
