"""SciBench open-textbook problems, from the hub or a local copy, and the pinned test split.

Sources:
* the hub (default): ``xw27/scibench`` (MIT, the SciBench authors' copy), split ``train``;
* a local folder of the original ``<textbook>.json`` files (``{"problems": [...]}``,
  ``../shared/data/scibench`` in CI), chosen with ``--metadata '{"scibench_data": "/path"}'``
  or ``TOOLWISE_SCIBENCH_DATA``.

Each problem keeps its unit: the answer is a number in that unit (e.g. unit
``10^{15} photon/s``, answer 1.70), and the prompt ends, as in the original
benchmark, with "The unit of the answer is <unit>." (``Problem.prompt_text``).
The test split is the paper's 120 problems, pinned by id in ``test_ids.txt``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import datasets

from toolwise.bench.answers import parse_number
from toolwise.bench.lmeval_task import problems_to_dataset
from toolwise.bench.problem import Problem
from toolwise.tasks.kit import public_numeric

DOMAIN = "scibench"
HUB_DATASET = "xw27/scibench"
TEXTBOOKS = ("atkins", "calculus", "chemmc", "class", "diff", "fund", "matter", "quan", "stat", "thermo")
PINNED_IDS = Path(__file__).with_name("test_ids.txt")
LABEL = "SciBench"


def clean_unit(unit: str | None) -> str | None:
    """The unit as one line of text; None when there is none (blank or a bare '$')."""
    text = " ".join((unit or "").split())
    return None if text.strip("$ ") == "" else text


def problem_id(source: str, problemid: str, text: str) -> str:
    # Three textbook ids repeat in SciBench (quan 2.13, stat 5.8-5, stat Problem 1.1.1): the text digest separates them.
    return f"{DOMAIN}-{source.strip()}-{public_numeric.slug(problemid)}-{public_numeric.text_digest(text, 6)}"


def make_problem(row: Mapping[str, Any]) -> Problem | None:
    """A Problem from one SciBench row; None when its answer is not a number."""
    answer_text = str(row["answer_number"]).strip()
    answer = parse_number(answer_text)
    if answer is None:
        return None
    source = str(row["source"]).strip()
    text = str(row["problem_text"]).strip()
    unit = clean_unit(row.get("unit"))
    label = f"SciBench {source} {str(row.get('problemid', '')).strip()}"
    worked = row.get("solution") if isinstance(row.get("solution"), str) else None
    printed = repr(float(answer))
    return Problem(
        id=problem_id(source, str(row.get("problemid", "")), text),
        domain=DOMAIN,
        question=text,
        answer_type="numeric",
        answer=answer,
        tools=[public_numeric.TOOL],
        reference_calls=[public_numeric.reference_call(printed, label)],
        template=source,
        tolerance=public_numeric.TOLERANCE,
        unit=unit,
        params={"source": source, "problemid": str(row.get("problemid", "")).strip(), "answer_text": answer_text},
        solution=public_numeric.worked_solution(worked, answer_text, unit),
    )


def _problems(rows: Iterable[Mapping[str, Any]]) -> list[Problem]:
    return [p for p in (make_problem(r) for r in rows) if p is not None]


def read_local(folder: Path) -> list[Problem]:
    """Every problem of the ``<textbook>.json`` files in ``folder``."""
    rows: list[Mapping[str, Any]] = []
    for textbook in TEXTBOOKS:
        path = folder / f"{textbook}.json"
        if path.exists():
            rows.extend(json.loads(path.read_text(encoding="utf-8"))["problems"])
    if not rows:
        raise FileNotFoundError(f"no SciBench <textbook>.json files in {folder}")
    return _problems(rows)


def read_hub(dataset: str = HUB_DATASET) -> list[Problem]:
    return _problems(row for _, row in public_numeric.hub_rows(dataset, [None], ["train"]))


def load_pool(data_dir: str | None = None, hub_dataset: str = HUB_DATASET) -> list[Problem]:
    return public_numeric.load_pool(DOMAIN, data_dir, read_local, lambda: read_hub(hub_dataset))


def test_problems(pool: list[Problem]) -> list[Problem]:
    return public_numeric.select_pinned(pool, public_numeric.read_pinned_ids(PINNED_IDS), LABEL)


def load(scibench_data: str | None = None, scibench_hub_dataset: str = HUB_DATASET, **_: Any) -> datasets.DatasetDict:
    """``custom_dataset`` hook of scibench_tool: the pinned test split (lm-eval passes metadata and model args too)."""
    return problems_to_dataset(test_problems(load_pool(scibench_data, scibench_hub_dataset)))
