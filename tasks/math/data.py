"""MATH problems with numeric answers, from the hub or a local copy, and the pinned test split.

Sources:
* the hub (default): ``EleutherAI/hendrycks_math`` (MIT), the copy lm-eval uses since
  ``hendrycks/competition_math`` was taken down; every subject config, train and test
  splits; the key is the last ``\\boxed{}`` of the reference solution, kept when it
  parses as a number;
* a local folder of ``<subject>.jsonl`` files with ``question``, ``answer`` (float) and
  ``level`` (the Adapting-While-Learning release; ``../shared/data/math`` in CI),
  chosen with ``--metadata '{"math_data": "/path"}'`` or ``TOOLWISE_MATH_DATA``.

The test split is the paper's 170 problems, pinned by id in ``test_ids.txt``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import datasets

from toolwise.bench.answers import last_boxed, parse_number
from toolwise.bench.lmeval_task import problems_to_dataset
from toolwise.bench.problem import Problem
from toolwise.tasks.kit import public_numeric

DOMAIN = "math"
HUB_DATASET = "EleutherAI/hendrycks_math"
SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)
PINNED_IDS = Path(__file__).with_name("test_ids.txt")
LABEL = "MATH"


def problem_id(subject: str, question: str) -> str:
    return f"{DOMAIN}-{subject}-{public_numeric.text_digest(question)}"


def make_problem(subject: str, question: str, answer: float, level: str, worked: str | None = None) -> Problem:
    answer_text = f"{answer:g}"
    label = f"MATH {subject.replace('_', ' ')}, {level}"
    call = public_numeric.reference_call(repr(float(answer)), label)
    return Problem(
        id=problem_id(subject, question),
        domain=DOMAIN,
        question=question.strip(),
        answer_type="numeric",
        answer=float(answer),
        tools=[public_numeric.TOOL],
        reference_calls=[call],
        template=subject,
        tolerance=public_numeric.TOLERANCE,
        params={"subject": subject, "level": level},
        solution=public_numeric.worked_solution(worked, answer_text),
        difficulty=level,
    )


def read_local(folder: Path) -> list[Problem]:
    """Every problem of the ``<subject>.jsonl`` files in ``folder``."""
    problems = []
    for subject in SUBJECTS:
        path = folder / f"{subject}.jsonl"
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    problems.append(
                        make_problem(subject, row["question"], float(row["answer"]), row["level"], row.get("solution"))
                    )
    if not problems:
        raise FileNotFoundError(f"no MATH <subject>.jsonl files in {folder}")
    return problems


def read_hub(dataset: str = HUB_DATASET) -> list[Problem]:
    """Every problem of the hub copy whose boxed answer is a plain number."""
    problems = []
    for subject, row in public_numeric.hub_rows(dataset, SUBJECTS, ("train", "test")):
        boxed = last_boxed(row["solution"])
        answer = parse_number(boxed) if boxed is not None else None
        if answer is not None and _plain_number(boxed):
            problems.append(make_problem(str(subject), row["problem"], answer, row["level"], row["solution"]))
    return problems


def _plain_number(boxed: str | None) -> bool:
    """One number (a fraction, a root, with a unit in \\text{}), not an expression in variables or a list."""
    if boxed is None or re.search(r",(?!\d{3}(?!\d))", boxed.replace("{,}", "")):
        return False  # a list or a point, not one number (thousands separators are fine)
    bare = re.sub(r"\\(?:text|mbox|mathrm)\s*\{[^{}]*\}", "", boxed)
    bare = re.sub(r"\\(?:[dt]?frac|sqrt|pi|circ|cdot|times|left|right|%|\$|!|,)", "", bare)
    return not any(c.isalpha() for c in bare)


def load_pool(data_dir: str | None = None, hub_dataset: str = HUB_DATASET) -> list[Problem]:
    return public_numeric.load_pool(DOMAIN, data_dir, read_local, lambda: read_hub(hub_dataset))


def test_problems(pool: list[Problem]) -> list[Problem]:
    return public_numeric.select_pinned(pool, public_numeric.read_pinned_ids(PINNED_IDS), LABEL)


def load(math_data: str | None = None, math_hub_dataset: str = HUB_DATASET, **_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of math_tool: the pinned test split (lm-eval passes metadata and model args too)."""
    return problems_to_dataset(test_problems(load_pool(math_data, math_hub_dataset)))
