"""Find and read ``lm_eval --output_path`` folders: one TaskRun per model and toolwise task, newest run wins.

lm-eval 0.4.13 writes ``DIR/<model_name_sanitized>/results_<ISO-datetime>.json`` and, with
``--log_samples``, ``samples_<task>_<ISO-datetime>.jsonl`` beside it with the same datetime.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from toolwise.leaderboard._errors import LeaderboardWarning, ResultsError
from toolwise.leaderboard._identity import model_label, parse_model_args
from toolwise.leaderboard._samples import read_samples

REQUIRED_METRICS = ("acc_no_tool", "acc_choice", "tool_use_acc", "tool_rate", "n_ET", "n_EN", "n_HT", "n_HN")
_MARKER_METRIC = "acc_no_tool"  # a task reporting it is a toolwise task
_FILTER = "none"


@dataclass(frozen=True)
class TaskRun:
    """One model on one toolwise task, as one results file reports it (and its samples file, if logged)."""

    model: str
    task: str
    metrics: dict[str, float]
    n_problems: int
    limit: float | None
    date: float
    results_file: Path
    samples_file: Path | None = None
    samples: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    model_args: dict[str, str] = field(default_factory=dict)
    repeat_seed: str | None = None  # the gen_kwargs seed: runs differing only in it are repeats of one another
    settings_key: str = ""  # the run's settings less its seeds (model args, limit, generation arguments)

    @property
    def date_text(self) -> str:
        return datetime.fromtimestamp(self.date).isoformat(timespec="seconds")


@dataclass
class LoadedRuns:
    """The runs kept (newest per model and task) and the files set aside, for the page's sources list."""

    runs: list[TaskRun]
    superseded: list[TaskRun]
    files: list[Path]
    repeats: dict[tuple[str, str], list[TaskRun]] = field(default_factory=dict)  # (model, task) -> k >= 2 runs


def find_results_files(paths: Iterable[Path]) -> list[Path]:
    """Every ``results_*.json`` under the given folders (or the files themselves), with a clear error per bad path."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise ResultsError(f"{path}: no such file or folder")
        if path.is_file():
            # any .json given by name (lm_eval --output_path x.json writes x_<date>.json); its content is checked
            if path.suffix != ".json":
                raise ResultsError(f"{path}: not an lm-eval results file (expected results_<date>.json)")
            found.append(path)
            continue
        files = sorted(path.rglob("results*.json"))
        if files:
            found.extend(files)
            continue
        if not any(path.iterdir()):
            raise ResultsError(f"{path}: the folder is empty; point at the folder given to lm_eval --output_path")
        if any(path.rglob("samples_*.jsonl")):
            raise ResultsError(
                f"{path}: has samples_*.jsonl but no results_*.json: the run did not finish or its results "
                "file was removed; rerun it"
            )
        raise ResultsError(
            f"{path}: not an lm-eval results folder: no results_*.json under it "
            "(lm_eval --output_path DIR writes DIR/<model>/results_<date>.json)"
        )
    return list(dict.fromkeys(found))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ResultsError(
            f"{path}: not valid JSON ({err.msg} at line {err.lineno}); the file may be truncated"
        ) from err
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ResultsError(f"{path}: not an lm-eval results file (no 'results' mapping)")
    if not isinstance(data.get("config"), dict):
        raise ResultsError(f"{path}: not an lm-eval results file (no 'config' mapping naming the model)")
    return data


def _stamp(results_file: Path) -> str:
    """The ISO-datetime part that results and samples files of one run share."""
    return results_file.stem.removeprefix("results").removeprefix("_")


def _run_date(data: dict[str, Any], results_file: Path) -> float:
    if isinstance(data.get("date"), int | float):
        return float(data["date"])
    try:
        return datetime.fromisoformat(_stamp(results_file).replace("-", ":").replace(":", "-", 2)).timestamp()
    except ValueError:
        return results_file.stat().st_mtime


def _task_metrics(values: dict[str, Any], where: str) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, value in values.items():
        name, sep, filter_name = key.partition(",")
        if not sep or filter_name != _FILTER or name.endswith("_stderr") or not isinstance(value, int | float):
            continue
        metrics[name] = float(value)
    missing = [name for name in REQUIRED_METRICS if name not in metrics]
    if missing:
        raise ResultsError(f"{where}: lacks {', '.join(missing)}; the run is partial or from another harness")
    return metrics


def _n_problems(data: dict[str, Any], task: str, metrics: dict[str, float]) -> int:
    counts = sum(metrics[name] for name in ("n_ET", "n_EN", "n_HT", "n_HN"))
    effective = data.get("n-samples", {}).get(task, {}).get("effective")
    return int(effective) if isinstance(effective, int) else round(counts)


def _gen_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    """lm-eval writes ``--gen_kwargs`` as a dict (0.4.13) or, in older releases, as the string given."""
    value = config.get("gen_kwargs")
    if isinstance(value, dict):
        return dict(value)
    return dict(parse_model_args(value)) if isinstance(value, str) else {}


def _settings(config: dict[str, Any]) -> tuple[str | None, str]:
    """The repeat seed and everything else that shapes a run's outcome, as a comparable string."""
    gen_kwargs = _gen_kwargs(config)
    seed = gen_kwargs.pop("seed", None)
    rest = {"model_args": parse_model_args(config.get("model_args")), "limit": config.get("limit")}
    rest["gen_kwargs"] = {str(k): str(v) for k, v in gen_kwargs.items()}
    return (None if seed is None else str(seed)), json.dumps(rest, sort_keys=True)


def _runs_in_file(path: Path) -> tuple[list[TaskRun], list[str]]:
    data = _read_json(path)
    config = data["config"]
    model = model_label(config, fallback=str(data.get("model_name") or path.parent.name))
    limit = config.get("limit")
    date = _run_date(data, path)
    repeat_seed, settings_key = _settings(config)
    runs: list[TaskRun] = []
    foreign: list[str] = []
    for task, values in sorted(data["results"].items()):
        if not isinstance(values, dict) or f"{_MARKER_METRIC},{_FILTER}" not in values:
            foreign.append(task)
            continue
        metrics = _task_metrics(values, f"{path} [{task}]")
        samples_file = path.with_name(f"samples_{task}_{_stamp(path)}.jsonl")
        samples = read_samples(samples_file) if samples_file.exists() else None
        runs.append(
            TaskRun(
                model=model,
                task=task,
                metrics=metrics,
                n_problems=len(samples) if samples is not None else _n_problems(data, task, metrics),
                limit=float(limit) if isinstance(limit, int | float) else None,
                date=date,
                results_file=path,
                samples_file=samples_file if samples is not None else None,
                samples=samples,
                model_args=parse_model_args(config.get("model_args")),
                repeat_seed=repeat_seed,
                settings_key=settings_key,
            )
        )
    return runs, foreign


def _seed_order(run: TaskRun) -> tuple[int, float | str]:
    seed = run.repeat_seed or ""
    return (0, float(seed)) if seed.lstrip("-").replace(".", "", 1).isdigit() else (1, seed)


def _split_repeats(group: list[TaskRun]) -> tuple[list[TaskRun], list[TaskRun]]:
    """Repeats of the newest run (same settings, other seeds; the newest run of each seed) and the runs set aside."""
    newest = group[0]
    if newest.repeat_seed is None:
        return [newest], group[1:]
    by_seed: dict[str, TaskRun] = {}
    for run in group:
        if run.settings_key == newest.settings_key and run.repeat_seed is not None:
            by_seed.setdefault(run.repeat_seed, run)
    repeats = sorted(by_seed.values(), key=_seed_order)
    if len(repeats) < 2:
        return [newest], group[1:]
    kept = {id(run) for run in repeats}
    return repeats, [run for run in group if id(run) not in kept]


def _keep_newest(runs: list[TaskRun]) -> tuple[list[TaskRun], list[TaskRun], dict[tuple[str, str], list[TaskRun]]]:
    groups: dict[tuple[str, str], list[TaskRun]] = {}
    for run in runs:
        groups.setdefault((run.model, run.task), []).append(run)
    kept: list[TaskRun] = []
    superseded: list[TaskRun] = []
    repeats: dict[tuple[str, str], list[TaskRun]] = {}
    for (model, task), group in groups.items():
        group.sort(key=lambda run: (run.date, str(run.results_file)), reverse=True)
        chosen, older = _split_repeats(group)
        kept.append(chosen[0])
        if len(chosen) > 1:
            repeats[(model, task)] = chosen
        if older:
            superseded.extend(older)
            what = (
                f"{len(chosen)} repeats (seeds {', '.join(str(r.repeat_seed) for r in chosen)})"
                if len(chosen) > 1
                else f"the newest, {group[0].results_file} ({group[0].date_text})"
            )
            warnings.warn(
                f"{model} on {task}: {len(group)} runs; using {what}, and ignoring "
                f"{', '.join(str(run.results_file) for run in older)}",
                LeaderboardWarning,
                stacklevel=3,
            )
    return kept, superseded, repeats


def load_runs(
    paths: Iterable[Path],
    *,
    progress: Callable[[Path], None] | None = None,
    rename: dict[str, str] | None = None,
) -> LoadedRuns:
    """Read every results file under ``paths``; keep the newest run of each model on each toolwise task.

    ``rename`` maps model labels to display names before runs are matched. Calls ``progress(file)`` after
    each results file. Raises ResultsError for unreadable input; warns (LeaderboardWarning) for set-aside runs.
    """
    files = find_results_files(paths)
    runs: list[TaskRun] = []
    foreign: dict[str, list[Path]] = {}
    for path in files:
        file_runs, file_foreign = _runs_in_file(path)
        for task in file_foreign:
            foreign.setdefault(task, []).append(path)
        runs.extend(file_runs)
        if progress is not None:
            progress(path)
    if not runs:
        tasks = ", ".join(sorted(foreign)) or "none"
        raise ResultsError(
            f"no toolwise task (metric {_MARKER_METRIC}) in {len(files)} results file(s); tasks found: {tasks}"
        )
    if foreign:
        warnings.warn(
            f"skipped tasks that are not toolwise tasks: {', '.join(sorted(foreign))}", LeaderboardWarning, stacklevel=2
        )
    if rename:
        runs = [_renamed(run, rename) for run in runs]
    kept, superseded, repeats = _keep_newest(runs)
    kept.sort(key=lambda run: (run.model, run.task))
    return LoadedRuns(runs=kept, superseded=superseded, files=files, repeats=repeats)


def _renamed(run: TaskRun, rename: dict[str, str]) -> TaskRun:
    return replace(run, model=rename[run.model]) if run.model in rename else run
