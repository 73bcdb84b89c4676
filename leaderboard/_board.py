"""The leaderboard as tidy data: one row per model x task x subset x metric, with intervals and notes.

Every output format (Markdown, LaTeX, CSV, HTML, plots) is a view of ``Leaderboard.table``.
"""

from __future__ import annotations

import re
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolwise.leaderboard._errors import LeaderboardWarning, ResultsError
from toolwise.leaderboard._reading import LoadedRuns, TaskRun
from toolwise.leaderboard._stats import (
    bootstrap_interval,
    difference_rows,
    empty_class,
    mean_rows,
    tool_use_accuracy,
    tool_use_rows,
)

ACCURACY_METRICS = ("acc_no_tool", "acc_choice", "tool_use_acc")
COUNT_METRICS = ("n_ET", "n_EN", "n_HT", "n_HN")
PASSTHROUGH_METRICS = ("tokens_in", "tokens_out", "cost_usd", "n_failed", "tool_errors")  # sums toolwise may report
# Runs in which more than this share of problems failed (backend or reply errors, scored 0) are not ranked.
DEFAULT_MAX_FAILED = 0.05
OVERALL = "overall"
METRIC_ORDER = (OVERALL, *ACCURACY_METRICS, "tool_rate", "tool_calls_per_problem", *COUNT_METRICS, *PASSTHROUGH_METRICS)
ALL = "all"
TABLE_COLUMNS = ("model", "task", "subset", "metric", "value", "ci_lo", "ci_hi", "n", "baseline", "source", "note")
OVERALL_DEFINITION = "mean over tasks of ½·(accuracy with tools + tool-use accuracy)"
_AGREEMENT = 1e-6  # samples and results must give the same point values


@dataclass
class Leaderboard:
    """Tidy results (``table``), the models in ranking order and the run each (model, task) came from."""

    table: pd.DataFrame
    models: list[str]
    tasks: list[str]
    runs: pd.DataFrame  # model, task, n, limit, source, results_file, samples_file, date
    baseline: str | None = None
    n_boot: int = 2000
    seed: int = 0
    superseded: list[str] = field(default_factory=list)
    _index: dict[tuple[str, str, str, str, str], dict[str, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for row in self.table.to_dict("records"):
            key = (row["model"], row["task"], row["subset"], row["metric"], row["baseline"])
            self._index[key] = row

    def cell(
        self, model: str, task: str, metric: str, *, subset: str = ALL, baseline: str = ""
    ) -> dict[str, Any] | None:
        """The table row for one value, or None when that model has no run of that task."""
        return self._index.get((model, task, subset, metric, baseline))

    def levels(self, task: str) -> list[str]:
        """Difficulty levels with per-level rows for ``task`` (MATH's "Level 1".."Level 5"), naturally ordered."""
        subsets = self.table.loc[(self.table["task"] == task) & (self.table["subset"] != ALL), "subset"].unique()
        return sorted(subsets, key=_natural_key)

    @property
    def leveled_tasks(self) -> list[str]:
        return [task for task in self.tasks if self.levels(task)]

    def run_of(self, model: str, task: str) -> dict[str, Any] | None:
        rows = self.runs[(self.runs["model"] == model) & (self.runs["task"] == task)]
        return None if rows.empty else rows.iloc[0].to_dict()


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """The same resampled problems for every model and metric of a task (subset): an interval does not depend
    on which other runs are loaded, and identical outcomes get identical intervals."""
    return np.random.default_rng([seed, zlib.crc32("\x1f".join(parts).encode())])


def _row(run: TaskRun, metric: str, value: float, **extra: Any) -> dict[str, Any]:
    row = dict.fromkeys(TABLE_COLUMNS, None)
    row.update(model=run.model, task=run.task, subset=ALL, metric=metric, value=float(value), baseline="")
    row.update(ci_lo=np.nan, ci_hi=np.nan, n=run.n_problems, note="")
    row.update(extra)
    return row


def _half_note(missing_class: str | None) -> str:
    if missing_class == "easy":
        return "no easy problems: hard half only"
    if missing_class == "hard":
        return "no hard problems: easy half only"
    return ""


def _class_from_counts(metrics: dict[str, float]) -> str | None:
    if metrics["n_ET"] + metrics["n_EN"] == 0 and metrics["n_HT"] + metrics["n_HN"] > 0:
        return "easy"
    if metrics["n_HT"] + metrics["n_HN"] == 0 and metrics["n_ET"] + metrics["n_EN"] > 0:
        return "hard"
    return None


def _rows_from_results(run: TaskRun) -> list[dict[str, Any]]:
    rows = []
    for metric in (*ACCURACY_METRICS, "tool_rate", "tool_calls_per_problem", *COUNT_METRICS, *PASSTHROUGH_METRICS):
        if metric not in run.metrics:
            continue
        lo, hi = run.metrics.get(f"{metric}_ci_lo", np.nan), run.metrics.get(f"{metric}_ci_hi", np.nan)
        note = _half_note(_class_from_counts(run.metrics)) if metric == "tool_use_acc" else ""
        rows.append(_row(run, metric, run.metrics[metric], ci_lo=lo, ci_hi=hi, source="results", note=note))
    return rows


def _sample_statistics(frame: pd.DataFrame, run: TaskRun, subset: str, n_boot: int, seed: int) -> list[dict[str, Any]]:
    easy, used = frame["easy"].to_numpy(bool), frame["used_tool"].to_numpy(bool)
    statistics = {
        "acc_no_tool": (float(frame["correct_no_tool"].mean()), mean_rows(frame["correct_no_tool"].to_numpy())),
        "acc_choice": (float(frame["correct_choice"].mean()), mean_rows(frame["correct_choice"].to_numpy())),
        "tool_use_acc": (tool_use_accuracy(easy, used), tool_use_rows(easy, used)),
        "tool_rate": (float(used.mean()), mean_rows(used)),
    }
    rows = []
    for metric, (value, rows_statistic) in statistics.items():
        rng = _rng(seed, run.task, subset)
        lo, hi = bootstrap_interval(rows_statistic, len(frame), n_boot=n_boot, rng=rng)
        note = _half_note(empty_class(easy)) if metric == "tool_use_acc" else ""
        rows.append(
            _row(run, metric, value, subset=subset, ci_lo=lo, ci_hi=hi, n=len(frame), source="samples", note=note)
        )
    return rows


def _rows_from_samples(run: TaskRun, n_boot: int, seed: int) -> list[dict[str, Any]]:
    samples = run.samples
    assert samples is not None
    rows = _sample_statistics(samples, run, ALL, n_boot, seed)
    easy, used = samples["easy"].to_numpy(bool), samples["used_tool"].to_numpy(bool)
    counts = {
        "n_ET": (easy & used).sum(),
        "n_EN": (easy & ~used).sum(),
        "n_HT": (~easy & used).sum(),
        "n_HN": (~easy & ~used).sum(),
    }
    rows += [_row(run, metric, count, source="samples") for metric, count in counts.items()]
    rows.append(_row(run, "tool_calls_per_problem", samples["tool_calls"].mean(), source="samples"))
    rows += [_row(run, m, run.metrics[m], source="results") for m in PASSTHROUGH_METRICS if m in run.metrics]
    _check_agreement(run, {row["metric"]: row["value"] for row in rows})
    for level, frame in samples[samples["difficulty"] != ""].groupby("difficulty"):
        rows += _sample_statistics(frame, run, str(level), n_boot, seed)
    return rows


def _check_agreement(run: TaskRun, recomputed: dict[str, float]) -> None:
    differing = [
        f"{metric} {run.metrics[metric]:.4g} vs {value:.4g}"
        for metric, value in recomputed.items()
        if metric in run.metrics
        and metric != "tool_calls_per_problem"
        and abs(run.metrics[metric] - value) > _AGREEMENT
    ]
    if differing:
        warnings.warn(
            f"{run.model} on {run.task}: {run.samples_file} disagrees with {run.results_file} "
            f"({'; '.join(differing)}); using the samples",
            LeaderboardWarning,
            stacklevel=4,
        )


def _overall_rows(table: pd.DataFrame, tasks: list[str]) -> list[dict[str, Any]]:
    main = table[(table["subset"] == ALL) & (table["baseline"] == "")]
    rows = []
    for model, frame in main.groupby("model"):
        values = frame.set_index(["task", "metric"])["value"]
        covered = [t for t in tasks if (t, "acc_choice") in values.index and (t, "tool_use_acc") in values.index]
        per_task = [0.5 * (values[(t, "acc_choice")] + values[(t, "tool_use_acc")]) for t in covered]
        complete = len(covered) == len(tasks)
        row = dict.fromkeys(TABLE_COLUMNS, None)
        row.update(model=model, task=OVERALL, subset=ALL, metric=OVERALL, baseline="", ci_lo=np.nan, ci_hi=np.nan)
        row.update(
            value=float(np.mean(per_task)) if complete else np.nan,
            n=len(covered),
            source="derived",
            note="" if complete else f"ran {len(covered)} of {len(tasks)} tasks",
        )
        rows.append(row)
    return rows


def _paired_rows(run: TaskRun, base: TaskRun, n_boot: int, seed: int) -> list[dict[str, Any]]:
    """Each model minus the baseline on the problems both answered, paired bootstrap intervals."""
    if run.samples is None or base.samples is None:
        note = "no samples: difference of totals, no interval"
        return [
            _row(run, m, run.metrics[m] - base.metrics[m], baseline=base.model, source="results", note=note, n=None)
            for m in ACCURACY_METRICS
        ]
    shared = run.samples.merge(base.samples, on="problem_id", suffixes=("", "_base"))
    if shared.empty:
        note = "no shared problems"
        return [_row(run, m, np.nan, baseline=base.model, source="samples", note=note, n=0) for m in ACCURACY_METRICS]
    pairs = {
        "acc_no_tool": (mean_rows(shared["correct_no_tool"]), mean_rows(shared["correct_no_tool_base"])),
        "acc_choice": (mean_rows(shared["correct_choice"]), mean_rows(shared["correct_choice_base"])),
        "tool_use_acc": (
            tool_use_rows(shared["easy"].to_numpy(bool), shared["used_tool"].to_numpy(bool)),
            tool_use_rows(shared["easy_base"].to_numpy(bool), shared["used_tool_base"].to_numpy(bool)),
        ),
    }
    rows = []
    everything = np.arange(len(shared))[None, :]
    for metric, (mine, theirs) in pairs.items():
        statistic = difference_rows(mine, theirs)
        rng = _rng(seed, "paired", run.task)
        lo, hi = bootstrap_interval(statistic, len(shared), n_boot=n_boot, rng=rng)
        value = float(statistic(everything)[0])
        rows.append(_row(run, metric, value, baseline=base.model, ci_lo=lo, ci_hi=hi, n=len(shared), source="samples"))
    return rows


def _select(runs: list[TaskRun], tasks: list[str] | None, models: list[str] | None) -> list[TaskRun]:
    for wanted, attribute in ((tasks, "task"), (models, "model")):
        if wanted:
            available = sorted({getattr(run, attribute) for run in runs})
            unknown = [name for name in wanted if name not in available]
            if unknown:
                raise ResultsError(f"no run of {attribute} {', '.join(unknown)}; available: {', '.join(available)}")
            runs = [run for run in runs if getattr(run, attribute) in wanted]
    return runs


def _runs_frame(runs: list[TaskRun]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "model": run.model,
                "task": run.task,
                "n": run.n_problems,
                "limit": run.limit,
                "source": "samples" if run.samples is not None else "results",
                "results_file": str(run.results_file),
                "samples_file": str(run.samples_file) if run.samples_file else "",
                "date": run.date_text,
            }
            for run in runs
        ]
    )


def failed_share(run: TaskRun) -> float:
    """The share of a run's problems that failed (0 for results written before toolwise counted them)."""
    failed = run.metrics.get("n_failed", 0.0)
    return float(failed) / run.n_problems if run.n_problems and np.isfinite(failed) else 0.0


def check_failures(runs: list[TaskRun], max_failed: float, allow_failed: bool) -> None:
    """Warn about every run with failed problems; refuse those above ``max_failed`` unless allowed."""
    too_many = []
    for run in runs:
        share = failed_share(run)
        if share == 0:
            continue
        text = f"{run.model} on {run.task}: {run.metrics['n_failed']:.0f} of {run.n_problems} problems failed"
        if share > max_failed:
            too_many.append(f"{text} ({share:.0%})")
        warnings.warn(f"{text} (backend or reply errors, scored 0); its row is marked", LeaderboardWarning, 2)
    if too_many and not allow_failed:
        raise ResultsError(
            f"{'; '.join(too_many)}: more than {max_failed:.0%} failed, so the scores say little about the model. "
            "Rerun them (the response cache keeps the answered requests), raise --max-failed, or pass "
            "--allow-failed to rank them anyway"
        )


def build_leaderboard(
    loaded: LoadedRuns,
    *,
    baseline: str | None = None,
    tasks: list[str] | None = None,
    models: list[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    max_failed: float = DEFAULT_MAX_FAILED,
    allow_failed: bool = False,
) -> Leaderboard:
    """Tidy table of every metric with its interval, the overall score, and differences to ``baseline``.

    Values come from the samples file when one was logged (intervals bootstrapped here over problems,
    ``n_boot`` replicates), else from the results file (toolwise's own intervals). A run whose share of
    failed problems (``n_failed``: a backend or reply error, scored 0) is above ``max_failed`` is refused
    (ResultsError) unless ``allow_failed``; any run with failures gets a warning and is marked.
    """
    runs = _select(loaded.runs, tasks, models)
    check_failures(runs, max_failed, allow_failed)
    task_names = sorted({run.task for run in runs}, key=lambda t: (tasks or []).index(t) if tasks else t)
    rows: list[dict[str, Any]] = []
    for run in runs:
        rows += _rows_from_samples(run, n_boot, seed) if run.samples is not None else _rows_from_results(run)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table = pd.concat([table, pd.DataFrame(_overall_rows(table, task_names), columns=list(TABLE_COLUMNS))])
    overall = table[table["metric"] == OVERALL].set_index("model")["value"]
    ranked = sorted(overall.index, key=lambda m: (np.isnan(overall[m]), -np.nan_to_num(overall[m]), m))
    if baseline is not None:
        if baseline not in ranked:
            raise ResultsError(f"baseline {baseline!r} has no run; models: {', '.join(ranked)}")
        by_key = {(run.model, run.task): run for run in runs}
        diff_rows = [
            row
            for run in runs
            if run.model != baseline and (baseline, run.task) in by_key
            for row in _paired_rows(run, by_key[(baseline, run.task)], n_boot, seed)
        ]
        table = pd.concat([table, pd.DataFrame(diff_rows, columns=list(TABLE_COLUMNS))])
    table["n"] = table["n"].astype("Int64")
    table = table.reset_index(drop=True)
    superseded = [f"{run.model} on {run.task}: {run.results_file}" for run in loaded.superseded]
    return Leaderboard(
        table=table,
        models=ranked,
        tasks=task_names,
        runs=_runs_frame(runs),
        baseline=baseline,
        n_boot=n_boot,
        seed=seed,
        superseded=superseded,
    )
