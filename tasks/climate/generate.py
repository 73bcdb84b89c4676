"""Generate climate problems: multiple-choice (``climate_tool``) and open-ended route design (``climate_open_tool``).

``toolwise generate climate --split test --kind mcq --n 168 --seed 4 --out tasks/climate/data/test.jsonl``
(and ``--kind open --n 128 --out tasks/climate/data/test_open.jsonl``) rewrites the frozen test splits;
``generate_problems(n, seed, split="train")`` makes a training split on demand from a seed space disjoint
from the test split's, skipping any question that also appears in the test split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np

from toolwise.bench.problem import Problem
from toolwise.tasks.climate import _mcq, _open
from toolwise.tasks.kit.splits import balanced_letters, excluded_questions, split_rng

Kind = Literal["mcq", "open"]
DATA_DIR = Path(__file__).resolve().parent / "data"
TEST_FILES = {"mcq": DATA_DIR / "test.jsonl", "open": DATA_DIR / "test_open.jsonl"}
TEST_SIZES = {"mcq": 168, "open": 128}
TEST_SEED = 4
KIND_CODES = {"mcq": 0, "open": 1}
MAX_TRIES = 200


def _mcq_plan(n: int, rng: np.random.Generator) -> list[str]:
    """Templates in proportion to the test mix, shuffled."""
    weights = {name: count for name, (_, count) in _mcq.TEMPLATES.items()}
    total = sum(weights.values())
    plan = [name for name, w in weights.items() for _ in range(round(n * w / total))]
    while len(plan) < n:
        plan.append(str(rng.choice(list(weights))))
    plan = plan[:n]
    rng.shuffle(plan)
    return plan


def generate_problems(n: int, seed: int, split: str = "train", kind: Kind = "mcq") -> list[Problem]:
    """``n`` problems of ``kind``, deterministic in (n, seed, split, kind)."""
    plan_rng = split_rng(split, KIND_CODES[kind], seed)
    exclude = excluded_questions(split, *TEST_FILES.values())
    prefix = "climate" if kind == "mcq" else "climate-open"
    problems: list[Problem] = []
    seen: set[str] = set()
    if kind == "mcq":
        plan = _mcq_plan(n, plan_rng)
        letters: dict[str, list[str]] = {t: balanced_letters(plan.count(t), plan_rng) for t in sorted(set(plan))}
        for index, template in enumerate(plan):
            rng = split_rng(split, KIND_CODES[kind], seed, index)
            letter = letters[template].pop()
            problem = _draw(
                lambda r, _k, t=template, x=letter: _mcq.TEMPLATES[t][0](r, x), rng, exclude | seen, check=True
            )
            problem.id = f"{prefix}-{split}-{index:04d}"
            seen.add(problem.question)
            problems.append(problem)
    else:
        plan_open = _open.plan(n, plan_rng)
        for index, spec in enumerate(plan_open):
            rng = split_rng(split, KIND_CODES[kind], seed, index)
            # a planned (pair, species) whose search finds nothing better than the shortest route is replaced
            problem = _draw(
                lambda r, k, s=spec: _open.build(r, s if k < 3 else _open.random_spec(r, s[2])),
                rng,
                exclude | seen,
                check=False,
            )
            problem.id = f"{prefix}-{split}-{index:04d}"
            seen.add(problem.question)
            problems.append(problem)
    return problems


def _draw(build, rng: np.random.Generator, exclude: frozenset[str] | set[str], check: bool) -> Problem:
    for attempt in range(MAX_TRIES):
        try:
            problem = build(rng, attempt)
        except (_mcq.Rejected, _open.Rejected, ValueError):
            continue
        if problem.question in exclude:
            continue
        if check and not _mcq.robust(problem):
            continue
        return problem
    raise RuntimeError("could not draw an acceptable problem; widen the template's ranges")


def key_from_tool_results(problem: Problem, results: list[Any]) -> Any:
    """The key the replayed reference calls imply (open problems: the rubric, unchanged)."""
    if problem.answer_type == "open":
        return problem.answer
    return _mcq.key_from_results(problem, results)
