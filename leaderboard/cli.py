"""``toolwise leaderboard``: tables, plots and a static page from ``lm_eval --output_path`` folders.

The lead's app mounts it with ``app.command("leaderboard")(leaderboard_command)``; ``app`` here runs it alone.
"""

from __future__ import annotations

import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from toolwise.leaderboard._board import DEFAULT_MAX_FAILED, Leaderboard, build_leaderboard
from toolwise.leaderboard._errors import LeaderboardWarning, ResultsError
from toolwise.leaderboard._html import save_html
from toolwise.leaderboard._plots import save_plots
from toolwise.leaderboard._reading import find_results_files, load_runs
from toolwise.leaderboard._render import render


class OutputFormat(StrEnum):
    markdown = "markdown"
    latex = "latex"
    csv = "csv"
    html = "html"


SUFFIXES = {
    OutputFormat.markdown: ".md",
    OutputFormat.latex: ".tex",
    OutputFormat.csv: ".csv",
    OutputFormat.html: ".html",
}
EPILOG = (
    "Examples:  toolwise leaderboard results/  |  toolwise leaderboard results/ -f html -o site/  |  "
    "toolwise leaderboard runs-a/ runs-b/ -f markdown -f latex -f csv -o out/ --plots --baseline "
    "meta-llama/Llama-3.1-8B-Instruct"
)


def _parse_renames(pairs: list[str]) -> dict[str, str]:
    renames = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise typer.BadParameter(f"{pair!r}: expected OLD=NEW", param_hint="--rename")
        renames[old] = new
    return renames


def _targets(formats: list[OutputFormat], output: Path | None) -> tuple[dict[OutputFormat, Path | None], Path | None]:
    """Where each format goes (None = stdout) and the folder for plots."""
    if output is None:
        if len(formats) > 1:
            raise typer.BadParameter("several formats need -o FOLDER", param_hint="--output")
        return {formats[0]: None}, None
    if output.suffix and not output.is_dir():
        wanted = [f for f in formats if SUFFIXES[f] == output.suffix]
        if len(formats) > 1 or not wanted:
            raise typer.BadParameter(
                f"{output} is a {output.suffix} file; give a folder, or one matching --format", param_hint="--output"
            )
        return {formats[0]: output}, output.parent
    return {f: output / f"leaderboard{SUFFIXES[f]}" for f in formats}, output


def _load(paths: list[Path], renames: dict[str, str], console: Console, quiet: bool):
    files = find_results_files(paths)
    with Progress(
        TextColumn("reading results"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[name]}"),
        console=console, transient=True, disable=quiet,
    ) as progress:  # fmt: skip
        bar = progress.add_task("read", total=len(files), name="")
        return load_runs(files, rename=renames, progress=lambda f: progress.update(bar, advance=1, name=f.parent.name))


def leaderboard_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Folders given to lm_eval --output_path (or results_*.json files).", show_default=False),
    ],
    formats: Annotated[
        list[OutputFormat] | None,
        typer.Option("--format", "-f", help="Output format; repeat for several (needs -o FOLDER). [default: markdown]"),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="A folder (gets leaderboard.md/.tex/.csv/.html) or one file; stdout if unset."
        ),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Model to compare against: differences with paired bootstrap intervals.")
    ] = None,
    tasks: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Only these tasks, in this column order.")
    ] = None,
    models: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only these models (labels as shown).")
    ] = None,
    renames: Annotated[
        list[str] | None, typer.Option("--rename", help="Display name for a model, OLD=NEW (e.g. never=Never-call).")
    ] = None,
    plots: Annotated[
        bool, typer.Option("--plots/--no-plots", help="Also write PNG and SVG plots to FOLDER/plots.")
    ] = False,
    n_boot: Annotated[int, typer.Option("--n-boot", min=0, help="Bootstrap replicates for intervals.")] = 2000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (intervals are reproducible).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or warnings.")] = False,
    max_failed: Annotated[
        float,
        typer.Option("--max-failed", min=0.0, max=1.0, help="Refuse runs in which a larger share of problems failed."),
    ] = DEFAULT_MAX_FAILED,
    allow_failed: Annotated[
        bool, typer.Option("--allow-failed", help="Rank runs above --max-failed anyway (they stay marked).")
    ] = False,
) -> None:
    """Build a leaderboard from lm-eval results: one row per model; per task the answer accuracy without and
    with tools, tool-use accuracy, tool rate and the ET/EN/HT/HN counts, with bootstrap 95% intervals.

    Models are ranked by the overall score: the mean over tasks of (accuracy with tools + tool-use accuracy)/2.
    With several runs of one model on one task the newest wins (with a warning). Values and intervals are
    recomputed from samples_*.jsonl when the runs used --log_samples (needed for --baseline intervals and the
    per-difficulty breakdown).
    """
    errors = Console(stderr=True)
    chosen = list(dict.fromkeys(formats or [OutputFormat.markdown]))
    targets, plot_folder = _targets(chosen, output)
    if plots and plot_folder is None:
        raise typer.BadParameter("--plots needs -o FOLDER", param_hint="--plots")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LeaderboardWarning)
            board: Leaderboard = build_leaderboard(
                _load(paths, _parse_renames(renames or []), errors, quiet),
                baseline=baseline,
                tasks=tasks,
                models=models,
                n_boot=n_boot,
                seed=seed,
                max_failed=max_failed,
                allow_failed=allow_failed,
            )
    except ResultsError as err:
        errors.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from err
    if not quiet:
        for warning in caught:
            if issubclass(warning.category, LeaderboardWarning):
                errors.print(f"[yellow]warning:[/] {warning.message}", highlight=False, soft_wrap=True)
    for fmt, target in targets.items():
        if fmt is OutputFormat.html and target is not None:
            written = save_html(board, target)
            errors.print(f"wrote {target} and {len(written) - 1} transcript pages beside it", highlight=False)
            continue
        text = render(board, fmt.value)
        if target is None:
            typer.echo(text, nl=False)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        errors.print(f"wrote {target}", highlight=False)
    if plots and plot_folder is not None:
        written = save_plots(board, plot_folder / "plots")
        errors.print(f"wrote {len(written)} plot files to {plot_folder / 'plots'}", highlight=False)


app = typer.Typer(add_completion=False, rich_markup_mode=None, help="toolwise leaderboard on its own.")
app.command("leaderboard", epilog=EPILOG)(leaderboard_command)


@app.callback()
def _group() -> None:
    """A group, as in the main ``toolwise`` app, so the command is invoked as ``... leaderboard PATHS``."""
