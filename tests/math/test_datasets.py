"""The MATH and SciBench pools, their pinned test splits, training draws and the hub readers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import datasets
import pytest

from toolwise.bench.problem import problem_from_doc
from toolwise.tasks.kit import public_numeric
from toolwise.tasks.math import data as math_data
from toolwise.tasks.math import generate as math_generate
from toolwise.tasks.scibench import data as sci_data
from toolwise.tasks.scibench import generate as sci_generate

pytestmark = pytest.mark.usefixtures("offline_sources")


def test_math_pool_and_the_papers_170(math_dir: Path) -> None:
    pool = math_data.load_pool()
    assert len(pool) == 3201 and len({p.id for p in pool}) == 3201
    test = math_generate.generate_problems(170, seed=0, split="test")
    paper = json.loads((math_dir / "awl_test.json").read_text())
    assert [p.question for p in test] == [row["problem"].strip() for row in paper]
    assert [p.answer for p in test] == [row["answer"] for row in paper]
    # the composition the paper reports (research/paper.md §1.6)
    assert Counter(p.params["subject"] for p in test) == {
        "algebra": 53, "prealgebra": 32, "intermediate_algebra": 22, "number_theory": 20,
        "counting_and_probability": 19, "geometry": 18, "precalculus": 6,
    }  # fmt: skip
    levels = {"Level 1": 17, "Level 2": 39, "Level 3": 34, "Level 4": 40, "Level 5": 40}
    assert Counter(p.difficulty for p in test) == levels
    for p in test:
        assert p.answer_type == "numeric" and p.tolerance == 0.05 and p.tools == ["run_python"] and p.unit is None
        assert p.solution == ""  # the offline copy has no worked solutions: training asks a teacher for one


def test_scibench_pool_and_the_papers_120(scibench_dir: Path) -> None:
    pool = sci_data.load_pool()
    assert len(pool) == 580 and len({p.id for p in pool}) == 580
    test = sci_generate.generate_problems(120, seed=0, split="test")
    paper = json.loads((scibench_dir / "awl_test.json").read_text())
    assert [p.question for p in test] == [row["problem_text"].strip() for row in paper]
    assert [p.params["answer_text"] for p in test] == [row["answer_number"].strip() for row in paper]
    assert Counter(p.template for p in test) == {
        "atkins": 20, "stat": 18, "fund": 16, "thermo": 12, "chemmc": 11,
        "class": 10, "diff": 10, "matter": 9, "calculus": 8, "quan": 6,
    }  # fmt: skip
    laser = test[0]
    assert laser.answer == 1.70 and laser.unit == r"$ 10^{15} \text { photon } \cdot \mathrm{s}^{-1} $"
    assert laser.prompt_text().endswith(
        r"The unit of the answer is $ 10^{15} \text { photon } \cdot \mathrm{s}^{-1} $."
    )
    assert sum(p.unit is None for p in test) > 0  # unitless problems get no unit sentence
    assert all(p.prompt_text() == p.question for p in test if p.unit is None)


def test_scibench_repeated_textbook_ids_stay_distinct() -> None:
    pool = sci_data.load_pool()
    by_source_id = Counter((p.params["source"], p.params["problemid"]) for p in pool)
    repeated = {k for k, n in by_source_id.items() if n > 1}
    assert repeated == {("quan", "2.13"), ("stat", "5.8-5"), ("stat", "Problem 1.1.1")}
    assert all(p.id.startswith("scibench-") and " " not in p.id for p in pool)


@pytest.mark.parametrize("generate", [math_generate, sci_generate], ids=["math", "scibench"])
def test_training_draws_are_seeded_and_never_test_questions(generate) -> None:  # type: ignore[no-untyped-def]
    test = generate.generate_problems(20, seed=0, split="test")
    all_test = generate.generate_problems(len(public_numeric.read_pinned_ids(generate.data.PINNED_IDS)), 0, "test")
    train = generate.generate_problems(200, seed=3, split="train")
    assert [p.id for p in train] == [p.id for p in generate.generate_problems(200, seed=3, split="train")]
    assert [p.id for p in train] != [p.id for p in generate.generate_problems(200, seed=4, split="train")]
    assert len({p.id for p in train}) == 200
    test_texts = {" ".join(p.question.split()) for p in all_test}
    assert not {p.id for p in train} & {p.id for p in all_test}
    assert not {" ".join(p.question.split()) for p in train} & test_texts
    assert test == all_test[:20]
    with pytest.raises(ValueError, match="split"):
        generate.generate_problems(5, seed=0, split="validation")


@pytest.mark.parametrize("generate", [math_generate, sci_generate], ids=["math", "scibench"])
def test_key_is_read_from_what_the_snippet_printed(generate) -> None:  # type: ignore[no-untyped-def]
    problem = generate.generate_problems(1, seed=0, split="test")[0]
    assert generate.key_from_tool_results(problem, ["answer: 3.5\n"]) == 3.5
    assert generate.key_from_tool_results(problem, ["1\n2\n", "intermediate\n1.25e-3\n"]) == 1.25e-3
    with pytest.raises(ValueError, match="printed no number"):
        generate.key_from_tool_results(problem, ["(the script printed nothing)"])


def test_custom_dataset_hooks_give_the_rows_lm_eval_reads() -> None:
    for load, n in ((math_data.load, 170), (sci_data.load, 120)):
        dataset = load(version=1.0, domain="x", tool_modules=[], backend="oracle")  # lm-eval passes extra keys
        assert isinstance(dataset, datasets.DatasetDict) and len(dataset["test"]) == n
        row = dataset["test"][0]
        problem = problem_from_doc(row)
        assert row["question"] == problem.prompt_text() and float(row["answer"]) == problem.answer


def test_math_hub_rows_become_problems_with_the_same_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    local = {p.id: p for p in math_data.load_pool()}
    known = next(p for p in local.values() if p.answer == 0.5)
    rows = {
        ("algebra", "test"): [
            {"problem": known.question, "level": known.difficulty, "type": "Algebra",
             "solution": r"Halve it: $\boxed{\dfrac{1}{2}}$."},
            {"problem": "Expand $(x+1)^2$.", "level": "Level 1", "type": "Algebra",
             "solution": r"$\boxed{x^2+2x+1}$"},
            {"problem": "Find the point.", "level": "Level 2", "type": "Algebra", "solution": r"$\boxed{(1,2)}$"},
            {"problem": "How many cents?", "level": "Level 2", "type": "Algebra",
             "solution": r"So $\boxed{1{,}250\text{ cents}}$."},
        ]
    }  # fmt: skip
    subject = known.params["subject"]
    rows = {(subject, "test"): rows[("algebra", "test")]}

    def fake_load_dataset(name: str, config: str | None, split: str):  # type: ignore[no-untyped-def]
        assert name == "EleutherAI/hendrycks_math"
        return rows.get((config, split), [])

    monkeypatch.setattr(public_numeric.datasets, "load_dataset", fake_load_dataset)
    problems = math_data.read_hub()
    assert [p.answer for p in problems] == [0.5, 1250.0]
    assert problems[0].id == known.id  # same text, same id, from either source
    assert "Halve it" in problems[0].solution and problems[0].solution.endswith("the answer is 0.5")


def test_scibench_hub_rows_become_problems(monkeypatch: pytest.MonkeyPatch, scibench_dir: Path) -> None:
    rows = json.loads((scibench_dir / "chemmc.json").read_text())["problems"]

    def fake_load_dataset(name: str, config: str | None, split: str):  # type: ignore[no-untyped-def]
        assert (name, config, split) == ("xw27/scibench", None, "train")
        return rows

    monkeypatch.setattr(public_numeric.datasets, "load_dataset", fake_load_dataset)
    hub = sci_data.read_hub()
    local = sci_data.read_local(scibench_dir)
    assert {p.id for p in hub} <= {p.id for p in local} and len(hub) == len(rows)


def test_an_unreachable_hub_falls_back_to_the_shared_copy_or_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TOOLWISE_MATH_DATA")

    def offline(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("offline")

    monkeypatch.setattr(public_numeric.datasets, "load_dataset", offline)
    assert len(math_data.load_pool()) == 3201  # ../shared/data/math
    monkeypatch.setattr(public_numeric, "SHARED_DATA", tmp_path)
    with pytest.raises(RuntimeError, match="TOOLWISE_MATH_DATA"):
        math_data.load_pool()
    with pytest.raises(FileNotFoundError, match="not found"):
        math_data.load_pool(str(tmp_path / "nowhere"))


def test_pinning_reproduces_the_committed_id_files(math_dir: Path, scibench_dir: Path) -> None:
    math_ids = math_generate.pin_from_paper(math_dir / "awl_test.json", math_data.read_local(math_dir))
    assert math_ids == public_numeric.read_pinned_ids(math_data.PINNED_IDS)
    sci_ids = sci_generate.pin_from_paper(scibench_dir / "awl_test.json", sci_data.read_local(scibench_dir))
    assert sci_ids == public_numeric.read_pinned_ids(sci_data.PINNED_IDS)
