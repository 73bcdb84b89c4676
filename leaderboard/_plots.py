"""The leaderboard's plots, drawn with matplotlib's object API (no pyplot, no global backend switch).

Each function returns a Figure, or None when there is nothing to draw; ``save_plots`` writes PNG and SVG.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from toolwise.leaderboard._board import COUNT_METRICS, Leaderboard
from toolwise.leaderboard._format import display_task, is_missing

_PALETTE = (
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#937860",
    "#DA8BC3",
    "#8C8C8C",
    "#CCB974",
    "#64B5CD",
)
_CLASS_COLORS = {"n_EN": "#55A868", "n_ET": "#E1A95F", "n_HT": "#4C72B0", "n_HN": "#C44E52"}
_CLASS_LABELS = {
    "n_EN": "EN: easy, no tool (right)",
    "n_ET": "ET: easy, tool (unneeded)",
    "n_HT": "HT: hard, tool (right)",
    "n_HN": "HN: hard, no tool (missed)",
}


def _color(board: Leaderboard, model: str) -> str:
    return _PALETTE[board.models.index(model) % len(_PALETTE)]


def _value_and_error(board: Leaderboard, model: str, task: str, metric: str, subset: str = "all"):
    """Value in % and its asymmetric error (below, above) for errorbar; NaN where missing."""
    cell = board.cell(model, task, metric, subset=subset)
    if cell is None or is_missing(cell["value"]):
        return np.nan, (0.0, 0.0)
    value = 100 * cell["value"]
    if is_missing(cell["ci_lo"]) or is_missing(cell["ci_hi"]):
        return value, (0.0, 0.0)
    return value, (max(0.0, value - 100 * cell["ci_lo"]), max(0.0, 100 * cell["ci_hi"] - value))


def _grid(n_panels: int, width_per: float, height: float) -> tuple[Figure, list[Axes]]:
    columns = min(3, n_panels)
    rows = -(-n_panels // columns)
    figure = Figure(figsize=(width_per * columns, height * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[n_panels:]:
        extra.set_visible(False)
    return figure, axes[:n_panels]


def plot_accuracy(board: Leaderboard) -> Figure:
    """Answer accuracy without tools (hatched) and with tools offered (solid) per model, one panel per task."""
    figure, axes = _grid(len(board.tasks), max(3.2, 0.9 * len(board.models) + 1.5), 3.4)
    width = 0.38
    for ax, task in zip(axes, board.tasks, strict=True):
        x = np.arange(len(board.models))
        for offset, metric, hatch, label in (
            (-width / 2, "acc_no_tool", "//", "no tool"),
            (width / 2, "acc_choice", "", "tools"),
        ):
            values, errors = zip(*(_value_and_error(board, m, task, metric) for m in board.models), strict=True)
            colors = [_color(board, m) for m in board.models]
            ax.bar(
                x + offset,
                values,
                width,
                color=colors,
                alpha=0.55 if hatch else 1.0,
                hatch=hatch,
                label=label,
                edgecolor="white",
                yerr=np.array(errors).T,
                capsize=3,
                error_kw={"elinewidth": 1},
            )
        ax.set_title(display_task(task))
        ax.set_xticks(x, board.models, rotation=30, ha="right")
        ax.set_ylim(0, 105)
        ax.set_ylabel("answer accuracy (%)")
    legend = [
        Patch(facecolor="#999999", alpha=0.55, hatch="//", edgecolor="white", label="no tool"),
        Patch(facecolor="#999999", label="tools"),
    ]
    axes[0].legend(handles=legend, loc="upper left", fontsize="small")
    figure.suptitle("Answer accuracy without tools (hatched) and with tools (solid), 95% intervals")
    return figure


def plot_tool_use(board: Leaderboard) -> Figure:
    """Tool-use accuracy with its 95% interval per task and model; 50% is what always/never calling scores."""
    figure = Figure(figsize=(max(5.0, 1.4 * len(board.tasks) + 2.5), 3.8), layout="constrained")
    ax = figure.subplots()
    spread = 0.7 / max(1, len(board.models))
    for i, model in enumerate(board.models):
        values, errors = zip(*(_value_and_error(board, model, t, "tool_use_acc") for t in board.tasks), strict=True)
        x = np.arange(len(board.tasks)) + (i - (len(board.models) - 1) / 2) * spread
        ax.errorbar(x, values, yerr=np.array(errors).T, fmt="o", color=_color(board, model), label=model, capsize=3)
    ax.axhline(50, color="grey", linestyle="--", linewidth=1, label="always / never call (50%)")
    ax.set_xticks(np.arange(len(board.tasks)), [display_task(t) for t in board.tasks])
    ax.set_ylim(0, 105)
    ax.set_ylabel("tool-use accuracy (%)")
    ax.set_title("Tool-use accuracy, 95% intervals")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    return figure


def plot_breakdown(board: Leaderboard) -> Figure:
    """Share of problems in each ET/EN/HT/HN class, as stacked bars per model, one panel per task."""
    figure, axes = _grid(len(board.tasks), 4.2, max(2.2, 0.45 * len(board.models) + 1.3))
    for ax, task in zip(axes, board.tasks, strict=True):
        y = np.arange(len(board.models))
        counts = np.array(
            [[(board.cell(m, task, c) or {"value": 0.0})["value"] for c in COUNT_METRICS] for m in board.models],
            dtype=float,
        )
        totals = counts.sum(axis=1, keepdims=True)
        shares = np.divide(100 * counts, totals, out=np.zeros_like(counts), where=totals > 0)
        left = np.zeros(len(board.models))
        for metric in ("n_EN", "n_ET", "n_HT", "n_HN"):
            column = shares[:, COUNT_METRICS.index(metric)]
            ax.barh(y, column, left=left, color=_CLASS_COLORS[metric], label=_CLASS_LABELS[metric])
            left += column
        ax.set_yticks(y, board.models)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of problems (%)")
        ax.set_title(display_task(task))
    figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize="small")
    figure.suptitle("Where tools were called: easy/hard without tools x tool/no tool with tools offered")
    return figure


def plot_tool_rate_by_level(board: Leaderboard) -> Figure | None:
    """Tool rate per difficulty level (tasks that have levels, e.g. MATH), one line per model."""
    tasks = board.leveled_tasks
    if not tasks:
        return None
    figure, axes = _grid(len(tasks), 4.5, 3.4)
    for ax, task in zip(axes, tasks, strict=True):
        levels = board.levels(task)
        x = np.arange(len(levels))
        for model in board.models:
            values, errors = zip(
                *(_value_and_error(board, model, task, "tool_rate", lvl) for lvl in levels), strict=True
            )
            if np.all(np.isnan(values)):
                continue
            ax.errorbar(
                x, values, yerr=np.array(errors).T, marker="o", capsize=3, color=_color(board, model), label=model
            )
        ax.set_xticks(x, levels)
        ax.set_ylim(-3, 105)
        ax.set_ylabel("tool rate (%)")
        ax.set_title(display_task(task))
        ax.legend(fontsize="small")
    figure.suptitle("Tool rate by difficulty level, 95% intervals")
    return figure


PLOTS: dict[str, Callable[[Leaderboard], Figure | None]] = {
    "accuracy": plot_accuracy,
    "tool_use_accuracy": plot_tool_use,
    "tool_use_breakdown": plot_breakdown,
    "tool_rate_by_level": plot_tool_rate_by_level,
}


def all_figures(board: Leaderboard) -> dict[str, Figure]:
    """Every plot that has something to show, by file stem."""
    figures = {name: draw(board) for name, draw in PLOTS.items()}
    return {name: figure for name, figure in figures.items() if figure is not None}


def save_plots(board: Leaderboard, folder: Path) -> list[Path]:
    """Write each plot as PNG and SVG into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in all_figures(board).items():
        for suffix in ("png", "svg"):
            path = folder / f"{name}.{suffix}"
            figure.savefig(
                path, dpi=150 if suffix == "png" else None, metadata={"Date": None} if suffix == "svg" else None
            )
            written.append(path)
    return written


def png_data_uri(figure: Figure) -> str:
    """The figure as an inline ``data:image/png;base64,...`` URI (self-contained HTML)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
