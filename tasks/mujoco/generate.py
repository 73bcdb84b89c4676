"""Seeded generator of MuJoCo multiple-choice problems, and the key's derivation from tool results.

Each problem comes from a template (``templates/``): sample a scene, run its reference calls through the
registered tools, read the asked value, re-solve at half the timestep and keep the problem only if the
refined value sits within a quarter of the smallest option gap, then lay out four options around the key
(``numeric_choices``, on the kit's ladder). Scenes are spread evenly over the eight scene tools and key letters are balanced per
template. The test split is frozen in ``data/test.jsonl``; other splits come from disjoint random streams and
never repeat a test question.

    toolwise generate mujoco --split test --n 320 --seed 2411 --out tasks/mujoco/data/test.jsonl
"""

from __future__ import annotations

import inspect
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

import toolwise.tools.mujoco  # noqa: F401  (registers the scene tools)
from toolwise.bench.problem import LETTERS, Problem, ToolCall
from toolwise.tasks.kit import options
from toolwise.tasks.kit.options import jittered_gaps, key_holds, ladder, min_step_for, nearest_letter
from toolwise.tasks.kit.splits import KeyDeck, questions_in, split_code
from toolwise.tasks.mujoco.template import Params, Results, Template
from toolwise.tasks.mujoco.templates import TEMPLATES, templates_by_tool
from toolwise.tools import get_tool

DOMAIN = "mujoco"
TEST_FILE = Path(__file__).parent / "data" / "test.jsonl"
TEST_SIZE = 320
TEST_SEED = 2411
MAX_ATTEMPTS = 400
RELATIVE_SPACING = 0.15  # the smallest gap between options, as a fraction of the key (or of the scene's scale)
GAP_JITTER = (1.0, 1.8)  # each gap is the smallest gap times a factor drawn from this range
REFINEMENT_SAFETY = 4.0  # the half-timestep re-solve moves the key by at most a quarter of the smallest gap


def generate_problems(n: int, seed: int, split: str = "train") -> list[Problem]:
    """``n`` problems spread evenly over the scenes, reproducible from (``seed``, ``split``)."""
    rng = np.random.default_rng([split_code(split), seed])  # disjoint random streams per split
    excluded = set() if split == "test" else frozen_test_questions()
    key_letters = KeyDeck(rng)  # letters balanced per template
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, template in enumerate(_schedule(n)):
        key_index = key_letters.deal(template.name)
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
    scale = template.magnitude(params, results)
    if refined is None or not is_robust(value, refined, scale, template.positive):
        return None
    choices = numeric_choices(value, key_index, scale, template.positive, rng)
    answer = LETTERS[key_index]
    if not key_holds(choices, answer, value, refined):
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


def spacing(value: float, scale: float, positive: bool) -> float:
    """The smallest gap between adjacent options (absolute for signed values, a log-ratio for positive ones)."""
    if positive:
        return RELATIVE_SPACING
    return RELATIVE_SPACING * max(abs(value), abs(scale))


def is_robust(value: float, refined: float, scale: float, positive: bool) -> bool:
    """True when the re-solve at half the timestep lands within a quarter of the smallest gap of the key."""
    return min_step_for(value, refined, REFINEMENT_SAFETY, multiplicative=positive) <= spacing(value, scale, positive)


def numeric_choices(
    value: float, key_index: int, scale: float, positive: bool, rng: np.random.Generator
) -> dict[str, str]:
    """Options A-D (ascending) for ``value`` with the key at ``LETTERS[key_index]``: gaps of 1-1.8 × the
    smallest, additive for signed quantities and multiplicative for positive ones (no option is ever
    negative), printed with the decimals that show the smallest gap with two significant digits."""
    gaps = jittered_gaps(spacing(value, scale, positive), rng, GAP_JITTER)
    values = ladder(value, key_index, gaps, multiplicative=positive)
    return options.numeric_choices(values, options.decimals_for(options.smallest_gap(values)))


def frozen_test_questions() -> set[str]:
    """The questions of the committed test split (other splits must not repeat them)."""
    return set(questions_in(TEST_FILE))


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
