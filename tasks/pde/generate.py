"""Generate PDE multiple-choice problems: diffusion in 1-D and 2-D, Fisher–KPP invasions.

``generate_problems(n, seed, split)`` is seeded and deterministic. Question kinds
are spread evenly over the families (a fixed schedule, shuffled) and the key's
letter is balanced exactly over A–D in every block of four. Every key is the
reference tool call's answer, re-solved on a grid twice as fine (and at tighter
integrator tolerance): the options are spaced at least ten times the difference,
so resolution cannot flip the letter.

    toolwise generate pde --split test --n 160 --seed 0 --out tasks/pde/data/test.jsonl
rewrites the frozen test split. Training splits are generated on demand from a
separate random stream and never repeat a test question.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from toolwise.bench.problem import LETTERS, Problem, ToolCall
from toolwise.tasks.kit.options import (
    fit_even_ladder,
    key_holds,
    min_step_for,
    nearest_letter,
    numeric_choices,
    round_steps,
)
from toolwise.tasks.kit.splits import balanced_positions, excluded_questions, split_code
from toolwise.tasks.pde._questions import DRAFTERS, FAMILIES, Draft, extract_answer, fmt
from toolwise.tools import get_tool
from toolwise.tools.pde import TOOL_NAMES, solve_refined

DOMAIN = "pde"
TEST_FILE = Path(__file__).parent / "data" / "test.jsonl"
TEST_SEED = 0
TEST_SIZE = 160
_MAX_ATTEMPTS = 400
_EDGE_MARGIN = 0.02  # keys this close (relative to their spread) to a physical bound are too easy to bracket
_STATED_MARGIN = 0.005  # keys this close to a stated initial/boundary value are given away
_REFINEMENT = 2
_SAFETY = 10.0  # option step ≥ this × |refined − key|


def generate_problems(n: int, seed: int, split: str = "train") -> list[Problem]:
    """``n`` PDE MCQs from ``seed`` for ``split`` ("test", "train" or "validation")."""
    # independent random streams per split (the split's code second: the order the committed split was drawn in)
    rng = np.random.default_rng([seed, split_code(split)])
    combos = [(family, kind) for family, kinds in FAMILIES.items() for kind in kinds]
    # Each (family, kind) in turn, and within it each scenario in turn, so rejection sampling cannot skew the mix.
    schedule = [(*combos[i % len(combos)], i // len(combos)) for i in range(n)]
    rng.shuffle(schedule)
    rungs = balanced_positions(n, rng)
    seen = set(excluded_questions(split, TEST_FILE))
    problems = []
    for index, ((family, kind, variant), rung) in enumerate(zip(schedule, rungs, strict=True)):
        problem = None
        for _ in range(_MAX_ATTEMPTS):
            draft = DRAFTERS[family](rng, kind, variant)
            problem = _finish(draft, rung, rng, f"{DOMAIN}-{split}-{index:04d}") if draft else None
            if problem is not None and problem.question not in seen:
                break
        else:
            raise RuntimeError(f"no valid {family}/{kind} problem in {_MAX_ATTEMPTS} draws (seed {seed})")
        seen.add(problem.question)
        problems.append(problem)
    return problems


def key_from_tool_results(problem: Problem, results: list[Any]) -> str:
    """The letter whose option is closest to the replayed reference call's answer."""
    value = extract_answer(problem.params["kind"], results[0])
    if value is None or problem.choices is None:
        raise ValueError(f"problem {problem.id}: the tool result has no {problem.params['kind']}")
    return nearest_letter(problem.choices, value)


def _finish(draft: Draft, rung: int, rng: np.random.Generator, problem_id: str) -> Problem | None:
    """Solve the draft, check the key on a finer grid, build the options; None if it is not robust."""
    outcome = get_tool(draft.tool).call(draft.arguments)
    if not outcome.ok:
        return None
    value = extract_answer(draft.kind, outcome.value)
    if value is None:
        return None
    refined = extract_answer(draft.kind, solve_refined(draft.tool, draft.arguments, _REFINEMENT))
    if refined is None:
        return None
    spread = draft.spread or abs(value)
    if spread <= 0 or any(
        abs(value - b) < _EDGE_MARGIN * spread for b in (draft.lower, draft.upper) if math.isfinite(b)
    ):
        return None
    if draft.spread and any(abs(value - s) < _STATED_MARGIN * spread for s in draft.stated):
        return None  # the answer is a number the question already states (a wall value, the initial value)
    # Strictly positive quantities (times, gradients, positions) keep every option above zero.
    lower = draft.lower + (1e-9 * spread if draft.lower == 0 and draft.spread == 0 else 0.0)
    # an even ladder of the largest round step below the target that fits the physical range
    ladder = fit_even_ladder(
        value,
        rung,
        round_steps(float(rng.uniform(0.08, 0.16)) * spread),
        min_step=max(0.03 * spread, min_step_for(value, refined, _SAFETY)),
        lower=lower,
        upper=draft.upper,
    )
    if ladder is None:
        return None
    choices = numeric_choices(ladder.values, ladder.decimals)
    key = LETTERS[rung]
    if not key_holds(choices, key, value, refined):
        return None
    # a worked solution (WKD target): the physical reasoning and the value as facts, never the solver
    solution = (
        f"{draft.insight} So {draft.answer_label} is {fmt(value)} {draft.unit}, closest to option {key} "
        f"({choices[key]}), so the answer is {key}"
    ).strip()
    return Problem(
        id=problem_id,
        domain=DOMAIN,
        question=draft.question,
        answer_type="mcq",
        answer=key,
        tools=list(TOOL_NAMES),
        reference_calls=[ToolCall(draft.tool, draft.arguments)],
        template=f"{draft.family}/{draft.kind}",
        choices=choices,
        unit=draft.unit,
        params={
            **draft.params,
            "family": draft.family,
            "kind": draft.kind,
            "key_value": value,
            "refined_value": refined,
            "option_step": ladder.step,
        },
        solution=solution,
    )
