"""Seeded generator of MuJoCo multiple-choice problems, and the key's derivation from tool results.

Each problem comes from a template (``templates/``): sample a scene, run its reference calls through the
registered tools, read the asked value, re-solve at half the timestep and keep the problem only if the
refined value sits within a quarter of the smallest option gap, then lay out four options around the key
(``options.py``). Scenes are spread evenly over the eight scene tools and key letters are balanced per
template. The test split is frozen in ``data/test.jsonl``; other splits come from disjoint random streams and
never repeat a test question.

    python -m toolwise.tasks.mujoco.generate --out tasks/mujoco/data/test.jsonl --n 320 --seed 2411
"""

from __future__ import annotations

import argparse
import inspect
import math
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import toolwise.tools.mujoco  # noqa: F401  (registers the scene tools)
from toolwise.bench.problem import LETTERS, Problem, ToolCall, read_jsonl, write_jsonl
from toolwise.tasks.mujoco.options import is_robust, nearest_letter, numeric_choices
from toolwise.tasks.mujoco.template import Params, Results, Template
from toolwise.tasks.mujoco.templates import TEMPLATES, templates_by_tool
from toolwise.tools import get_tool

DOMAIN = "mujoco"
TEST_FILE = Path(__file__).parent / "data" / "test.jsonl"
TEST_SIZE = 320
TEST_SEED = 2411
SPLIT_STREAMS = {"test": 0, "train": 1, "validation": 2}  # disjoint random streams per split
MAX_ATTEMPTS = 400


def generate_problems(n: int, seed: int, split: str = "train") -> list[Problem]:
    """``n`` problems spread evenly over the scenes, reproducible from (``seed``, ``split``)."""
    if split not in SPLIT_STREAMS:
        raise ValueError(f"split must be one of {sorted(SPLIT_STREAMS)}, got {split!r}")
    rng = np.random.default_rng([SPLIT_STREAMS[split], seed])
    excluded = set() if split == "test" else frozen_test_questions()
    key_queues: dict[str, list[int]] = defaultdict(list)
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, template in enumerate(_schedule(n)):
        queue = key_queues[template.name]
        if not queue:
            queue.extend(int(k) for k in rng.permutation(len(LETTERS)))
        key_index = queue.pop()
        problem_id = f"{DOMAIN}-{split}-{i:04d}" if split == "test" else f"{DOMAIN}-{split}-{seed}-{i:05d}"
        for _ in range(MAX_ATTEMPTS):
            problem = draft_problem(template, rng, key_index, problem_id)
            if problem is not None and problem.question not in seen and problem.question not in excluded:
                break
        else:
            raise RuntimeError(f"template {template.name}: no usable draw in {MAX_ATTEMPTS} attempts")
        seen.add(problem.question)
        problems.append(problem)
    return problems


def key_from_tool_results(problem: Problem, results: list[Any]) -> str:
    """The key letter from the replayed reference calls' results: the option nearest the asked value."""
    value = TEMPLATES[problem.template].value(problem.params, results)
    if value is None or not math.isfinite(value):
        raise ValueError(f"problem {problem.id}: the tool results do not contain the asked value")
    assert problem.choices is not None
    return nearest_letter(problem.choices, value)


def draft_problem(template: Template, rng: np.random.Generator, key_index: int, problem_id: str) -> Problem | None:
    """One problem from ``template``, or None when the draw is unusable (event missing, key not robust)."""
    params = template.sample(rng)
    if params is None:
        return None
    calls = template.calls(params)
    results = _run(template.tool, calls)
    value = None if results is None else template.value(params, results)
    if value is None or not math.isfinite(value) or (template.positive and value <= 0):
        return None
    refined_results = _run(template.tool, calls, timestep_scale=0.5)
    refined = None if refined_results is None else template.value(params, refined_results)
    scale = template.scale(params, results)
    if refined is None or not is_robust(value, refined, scale, template.positive):
        return None
    choices = numeric_choices(value, key_index, scale, template.positive, rng)
    answer = LETTERS[key_index]
    if nearest_letter(choices, value) != answer or nearest_letter(choices, refined) != answer:
        return None
    return Problem(
        id=problem_id,
        domain=DOMAIN,
        question=template.question(params),
        answer_type="mcq",
        answer=answer,
        tools=[template.tool],
        reference_calls=[ToolCall(template.tool, args) for args in calls],
        template=template.name,
        choices=choices,
        params=params,
        solution=_solution(template, params, value, choices, answer),
    )


def frozen_test_questions() -> set[str]:
    """The questions of the committed test split (other splits must not repeat them)."""
    return {p.question for p in read_jsonl(TEST_FILE)} if TEST_FILE.exists() else set()


def _schedule(n: int) -> list[Template]:
    """Round-robin over scene tools, and over each tool's templates, so every scene gets an equal share."""
    by_tool = list(templates_by_tool().values())
    schedule = []
    for i in range(n):
        templates = by_tool[i % len(by_tool)]
        schedule.append(templates[(i // len(by_tool)) % len(templates)])
    return schedule


@cache
def _default_timestep(tool_name: str) -> float:
    return inspect.signature(get_tool(tool_name).fn).parameters["timestep_s"].default


def _run(tool_name: str, calls: list[dict[str, Any]], timestep_scale: float = 1.0) -> Results | None:
    """Run the calls through the registry (as a replay would), or directly at a scaled timestep."""
    spec = get_tool(tool_name)
    results = []
    for args in calls:
        if timestep_scale == 1.0:
            outcome = spec.call(args)
            if not outcome.ok:
                return None
            results.append(outcome.value)
        else:
            results.append(spec.fn(**args, timestep_s=_default_timestep(tool_name) * timestep_scale))
    return results


def _solution(template: Template, params: Params, value: float, choices: dict[str, str], answer: str) -> str:
    """A worked solution that states the physics and the value as facts (no tool named: it is a WKD target)."""
    return (
        f"{template.physics(params)} Then {template.fact} is {value:.4g}, closest to option {answer} "
        f"({choices[answer]}), so the answer is {answer}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write MuJoCo multiple-choice problems as jsonl.")
    parser.add_argument("--out", type=Path, default=TEST_FILE)
    parser.add_argument("--n", type=int, default=TEST_SIZE)
    parser.add_argument("--seed", type=int, default=TEST_SEED)
    parser.add_argument("--split", default="test", choices=sorted(SPLIT_STREAMS))
    args = parser.parse_args(argv)
    problems = generate_problems(args.n, args.seed, args.split)
    count = write_jsonl(problems, args.out)
    print(f"wrote {count} {args.split} problems to {args.out}")


if __name__ == "__main__":
    main()
