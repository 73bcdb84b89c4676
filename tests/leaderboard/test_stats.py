"""Tool-use accuracy and the bootstrap intervals: exact values on known counts, ~95% coverage on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from toolwise.leaderboard._stats import (
    bootstrap_interval,
    difference_rows,
    empty_class,
    mean_rows,
    tool_use_accuracy,
    tool_use_from_counts,
    tool_use_rows,
)


def flags(et: int, en: int, ht: int, hn: int) -> tuple[np.ndarray, np.ndarray]:
    easy = np.array([True] * (et + en) + [False] * (ht + hn))
    used = np.array([True] * et + [False] * en + [True] * ht + [False] * hn)
    return easy, used


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((0, 4, 8, 0), 1.0),  # oracle: abstains on easy, calls on hard
        ((4, 0, 8, 0), 0.5),  # always calls
        ((0, 4, 0, 8), 0.5),  # never calls
        ((1, 3, 6, 2), 0.5 * 3 / 4 + 0.5 * 6 / 8),
        ((0, 0, 3, 1), 0.75),  # no easy problems: hard half alone
        ((2, 6, 0, 0), 0.75),  # no hard problems: easy half alone
    ],
)
def test_tool_use_accuracy_follows_the_paper_definition(counts: tuple[int, int, int, int], expected: float) -> None:
    assert tool_use_from_counts(*counts) == pytest.approx(expected)
    assert tool_use_accuracy(*flags(*counts)) == pytest.approx(expected)


def test_empty_class_is_named() -> None:
    assert empty_class(flags(0, 0, 3, 1)[0]) == "easy"
    assert empty_class(flags(2, 6, 0, 0)[0]) == "hard"
    assert empty_class(flags(1, 1, 1, 1)[0]) is None
    assert np.isnan(tool_use_from_counts(0, 0, 0, 0))


def test_interval_brackets_the_estimate_and_is_reproducible() -> None:
    values = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 1] * 5, dtype=float)
    first = bootstrap_interval(mean_rows(values), values.size, n_boot=1000, rng=np.random.default_rng(3))
    again = bootstrap_interval(mean_rows(values), values.size, n_boot=1000, rng=np.random.default_rng(3))
    assert first == again
    assert first[0] < values.mean() < first[1]
    # a binomial proportion's 95% interval is about ±1.96·sqrt(p(1-p)/n) wide
    half_width = 1.96 * np.sqrt(0.7 * 0.3 / 50)
    assert first[1] - first[0] == pytest.approx(2 * half_width, rel=0.2)


def test_degenerate_inputs_give_nan_or_a_point() -> None:
    assert all(np.isnan(bootstrap_interval(mean_rows(np.array([])), 0, n_boot=100, rng=np.random.default_rng(0))))
    ones = np.ones(20)
    assert bootstrap_interval(mean_rows(ones), 20, n_boot=100, rng=np.random.default_rng(0)) == (1.0, 1.0)


def coverage(draw, statistic_of, truth: float, trials: int, n_boot: int, seed: int) -> float:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        data = draw(rng)
        statistic, n = statistic_of(data)
        lo, hi = bootstrap_interval(statistic, n, n_boot=n_boot, rng=rng)
        hits += lo <= truth <= hi
    return hits / trials


# 400 trials: a true 95% coverage lands in [0.92, 0.98] with probability > 99.5% (binomial sd ≈ 0.011).
TRIALS, N_BOOT = 400, 800


def test_mean_interval_covers_a_known_rate_about_95_percent_of_the_time() -> None:
    p, n = 0.3, 120
    share = coverage(
        lambda rng: (rng.random(n) < p).astype(float),
        lambda x: (mean_rows(x), x.size),
        truth=p,
        trials=TRIALS,
        n_boot=N_BOOT,
        seed=11,
    )
    assert 0.92 <= share <= 0.98, share


def test_tool_use_interval_covers_the_true_tool_use_accuracy() -> None:
    # easy with prob 0.4; a tool is called on easy problems with prob 0.2 and on hard ones with prob 0.7
    n, p_easy, p_tool_easy, p_tool_hard = 200, 0.4, 0.2, 0.7
    truth = 0.5 * (1 - p_tool_easy) + 0.5 * p_tool_hard  # 0.75

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        easy = rng.random(n) < p_easy
        used = np.where(easy, rng.random(n) < p_tool_easy, rng.random(n) < p_tool_hard)
        return easy, used

    share = coverage(draw, lambda d: (tool_use_rows(*d), n), truth=truth, trials=TRIALS, n_boot=N_BOOT, seed=12)
    assert 0.92 <= share <= 0.98, share


def test_paired_difference_interval_covers_the_true_difference() -> None:
    # two models on the same problems; their correctness is correlated through problem difficulty
    n = 150

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        difficulty = rng.random(n)
        noise = rng.random(n)
        first = (noise < np.clip(0.9 - 0.5 * difficulty, 0, 1)).astype(float)  # mean 0.65
        second = (noise < np.clip(0.7 - 0.5 * difficulty, 0, 1)).astype(float)  # mean 0.45
        return first, second

    share = coverage(
        draw,
        lambda d: (difference_rows(mean_rows(d[0]), mean_rows(d[1])), n),
        truth=0.2,
        trials=TRIALS,
        n_boot=N_BOOT,
        seed=13,
    )
    assert 0.92 <= share <= 0.98, share


def test_pairing_narrows_the_interval_of_correlated_outcomes() -> None:
    rng = np.random.default_rng(5)
    base = (rng.random(300) < 0.5).astype(float)
    better = np.maximum(base, (rng.random(300) < 0.1).astype(float))  # the same answers plus a few more right
    paired = bootstrap_interval(difference_rows(mean_rows(better), mean_rows(base)), 300, n_boot=1000, rng=rng)
    unpaired_sd = np.sqrt(better.var() / 300 + base.var() / 300)
    assert paired[1] - paired[0] < 2 * 1.96 * unpaired_sd / 2
    assert paired[0] > 0  # the improvement is significant only because the pairing removes shared noise
