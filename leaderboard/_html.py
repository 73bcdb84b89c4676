"""One self-contained static HTML page: sortable tables, plots inline as PNG data URIs, no network needed."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from toolwise.leaderboard import _format as fmt
from toolwise.leaderboard._board import OVERALL, PASS_K, SCORE, Leaderboard
from toolwise.leaderboard._plots import all_figures, png_data_uri
from toolwise.leaderboard._transcripts import transcript_link

PLOT_CAPTIONS = {
    "accuracy": "Answer accuracy without tools (hatched) and with tools offered (solid), with 95% intervals.",
    "tool_use_accuracy": "Tool-use accuracy with 95% intervals; 50% is what always or never calling scores.",
    "tool_use_breakdown": "Share of problems per class: easy/hard without tools, tool/no tool when offered.",
    "tool_rate_by_level": "Tool rate by difficulty level, with 95% intervals.",
}


def _sort_value(value: Any) -> str:
    return "" if fmt.is_missing(value) else repr(float(value))


def _value_html(text: str, *, bold: bool, marker: str = "", interval: str = "") -> Markup:
    html = Markup("<strong>{}</strong>").format(text) if bold else escape(text)
    if marker:
        html += Markup("<sup>{}</sup>").format(marker)
    if interval:
        html += Markup(' <span class="ci">{}</span>').format(interval)
    return html


def _link(html: Markup, href: str | None) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, html) if href else html


def _href(board: Leaderboard, model: str, task: str, links: bool) -> str | None:
    run = board.run_of(model, task)
    return transcript_link(model, task) if links and run is not None and run["samples_file"] else None


def _main_row(board: Leaderboard, model: str, links: bool) -> dict[str, Any]:
    """The headline row: overall, then one figure per task (its score), linked to the run's transcripts."""
    overall = board.cell(model, OVERALL, OVERALL) or {"value": float("nan")}
    finite = [
        c["value"] for m in board.models if (c := board.cell(m, OVERALL, OVERALL)) and not fmt.is_missing(c["value"])
    ]
    overall_best = len(finite) > 1 and fmt.percent(overall["value"]) == fmt.percent(max(finite))
    cells = [
        {"html": escape(model), "sort": model, "cls": ""},
        {
            "html": _value_html(fmt.percent(overall["value"]), bold=overall_best),
            "sort": _sort_value(overall["value"]),
            "cls": "",
        },
    ]
    for task in board.tasks:
        cell = board.cell(model, task, SCORE)
        if cell is None:
            cells.append({"html": fmt.MISSING, "sort": "", "cls": "group-start"})
            continue
        marker = fmt.FAILED_MARK if fmt.failures(board, model, task) else ""
        html = _value_html(fmt.percent(cell["value"]), bold=model in fmt.best_models(board, task, SCORE), marker=marker)
        spread = fmt.spread_text(board, model, task, SCORE)
        if spread:
            html += Markup(' <span class="ci">{}</span>').format(spread)
        cells.append(
            {
                "html": _link(html, _href(board, model, task, links)),
                "sort": _sort_value(cell["value"]),
                "cls": "group-start",
            }
        )
    return {"model": model, "cells": cells}


def _detail_row(board: Leaderboard, model: str, task: str, links: bool) -> dict[str, Any]:
    """One model's row of a task's table: every metric with its interval (and spread over repeats)."""
    cells: list[dict[str, Any]] = [{"html": _link(escape(model), _href(board, model, task, links)), "sort": model}]
    for column in fmt.DETAIL_COLUMNS:
        if column.metric == "counts":
            text = fmt.counts_text(board, model, task)
            marker = fmt.DOUBLE_DAGGER if text != fmt.MISSING and fmt.limited(board, model, task) else ""
            cells.append({"html": _value_html(text, bold=False, marker=marker), "sort": ""})
            continue
        cell = board.cell(model, task, column.metric)
        if cell is None:
            cells.append({"html": fmt.MISSING, "sort": ""})
            continue
        bold = column.best_marked and model in fmt.best_models(board, task, column.metric)
        interval = fmt.interval_text(cell) if column.interval else ""
        marker = fmt.DAGGER if cell["note"] else ""
        if column.metric in ("acc_no_tool", "acc_choice") and fmt.failures(board, model, task):
            marker += fmt.FAILED_MARK
        spread = fmt.spread_text(board, model, task, column.metric)
        interval = f"{spread} {interval}".strip()
        html = _value_html(fmt.percent(cell["value"]), bold=bold, marker=marker, interval=interval)
        cells.append({"html": html, "sort": _sort_value(cell["value"])})
    if fmt.has_repeats(board, task):
        pass_k = board.cell(model, task, PASS_K)
        cells.append(
            {
                "html": escape(fmt.pass_k_text(board, model, task)),
                "sort": _sort_value(pass_k["value"] if pass_k else None),
            }
        )
    for cell in cells:
        cell["cls"] = ""
    return {"model": model, "cells": cells}


def _detail_tables(board: Leaderboard, links: bool) -> list[dict[str, Any]]:
    tables = []
    for task in board.tasks:
        headers = ["Model", *(c.header for c in fmt.DETAIL_COLUMNS)] + (
            ["pass^k"] if fmt.has_repeats(board, task) else []
        )
        tables.append(
            {
                "id": f"task-{task}",
                "task": fmt.display_task(task),
                "headers": [{"text": h, "sortable": h != "ET/EN/HT/HN", "cls": ""} for h in headers],
                "rows": [_detail_row(board, m, task, links) for m in board.models if board.run_of(m, task) is not None],
            }
        )
    return tables


def _mark_groups(cells: list[dict[str, Any]], first: int, width: int) -> list[dict[str, Any]]:
    """Class the first cell of each task's column group, for a dividing rule."""
    for i, cell in enumerate(cells):
        cell["cls"] = "group-start" if i >= first and (i - first) % width == 0 else ""
    return cells


def _diff_row(board: Leaderboard, model: str) -> dict[str, Any]:
    assert board.baseline is not None
    cells: list[dict[str, Any]] = [{"html": escape(model), "sort": model}]
    for task in board.tasks:
        for column in fmt.DIFF_COLUMNS:
            cell = board.cell(model, task, column.metric, baseline=board.baseline)
            if cell is None:
                cells.append({"html": fmt.MISSING, "sort": ""})
                continue
            unpaired = cell["note"].startswith("no samples")
            html = _value_html(
                fmt.points(cell["value"]),
                bold=False,
                marker=fmt.SECTION if unpaired else "",
                interval="" if unpaired else fmt.interval_text(cell, signed=True),
            )
            cells.append({"html": html, "sort": _sort_value(cell["value"])})
    return {"model": model, "cells": _mark_groups(cells, first=1, width=len(fmt.DIFF_COLUMNS))}


def _level_tables(board: Leaderboard) -> list[dict[str, Any]]:
    tables = []
    for task in board.leveled_tasks:
        levels = board.levels(task)
        rows = []
        for model in board.models:
            cells = []
            for level in levels:
                cell = board.cell(model, task, "tool_rate", subset=level)
                cells.append(
                    fmt.MISSING
                    if cell is None
                    else f"{fmt.percent(cell['value'])} {fmt.interval_text(cell)} (n={cell['n']})"
                )
            rows.append({"model": model, "cells": cells})
        tables.append({"task": fmt.display_task(task), "levels": levels, "rows": rows})
    return tables


def _headers(board: Leaderboard, columns: tuple[Any, ...], first: list[str]) -> list[dict[str, Any]]:
    headers = [{"text": text, "sortable": True} for text in first]
    headers += [{"text": c.header, "sortable": c.metric != "counts"} for _ in board.tasks for c in columns]
    return _mark_groups(headers, first=len(first), width=len(columns))


def to_html(
    board: Leaderboard, title: str = "toolwise leaderboard", plots: bool = True, transcript_links: bool = False
) -> str:
    """The whole page as one string; open it from disk, it needs no network.

    With ``transcript_links`` each model x task cell links to ``transcripts/<model>--<task>.html`` (write those
    pages beside it with ``transcript_pages``)."""
    template_text = resources.files("toolwise.leaderboard").joinpath("page.html.jinja").read_text(encoding="utf-8")
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(template_text)
    figures = all_figures(board) if plots else {}
    context = {
        "title": title,
        "models": board.models,
        "tasks": [fmt.display_task(t) for t in board.tasks],
        "n_files": board.runs["results_file"].nunique(),
        "main_headers": [
            {"text": t, "sortable": True, "cls": "group-start" if i > 1 else ""}
            for i, t in enumerate(["Model", "Overall", *(fmt.display_task(t) for t in board.tasks)])
        ],
        "main_rows": [_main_row(board, m, transcript_links) for m in board.models],
        "detail_tables": _detail_tables(board, transcript_links),
        "headline_text": fmt.HEADLINE_TEXT,
        "repeats_text": fmt.REPEATS_TEXT if fmt.has_repeats(board) else "",
        "overall_text": fmt.overall_text(board),
        "legend": fmt.LEGEND,
        "main_notes": fmt.footnotes(board),
        "baseline": board.baseline,
        "diff_columns": fmt.DIFF_COLUMNS,
        "diff_headers": _headers(board, fmt.DIFF_COLUMNS, ["Model"]),
        "diff_rows": [_diff_row(board, m) for m in board.models if m != board.baseline] if board.baseline else [],
        "diff_notes": fmt.footnotes(board, diff=True),
        "level_tables": _level_tables(board),
        "plots": [
            {"name": name, "uri": png_data_uri(figure), "caption": PLOT_CAPTIONS[name]}
            for name, figure in figures.items()
        ],
        "sources": board.runs.to_dict("records"),
        "superseded": board.superseded,
        "n_boot": board.n_boot,
        "seed": board.seed,
    }
    return template.render(**context)


def save_html(board: Leaderboard, path: Path, plots: bool = True) -> list[Path]:
    """Write the page to ``path`` and, beside it, the transcript pages its cells link to; returns what was written."""
    from toolwise.leaderboard._transcripts import transcript_pages

    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for link, page in transcript_pages(board).items():
        target = path.parent / link
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        written.append(target)
    path.write_text(to_html(board, plots=plots, transcript_links=True), encoding="utf-8")
    return [path, *written]
