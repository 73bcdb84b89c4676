"""The open-ended scorer: anchors, parsing, and zero (with a reason) for every way an answer can break the rules."""

from __future__ import annotations

import json
import math

import pytest

from toolwise.bench.problem import Problem, read_jsonl
from toolwise.tasks.epidemiology.generate import TEST_FILES
from toolwise.tasks.epidemiology.open_scoring import score, score_details, score_from_value
from toolwise.tools.epidemiology import california

OPEN = read_jsonl(TEST_FILES["open"])
SMALLEST = sorted(california().names, key=lambda n: california().populations[california().index(n)])


@pytest.fixture(scope="module")
def problem() -> Problem:
    return OPEN[0]


def _limits(problem: Problem) -> tuple[float, float]:
    arguments = problem.answer["tool_arguments"]
    return arguments["budget"], arguments["max_per_county"]


def _answer(allocation: dict) -> str:
    return f"I weighed the options.\nAnswer: {json.dumps(allocation)}"


def _spread(names: list[str], budget: float, cap: float) -> dict[str, float]:
    allocation, left = {}, budget
    for name in names:
        if left <= 1e-9:
            break
        allocation[name] = round(min(cap, left), 4)
        left -= allocation[name]
    return allocation


def test_scores_rank_best_good_uniform_bad_and_none(problem: Problem) -> None:
    budget, cap = _limits(problem)
    rubric = problem.answer
    best = score(problem, rubric["reference_answer"])
    seeded = list(problem.answer["tool_arguments"]["seed_infections"])
    largest = sorted(california().names, key=lambda n: -california().populations[california().index(n)])
    good = score(problem, _answer(_spread(seeded + [c for c in largest if c not in seeded], budget, cap)))
    uniform = score(problem, _answer(dict.fromkeys(california().names, rubric["uniform_strength"])))
    bad = score(problem, _answer(_spread(SMALLEST, budget, cap)))
    none = score(problem, _answer({}))
    assert best == 1.0 and uniform == 0.5 and none == 0.0
    assert best >= good > uniform > bad >= none


def test_every_reference_answer_scores_one_and_anchors_are_ordered() -> None:
    for p in OPEN:
        rubric = p.answer
        none, uniform, best = rubric["value_no_intervention"], rubric["value_uniform"], rubric["value_best_known"]
        assert best < uniform < none
        assert none - best >= 0.05 * none  # the task leaves room to do well or badly
        budget, cap = _limits(p)
        allocation = rubric["best_known_allocation"]
        assert sum(allocation.values()) <= budget + 1e-9 and max(allocation.values()) <= cap + 1e-9
        assert score(p, rubric["reference_answer"]) == 1.0, p.id


def test_anchor_mapping_is_piecewise_linear_and_clipped() -> None:
    rubric = {"value_no_intervention": 100.0, "value_uniform": 90.0, "value_best_known": 60.0}
    assert [score_from_value(rubric, v) for v in (120, 100, 95, 90, 75, 60, 10)] == [0, 0, 0.25, 0.5, 0.75, 1, 1]


INVALID = {
    "over budget": lambda b, c: {n: c for n in california().names[: math.ceil(b / c) + 1]},
    "over the cap": lambda b, c: {"Los Angeles": min(1.0, c + 0.1)},
    "negative": lambda b, c: {"Los Angeles": c, "Orange": -0.1},
    "unknown county": lambda b, c: {"Los Angeles": 0.1, "Gotham": 0.1},
    "county twice": lambda b, c: {"Los Angeles": 0.05, "Los Angeles County": 0.05},
    "not a number": lambda b, c: {"Los Angeles": "0.1"},
    "boolean": lambda b, c: {"Los Angeles": True},
}


@pytest.mark.parametrize("case", INVALID)
def test_rule_breaking_allocations_score_zero_with_a_reason(problem: Problem, case: str) -> None:
    budget, cap = _limits(problem)
    details = score_details(problem, _answer(INVALID[case](budget, cap)))
    assert details.score == 0.0
    assert details.reason.startswith("invalid:")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I would close schools in the biggest counties.",
        "Answer: Los Angeles 0.3, Orange 0.2",
        'Answer: {"Los Angeles": 0.3',
        'Answer: {"Los Angeles": NaN}',
        "Answer: [0.3, 0.2]",
    ],
)
def test_unparseable_answers_score_zero(problem: Problem, text: str) -> None:
    details = score_details(problem, text)
    assert details.score == 0.0 and details.reason.startswith("invalid:")


def test_answers_are_read_in_the_usual_wrappings(problem: Problem) -> None:
    allocation = problem.answer["best_known_allocation"]
    plain = json.dumps(allocation)
    python_style = repr(allocation)  # single quotes
    wrappings = [
        f"Answer: {plain}",
        f"Reasoning about {{counties}} first.\n\nAnswer:\n```json\n{plain}\n```",
        f"answer: {python_style}",
        f"My allocation is {plain}",
        f"Answer: {json.dumps({f'{k} County': v for k, v in allocation.items()})}",
    ]
    for text in wrappings:
        assert score(problem, text) == 1.0, text
