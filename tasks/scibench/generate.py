"""SciBench splits: the pinned test problems of the paper and seeded training draws from the rest.

No test jsonl is committed; the split is the list of ids in ``test_ids.txt``,
resolved against the hub or a local copy at load time.

    toolwise generate scibench --split train --n 200 --seed 1 --out train.jsonl
writes problems (test or train) to a jsonl (a local copy: ``TOOLWISE_SCIBENCH_DATA``);
    python -m toolwise.tasks.scibench.generate --pin-from ../shared/data/scibench/awl_test.json
rewrites ``test_ids.txt`` from the paper's test file (problem texts matched to the pool).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolwise.bench.problem import Problem
from toolwise.tasks.kit import public_numeric
from toolwise.tasks.scibench import data

generate_problems = public_numeric.split_generator(data)
key_from_tool_results = public_numeric.key_from_tool_results  # the number the replayed snippet printed


def pin_from_paper(paper_test_file: Path, pool: list[Problem]) -> list[str]:
    """Ids of the paper's test problems, in its order; each must match a pool problem's text, answer and unit."""

    def mismatch(match: Problem, row: dict[str, Any]) -> str | None:
        same_answer = match.params["answer_text"] == str(row["answer_number"]).strip()
        if not same_answer or match.unit != data.clean_unit(row["unit"]):
            return "answer or unit differs from the paper's test file"
        return None

    return public_numeric.pin_from_paper(
        public_numeric.read_paper_rows(paper_test_file), "problem_text", pool, mismatch
    )


HEADER = (
    "# SciBench test split of toolwise: the 120 problems the Adapting-While-Learning paper evaluated\n"
    "# (its test_set/scibench.json, read from {source}), matched by problem text to the 580 problems\n"
    "# of the ten textbook files. id = scibench-<textbook>-<problem id slug>-<first 6 hex of sha1(text)>\n"
)


def main(argv: list[str] | None = None) -> None:
    """Pin the test split to the paper's problems (``toolwise generate`` writes problems)."""
    public_numeric.pin_main(argv, __doc__, data, pin_from_paper, HEADER, "<textbook>.json")


if __name__ == "__main__":
    main()
