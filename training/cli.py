"""``toolwise train``: the WKD + TUA pipeline in one command.

    toolwise train --base meta-llama/Llama-3.1-8B-Instruct --task pde_tool --out ckpt/
    toolwise train --config my.yaml --stage tua --set tua.k_samples=8

Settings come from the dataclass defaults, then ``--config`` (YAML with the
sections of :class:`TrainConfig`), then the flags below, then ``--set
section.field=value`` (any field; ``--show-config`` prints them all). The
lead CLI mounts :func:`train_command` as ``toolwise train``; ``python -m
toolwise.training.cli`` runs it alone (e.g. under ``accelerate launch``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from toolwise.training.config import STAGES, TrainConfig, build_config, to_dict

console = Console()


def _parse_pairs(text: str) -> dict[str, Any]:
    """``k=v,k=v`` (lm-eval's --model_args syntax) with YAML-typed values."""
    out: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected key=value, got {item!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def overrides_from_flags(flags: dict[str, Any], settings: list[str] | None) -> dict[str, Any]:
    """Dotted config keys from the named flags (None = not given) and the ``--set`` items."""
    out: dict[str, Any] = {}
    direct = {"base": "base", "task": "task", "out": "out", "train_file": "train_file", "gguf_file": "gguf_file"}
    direct |= {"chat_template": "chat_template", "device": "device", "teacher": "collect.teacher"}
    direct |= {"n_train": "collect.n_train", "solution_source": "collect.solution_source"}
    direct |= {"k_samples": "tua.k_samples", "sampler": "sampler", "eval_limit": "eval.limit"}
    for flag, key in direct.items():
        if flags.get(flag) is not None:
            out[key] = str(flags[flag]) if isinstance(flags[flag], Path) else flags[flag]
    if flags.get("teacher_args"):
        out["collect.teacher_args"] = _parse_pairs(flags["teacher_args"])
    for both in ("use_lora", "learning_rate", "num_train_epochs"):
        if flags.get(both) is not None:
            out[f"wkd.{both}"] = out[f"tua.{both}"] = flags[both]
    for item in settings or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set expects section.field=value, got {item!r}")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else value
    return out


def train_command(
    base: Annotated[str | None, typer.Option(help="Hub id or local path of the model to fine-tune.")] = None,
    task: Annotated[
        str | None,
        typer.Option(
            help="Task(s) whose training splits are used: pde_tool, climate_tool,pde_tool or a group (scitool)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (final checkpoint: <out>/final).")] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(help="Run only this stage: collect, wkd, tua or eval (repeatable)."),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file with TrainConfig settings.")] = None,
    teacher: Annotated[
        str | None, typer.Option(help="Teacher backend for collect: oracle, hf, vllm, openai, anthropic.")
    ] = None,
    teacher_args: Annotated[
        str | None, typer.Option(help="Teacher backend arguments, k=v,k=v (e.g. model=gpt-4o).")
    ] = None,
    n_train: Annotated[int | None, typer.Option(help="Number of training questions.")] = None,
    train_file: Annotated[Path | None, typer.Option(help="JSONL of problems to train on instead.")] = None,
    solution_source: Annotated[
        str | None, typer.Option(help="Tool-free solutions from the 'dataset' or the 'teacher'.")
    ] = None,
    k_samples: Annotated[int | None, typer.Option(help="TUA: direct answers sampled per question.")] = None,
    use_lora: Annotated[
        bool | None, typer.Option("--lora/--full", help="LoRA adapters (merged at the end) or full fine-tuning.")
    ] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Learning rate of both SFT stages.")] = None,
    num_train_epochs: Annotated[float | None, typer.Option("--epochs", help="Epochs of both SFT stages.")] = None,
    gguf_file: Annotated[str | None, typer.Option(help="GGUF file inside --base to start from.")] = None,
    chat_template: Annotated[Path | None, typer.Option(help="A .jinja chat template for the model.")] = None,
    device: Annotated[str | None, typer.Option(help="Device for sampling: cuda or cpu (default: auto).")] = None,
    sampler: Annotated[
        str | None,
        typer.Option(help="Engine for TUA samples, DPO proposals and an hf teacher: vllm, hf or auto (default)."),
    ] = None,
    eval_: Annotated[
        bool,
        typer.Option(
            "--eval", help="After training, evaluate base, WKD and final on the task's test split (<out>/eval)."
        ),
    ] = False,
    eval_limit: Annotated[
        int | None, typer.Option(help="Test problems evaluated per task by --eval (default: all).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any setting as section.field=value (repeatable).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Redo the selected stages even if finished.")] = False,
    show_config: Annotated[bool, typer.Option(help="Print the resolved configuration and exit.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    push_to_hub: Annotated[
        str | None, typer.Option(help="After TUA, upload <out>/final (with its model card) to this hub repo id.")
    ] = None,
) -> None:
    """Fine-tune a model to know when to use tools: collect -> WKD -> TUA (resumable, stage by stage)."""
    flags = dict(locals())
    overrides = overrides_from_flags(flags, set_)
    try:
        cfg = build_config(config, overrides)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if show_config:
        console.print(yaml.safe_dump(to_dict(cfg), sort_keys=False))
        return
    _check_required(cfg)
    for name in stage or []:
        if name not in (*STAGES, "eval"):
            raise typer.BadParameter(f"unknown stage {name!r}; choose from {', '.join(STAGES)}, eval")
    evaluate = eval_ or "eval" in (stage or [])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from toolwise.training.pipeline import Pipeline, StageError

    try:
        state = Pipeline(cfg, console=console, progress=not quiet).run(stage or None, force=force, evaluate=evaluate)
    except StageError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    done = [s for s in STAGES if state["stages"].get(s, {}).get("done")]
    console.print(f"done: {', '.join(done) or 'nothing'}; state in {Path(cfg.out) / 'state.json'}")
    if evaluate:
        console.print(f"evaluation: {Path(cfg.out) / 'eval' / 'report.md'}")
    elif "tua" in done:
        console.print(
            f"evaluate: lm_eval --model toolwise --model_args backend=hf,pretrained={Path(cfg.out) / 'final'} "
            f"--tasks {cfg.task or '<task>'}"
        )
    if push_to_hub:
        if "tua" not in done:
            raise typer.BadParameter("--push-to-hub needs the tua stage finished")
        from toolwise.training.model_card import push_to_hub as upload

        console.print(f"uploaded {Path(cfg.out) / 'final'} to {upload(Path(cfg.out) / 'final', push_to_hub)}")


def _check_required(cfg: TrainConfig) -> None:
    missing = [name for name in ("out",) if not getattr(cfg, name)]
    if not cfg.task and not cfg.train_file:
        missing.append("task (or train_file)")
    if missing:
        raise typer.BadParameter(f"missing: {', '.join(missing)} (flags or --config)")


app = typer.Typer(add_completion=False, help="Fine-tune a model with WKD + TUA.")
app.command("train")(train_command)

if __name__ == "__main__":
    app()
