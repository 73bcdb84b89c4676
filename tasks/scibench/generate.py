"""SciBench splits: the pinned test problems of the paper and seeded training draws from the rest.

No test jsonl is committed; the split is the list of ids in ``test_ids.txt``,
resolved against the hub or a local copy at load time.

    toolwise generate scibench --split train --n 200 --seed 1 --out train.jsonl
writes problems (test or train) to a jsonl (a local copy: ``TOOLWISE_SCIBENCH_DATA``);
    python -m toolwise.tasks.scibench.generate --pin-from ../shared/data/scibench/awl_test.json
rewrites ``test_ids.txt`` from the paper's test file (problem texts matched to the pool).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from toolwise.bench.problem import Problem
from toolwise.tasks.kit import public_numeric
from toolwise.tasks.scibench import data

DOMAIN = data.DOMAIN


def generate_problems(n: int, seed: int, split: str = "train", data_dir: str | None = None) -> list[Problem]:
    """``test``: the first ``n`` pinned problems (seed unused). ``train``: ``n`` non-test problems drawn with ``seed``."""
    pool = data.load_pool(data_dir)
    return public_numeric.split_problems(pool, data.test_problems(pool), n, seed, split, DOMAIN)


def key_from_tool_results(problem: Problem, results: list[Any]) -> float:
    """The number (in the problem's unit) the replayed snippet printed."""
    return public_numeric.key_from_tool_results(problem, results)


def pin_from_paper(paper_test_file: Path, pool: list[Problem]) -> list[str]:
    """Ids of the paper's test problems, in its order; each must match a pool problem's text, answer and unit."""

    def mismatch(match: Problem, row: dict[str, Any]) -> str | None:
        same_answer = match.params["answer_text"] == str(row["answer_number"]).strip()
        if not same_answer or match.unit != data.clean_unit(row["unit"]):
            return "answer or unit differs from the paper's test file"
        return None

    rows = json.loads(paper_test_file.read_text(encoding="utf-8"))
    return public_numeric.pin_from_paper(rows, "problem_text", pool, mismatch)


def write_pinned_ids(ids: list[str], source: Path) -> None:
    header = (
        "# SciBench test split of toolwise: the 120 problems the Adapting-While-Learning paper evaluated\n"
        f"# (its test_set/scibench.json, read from {source.name}), matched by problem text to the 580 problems\n"
        "# of the ten textbook files. id = scibench-<textbook>-<problem id slug>-<first 6 hex of sha1(text)>\n"
    )
    public_numeric.write_pinned_ids(data.PINNED_IDS, ids, header)


def main(argv: list[str] | None = None) -> None:
    """Pin the test split to the paper's problems (``toolwise generate`` writes problems)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="local SciBench folder (<textbook>.json); default: the hub, then ../shared/data")
    parser.add_argument("--pin-from", type=Path, required=True, help="the paper's test file; rewrites test_ids.txt")
    args = parser.parse_args(argv)
    folder = args.data or str(args.pin_from.parent)
    ids = pin_from_paper(args.pin_from, data.read_local(Path(folder)))
    write_pinned_ids(ids, args.pin_from)
    print(f"pinned {len(ids)} SciBench test problems in {data.PINNED_IDS}")


if __name__ == "__main__":
    main()
