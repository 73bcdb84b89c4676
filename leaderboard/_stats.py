"""Tool-use accuracy and percentile-bootstrap intervals over problems (plain and paired).

Every statistic is computed on a matrix of resampled problem indices, one row per bootstrap
replicate, so a replicate costs a few numpy reductions. Intervals are 95% percentile intervals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LEVEL = 0.95
_CHUNK_ROWS = 256  # replicates per block: bounds memory at 256 x n indices

RowStatistic = Callable[[np.ndarray], np.ndarray]  # (replicates, n) index matrix -> (replicates,) values


def tool_use_from_counts(et: np.ndarray, en: np.ndarray, ht: np.ndarray, hn: np.ndarray) -> np.ndarray:
    """½·EN/(EN+ET) + ½·HT/(HT+HN), elementwise; when one class is empty its half is dropped (NaN if both are)."""
    et, en, ht, hn = (np.asarray(x, dtype=float) for x in (et, en, ht, hn))
    easy_total, hard_total = et + en, ht + hn
    with np.errstate(invalid="ignore", divide="ignore"):
        easy_part = np.where(easy_total > 0, en / easy_total, np.nan)
        hard_part = np.where(hard_total > 0, ht / hard_total, np.nan)
    both = 0.5 * easy_part + 0.5 * hard_part
    return np.where(np.isnan(easy_part), hard_part, np.where(np.isnan(hard_part), easy_part, both))


def tool_use_accuracy(easy: np.ndarray, used_tool: np.ndarray) -> float:
    """Tool-use accuracy of per-problem (easy, used_tool) flags."""
    easy, used = np.asarray(easy, bool), np.asarray(used_tool, bool)
    counts = ((easy & used).sum(), (easy & ~used).sum(), (~easy & used).sum(), (~easy & ~used).sum())
    return float(tool_use_from_counts(*counts))


def empty_class(easy: np.ndarray) -> str | None:
    """Which class (easy/hard) has no problem, the case where tool-use accuracy is one half alone."""
    easy = np.asarray(easy, bool)
    if easy.size and easy.all():
        return "hard"
    if easy.size and not easy.any():
        return "easy"
    return None


def mean_rows(values: np.ndarray) -> RowStatistic:
    values = np.asarray(values, dtype=float)
    return lambda idx: values[idx].mean(axis=1)


def tool_use_rows(easy: np.ndarray, used_tool: np.ndarray) -> RowStatistic:
    easy, used = np.asarray(easy, bool), np.asarray(used_tool, bool)

    def statistic(idx: np.ndarray) -> np.ndarray:
        e, u = easy[idx], used[idx]
        return tool_use_from_counts((e & u).sum(1), (e & ~u).sum(1), (~e & u).sum(1), (~e & ~u).sum(1))

    return statistic


def difference_rows(first: RowStatistic, second: RowStatistic) -> RowStatistic:
    """Paired: both statistics see the same resampled problems (their arrays must be aligned by problem)."""
    return lambda idx: first(idx) - second(idx)


def bootstrap_interval(
    statistic: RowStatistic, n: int, *, n_boot: int, rng: np.random.Generator, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``n`` problems resampled with replacement."""
    if n == 0 or n_boot <= 0:
        return (float("nan"), float("nan"))
    replicates = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK_ROWS):
        rows = min(_CHUNK_ROWS, n_boot - start)
        replicates[start : start + rows] = statistic(rng.integers(0, n, size=(rows, n)))
    replicates = replicates[~np.isnan(replicates)]
    if replicates.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    return (float(low), float(high))
