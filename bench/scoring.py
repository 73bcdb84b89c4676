"""Scoring: answer accuracy per mode and tool-use accuracy, with bootstrap intervals.

A problem is easy (E) for the model under test when its ``no_tool`` answer is
right, hard (H) otherwise; in ``choice`` mode it used a tool (T) or not (N).
Tool-use accuracy = ½·EN/(EN+ET) + ½·HT/(HT+HN). T means the model *attempted*
a call: a malformed call is a tool attempt, never an abstention. When a class
is empty the other half alone is reported, with a warning.

The intervals are percentile bootstraps computed in O(n + B): the per-problem
outcomes are counted once and the resamples drawn as binomial/multinomial
counts, so they cost nothing next to lm-eval's generic bootstrap.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from toolwise.bench.answers import extract_answer, numeric_close
from toolwise.bench.problem import Problem, problem_from_doc
from toolwise.bench.transcript import Transcript

log = logging.getLogger(__name__)

# Easy = answered right without tools. Scores are 0/1 except for open questions, whose rubric grades in
# [0, 1] (0 = a naive baseline answer, 1 = the best known); half-way or better counts as answered.
EASY_THRESHOLD = 0.5
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 1234
CONFIDENCE = 0.95


def score_answer(problem: Problem, transcript: Transcript) -> float:
    """1.0 for a right answer, 0.0 for a wrong one (open answers: the domain's rubric, in [0, 1])."""
    if problem.answer_type == "open":
        return score_open(problem, transcript.final_text)
    answer = transcript.answer
    if answer is None and transcript.final_text:
        answer = extract_answer(problem.answer_type, transcript.final_text)
    if problem.answer_type == "mcq":
        return float(answer == problem.answer)
    return float(numeric_close(answer, float(problem.answer), problem.tolerance))


def score_open(problem: Problem, final_text: str) -> float:
    """Grade an open answer with its domain's ``open_scorer``; a scorer crash scores 0 and is logged.

    Rows written before the scorer moved into the domain name it in their rubric (``"module:function"``
    under ``scorer``); those are still read when the domain names none.
    """
    from toolwise.bench.task_index import find_domain

    domain = find_domain(problem.domain)
    scorer = domain.open_scorer if domain is not None else None
    target = getattr(scorer, "__qualname__", "")
    if scorer is None:
        rubric = problem.answer if isinstance(problem.answer, dict) else {}
        target = rubric.get("scorer")
        if not target:
            raise ValueError(f"open problem {problem.id}: domain {problem.domain!r} names no open_scorer")
        module_name, _, func_name = str(target).partition(":")
        scorer = getattr(importlib.import_module(module_name), func_name)
    try:
        return float(scorer(problem, final_text))
    except Exception:
        log.exception("open-answer scorer %s failed on problem %s; scored 0", target, problem.id)
        return 0.0


def process_results(doc: dict[str, Any], results: Sequence[str]) -> dict[str, Any]:
    """lm-eval hook: ``results`` are the no_tool and choice transcripts (JSON), in that order."""
    problem = problem_from_doc(doc)
    no_tool, choice = (Transcript.from_json(r) for r in results)
    acc_no_tool = score_answer(problem, no_tool)
    acc_choice = score_answer(problem, choice)
    easy = acc_no_tool >= EASY_THRESHOLD
    used = choice.used_tool
    pair = [easy, used]
    return {
        "acc_no_tool": acc_no_tool,
        "acc_no_tool_ci_lo": acc_no_tool,
        "acc_no_tool_ci_hi": acc_no_tool,
        "acc_choice": acc_choice,
        "acc_choice_ci_lo": acc_choice,
        "acc_choice_ci_hi": acc_choice,
        "tool_use_acc": pair,
        "tool_use_acc_ci_lo": pair,
        "tool_use_acc_ci_hi": pair,
        "tool_rate": float(used),
        "tool_calls_per_problem": choice.n_tool_attempts,
        "n_ET": int(easy and used),
        "n_EN": int(easy and not used),
        "n_HT": int(not easy and used),
        "n_HN": int(not easy and not used),
        "tokens_in": no_tool.tokens_in + choice.tokens_in,
        "tokens_out": no_tool.tokens_out + choice.tokens_out,
        "cost_usd": no_tool.cost_usd + choice.cost_usd,
        # Reliability: a problem whose either mode ended on a backend or reply error scored 0 without a fair try.
        "n_failed": int(no_tool.failed or choice.failed),
        "tool_errors": no_tool.tool_errors + choice.tool_errors,
        "tool_error_rate": [no_tool.tool_errors + choice.tool_errors, len(no_tool.tool_calls) + len(choice.tool_calls)],
    }


def tool_use_counts(items: Sequence[Sequence[bool]]) -> dict[str, int]:
    """ET/EN/HT/HN counts from (easy, used) pairs."""
    counts = {"ET": 0, "EN": 0, "HT": 0, "HN": 0}
    for easy, used in items:
        counts[("E" if easy else "H") + ("T" if used else "N")] += 1
    return counts


def tool_use_accuracy_from_counts(et: Any, en: Any, ht: Any, hn: Any) -> Any:
    """½·EN/(EN+ET) + ½·HT/(HT+HN); an empty class leaves the other half alone. Works on arrays."""
    et, en, ht, hn = (np.asarray(x, dtype=float) for x in (et, en, ht, hn))
    with np.errstate(invalid="ignore", divide="ignore"):
        easy_part = np.where(en + et > 0, en / (en + et), np.nan)
        hard_part = np.where(ht + hn > 0, ht / (ht + hn), np.nan)
    both = np.stack([easy_part, hard_part])
    with warnings.catch_warnings():
        # Both classes empty gives NaN on purpose; numpy's "mean of empty slice" warning adds nothing.
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(both, axis=0)


def tool_use_accuracy(items: Sequence[Sequence[bool]]) -> float:
    """lm-eval aggregation over per-problem (easy, used) pairs."""
    c = tool_use_counts(items)
    if c["EN"] + c["ET"] == 0:
        log.warning("tool_use_acc: no easy problems (all %d answered wrong without tools); hard half only", len(items))
    if c["HT"] + c["HN"] == 0:
        log.warning("tool_use_acc: no hard problems (all %d answered right without tools); easy half only", len(items))
    return float(tool_use_accuracy_from_counts(c["ET"], c["EN"], c["HT"], c["HN"]))


def _rng() -> np.random.Generator:
    return np.random.default_rng(BOOTSTRAP_SEED)


def _percentile(values: np.ndarray, q: float) -> float:
    finite = values[np.isfinite(values)]
    return float(np.percentile(finite, q)) if finite.size else float("nan")


def bootstrap_mean_interval(values: Sequence[float], samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean of values in [0, 1].

    0/1 outcomes are resampled as one binomial draw per replicate; graded
    scores fall back to index resampling.
    """
    arr = np.asarray(values, dtype=float)
    n = arr.size
    if n == 0:
        return float("nan"), float("nan")
    rng = _rng()
    if np.all((arr == 0) | (arr == 1)):
        means = rng.binomial(n, arr.mean(), size=samples) / n
    else:
        means = arr[rng.integers(0, n, size=(samples, n))].mean(axis=1)
    alpha = (1 - CONFIDENCE) / 2 * 100
    return _percentile(means, alpha), _percentile(means, 100 - alpha)


def bootstrap_tool_use_interval(
    items: Sequence[Sequence[bool]], samples: int = BOOTSTRAP_SAMPLES
) -> tuple[float, float]:
    """Percentile bootstrap interval of tool-use accuracy, resampling the four counts as a multinomial."""
    n = len(items)
    if n == 0:
        return float("nan"), float("nan")
    c = tool_use_counts(items)
    probs = np.array([c["ET"], c["EN"], c["HT"], c["HN"]], dtype=float) / n
    draws = _rng().multinomial(n, probs, size=samples)
    values = tool_use_accuracy_from_counts(draws[:, 0], draws[:, 1], draws[:, 2], draws[:, 3])
    alpha = (1 - CONFIDENCE) / 2 * 100
    return _percentile(values, alpha), _percentile(values, 100 - alpha)


def ci_lo(values: Sequence[float]) -> float:
    return bootstrap_mean_interval(values)[0]


def ci_hi(values: Sequence[float]) -> float:
    return bootstrap_mean_interval(values)[1]


def tool_use_acc_ci_lo(items: Sequence[Sequence[bool]]) -> float:
    return bootstrap_tool_use_interval(items)[0]


def tool_use_acc_ci_hi(items: Sequence[Sequence[bool]]) -> float:
    return bootstrap_tool_use_interval(items)[1]


def total(values: Sequence[float]) -> float:
    """Sum aggregation (counts, tokens, dollars); lm-eval registers none."""
    return float(sum(values))


def error_rate(items: Sequence[Sequence[int]]) -> float:
    """Tool errors over tool calls, from per-problem (errors, calls) pairs; 0 when no tool was called."""
    errors = sum(int(e) for e, _ in items)
    calls = sum(int(c) for _, c in items)
    return errors / calls if calls else 0.0
