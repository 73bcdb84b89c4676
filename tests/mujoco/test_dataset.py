"""The MuJoCo test split and its generator: keys grounded in the tools, robust, fair to guessers, well posed."""

from __future__ import annotations

import inspect
import re
from collections import Counter

import pytest

import toolwise.tools.mujoco as scenes
from toolwise.bench.dataset_checks import format_guesser_accuracies, guessers_above_chance, replay_reference_calls
from toolwise.bench.problem import LETTERS, Problem, read_jsonl
from toolwise.bench.solutions import mentions_tools
from toolwise.tasks.kit.options import nearest_letter
from toolwise.tasks.mujoco import generate
from toolwise.tasks.mujoco.generate import TEST_FILE, generate_problems, key_from_tool_results, numeric_choices
from toolwise.tasks.mujoco.template import fmt
from toolwise.tasks.mujoco.templates import TEMPLATES
from toolwise.tools import get_tool

TEST_SPLIT = read_jsonl(TEST_FILE)


def test_split_is_large_and_spread_over_every_scene_and_template() -> None:
    assert len(TEST_SPLIT) >= 280
    per_tool = Counter(p.tools[0] for p in TEST_SPLIT)
    assert set(per_tool) == {fn.__name__ for fn in scenes.SCENE_TOOLS}
    assert min(per_tool.values()) >= 35
    assert {p.template for p in TEST_SPLIT} == set(TEMPLATES)


def test_ids_are_stable_and_unique_and_questions_distinct() -> None:
    assert [p.id for p in TEST_SPLIT] == [f"mujoco-test-{i:04d}" for i in range(len(TEST_SPLIT))]
    assert len({p.question for p in TEST_SPLIT}) == len(TEST_SPLIT)


@pytest.mark.slow
def test_half_timestep_rerun_picks_the_same_letter_on_every_item() -> None:
    changed = []
    for p in TEST_SPLIT:
        spec = get_tool(p.tools[0])
        half = inspect.signature(spec.fn).parameters["timestep_s"].default / 2
        refined = [spec.fn(**call.arguments, timestep_s=half) for call in p.reference_calls]
        if key_from_tool_results(p, refined) != p.answer:
            changed.append(p.id)
    assert changed == []


def test_format_only_guessers_are_at_chance_and_letters_balanced() -> None:
    assert guessers_above_chance(TEST_SPLIT) == {}, format_guesser_accuracies(TEST_SPLIT)
    letters = Counter(p.answer for p in TEST_SPLIT)
    assert max(letters.values()) - min(letters.values()) <= 8, letters


def test_options_share_one_format_and_ascend() -> None:
    for p in TEST_SPLIT:
        assert p.choices is not None
        texts = [p.choices[letter] for letter in LETTERS]
        decimals = {len(t.split(".")[1]) if "." in t else 0 for t in texts}
        assert len(decimals) == 1, (p.id, texts)
        values = [float(t) for t in texts]
        assert values == sorted(values) and len(set(values)) == 4, (p.id, texts)
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", t) for t in texts), (p.id, texts)


def test_every_argument_the_tool_receives_is_stated_in_the_question() -> None:
    for p in TEST_SPLIT:
        for call in p.reference_calls:
            assert "timestep_s" not in call.arguments and "n_samples" not in call.arguments
            for name, value in call.arguments.items():
                if value != 0:  # zero is stated in words: "from rest", "no air resistance", "frictionless"
                    assert fmt(abs(value)) in p.question, (p.id, name, value)
        assert f"{fmt(p.reference_calls[0].arguments['duration_s'])} s" in p.question


def test_solutions_state_the_physics_and_the_keyed_option_as_facts_and_end_with_the_key() -> None:
    for p in TEST_SPLIT:
        assert p.solution.endswith(f"the answer is {p.answer}"), p.id
        assert p.choices is not None and f"option {p.answer} ({p.choices[p.answer]})" in p.solution, p.id
        assert mentions_tools(p.solution, p.tools) is None, p.id  # a WKD target: knowledge, not a tool run


def test_key_follows_the_tool_value_to_the_nearest_option() -> None:
    problem = TEST_SPLIT[0]
    results = replay_reference_calls(problem)
    assert problem.choices is not None
    for letter in LETTERS:
        value = float(problem.choices[letter])
        # feed a result that says exactly this option's value: the key must follow it
        shifted = _with_value(problem, results, value)
        assert key_from_tool_results(problem, shifted) == letter


def _with_value(problem: Problem, results: list, value: float) -> list:
    """Results whose asked value is ``value`` (works for templates that read one final quantity)."""
    assert problem.template == "pendulum_final_angle"
    patched = [dict(results[0], final=dict(results[0]["final"], angle_deg=value))]
    return patched


def test_generator_is_deterministic_and_training_never_repeats_a_test_question(monkeypatch: pytest.MonkeyPatch) -> None:
    first = generate_problems(8, seed=7, split="train")
    assert [p.to_dict() for p in first] == [p.to_dict() for p in generate_problems(8, seed=7, split="train")]
    assert {p.question for p in first}.isdisjoint({p.question for p in TEST_SPLIT})
    assert all(p.id.startswith("mujoco-train-7-") for p in first)
    # a question that is in the test split is drawn again rather than reused
    monkeypatch.setattr(generate, "frozen_test_questions", lambda: {first[0].question})
    again = generate_problems(8, seed=7, split="train")
    assert first[0].question not in {p.question for p in again}


def test_the_frozen_split_is_what_the_generator_writes() -> None:
    regenerated = generate_problems(6, seed=generate.TEST_SEED, split="test")
    assert [p.to_dict() for p in regenerated] == [p.to_dict() for p in TEST_SPLIT[:6]]


def test_generated_training_problems_replay_to_their_keys() -> None:
    for p in generate_problems(8, seed=3, split="train"):
        assert key_from_tool_results(p, replay_reference_calls(p)) == p.answer


def test_numeric_choices_put_the_key_anywhere_with_the_same_procedure() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    for key_index in range(4):
        for value, positive in [(3.21, True), (-0.5, False), (0.0004, True), (120.0, False)]:
            choices = numeric_choices(value, key_index, abs(value), positive, rng)
            assert nearest_letter(choices, value) == LETTERS[key_index]
            assert all(float(c) > 0 for c in choices.values()) or not positive
