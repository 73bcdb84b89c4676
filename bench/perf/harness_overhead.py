"""Harness overhead per problem: a whole lm-eval evaluation with the scripted oracle, minus tool time.

    python -m toolwise.bench.perf.harness_overhead --sizes 100 1000 --repeats 3

The task is synthetic (one trivial tool) so that what is measured is the
harness: lm-eval task building, both requests per problem, the conversation
loop, tool dispatch and validation, transcripts, process_results and the
aggregations with their bootstrap intervals. Tool seconds (read from the
transcripts) are subtracted.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import tempfile
import time
from pathlib import Path

from lm_eval.tasks import TaskManager

from toolwise.bench.evaluate import evaluate
from toolwise.bench.lmeval_hooks import tasks_dir
from toolwise.bench.problem import LETTERS, Problem, ToolCall, write_jsonl
from toolwise.tools import tool

TEMPLATE = Path(tasks_dir()) / "_default_tool_template_yaml"


@tool
def perf_add(a: float, b: float) -> dict:
    """Add two numbers.

    Args:
        a: first term.
        b: second term.
    """
    return {"sum": a + b}


def synthetic_problems(n: int) -> list[Problem]:
    problems = []
    for i in range(n):
        key = LETTERS[i % 4]
        total = i + 0.5
        choices = {letter: f"{total + 10 * (k - LETTERS.index(key)):.1f}" for k, letter in enumerate(LETTERS)}
        problems.append(
            Problem(
                id=f"perf-{i:05d}",
                domain="perf",
                question=f"What is {i} + 0.5?",
                answer_type="mcq",
                answer=key,
                choices=choices,
                tools=["perf_add"],
                reference_calls=[ToolCall("perf_add", {"a": i, "b": 0.5})],
                solution=f"{i} + 0.5 = {total}.",
            )
        )
    return problems


def measure(n: int, folder: Path) -> dict[str, float]:
    name = f"perf_{n}_tool"
    data = folder / f"{name}.jsonl"
    write_jsonl(synthetic_problems(n), data)
    (folder / f"{name}.yaml").write_text(
        f"include: {TEMPLATE}\ntask: {name}\ndataset_kwargs: {{data_file: {data}}}\n"
        "metadata: {version: 1.0, domain: perf, tool_modules: []}\n"
    )
    manager = TaskManager(include_path=[tasks_dir(), str(folder)], include_defaults=False)
    start = time.perf_counter()
    results = evaluate([name], "backend=oracle", manager=manager, log_samples=True)
    wall = time.perf_counter() - start
    tool_seconds = sum(
        json.loads(resp[0])["tool_seconds"] for sample in results["samples"][name] for resp in sample["resps"]
    )
    return {"n": n, "wall_s": wall, "tool_s": tool_seconds, "ms_per_problem": 1000 * (wall - tool_seconds) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        measure(10, Path(tmp))  # warm-up: first-call imports and lazy initialisation are not per-problem cost
        for n in args.sizes:
            runs = [measure(n, Path(tmp)) for _ in range(args.repeats)]
            rows[n] = runs
            best = min(r["ms_per_problem"] for r in runs)
            median = statistics.median(r["ms_per_problem"] for r in runs)
            tool_ms = 1000 * statistics.median(r["tool_s"] for r in runs) / n
            print(f"n={n:>5}: overhead {median:6.2f} ms/problem (best {best:.2f}), tool time {tool_ms:.3f} ms/problem")
    if len(args.sizes) >= 2:
        small, large = min(args.sizes), max(args.sizes)
        walls = {n: statistics.median(r["wall_s"] - r["tool_s"] for r in rows[n]) for n in (small, large)}
        marginal = 1000 * (walls[large] - walls[small]) / (large - small)
        print(f"marginal overhead between n={small} and n={large}: {marginal:.2f} ms/problem")


if __name__ == "__main__":
    main()
