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
    RowStatistic,
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
SCORE = "score"  # a task's ½·(accuracy with tools + tool-use accuracy); the overall is its mean over tasks
SPREAD_METRICS = ("acc_no_tool", "acc_choice", "tool_use_acc", "tool_rate", SCORE)  # sd across repeats: <m>_sd
PASS_K = "pass_k"  # share of problems answered right with tools in every one of k repeats (tau-bench's pass^k)
REPEATS = "repeats"
METRIC_ORDER = (
    OVERALL, SCORE, *ACCURACY_METRICS, "tool_rate", "tool_calls_per_problem", *COUNT_METRICS, *PASSTHROUGH_METRICS,
    REPEATS, PASS_K, *(f"{m}_sd" for m in SPREAD_METRICS),
)  # fmt: skip
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
    repeats: dict[tuple[str, str], int] = field(default_factory=dict)  # (model, task) -> k, where k >= 2
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

    def repeats_of(self, model: str, task: str) -> int:
        """How many repeats the (model, task) value averages (1 for a single run)."""
        return self.repeats.get((model, task), 1)

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
    if "acc_choice" in run.metrics and "tool_use_acc" in run.metrics:
        score = 0.5 * (run.metrics["acc_choice"] + run.metrics["tool_use_acc"])
        rows.append(_row(run, SCORE, score, source="results"))
    return rows


def _sample_statistics(frame: pd.DataFrame, run: TaskRun, subset: str, n_boot: int, seed: int) -> list[dict[str, Any]]:
    easy, used = frame["easy"].to_numpy(bool), frame["used_tool"].to_numpy(bool)
    statistics = {
        "acc_no_tool": (float(frame["correct_no_tool"].mean()), mean_rows(frame["correct_no_tool"].to_numpy())),
        "acc_choice": (float(frame["correct_choice"].mean()), mean_rows(frame["correct_choice"].to_numpy())),
        "tool_use_acc": (tool_use_accuracy(easy, used), tool_use_rows(easy, used)),
        "tool_rate": (float(used.mean()), mean_rows(used)),
    }
    if subset == ALL:
        statistics[SCORE] = (
            0.5 * (statistics["acc_choice"][0] + statistics["tool_use_acc"][0]),
            _half_sum(statistics["acc_choice"][1], statistics["tool_use_acc"][1]),
        )
    rows = []
    for metric, (value, rows_statistic) in statistics.items():
        rng = _rng(seed, run.task, subset)
        lo, hi = bootstrap_interval(rows_statistic, len(frame), n_boot=n_boot, rng=rng)
        note = _half_note(empty_class(easy)) if metric == "tool_use_acc" else ""
        rows.append(
            _row(run, metric, value, subset=subset, ci_lo=lo, ci_hi=hi, n=len(frame), source="samples", note=note)
        )
    return rows


def _half_sum(first: RowStatistic, second: RowStatistic) -> RowStatistic:
    return lambda idx: 0.5 * (first(idx) + second(idx))


def _aligned(runs: list[TaskRun]) -> list[pd.DataFrame]:
    """The runs' samples restricted to the problems all of them answered, in one problem order."""
    frames = [run.samples for run in runs if run.samples is not None]
    shared = set(frames[0]["problem_id"])
    for frame in frames[1:]:
        shared &= set(frame["problem_id"])
    order = sorted(shared)
    return [frame.set_index("problem_id").loc[order].reset_index() for frame in frames]


def _repeat_statistics(frames: list[pd.DataFrame]) -> dict[str, RowStatistic]:
    """Each headline statistic averaged over repeats, on the same resampled problems for every repeat."""

    def average(column: str) -> RowStatistic:
        return mean_rows(np.mean([frame[column].to_numpy(float) for frame in frames], axis=0))

    tua = [tool_use_rows(f["easy"].to_numpy(bool), f["used_tool"].to_numpy(bool)) for f in frames]

    def tool_use(idx: np.ndarray) -> np.ndarray:
        return np.mean([statistic(idx) for statistic in tua], axis=0)

    statistics = {
        "acc_no_tool": average("correct_no_tool"),
        "acc_choice": average("correct_choice"),
        "tool_use_acc": tool_use,
        "tool_rate": average("used_tool"),
    }
    statistics[SCORE] = _half_sum(statistics["acc_choice"], tool_use)
    return statistics


def _per_repeat(frame: pd.DataFrame) -> dict[str, float]:
    easy, used = frame["easy"].to_numpy(bool), frame["used_tool"].to_numpy(bool)
    values = {
        "acc_no_tool": float(frame["correct_no_tool"].mean()),
        "acc_choice": float(frame["correct_choice"].mean()),
        "tool_use_acc": tool_use_accuracy(easy, used),
        "tool_rate": float(used.mean()),
    }
    values[SCORE] = 0.5 * (values["acc_choice"] + values["tool_use_acc"])
    return values


def _rows_from_repeats(runs: list[TaskRun], n_boot: int, seed: int) -> list[dict[str, Any]]:
    """k runs of one model on one task that differ only in their seed: means over repeats with intervals over
    problems, the spread across repeats (sd) and pass^k, the share of problems right with tools every time."""
    first = runs[0]
    frames = _aligned(runs)
    n, k = len(frames[0]), len(frames)
    whole = np.arange(n)[None, :]
    note = f"mean of {k} repeats"
    rows = []
    for metric, statistic in _repeat_statistics(frames).items():
        lo, hi = bootstrap_interval(statistic, n, n_boot=n_boot, rng=_rng(seed, first.task, ALL))
        value = float(statistic(whole)[0])
        rows.append(_row(first, metric, value, ci_lo=lo, ci_hi=hi, n=n, source="samples"))
    per_repeat = [_per_repeat(frame) for frame in frames]
    for metric in SPREAD_METRICS:
        spread = float(np.std([values[metric] for values in per_repeat], ddof=1))
        rows.append(_row(first, f"{metric}_sd", spread, n=n, source="samples", note=note))
    every_time = np.all([frame["correct_choice"].to_numpy(float) >= 1.0 for frame in frames], axis=0)
    rows.append(_row(first, PASS_K, float(every_time.mean()), n=n, source="samples", note=note))
    rows.append(_row(first, REPEATS, float(k), n=n, source="samples", note=note))
    for metric in COUNT_METRICS:
        quadrant = {"n_ET": (True, True), "n_EN": (True, False), "n_HT": (False, True), "n_HN": (False, False)}
        easy, used = quadrant[metric]
        total = sum(int(((f["easy"] == easy) & (f["used_tool"] == used)).sum()) for f in frames)
        rows.append(_row(first, metric, float(total), n=n, source="samples", note=f"sum over {k} repeats"))
    calls = float(np.mean([frame["tool_calls"].mean() for frame in frames]))
    rows.append(_row(first, "tool_calls_per_problem", calls, n=n, source="samples", note=note))
    for metric in PASSTHROUGH_METRICS:
        if all(metric in run.metrics for run in runs):
            total = float(sum(run.metrics[metric] for run in runs))
            rows.append(_row(first, metric, total, source="results", note=f"sum over {k} repeats"))
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


def _paired_rows(runs: list[TaskRun], bases: list[TaskRun], n_boot: int, seed: int) -> list[dict[str, Any]]:
    """Each model minus the baseline on the problems both answered, paired bootstrap intervals (repeats of
    either side are averaged per problem first)."""
    run, base = runs[0], bases[0]
    if any(r.samples is None for r in (*runs, *bases)):
        note = "no samples: difference of totals, no interval"
        return [
            _row(run, m, run.metrics[m] - base.metrics[m], baseline=base.model, source="results", note=note, n=None)
            for m in ACCURACY_METRICS
        ]
    frames = _aligned([*runs, *bases])
    if frames[0].empty:
        note = "no shared problems"
        return [_row(run, m, np.nan, baseline=base.model, source="samples", note=note, n=0) for m in ACCURACY_METRICS]
    mine, theirs = _repeat_statistics(frames[: len(runs)]), _repeat_statistics(frames[len(runs) :])
    rows = []
    n = len(frames[0])
    everything = np.arange(n)[None, :]
    for metric in ACCURACY_METRICS:
        statistic = difference_rows(mine[metric], theirs[metric])
        rng = _rng(seed, "paired", run.task)
        lo, hi = bootstrap_interval(statistic, n, n_boot=n_boot, rng=rng)
        value = float(statistic(everything)[0])
        rows.append(_row(run, metric, value, baseline=base.model, ci_lo=lo, ci_hi=hi, n=n, source="samples"))
    return rows


def _repeat_group(loaded: LoadedRuns, run: TaskRun) -> list[TaskRun]:
    """The repeats a run belongs to (all with samples), else the run alone."""
    group = loaded.repeats.get((run.model, run.task), [run])
    return group if len(group) > 1 and all(r.samples is not None for r in group) else [run]


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
    groups = {(run.model, run.task): _repeat_group(loaded, run) for run in runs}
    rows: list[dict[str, Any]] = []
    for run in runs:
        group = groups[(run.model, run.task)]
        if len(group) > 1:
            rows += _rows_from_repeats(group, n_boot, seed)
        else:
            rows += _rows_from_samples(run, n_boot, seed) if run.samples is not None else _rows_from_results(run)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table = pd.concat([table, pd.DataFrame(_overall_rows(table, task_names), columns=list(TABLE_COLUMNS))])
    overall = table[table["metric"] == OVERALL].set_index("model")["value"]
    ranked = sorted(overall.index, key=lambda m: (np.isnan(overall[m]), -np.nan_to_num(overall[m]), m))
    if baseline is not None:
        if baseline not in ranked:
            raise ResultsError(f"baseline {baseline!r} has no run; models: {', '.join(ranked)}")
        diff_rows = [
            row
            for run in runs
            if run.model != baseline and (baseline, run.task) in groups
            for row in _paired_rows(groups[(run.model, run.task)], groups[(baseline, run.task)], n_boot, seed)
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
        repeats={key: len(group) for key, group in groups.items() if len(group) > 1},
    )
