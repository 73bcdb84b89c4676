"""What every table shows: its columns, how numbers are printed and which cells are marked best."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from toolwise.leaderboard._board import ACCURACY_METRICS, ALL, COUNT_METRICS, OVERALL, PASS_K, SCORE, Leaderboard

MISSING = "—"
DAGGER = "†"  # tool-use accuracy from one half: a class (easy or hard) was empty
DOUBLE_DAGGER = "‡"  # the run used lm_eval --limit
SECTION = "§"  # difference without samples: unpaired, no interval
FAILED_MARK = "¶"  # some problems of the run failed (backend or reply errors, scored 0)


@dataclass(frozen=True)
class Column:
    metric: str  # a table metric, or "counts" for the ET/EN/HT/HN cell
    header: str
    best_marked: bool
    interval: bool


TASK_COLUMNS = (
    Column("acc_no_tool", "no tool", best_marked=True, interval=True),
    Column("acc_choice", "tools", best_marked=True, interval=True),
    Column("tool_use_acc", "TUA", best_marked=True, interval=True),
    Column("tool_rate", "tool rate", best_marked=False, interval=False),
    Column("counts", "ET/EN/HT/HN", best_marked=False, interval=False),
)
SCORE_COLUMN = Column(SCORE, "score", best_marked=True, interval=True)
DETAIL_COLUMNS = (SCORE_COLUMN, *TASK_COLUMNS)  # one table per task: models x these
DIFF_COLUMNS = tuple(
    Column(m, f"Δ {c.header}", best_marked=False, interval=True)
    for m, c in zip(ACCURACY_METRICS, TASK_COLUMNS, strict=False)
)

LEGEND = (
    "no tool = answer accuracy without tools (P_n); tools = answer accuracy with tools offered (P_i); "
    "TUA = tool-use accuracy ½·EN/(EN+ET) + ½·HT/(HT+HN); tool rate = share of problems with a tool call "
    "when tools are offered; E/H = answered right/wrong without tools, T/N = attempted a tool call or not. "
    "Values in %, [bootstrap 95% interval over problems]."
)


HEADLINE_TEXT = (
    "Each task's figure is its score ½·(tools + TUA) in %; the table of each task below gives its parts "
    "with 95% intervals."
)
REPEATS_TEXT = (
    "±: standard deviation across the k repeats (runs that differ only in their seed); values are their means. "
    "pass^k: share of problems answered right with tools in every one of the k repeats."
)


def display_task(task: str) -> str:
    return task.removesuffix("_tool")


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent(value: Any) -> str:
    return MISSING if is_missing(value) else f"{100 * value:.1f}"


def points(value: Any) -> str:
    """A difference of two rates in signed percentage points."""
    return MISSING if is_missing(value) else f"{100 * value:+.1f}"


def interval_text(row: dict[str, Any], signed: bool = False) -> str:
    if is_missing(row.get("ci_lo")) or is_missing(row.get("ci_hi")):
        return ""
    show = points if signed else percent
    return f"[{show(row['ci_lo'])}, {show(row['ci_hi'])}]"


def counts_text(board: Leaderboard, model: str, task: str) -> str:
    cells = [board.cell(model, task, metric) for metric in COUNT_METRICS]
    if any(cell is None for cell in cells):
        return MISSING
    return "/".join(str(round(cell["value"])) for cell in cells if cell is not None)


def best_models(board: Leaderboard, task: str, metric: str) -> set[str]:
    """Models whose printed value is the column's highest (ties share the mark)."""
    shown = {}
    for model in board.models:
        cell = board.cell(model, task, metric)
        if cell is not None and not is_missing(cell["value"]):
            shown[model] = percent(cell["value"])
    if len(shown) < 2:
        return set()
    top = max(float(text) for text in shown.values())
    return {model for model, text in shown.items() if float(text) == top}


def overall_cell(board: Leaderboard, model: str) -> dict[str, Any]:
    cell = board.cell(model, OVERALL, OVERALL)
    assert cell is not None
    return cell


def limited(board: Leaderboard, model: str, task: str) -> bool:
    run = board.run_of(model, task)
    return run is not None and not is_missing(run["limit"])


def failures(board: Leaderboard, model: str, task: str) -> float:
    """Problems of the run that failed (n_failed), 0 when none or not reported."""
    cell = board.cell(model, task, "n_failed")
    return 0.0 if cell is None or is_missing(cell["value"]) else float(cell["value"])


def footnotes(board: Leaderboard, *, diff: bool = False) -> list[tuple[str, str]]:
    """Markers used in the main (or difference) table and what they mean."""
    main = board.table[(board.table["subset"] == ALL) & (board.table["baseline"] == "")]
    notes = []
    if not diff and (main.loc[main["metric"] == "tool_use_acc", "note"] != "").any():
        notes.append((DAGGER, "one class (easy or hard) was empty, so tool-use accuracy is the other half alone"))
    if not diff and any(limited(board, m, t) for m in board.models for t in board.tasks):
        notes.append((DOUBLE_DAGGER, "run with lm_eval --limit: a subset of the task's problems"))
    if not diff and any(failures(board, m, t) for m in board.models for t in board.tasks):
        notes.append((FAILED_MARK, "some problems of the run failed (backend or reply errors, scored 0: n_failed)"))
    diffs = board.table[board.table["baseline"] != ""]
    if diff and diffs["note"].str.startswith("no samples").any():
        notes.append((SECTION, "no --log_samples for one side: difference of totals, unpaired, no interval"))
    return notes


def overall_text(board: Leaderboard) -> str:
    return (
        f"Overall = mean over the {len(board.tasks)} task(s) of ½·(tools + TUA); rows are sorted by it "
        f"({MISSING} = not every task was run); the best value per column is in bold."
    )


def spread_text(board: Leaderboard, model: str, task: str, metric: str, plus_minus: str = "±") -> str:
    """``±sd`` across repeats for a value averaged over them, else ''."""
    cell = board.cell(model, task, f"{metric}_sd")
    if cell is None or is_missing(cell["value"]):
        return ""
    return f"{plus_minus}{100 * cell['value']:.1f}"


def has_repeats(board: Leaderboard, task: str | None = None) -> bool:
    return any(task is None or t == task for (_, t) in board.repeats)


def pass_k_text(board: Leaderboard, model: str, task: str) -> str:
    cell = board.cell(model, task, PASS_K)
    if cell is None:
        return MISSING
    return f"{percent(cell['value'])} (k={board.repeats_of(model, task)})"


def headline_best(board: Leaderboard, task: str) -> set[str]:
    return best_models(board, task, SCORE)
