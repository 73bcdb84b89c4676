"""The committed test splits and the generator: keys reproduce, guessers are at chance, facts match the tools."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from toolwise.bench.dataset_checks import format_guesser_accuracies, guessers_above_chance, replay_reference_calls
from toolwise.bench.problem import LETTERS, Problem, read_jsonl
from toolwise.bench.solutions import mentions_tools
from toolwise.tasks.epidemiology._mcq import TEMPLATES, TREND_LABELS
from toolwise.tasks.epidemiology._scenarios import ScenarioSpec
from toolwise.tasks.epidemiology.generate import TEST_FILES, TEST_SEED, generate_problems, key_from_tool_results
from toolwise.tools.epidemiology import solver_tolerance

MCQ = read_jsonl(TEST_FILES["mcq"])
OPEN = read_jsonl(TEST_FILES["open"])
SCENARIO_KEYS = ("r0", "seed_infections", "seasonality_min", "start_day_of_year", "interventions")


def test_split_sizes_ids_and_templates() -> None:
    assert len(MCQ) >= 90 and len(OPEN) >= 80
    assert [p.id for p in MCQ] == [f"epi-test-{i:04d}" for i in range(len(MCQ))]
    assert [p.id for p in OPEN] == [f"epi-open-test-{i:04d}" for i in range(len(OPEN))]
    assert Counter(p.template for p in MCQ) == {t: len(MCQ) // len(TEMPLATES) for t in TEMPLATES}
    assert {p.answer_type for p in MCQ} == {"mcq"} and {p.answer_type for p in OPEN} == {"open"}
    assert {p.template for p in OPEN} == {"allocation_peak", "allocation_final"}


def test_keys_are_balanced_and_format_guessers_at_chance() -> None:
    assert guessers_above_chance(MCQ) == {}, format_guesser_accuracies(MCQ)
    assert Counter(p.answer for p in MCQ) == dict.fromkeys(LETTERS, len(MCQ) // 4)
    for template in TEMPLATES:
        letters = Counter(p.answer for p in MCQ if p.template == template)
        assert max(letters.values()) - min(letters.values()) <= 1, (template, letters)
    labels = Counter(p.params["label"] for p in MCQ if p.template == "trend")
    assert set(labels) == set(TREND_LABELS) and max(labels.values()) - min(labels.values()) <= 1


@pytest.mark.parametrize("problem", MCQ, ids=[p.id for p in MCQ])
def test_mcq_options_share_one_format(problem: Problem) -> None:
    options = list(problem.choices.values())
    assert len(set(options)) == 4
    shapes = {re.sub(r"\d+", "9", o) for o in options}
    if problem.template in ("value_on_day", "range_between_days", "peak_day"):
        assert len(shapes) == 1, options  # same wording, numbers only differ
        numbers = [int(n) for o in options for n in re.findall(r"\d+", o)]
        assert len({len(str(n).rstrip("0")) <= 3 for n in numbers}) == 1  # 3 significant figures or fewer


@pytest.mark.parametrize("problem", MCQ + OPEN, ids=[p.id for p in MCQ + OPEN])
def test_question_states_exactly_the_scenario_the_tools_receive(problem: Problem) -> None:
    assert len(problem.prompt_text()) < 1500  # the reference's preambles ran to 8,000 characters
    scenario = {k: v for k, v in problem.reference_calls[0].arguments.items() if k in SCENARIO_KEYS}
    for call in problem.reference_calls:
        assert {k: v for k, v in call.arguments.items() if k in SCENARIO_KEYS} == scenario
    if problem.answer_type == "mcq":
        assert scenario == problem.params["scenario"]
    assert problem.question.startswith(ScenarioSpec(**scenario).text())
    assert f"R0 = {scenario['r0']:.1f};" in problem.question
    for county, count in scenario["seed_infections"].items():
        assert f"{count} in {county}" in problem.question
    if "seasonality_min" in scenario:
        assert f"to {scenario['seasonality_min']:.2f} in mid-July" in problem.question
    for spec in scenario.get("interventions", []):
        assert f"{round(100 * spec['strength'])}%" in problem.question
        assert f"from day {spec.get('start_day', 0)}" in problem.question


def _robustness_sample() -> list[Problem]:
    by_template: dict[str, list[Problem]] = {}
    for p in MCQ:
        by_template.setdefault(p.template, []).append(p)
    return [p for problems in by_template.values() for p in problems[:2]]


@pytest.mark.parametrize("problem", _robustness_sample(), ids=lambda p: p.id)
def test_keys_hold_at_a_much_tighter_solver_tolerance(problem: Problem) -> None:
    with solver_tolerance(1e-10):
        assert key_from_tool_results(problem, replay_reference_calls(problem)) == problem.answer


@pytest.mark.slow
@pytest.mark.parametrize("problem", MCQ, ids=[p.id for p in MCQ])
def test_every_key_holds_at_a_much_tighter_solver_tolerance(problem: Problem) -> None:
    with solver_tolerance(1e-10):
        assert key_from_tool_results(problem, replay_reference_calls(problem)) == problem.answer


def test_solutions_state_the_facts_without_naming_a_tool_and_end_with_the_answer() -> None:
    for p in MCQ:
        assert p.solution.endswith(f"The answer is {p.answer}.")
        assert p.choices is not None and p.choices[p.answer] in p.solution, p.id  # the keyed option's content
        if p.template not in ("best_intervention", "first_county_peak"):
            assert f"R0 = {p.params['scenario']['r0']:.1f}" in p.solution, p.id  # what R0 implies, as reasoning
        assert mentions_tools(p.solution, p.tools) is None, p.id
    for p in OPEN:
        assert "without any allocation" in p.solution and mentions_tools(p.solution, p.tools) is None, p.id
        assert p.solution.endswith(p.answer["reference_answer"].removeprefix("Answer: "))


def test_generation_is_deterministic_and_the_committed_split_reproduces() -> None:
    first = generate_problems(6, TEST_SEED, split="test")
    assert [p.to_dict() for p in first] == [p.to_dict() for p in MCQ[:6]]


def test_training_problems_never_repeat_a_test_question() -> None:
    train = generate_problems(8, seed=5, split="train")
    test_questions = {p.question for p in MCQ + OPEN}
    assert all(p.question not in test_questions for p in train)
    assert [p.id for p in train] == [f"epi-train-{i:04d}" for i in range(8)]
    assert [p.to_dict() for p in generate_problems(3, seed=5, split="train")] == [p.to_dict() for p in train[:3]]
    # Same seed number, other split: a different stream.
    assert [p.question for p in generate_problems(2, seed=TEST_SEED, split="train")] != [p.question for p in MCQ[:2]]
