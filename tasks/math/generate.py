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

import argparse
import json
from pathlib import Path
from typing import Any

from toolwise.bench.problem import Problem
from toolwise.tasks.kit import public_numeric
from toolwise.tasks.math import data

DOMAIN = data.DOMAIN


def generate_problems(n: int, seed: int, split: str = "train", data_dir: str | None = None) -> list[Problem]:
    """``test``: the first ``n`` pinned problems (seed unused). ``train``: ``n`` non-test problems drawn with ``seed``."""
    pool = data.load_pool(data_dir)
    return public_numeric.split_problems(pool, data.test_problems(pool), n, seed, split, DOMAIN)


def key_from_tool_results(problem: Problem, results: list[Any]) -> float:
    """The number the replayed snippet printed."""
    return public_numeric.key_from_tool_results(problem, results)


def pin_from_paper(paper_test_file: Path, pool: list[Problem]) -> list[str]:
    """Ids of the paper's test problems, in its order; every one must be in the pool with the same answer."""

    def mismatch(match: Problem, row: dict[str, Any]) -> str | None:
        if abs(match.answer - float(row["answer"])) > 1e-9 * max(1.0, abs(match.answer)):
            return f"pool answer {match.answer} differs from the paper's {row['answer']}"
        return None

    rows = json.loads(paper_test_file.read_text(encoding="utf-8"))
    return public_numeric.pin_from_paper(rows, "problem", pool, mismatch)


def write_pinned_ids(ids: list[str], source: Path) -> None:
    header = (
        "# MATH test split of toolwise: the 170 problems the Adapting-While-Learning paper evaluated\n"
        f"# (its test_set/math.json, read from {source.name}), matched by problem text to the 3,201-problem pool.\n"
        "# id = math-<subject>-<first 10 hex of sha1(whitespace-normalised problem text)>\n"
    )
    public_numeric.write_pinned_ids(data.PINNED_IDS, ids, header)


def main(argv: list[str] | None = None) -> None:
    """Pin the test split to the paper's problems (``toolwise generate`` writes problems)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="local MATH folder (<subject>.jsonl); default: the hub, then ../shared/data")
    parser.add_argument("--pin-from", type=Path, required=True, help="the paper's test file; rewrites test_ids.txt")
    args = parser.parse_args(argv)
    folder = args.data or str(args.pin_from.parent)
    ids = pin_from_paper(args.pin_from, data.read_local(Path(folder)))
    write_pinned_ids(ids, args.pin_from)
    print(f"pinned {len(ids)} MATH test problems in {data.PINNED_IDS}")


if __name__ == "__main__":
    main()
