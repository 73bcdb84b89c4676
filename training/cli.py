"""``toolwise train``: the WKD + TUA pipeline in one command.

    toolwise train --base meta-llama/Llama-3.1-8B-Instruct --task pde_tool --out ckpt/
    toolwise train --config my.yaml --stage tua --set tua.k_samples=8

Settings come from the dataclass defaults, then ``--config`` (YAML with the
sections of :class:`TrainConfig`), then the flags below, then ``--set
section.field=value`` (any field; ``--show-config`` prints them all). A flag
that sets a setting is declared in :data:`CONFIG_FLAGS` (flag -> dotted keys)
and shows that field's help text, so it is written once, in training/config.py. The
lead CLI mounts :func:`train_command` as ``toolwise train``; ``python -m
toolwise.training.cli`` runs it alone (e.g. under ``accelerate launch``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from toolwise.training.config import STAGES, TrainConfig, build_config, setting_choices, setting_help, to_dict

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


@dataclass(frozen=True)
class ConfigFlag:
    """A ``toolwise train`` flag that sets config fields: its help is theirs, written once in training/config.py."""

    keys: tuple[str, ...]
    note: str = ""  # what the flag adds to the field's help (its command-line syntax)
    parse: Callable[[str], Any] | None = None


SFT_BOTH = "Sets wkd and tua."

# Flag (the parameter's name) -> the dotted config keys it sets; the only map from flags to settings.
CONFIG_FLAGS: dict[str, ConfigFlag] = {
    "base": ConfigFlag(("base",)),
    "task": ConfigFlag(("task",)),
    "out": ConfigFlag(("out",)),
    "teacher": ConfigFlag(("collect.teacher",)),
    "teacher_args": ConfigFlag(("collect.teacher_args",), "Here as k=v,k=v (e.g. model=gpt-4o).", _parse_pairs),
    "n_train": ConfigFlag(("collect.n_train",)),
    "train_file": ConfigFlag(("train_file",)),
    "solution_source": ConfigFlag(("collect.solution_source",)),
    "k_samples": ConfigFlag(("tua.k_samples",)),
    "use_lora": ConfigFlag(("wkd.use_lora", "tua.use_lora"), f"--full trains all weights. {SFT_BOTH}"),
    "learning_rate": ConfigFlag(("wkd.learning_rate", "tua.learning_rate"), SFT_BOTH),
    "num_train_epochs": ConfigFlag(("wkd.num_train_epochs", "tua.num_train_epochs"), SFT_BOTH),
    "gguf_file": ConfigFlag(("gguf_file",)),
    "chat_template": ConfigFlag(("chat_template",)),
    "device": ConfigFlag(("device",)),
    "sampler": ConfigFlag(("sampler",)),
    "eval_limit": ConfigFlag(("eval.limit",), "Read by --eval and --stage eval."),
}


def config_option(flag: str, *param_decls: str) -> Any:
    """The typer option of a flag in :data:`CONFIG_FLAGS`, with the help text of the fields it sets."""
    spec = CONFIG_FLAGS[flag]
    return typer.Option(*param_decls, help=" ".join(filter(None, (setting_help(*spec.keys), spec.note))))


def config_choices(flag: str) -> type[enum.StrEnum]:
    """The values of the Literal field a flag sets, as the enum typer turns into a choice (``--sampler vllm``)."""
    key = CONFIG_FLAGS[flag].keys[0]
    values = setting_choices(key)
    if values is None:
        raise TypeError(f"{key} is not a Literal setting")
    return enum.StrEnum(flag, {value: value for value in values})  # type: ignore[return-value]


Sampler = config_choices("sampler")
SolutionSource = config_choices("solution_source")


def overrides_from_flags(flags: dict[str, Any], settings: list[str] | None) -> dict[str, Any]:
    """Dotted config keys from the flags of :data:`CONFIG_FLAGS` (None = not given) and the ``--set`` items."""
    out: dict[str, Any] = {}
    for flag, spec in CONFIG_FLAGS.items():
        value = flags.get(flag)
        if value is None or (spec.parse and not value):
            continue
        if spec.parse:
            value = spec.parse(value)
        elif isinstance(value, (Path, enum.Enum)):
            value = value.value if isinstance(value, enum.Enum) else str(value)
        out |= dict.fromkeys(spec.keys, value)
    for item in settings or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set expects section.field=value, got {item!r}")
        out[key.strip()] = yaml.safe_load(value) if value.strip() else value
    return out


def train_command(
    base: Annotated[str | None, config_option("base")] = None,
    task: Annotated[str | None, config_option("task")] = None,
    out: Annotated[Path | None, config_option("out")] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(help="Run only this stage: collect, wkd, tua or eval (repeatable)."),
    ] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file with TrainConfig settings.")] = None,
    teacher: Annotated[str | None, config_option("teacher")] = None,
    teacher_args: Annotated[str | None, config_option("teacher_args")] = None,
    n_train: Annotated[int | None, config_option("n_train")] = None,
    train_file: Annotated[Path | None, config_option("train_file")] = None,
    solution_source: Annotated[SolutionSource | None, config_option("solution_source")] = None,
    k_samples: Annotated[int | None, config_option("k_samples")] = None,
    use_lora: Annotated[bool | None, config_option("use_lora", "--lora/--full")] = None,
    learning_rate: Annotated[float | None, config_option("learning_rate")] = None,
    num_train_epochs: Annotated[float | None, config_option("num_train_epochs", "--epochs")] = None,
    gguf_file: Annotated[str | None, config_option("gguf_file")] = None,
    chat_template: Annotated[Path | None, config_option("chat_template")] = None,
    device: Annotated[str | None, config_option("device")] = None,
    sampler: Annotated[Sampler | None, config_option("sampler")] = None,
    eval_: Annotated[
        bool,
        typer.Option(
            "--eval", help="After training, evaluate base, WKD and final on the task's test split (<out>/eval)."
        ),
    ] = False,
    eval_limit: Annotated[int | None, config_option("eval_limit")] = None,
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
