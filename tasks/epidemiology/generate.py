"""Seeded generator of the epidemiology questions, multiple-choice and open-ended.

``toolwise generate epidemiology --split test --kind mcq --n 120 --seed 2411 --out tasks/epidemiology/data/test.jsonl``
(and ``--kind open --n 80 --out tasks/epidemiology/data/test_open.jsonl``) rewrites the frozen test splits;
``generate_problems(n, seed, split="train")`` makes a training split on demand from a seed space disjoint
from the test split's, skipping any question that also appears in the test split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np

from toolwise.bench.problem import LETTERS, Problem
from toolwise.tasks.epidemiology._mcq import TEMPLATES, TREND_LABELS, key_from_results
from toolwise.tasks.epidemiology._open import allocation_problem, rubric_from_results
from toolwise.tasks.kit.splits import excluded_questions, shuffled_block, split_rng

DATA = Path(__file__).parent / "data"
TEST_FILES = {"mcq": DATA / "test.jsonl", "open": DATA / "test_open.jsonl"}
TEST_SEED = 2411  # the seed of the committed test splits
TEST_SIZES = {"mcq": 120, "open": 80}
KIND_CODES = {"mcq": 0, "open": 1}
MAX_ATTEMPTS = 400

Kind = Literal["mcq", "open"]


def _mcq_plan_entry(index: int, split: str, seed: int) -> tuple[str, str, str | None]:
    """(template, key letter, trend label) of problem ``index``, whatever the split's size.

    Templates take turns; each template's key letters (and the trend labels) go in shuffled blocks of four, so
    every letter is the key equally often within a template, up to one block.
    """
    names = list(TEMPLATES)
    template = names[index % len(names)]
    turn = index // len(names)
    block = split_rng(split, KIND_CODES["mcq"], seed, 1000 + names.index(template), turn // 4)
    letter = LETTERS[shuffled_block(block)[turn % 4]]
    label = TREND_LABELS[shuffled_block(block)[turn % 4]] if template == "trend" else None
    return template, letter, label


def generate_problems(n: int, seed: int, split: str = "train", kind: Kind = "mcq") -> list[Problem]:
    """``n`` problems of ``kind``; problem i depends only on (i, seed, split, kind), so a split's first k
    problems are the k problems generated with n = k."""
    exclude = excluded_questions(split, *TEST_FILES.values())
    prefix = "epi" if kind == "mcq" else "epi-open"
    problems = []
    for index in range(n):
        plan = _mcq_plan_entry(index, split, seed) if kind == "mcq" else ("allocation", "", None)
        template, letter, label = plan
        rng = split_rng(split, KIND_CODES[kind], seed, index)
        problem = _one(rng, template, letter, label, exclude)
        problem.id = f"{prefix}-{split}-{index:04d}"
        problems.append(problem)
    return problems


def _one(rng: np.random.Generator, template: str, letter: str, label: str | None, exclude: frozenset[str]) -> Problem:
    for _ in range(MAX_ATTEMPTS):
        if template == "allocation":
            problem = allocation_problem(rng)
        elif template == "trend":
            problem = TEMPLATES[template](rng, letter, label)
        else:
            problem = TEMPLATES[template](rng, letter)
        if problem is not None and problem.question not in exclude:
            return problem
    raise RuntimeError(f"no robust {template} problem after {MAX_ATTEMPTS} attempts")


def key_from_tool_results(problem: Problem, results: list[Any]) -> Any:
    """The key the replayed reference calls give: a letter for an MCQ, the rubric for an open question."""
    if problem.answer_type == "open":
        rubric = problem.answer
        return rubric_from_results(
            rubric["tool_arguments"], rubric["uniform_strength"], rubric["best_known_allocation"], results
        )
    return key_from_results(problem, results)
