"""Tool-use accuracy, its counts and the bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toolwise.bench.scoring import (
    bootstrap_mean_interval,
    bootstrap_tool_use_interval,
    tool_use_accuracy,
    tool_use_counts,
)


def pairs(et: int, en: int, ht: int, hn: int) -> list[tuple[bool, bool]]:
    return [(True, True)] * et + [(True, False)] * en + [(False, True)] * ht + [(False, False)] * hn


def test_hand_computed_example() -> None:
    # EN/(EN+ET) = 6/8, HT/(HT+HN) = 3/4 -> 0.5*0.75 + 0.5*0.75 = 0.75
    assert tool_use_accuracy(pairs(2, 6, 3, 1)) == pytest.approx(0.75)
    # EN/(EN+ET) = 1/4, HT/(HT+HN) = 5/6 -> 0.125 + 0.41666 = 0.541666
    assert tool_use_accuracy(pairs(3, 1, 5, 1)) == pytest.approx(0.5 * 1 / 4 + 0.5 * 5 / 6)
    assert tool_use_counts(pairs(3, 1, 5, 1)) == {"ET": 3, "EN": 1, "HT": 5, "HN": 1}


def test_always_and_never_score_one_half() -> None:
    assert tool_use_accuracy(pairs(5, 0, 7, 0)) == 0.5
    assert tool_use_accuracy(pairs(0, 5, 0, 7)) == 0.5


def test_empty_class_is_reported_and_the_other_half_used(caplog: pytest.LogCaptureFixture) -> None:
    assert tool_use_accuracy(pairs(0, 0, 3, 1)) == pytest.approx(0.75)
    assert "no easy problems" in caplog.text
    caplog.clear()
    assert tool_use_accuracy(pairs(1, 3, 0, 0)) == pytest.approx(0.75)
    assert "no hard problems" in caplog.text
    assert math.isnan(tool_use_accuracy([]))


def test_mean_interval_covers_the_true_rate_about_95_percent() -> None:
    rng = np.random.default_rng(0)
    true_p, n, trials = 0.3, 200, 300
    hits = 0
    for _ in range(trials):
        lo, hi = bootstrap_mean_interval(rng.binomial(1, true_p, size=n).tolist(), samples=500)
        hits += lo <= true_p <= hi
    assert 0.90 <= hits / trials <= 0.99


def test_tool_use_interval_contains_the_estimate_and_shrinks_with_n() -> None:
    small = pairs(2, 6, 3, 1)
    large = small * 25
    lo_s, hi_s = bootstrap_tool_use_interval(small)
    lo_l, hi_l = bootstrap_tool_use_interval(large)
    assert lo_s <= 0.75 <= hi_s and lo_l <= 0.75 <= hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 2


def test_graded_scores_use_index_resampling() -> None:
    lo, hi = bootstrap_mean_interval([0.2, 0.4, 0.6, 0.8] * 10)
    assert lo < 0.5 < hi


def _open_doc() -> dict:
    from toolwise.bench.problem import Problem, ToolCall, iter_docs

    problem = Problem(
        id="open-1",
        domain="toy",
        question="Propose an allocation.",
        answer_type="open",
        answer={"scorer": "toy_domain:score_open_answer"},
        tools=["toy_multiply"],
        reference_calls=[ToolCall("toy_multiply", {"a": 1, "b": 2})],
    )
    return next(iter_docs([problem]))


@pytest.mark.parametrize(("no_tool_score", "easy"), [("0.6", True), ("0.5", True), ("0.4", False)])
def test_graded_open_answers_are_easy_from_half_way(no_tool_score: str, easy: bool) -> None:
    import toy_domain  # noqa: F401  - registers toy_multiply

    from toolwise.bench.scoring import process_results
    from toolwise.bench.transcript import Transcript

    no_tool = Transcript("open-1", "no_tool", final_text=f"Answer: {no_tool_score}")
    choice = Transcript("open-1", "choice", final_text="Answer: 0.9")
    values = process_results(_open_doc(), [no_tool.to_json(), choice.to_json()])
    assert values["acc_no_tool"] == pytest.approx(float(no_tool_score))
    assert values["acc_choice"] == pytest.approx(0.9)
    assert values["tool_use_acc"] == [easy, False]


def test_a_crashing_open_scorer_scores_zero(caplog: pytest.LogCaptureFixture) -> None:
    from toolwise.bench.scoring import process_results
    from toolwise.bench.transcript import Transcript

    broken = Transcript("open-1", "no_tool", final_text="Answer: not a number")
    values = process_results(_open_doc(), [broken.to_json(), broken.to_json()])
    assert values["acc_no_tool"] == 0.0
    assert "scorer toy_domain:score_open_answer failed" in caplog.text
