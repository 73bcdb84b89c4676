"""MATH splits: the pinned test problems of the paper and seeded training draws from the rest.

No test jsonl is committed (the MATH text stays with its publishers); the
split is the list of ids in ``test_ids.txt``, resolved against the hub or a
local copy at load time.

    toolwise generate math --split train --n 500 --seed 1 --out train.jsonl
writes problems (test or train) to a jsonl (a local copy: ``TOOLWISE_MATH_DATA``);
    python -m toolwise.tasks.math.generate --pin-from ../shared/data/math/awl_test.json
rewrites ``test_ids.txt`` from the paper's test file (problem texts matched to the pool).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolwise.bench.problem import Problem
from toolwise.tasks.kit import public_numeric
from toolwise.tasks.math import data

generate_problems = public_numeric.split_generator(data)
key_from_tool_results = public_numeric.key_from_tool_results  # the number the replayed snippet printed


def pin_from_paper(paper_test_file: Path, pool: list[Problem]) -> list[str]:
    """Ids of the paper's test problems, in its order; every one must be in the pool with the same answer."""

    def mismatch(match: Problem, row: dict[str, Any]) -> str | None:
        if abs(match.answer - float(row["answer"])) > 1e-9 * max(1.0, abs(match.answer)):
            return f"pool answer {match.answer} differs from the paper's {row['answer']}"
        return None

    return public_numeric.pin_from_paper(public_numeric.read_paper_rows(paper_test_file), "problem", pool, mismatch)


HEADER = (
    "# MATH test split of toolwise: the 170 problems the Adapting-While-Learning paper evaluated\n"
    "# (its test_set/math.json, read from {source}), matched by problem text to the 3,201-problem pool.\n"
    "# id = math-<subject>-<first 10 hex of sha1(whitespace-normalised problem text)>\n"
)


def main(argv: list[str] | None = None) -> None:
    """Pin the test split to the paper's problems (``toolwise generate`` writes problems)."""
    public_numeric.pin_main(argv, __doc__, data, pin_from_paper, HEADER, "<subject>.jsonl")


if __name__ == "__main__":
    main()
