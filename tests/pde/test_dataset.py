"""The PDE test split and its generator: fair options, keys the tools reproduce, keys a finer grid keeps."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from itertools import pairwise

import pytest

from toolwise.bench.dataset_checks import format_guesser_accuracies, guessers_above_chance, replay_reference_calls
from toolwise.bench.problem import Problem, read_jsonl
from toolwise.bench.solutions import mentions_tools
from toolwise.tasks.kit.options import nearest_letter
from toolwise.tasks.pde._questions import FAMILIES, extract_answer, fmt
from toolwise.tasks.pde.generate import TEST_FILE, TEST_SEED, TEST_SIZE, generate_problems, key_from_tool_results
from toolwise.tools.pde import TOOL_NAMES, solve_refined


@cache
def committed_split() -> tuple[Problem, ...]:
    return tuple(read_jsonl(TEST_FILE))


@cache
def train_split() -> tuple[Problem, ...]:
    return tuple(generate_problems(24, seed=TEST_SEED, split="train"))


def test_the_split_has_enough_mcqs_with_stable_unique_ids() -> None:
    problems = committed_split()
    assert len(problems) >= 120 and all(p.answer_type == "mcq" for p in problems)
    assert [p.id for p in problems] == [f"pde-test-{i:04d}" for i in range(len(problems))]
    assert all(p.domain == "pde" and p.tools == list(TOOL_NAMES) for p in problems)


def test_the_split_spreads_over_families_kinds_scenarios_and_boundaries() -> None:
    problems = committed_split()
    templates = Counter(p.template for p in problems)
    expected = {f"{family}/{kind}" for family, kinds in FAMILIES.items() for kind in kinds}
    assert set(templates) == expected and min(templates.values()) >= 8
    assert set(Counter(p.params["scenario"] for p in problems)) == {
        "heat_conduction",
        "chemical_diffusion",
        "population_spread",
        "population_invasion",
    }
    for dimension in (1, 2):
        boundaries = Counter(p.params["boundary"] for p in problems if p.params["dimension"] == dimension)
        assert set(boundaries) == {"dirichlet", "neumann", "periodic"} and min(boundaries.values()) >= 5
    assert set(Counter(p.params["initial_condition"] for p in problems)) == {"constant", "step", "checkerboard"}


def test_format_only_guessers_are_at_chance_and_letters_balanced() -> None:
    problems = committed_split()
    assert guessers_above_chance(problems) == {}, format_guesser_accuracies(problems)
    letters = Counter(p.answer for p in problems)
    assert max(letters.values()) - min(letters.values()) <= 1, letters


def test_options_share_one_precision_and_an_even_spacing() -> None:
    for p in committed_split():
        assert p.choices is not None
        decimals = {len(v.split(".")[1]) if "." in v else 0 for v in p.choices.values()}
        assert len(decimals) == 1, f"{p.id}: options of mixed precision {p.choices}"
        values = [float(p.choices[letter]) for letter in "ABCD"]
        gaps = [b - a for a, b in pairwise(values)]
        assert all(g > 0 for g in gaps) and max(gaps) - min(gaps) <= 2 * 10 ** -decimals.pop() + 1e-9, p.id


def test_every_argument_of_the_reference_call_is_stated_in_the_question() -> None:
    # The question must carry every fact the tool receives (nothing hidden, like the paper's scenario ids).
    for p in committed_split():
        (call,) = p.reference_calls
        numbers = set(re.findall(r"-?\d+(?:\.\d+)?", p.question))
        for name, value in call.arguments.items():
            flat = value if isinstance(value, list) else [value]
            for item in flat:
                for number in item if isinstance(item, list) else [item]:
                    if isinstance(number, int | float) and not isinstance(number, bool):
                        assert fmt(number) in numbers, f"{p.id}: {name}={number} is not stated in the question"


def test_solutions_state_the_tool_result_and_end_with_the_answer() -> None:
    for p in committed_split():
        assert p.solution.endswith(f"the answer is {p.answer}"), p.id
        assert fmt(p.params["key_value"]) in p.solution, p.id
        assert mentions_tools(p.solution, p.tools) is None, p.id  # a WKD target: knowledge, not a solver run


@pytest.mark.slow
def test_a_grid_twice_as_fine_picks_the_same_letter_for_every_key() -> None:
    for p in committed_split():
        (call,) = p.reference_calls
        refined = extract_answer(p.params["kind"], solve_refined(call.name, call.arguments, refinement=2))
        assert refined is not None and nearest_letter(p.choices or {}, refined) == p.answer, p.id
        # options sit at least ten times the grid's disagreement apart
        assert abs(refined - p.params["key_value"]) <= p.params["option_step"] / 10, p.id


def test_a_grid_four_times_as_fine_keeps_a_sample_of_keys() -> None:
    for p in committed_split()[::10]:
        (call,) = p.reference_calls
        refined = extract_answer(p.params["kind"], solve_refined(call.name, call.arguments, refinement=4))
        assert refined is not None and nearest_letter(p.choices or {}, refined) == p.answer, p.id


def test_the_generator_is_seeded_and_deterministic() -> None:
    first = [p.to_dict() for p in generate_problems(6, seed=7, split="train")]
    again = [p.to_dict() for p in generate_problems(6, seed=7, split="train")]
    other = [p.to_dict() for p in generate_problems(6, seed=8, split="train")]
    assert first == again and first != other


def test_training_questions_never_repeat_test_questions() -> None:
    train = train_split()
    assert all(p.id.startswith("pde-train-") for p in train)
    assert not {p.question for p in train} & {p.question for p in committed_split()}
    assert len({p.question for p in train}) == len(train)


def test_training_problems_meet_the_same_rules() -> None:
    train = list(train_split())
    letters = Counter(p.answer for p in train)
    assert set(letters.values()) == {6}
    for p in train[:8]:
        assert key_from_tool_results(p, replay_reference_calls(p)) == p.answer, p.id


def test_unknown_splits_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown split"):
        generate_problems(1, seed=0, split="dev")


@pytest.mark.slow
def test_the_committed_split_is_what_the_generator_writes() -> None:
    regenerated = [p.to_dict() for p in generate_problems(TEST_SIZE, TEST_SEED, split="test")]
    assert regenerated == [p.to_dict() for p in committed_split()]
