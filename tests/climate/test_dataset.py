"""The committed climate splits: keys reproduced by the tools, robust, fair to guessers; training splits disjoint."""

from __future__ import annotations

from collections import Counter

from toolwise.bench.dataset_checks import format_guesser_accuracies, guessers_above_chance
from toolwise.bench.evaluate import evaluate
from toolwise.bench.problem import read_jsonl
from toolwise.bench.solutions import mentions_tools
from toolwise.bench.task_index import get_domain
from toolwise.tasks.climate import _mcq, open_scoring
from toolwise.tasks.climate.generate import (
    TEST_FILES,
    TEST_SEED,
    TEST_SIZES,
    generate_problems,
    key_from_tool_results,
)

MCQ = read_jsonl(TEST_FILES["mcq"])
OPEN = read_jsonl(TEST_FILES["open"])


def test_split_sizes_and_ids() -> None:
    assert len(MCQ) == TEST_SIZES["mcq"] >= 120 and len(OPEN) == TEST_SIZES["open"] >= 120
    ids = [p.id for p in MCQ + OPEN]
    assert len(ids) == len(set(ids))
    assert all(p.solution.rstrip().endswith(f"the answer is {p.answer}.") for p in MCQ)
    assert all(mentions_tools(p.solution, p.tools) is None for p in MCQ + OPEN)  # WKD targets: facts, no tools


def test_every_mcq_key_survives_either_half_of_the_ensemble() -> None:
    fragile = [p.id for p in MCQ if not _mcq.robust(p)]
    assert fragile == []


def test_guessers_are_at_chance_and_letters_balanced() -> None:
    assert guessers_above_chance(MCQ) == {}, format_guesser_accuracies(MCQ)
    counts = Counter(p.answer for p in MCQ)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_all_question_kinds_are_present() -> None:
    templates = Counter(p.template for p in MCQ)
    for kind in ("city_temperature", "ghg_change", "scenario_spread", "trend", "global_perturbation"):
        assert templates[kind] >= 10
    assert sum(templates[t] for t in ("city_highest", "city_lowest", "city_most_warming")) >= 20
    assert sum(templates[t] for t in ("scenario_highest", "scenario_lowest")) >= 16


def test_no_double_negatives_and_stated_facts_reach_the_tools() -> None:
    for p in MCQ:
        assert "decreased by -" not in p.question and "by -" not in p.question
        for call in p.reference_calls:
            if "year" in call.arguments and "historical" not in p.question:
                assert str(call.arguments["year"]) in p.question
            if "scenario" in call.arguments and p.template not in (
                "scenario_spread",
                "scenario_highest",
                "scenario_lowest",
                "city_temperature",
            ):
                assert call.arguments["scenario"] in p.question
            if "percent_change" in call.arguments:
                assert f"{abs(call.arguments['percent_change'])}%" in p.question


def test_open_problems_have_rubrics_with_valid_references_and_the_domain_names_the_scorer() -> None:
    assert get_domain("climate").open_scorer is open_scoring.score
    for p in OPEN:
        assert "scorer" not in p.answer  # the domain names the scorer, not the data row
        assert p.answer["references"]["best_known"]["valid"] and p.answer["references"]["shortest_sea"]["valid"]
        assert p.answer["score_one_delta_t_C"] < p.answer["score_zero_delta_t_C"]
        assert key_from_tool_results(p, []) == p.answer
    assert Counter(p.answer["species"] for p in OPEN).keys() == {"SO2", "BC"}


def test_the_generator_reproduces_the_committed_mcq_split() -> None:
    # run in this process, whose hash seed differs from the one that wrote the file: catches set-order bugs
    regenerated = generate_problems(TEST_SIZES["mcq"], TEST_SEED, split="test")
    assert [p.to_dict() for p in regenerated] == [p.to_dict() for p in MCQ]


def test_training_split_is_deterministic_and_disjoint_from_test() -> None:
    a = generate_problems(12, seed=7, split="train")
    b = generate_problems(12, seed=7, split="train")
    assert [p.to_dict() for p in a] == [p.to_dict() for p in b]
    test_questions = {p.question for p in MCQ}
    assert not test_questions & {p.question for p in a}
    assert all(p.id.startswith("climate-train-") for p in a)


def test_oracle_gets_every_mcq_right_through_lm_eval() -> None:
    row = evaluate(["climate_tool"], "backend=oracle", log_samples=False)["results"]["climate_tool"]
    assert row["acc_choice,none"] == 1.0
    assert row["tool_use_acc,none"] == 1.0


def test_oracle_scores_one_on_the_open_task_through_lm_eval() -> None:
    row = evaluate(["climate_open_tool"], "backend=oracle", log_samples=False)["results"]["climate_open_tool"]
    assert row["acc_choice,none"] == 1.0
