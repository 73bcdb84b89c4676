"""Base vs WKD vs WKD+TUA on held-out test problems, with paired bootstrap intervals.

Used by ``toolwise train --eval`` (``Pipeline.evaluate``: ``<out>/eval/``) and by the efficacy benchmark
(``training/examples/efficacy.py``). Each model is evaluated through lm_eval on the task's test split; besides
the greedy scores it reads the decision itself: the probability of opening a tool call on each test problem
(``training.decision``), split by the model's own easy and hard problems. Intervals are 95 % percentile
bootstraps over problems; gains over the base resample the problems jointly (paired).
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from toolwise.bench.evaluate import evaluate
from toolwise.bench.problem import problem_from_doc
from toolwise.bench.scoring import (
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    tool_use_accuracy_from_counts,
)

GAIN_METRICS = ("acc_no_tool", "acc_choice", "tool_use_acc", "tool_rate")
MODELS = {"base": "base", "wkd": "WKD", "wkd_tua": "WKD+TUA"}


def evaluate_model(
    name: str,
    model_dir: str | Path,
    folder: str | Path,
    tasks: list[str],
    *,
    answer_tool: bool = False,
    device: str | None = None,
    batch_size: int = 8,
    max_turns: int = 3,
    max_gen_toks: int = 160,
    limit: int | None = None,
    manager: Any = None,
) -> dict[str, Any]:
    """Metrics and per-problem outcomes (with P(tool call)) of one checkpoint, cached in ``<folder>/<name>.json``.

    The cache is reused while the model and the evaluation settings are the same ones.
    """
    path = Path(folder) / f"{name}.json"
    settings = {"tasks": tasks, "limit": limit, "max_turns": max_turns, "max_gen_toks": max_gen_toks}
    settings["answer_tool"] = answer_tool
    if path.exists():
        cached = json.loads(path.read_text())
        if cached["model"] == str(model_dir) and cached.get("settings", settings) == settings:
            return cached
    start = time.perf_counter()
    model_args = (
        f"backend=hf,pretrained={model_dir},device={device or 'auto'},batch_size={batch_size},"
        f"max_turns={max_turns},answer_tool={str(answer_tool).lower()}"
    )
    results = evaluate(
        tasks,
        model_args,
        limit=limit,
        gen_kwargs=f"max_gen_toks={max_gen_toks}",
        manager=manager,
    )
    seconds = time.perf_counter() - start
    outcomes = []
    for task in tasks:
        for s in sorted(results["samples"][task], key=lambda s: s["doc_id"]):
            problem = problem_from_doc(s["doc"])
            outcomes.append(
                {
                    "task": task,
                    "doc_id": s["doc_id"],
                    "family": f"{task}/{problem.template}",
                    "acc_no_tool": s["acc_no_tool"],
                    "acc_choice": s["acc_choice"],
                    "easy_used": s["tool_use_acc"],
                    "tool_rate": s["tool_rate"],
                    "problem": s["doc"]["problem"],
                }
            )
    _add_call_probabilities(outcomes, Path(model_dir), answer_tool, device, batch_size)
    per_task = {t: {k.split(",")[0]: v for k, v in results["results"][t].items() if "," in k} for t in tasks}
    record = {"model": str(model_dir), "settings": settings, "seconds": seconds, "per_task": per_task}
    record["outcomes"] = outcomes
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    with path.with_suffix(".samples.jsonl").open("w") as fh:
        for task in tasks:
            for s in results["samples"][task]:
                fh.write(json.dumps({"task": task, "doc_id": s["doc_id"], "resps": s["resps"]}) + "\n")
    _save_lm_eval_files(results, Path(folder) / "lm_eval" / name, model_args)
    return record


def _save_lm_eval_files(results: dict[str, Any], folder: Path, model_args: str) -> None:
    """lm-eval's own results and samples files (what ``lm_eval --output_path --log_samples`` writes)."""
    from lm_eval.loggers.evaluation_tracker import EvaluationTracker

    if folder.exists():
        shutil.rmtree(folder)  # one run per model: the leaderboard reads the newest, these are the current ones
    samples = results["samples"]
    aggregated = {k: v for k, v in results.items() if k != "samples"}
    aggregated["config"] = {**results.get("config", {}), "model_args": model_args}
    tracker = EvaluationTracker(output_path=str(folder))
    tracker.save_results_aggregated(results=aggregated, samples=samples)
    for task, task_samples in samples.items():
        tracker.save_results_samples(task_name=task, samples=task_samples)


def leaderboard(folder: str | Path, names: list[str], baseline: str = "base") -> str | None:
    """The leaderboard (``toolwise.leaderboard``, ``--baseline base``) of the models' lm-eval files, as Markdown.

    None when a model has no lm-eval files (an evaluation cached before they were kept) or two models share
    a label.
    """
    from toolwise.leaderboard import LeaderboardWarning, build_leaderboard, load_runs, model_label, render

    folders = [Path(folder) / "lm_eval" / name for name in names]
    files = [sorted(f.rglob("results_*.json")) for f in folders]
    if not all(files):
        return None
    labels = [model_label(json.loads(found[-1].read_text())["config"]) for found in files]
    if len(set(labels)) < len(labels):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeaderboardWarning)
        runs = load_runs(folders, rename={label: MODELS.get(n, n) for label, n in zip(labels, names, strict=True)})
        board = build_leaderboard(runs, baseline=MODELS.get(baseline, baseline), allow_failed=True)
    return render(board, "markdown")


def _add_call_probabilities(
    outcomes: list[dict[str, Any]], model_dir: Path, answer_tool: bool, device: str | None, batch_size: int
) -> None:
    from toolwise.bench.backends.hf import HFBackend
    from toolwise.bench.problem import Problem
    from toolwise.training.decision import call_probabilities

    backend = HFBackend(str(model_dir), device=device, batch_size=batch_size)
    problems = [Problem.from_dict(json.loads(o["problem"])) for o in outcomes]
    for outcome, p in zip(outcomes, call_probabilities(backend, problems, answer_tool), strict=True):
        outcome["p_tool"] = p
        del outcome["problem"]


# Statistics ----------------------------------------------------------------------------------------------------
def _tool_use(pairs: np.ndarray) -> Any:
    easy, used = pairs[..., 0], pairs[..., 1]
    return tool_use_accuracy_from_counts(
        (easy & used).sum(-1), (easy & ~used).sum(-1), (~easy & used).sum(-1), (~easy & ~used).sum(-1)
    )


def _resample_index(n: int) -> np.ndarray:
    return np.random.default_rng(BOOTSTRAP_SEED).integers(0, n, size=(BOOTSTRAP_SAMPLES, n))


def _values(outcomes: list[dict[str, Any]], metric: str) -> np.ndarray:
    if metric == "tool_use_acc":
        return np.array([o["easy_used"] for o in outcomes], dtype=bool)
    return np.array([o[metric] for o in outcomes], dtype=float)


def _statistic(values: np.ndarray, metric: str) -> Any:
    return _tool_use(values) if metric == "tool_use_acc" else values.mean(axis=-1)


def interval(outcomes: list[dict[str, Any]], metric: str) -> tuple[float, float, float]:
    """Point value and 95 % percentile-bootstrap interval of one model's metric over its problems."""
    values = _values(outcomes, metric)
    point = float(_statistic(values, metric))
    draws = _statistic(values[_resample_index(len(values))], metric)
    draws = draws[np.isfinite(draws)]
    return point, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def paired_gain(base: list[dict[str, Any]], other: list[dict[str, Any]], metric: str) -> tuple[float, float, float]:
    """Gain of ``other`` over ``base`` and its 95 % percentile interval, resampling problems jointly."""
    a, b = _values(base, metric), _values(other, metric)
    index = _resample_index(len(a))
    point = float(_statistic(b, metric) - _statistic(a, metric))
    draws = _statistic(b[index], metric) - _statistic(a[index], metric)
    draws = draws[np.isfinite(draws)]
    return point, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def by_difficulty(outcomes: list[dict[str, Any]], key: str) -> tuple[float, float]:
    """Mean of ``key`` on the model's own easy problems (right without tools) and on its hard ones."""
    easy = [o[key] for o in outcomes if o["acc_no_tool"] >= 0.5]
    hard = [o[key] for o in outcomes if o["acc_no_tool"] < 0.5]
    return (float(np.mean(easy)) if easy else float("nan")), (float(np.mean(hard)) if hard else float("nan"))


def counts(outcomes: list[dict[str, Any]]) -> str:
    c = {"ET": 0, "EN": 0, "HT": 0, "HN": 0}
    for o in outcomes:
        easy, used = o["easy_used"]
        c[("E" if easy else "H") + ("T" if used else "N")] += 1
    return "/".join(str(c[k]) for k in ("ET", "EN", "HT", "HN"))


# Tables --------------------------------------------------------------------------------------------------------
def _cell(point: float, lo: float, hi: float, signed: bool = False) -> str:
    return f"{point:+.3f} [{lo:+.2f}, {hi:+.2f}]" if signed else f"{point:.3f} [{lo:.2f}, {hi:.2f}]"


def table(evals: dict[str, dict[str, Any]]) -> str:
    head = "| model | n | acc_no_tool | acc_choice | tool_use_acc | tool_rate | tool rate easy / hard | P(tool) easy / hard | ET/EN/HT/HN | eval time |"
    rows = [head, "|---" * 10 + "|"]
    for name, record in evals.items():
        o = record["outcomes"]
        cells = [_cell(*interval(o, m)) for m in GAIN_METRICS]
        rate = "{:.2f} / {:.2f}".format(*by_difficulty(o, "tool_rate"))
        p_tool = "{:.2f} / {:.2f}".format(*by_difficulty(o, "p_tool"))
        rows.append(
            f"| {MODELS[name]} | {len(o)} | " + " | ".join(cells) + f" | {rate} | {p_tool} | {counts(o)} | "
            f"{record['seconds'] / 60:.0f} min |"
        )
    return "\n".join(rows)


def gains(evals: dict[str, dict[str, Any]]) -> str:
    base = evals["base"]["outcomes"]
    rows = ["| gain over base (paired) | " + " | ".join(GAIN_METRICS) + " |", "|---" * (len(GAIN_METRICS) + 1) + "|"]
    for name in [n for n in evals if n != "base"]:
        cells = [_cell(*paired_gain(base, evals[name]["outcomes"], m), signed=True) for m in GAIN_METRICS]
        rows.append(f"| {MODELS[name]} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def family_table(evals: dict[str, dict[str, Any]]) -> str:
    """Per question family: the accuracies of each model, and the final model's tool use."""
    families: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for name, record in evals.items():
        for o in record["outcomes"]:
            families[o["family"]][name].append(o)
    names = list(evals)
    head = (
        "| family | n | acc_no_tool "
        + " / ".join(MODELS[n] for n in names)
        + " | acc_choice "
        + " / ".join(MODELS[n] for n in names)
        + " | WKD+TUA tool rate | WKD+TUA P(tool) |"
    )
    rows = [head, "|---|---|---|---|---|---|"]
    for family in sorted(families):
        per = families[family]
        final = per.get("wkd_tua", [])
        acc_n = " / ".join(f"{np.mean([o['acc_no_tool'] for o in per[n]]):.2f}" for n in names)
        acc_c = " / ".join(f"{np.mean([o['acc_choice'] for o in per[n]]):.2f}" for n in names)
        rate = f"{np.mean([o['tool_rate'] for o in final]):.2f}" if final else "-"
        p_tool = f"{np.mean([o['p_tool'] for o in final]):.2f}" if final else "-"
        rows.append(f"| {family} | {len(per[names[0]])} | {acc_n} | {acc_c} | {rate} | {p_tool} |")
    return "\n".join(rows)


def goals(evals: dict[str, dict[str, Any]]) -> tuple[str, bool]:
    """The method's promises on this run, each with its figure and whether it holds."""
    base, final = evals["base"]["outcomes"], evals["wkd_tua"]["outcomes"]
    tua_gain = paired_gain(base, final, "tool_use_acc")
    acc_gain = paired_gain(base, final, "acc_choice")
    rate = float(np.mean([o["tool_rate"] for o in final]))
    easy_rate, hard_rate = by_difficulty(final, "tool_rate")
    checks = [
        (
            "tool_use_acc gain >= 0.10, interval above 0",
            tua_gain[0] >= 0.10 and tua_gain[1] > 0,
            _cell(*tua_gain, True),
        ),
        ("tool rate within [0.15, 0.85]", 0.15 <= rate <= 0.85, f"{rate:.3f}"),
        (
            "tool rate on hard - on easy >= 0.2",
            bool(hard_rate - easy_rate >= 0.2),
            f"{hard_rate:.2f} - {easy_rate:.2f} = {hard_rate - easy_rate:+.2f}",
        ),
        ("acc_choice above base, interval above 0", acc_gain[1] > 0, _cell(*acc_gain, True)),
    ]
    rows = ["| goal (WKD+TUA vs base) | figure | holds |", "|---|---|---|"]
    rows += [f"| {text} | {figure} | {'yes' if ok else 'NO'} |" for text, ok, figure in checks]
    return "\n".join(rows), all(ok for _, ok, _ in checks)


def report(evals: dict[str, dict[str, Any]]) -> str:
    """The markdown comparison: the metric table, the paired gains over the base, the goals, the families."""
    parts = ["### Models", "", table(evals)]
    if "base" in evals and len(evals) > 1:
        parts += ["", "### Gains over the base", "", gains(evals)]
    if "base" in evals and "wkd_tua" in evals:
        parts += ["", "### Goals", "", goals(evals)[0]]
    parts += ["", "### Per question family", "", family_table(evals)]
    return "\n".join(parts) + "\n"


def comparison(evals: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The same figures as data: each model's point value and interval per metric, the paired gains over the base."""
    out: dict[str, Any] = {"models": {}, "gains_over_base": {}}
    for name, record in evals.items():
        o = record["outcomes"]
        out["models"][name] = {"n": len(o), **{m: list(interval(o, m)) for m in GAIN_METRICS}}
        if name != "base" and "base" in evals:
            base = evals["base"]["outcomes"]
            out["gains_over_base"][name] = {m: list(paired_gain(base, o, m)) for m in GAIN_METRICS}
    if "base" in evals and "wkd_tua" in evals:
        out["goals_hold"] = goals(evals)[1]
    return out
