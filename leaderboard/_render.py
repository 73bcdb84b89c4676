"""Markdown (GitHub-flavoured), LaTeX (booktabs) and tidy CSV renderings of a Leaderboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolwise.leaderboard._board import ALL, METRIC_ORDER, SCORE, TABLE_COLUMNS, Leaderboard
from toolwise.leaderboard._format import (
    DAGGER,
    DETAIL_COLUMNS,
    DIFF_COLUMNS,
    DOUBLE_DAGGER,
    FAILED_MARK,
    HEADLINE_TEXT,
    LEGEND,
    MISSING,
    REPEATS_TEXT,
    SECTION,
    Column,
    best_models,
    counts_text,
    display_task,
    failures,
    footnotes,
    has_repeats,
    interval_text,
    is_missing,
    limited,
    overall_cell,
    overall_text,
    pass_k_text,
    percent,
    points,
    spread_text,
)

Emphasis = Callable[[str], str]


def _task_cell(
    board: Leaderboard, model: str, task: str, column: Column, bold: Emphasis, mark: Emphasis, plus_minus: str = "±"
) -> str:
    if column.metric == "counts":
        text = counts_text(board, model, task)
        return text + mark(DOUBLE_DAGGER) if text != MISSING and limited(board, model, task) else text
    cell = board.cell(model, task, column.metric)
    if cell is None:
        return MISSING
    value = percent(cell["value"])
    if column.best_marked and model in best_models(board, task, column.metric):
        value = bold(value)
    if cell["note"]:
        value += mark(DAGGER)
    if column.metric in ("acc_no_tool", "acc_choice") and failures(board, model, task):
        value += mark(FAILED_MARK)
    spread = spread_text(board, model, task, column.metric, plus_minus)
    if spread:
        value += " " + spread
    interval = interval_text(cell) if column.interval else ""
    return f"{value} {interval}" if interval else value


def _diff_cell(board: Leaderboard, model: str, task: str, column: Column, mark: Emphasis) -> str:
    assert board.baseline is not None
    cell = board.cell(model, task, column.metric, baseline=board.baseline)
    if cell is None:
        return MISSING
    value = points(cell["value"])
    if cell["note"].startswith("no samples"):
        return value + mark(SECTION)
    interval = interval_text(cell, signed=True)
    return f"{value} {interval}" if interval else value


def _headline_cell(
    board: Leaderboard, model: str, task: str, bold: Emphasis, mark: Emphasis = lambda m: m, plus_minus: str = "±"
) -> str:
    """One figure per model x task: the task's score (½·(tools + TUA)), ± its spread over repeats."""
    cell = board.cell(model, task, SCORE)
    if cell is None:
        return MISSING
    value = percent(cell["value"])
    if model in best_models(board, task, SCORE):
        value = bold(value)
    if failures(board, model, task):
        value += mark(FAILED_MARK)
    spread = spread_text(board, model, task, SCORE, plus_minus)
    return f"{value} {spread}" if spread else value


def _detail_columns(board: Leaderboard, task: str) -> list[str]:
    return [c.header for c in DETAIL_COLUMNS] + (["pass^k"] if has_repeats(board, task) else [])


def _detail_cells(
    board: Leaderboard, model: str, task: str, bold: Emphasis, mark: Emphasis, plus_minus: str = "±"
) -> list[str]:
    cells = [_task_cell(board, model, task, c, bold, mark, plus_minus) for c in DETAIL_COLUMNS]
    return cells + ([pass_k_text(board, model, task)] if has_repeats(board, task) else [])


def _overall_text_cell(board: Leaderboard, model: str, bold: Emphasis) -> str:
    values = [overall_cell(board, m)["value"] for m in board.models]
    finite = [v for v in values if not is_missing(v)]
    shown = percent(overall_cell(board, model)["value"])
    return bold(shown) if len(finite) > 1 and shown == percent(max(finite)) else shown


def _diff_models(board: Leaderboard) -> list[str]:
    return [m for m in board.models if m != board.baseline]


# -- Markdown ----------------------------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_bold(text: str) -> str:
    return f"**{text}**"


def _md_main(board: Leaderboard) -> list[str]:
    header = ["Model", "Overall", *(display_task(t) for t in board.tasks)]
    lines = [_md_row(header), _md_row([":--"] + ["--:"] * (len(header) - 1))]
    for model in board.models:
        cells = [_md_escape(model), _overall_text_cell(board, model, _md_bold)]
        cells += [_headline_cell(board, model, t, _md_bold) for t in board.tasks]
        lines.append(_md_row(cells))
    return lines


def _md_detail(board: Leaderboard, task: str) -> list[str]:
    header = ["Model", *_detail_columns(board, task)]
    lines = [_md_row(header), _md_row([":--"] + ["--:"] * (len(header) - 1))]
    for model in board.models:
        if board.run_of(model, task) is None:
            continue
        lines.append(_md_row([_md_escape(model), *_detail_cells(board, model, task, _md_bold, lambda m: m)]))
    return lines


def _md_diff(board: Leaderboard) -> list[str]:
    header = ["Model"] + [f"{display_task(t)} {c.header}" for t in board.tasks for c in DIFF_COLUMNS]
    lines = [_md_row(header), _md_row([":--"] + ["--:"] * (len(header) - 1))]
    for model in _diff_models(board):
        cells = [_md_escape(model)] + [
            _diff_cell(board, model, t, c, lambda m: m) for t in board.tasks for c in DIFF_COLUMNS
        ]
        lines.append(_md_row(cells))
    return lines


def _md_levels(board: Leaderboard, task: str) -> list[str]:
    levels = board.levels(task)
    lines = [_md_row(["Model", *levels]), _md_row([":--"] + ["--:"] * len(levels))]
    for model in board.models:
        cells = [_md_escape(model)]
        for level in levels:
            cell = board.cell(model, task, "tool_rate", subset=level)
            cells.append(MISSING if cell is None else f"{percent(cell['value'])} (n={cell['n']})")
        lines.append(_md_row(cells))
    return lines


def to_markdown(board: Leaderboard, title: str = "toolwise leaderboard") -> str:
    """The leaderboard as GitHub-flavoured Markdown: a headline table (models x tasks), one table per task
    (models x metrics, with intervals), the legend, and the optional baseline and level tables."""
    lines = [f"## {title}", "", *_md_main(board), "", overall_text(board), HEADLINE_TEXT]
    for task in board.tasks:
        lines += ["", f"### {display_task(task)}", "", *_md_detail(board, task)]
    lines += ["", LEGEND]
    lines += [REPEATS_TEXT] if has_repeats(board) else []
    lines += [f"{marker} {text}" for marker, text in footnotes(board)]
    if board.baseline is not None:
        lines += ["", f"### Difference to {_md_escape(board.baseline)}", "", *_md_diff(board), ""]
        lines.append(
            "Percentage points, model minus baseline on the problems both answered; paired bootstrap 95% intervals."
        )
        lines += [f"{marker} {text}" for marker, text in footnotes(board, diff=True)]
    for task in board.leveled_tasks:
        lines += ["", f"### Tool rate by difficulty level: {display_task(task)}", "", *_md_levels(board, task)]
    return "\n".join(lines) + "\n"


# -- LaTeX -------------------------------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "Δ": r"$\Delta$",  # plain pdflatex has no glyph for these
    "—": "---",
    "½": r"$\frac{1}{2}$",
}
_LATEX_MARKS = {DAGGER: r"$^{\dagger}$", DOUBLE_DAGGER: r"$^{\ddagger}$", SECTION: r"$^{\S}$", FAILED_MARK: r"$^{\P}$"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)


def _tex_bold(text: str) -> str:
    return rf"\textbf{{{text}}}"


def _tex_cell(text: str) -> str:
    """Intervals set small after the value; '—' as a LaTeX dash."""
    if text == MISSING:
        return "--"
    value, _, interval = text.partition(" [")
    return rf"{value} {{\scriptsize[{interval}}}" if interval else value


def _tex_group_header(board: Leaderboard, columns: tuple[Column, ...], first: int) -> list[str]:
    width = len(columns)
    groups = " & ".join(rf"\multicolumn{{{width}}}{{c}}{{{latex_escape(display_task(t))}}}" for t in board.tasks)
    rules = " ".join(
        rf"\cmidrule(lr){{{first + i * width}-{first + (i + 1) * width - 1}}}" for i in range(len(board.tasks))
    )
    return [" &" * (first - 1) + f" {groups} \\\\", rules]


def _tex_table(spec: str, head: list[str], body: list[str], caption: str, label: str) -> list[str]:
    return [
        r"\begin{table*}[t]",
        r"\centering",
        r"\small",
        r"\resizebox{\textwidth}{!}{%",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        *head,
        r"\midrule",
        *body,
        r"\bottomrule",
        r"\end{tabular}}",
        rf"\caption{{{caption}}}",
        rf"\label{{{label}}}",
        r"\end{table*}",
    ]


def _tex_notes(board: Leaderboard, diff: bool = False) -> str:
    return "".join(f" {_LATEX_MARKS[marker]} {latex_escape(text)}." for marker, text in footnotes(board, diff=diff))


def to_latex(board: Leaderboard) -> str:
    """The leaderboard as booktabs LaTeX tables (main, and the baseline difference when asked for)."""

    def mark(marker: str) -> str:
        return _LATEX_MARKS[marker]

    pm = r"$\pm$"
    body = []
    for model in board.models:
        cells = [latex_escape(model), _tex_cell(_overall_text_cell(board, model, _tex_bold))]
        cells += [_tex_cell(_headline_cell(board, model, t, _tex_bold, mark, pm)) for t in board.tasks]
        body.append(" & ".join(cells) + r" \\")
    head = [" & ".join(["Model", "Overall", *(latex_escape(display_task(t)) for t in board.tasks)]) + r" \\"]
    spread = r" $\pm$: standard deviation across repeats." if has_repeats(board) else ""
    caption = (
        rf"Score per task, $\frac{{1}}{{2}}$(answer accuracy with tools offered + tool-use accuracy), in \%; "
        rf"Overall: its mean over the {len(board.tasks)} task(s); rows sorted by it; best per column in bold. "
        rf"Table \ref{{tab:toolwise-{board.tasks[0]}}} and those after it give each task's parts." + spread
    )
    lines = [r"% Generated by toolwise leaderboard; needs \usepackage{booktabs,graphicx}."]
    lines += _tex_table("lr" + "r" * len(board.tasks), head, body, caption, "tab:toolwise-leaderboard")
    for task in board.tasks:
        columns = _detail_columns(board, task)
        detail = [
            " & ".join(
                [latex_escape(model)] + [_tex_cell(c) for c in _detail_cells(board, model, task, _tex_bold, mark, pm)]
            )
            + r" \\"
            for model in board.models
            if board.run_of(model, task) is not None
        ]
        repeats = (
            r" Values averaged over k repeats, $\pm$ their standard deviation; pass\textasciicircum{}k: share of "
            r"problems right with tools in all k."
            if has_repeats(board, task)
            else ""
        )
        caption = (
            latex_escape(display_task(task)) + r": score $\frac{1}{2}$(tools + TUA), answer accuracy without tools "
            r"(no tool) and with tools offered (tools), tool-use accuracy (TUA, "
            r"$\frac{1}{2}\frac{EN}{EN+ET}+\frac{1}{2}\frac{HT}{HT+HN}$) and tool rate, in \%, with bootstrap 95\% "
            r"intervals; ET/EN/HT/HN counts problems answered right (E) or wrong (H) without tools that then did (T) "
            r"or did not (N) call a tool; best per column in bold." + repeats + _tex_notes(board)
        )
        head = [" & ".join(["Model", *(latex_escape(c) for c in columns)]) + r" \\"]
        spec = "l" + "r" * len(columns)
        lines += ["", *_tex_table(spec, head, detail, caption, f"tab:toolwise-{task}")]
    if board.baseline is not None:
        diff_body = []
        for model in _diff_models(board):
            cells = [latex_escape(model)] + [
                _tex_cell(_diff_cell(board, model, t, c, mark)) for t in board.tasks for c in DIFF_COLUMNS
            ]
            diff_body.append(" & ".join(cells) + r" \\")
        diff_head = _tex_group_header(board, DIFF_COLUMNS, first=2)
        diff_head.append(
            " & ".join(["Model"] + [latex_escape(c.header) for _ in board.tasks for c in DIFF_COLUMNS]) + r" \\"
        )
        diff_caption = (
            rf"Difference to {latex_escape(board.baseline)} in percentage points on the problems both answered, "
            r"with paired bootstrap 95\% intervals." + _tex_notes(board, diff=True)
        )
        spec = "l" + "r" * (len(DIFF_COLUMNS) * len(board.tasks))
        lines += ["", *_tex_table(spec, diff_head, diff_body, diff_caption, "tab:toolwise-baseline")]
    return "\n".join(lines) + "\n"


# -- CSV ---------------------------------------------------------------------------------------------------------


def to_csv(board: Leaderboard) -> str:
    """Tidy CSV: one row per model x task x subset x metric (and baseline), full precision, models in rank order."""
    table = board.table.copy()
    rank = {model: i for i, model in enumerate(board.models)}
    task_rank = {task: i for i, task in enumerate(board.tasks)}
    table["_model"] = table["model"].map(rank)
    table["_task"] = table["task"].map(lambda t: task_rank.get(t, -1))
    table["_subset"] = table["subset"] != ALL
    table["_metric"] = table["metric"].map(lambda m: METRIC_ORDER.index(m) if m in METRIC_ORDER else len(METRIC_ORDER))
    keys = ["_model", "baseline", "_task", "_subset", "subset", "_metric", "metric"]
    table = table.sort_values(keys, kind="stable")
    return table[list(TABLE_COLUMNS)].to_csv(index=False, lineterminator="\n")


def render(board: Leaderboard, fmt: str, **options: Any) -> str:
    """``fmt`` is markdown, latex, csv or html."""
    if fmt == "markdown":
        return to_markdown(board)
    if fmt == "latex":
        return to_latex(board)
    if fmt == "csv":
        return to_csv(board)
    if fmt == "html":
        from toolwise.leaderboard._html import to_html

        return to_html(board, **options)
    raise ValueError(f"unknown format {fmt!r}; use markdown, latex, csv or html")
