"""Leaderboard: lm-eval result folders -> tables (Markdown, LaTeX, CSV), plots and a static HTML page.

Reads result files only (``results_*.json``, ``samples_*.jsonl``); imports nothing else of toolwise.

    runs = load_runs([Path("results")])
    board = build_leaderboard(runs, baseline="meta-llama/Llama-3.1-8B-Instruct")
    print(to_markdown(board))
"""

from toolwise.leaderboard._board import OVERALL_DEFINITION, Leaderboard, build_leaderboard
from toolwise.leaderboard._errors import LeaderboardWarning, ResultsError
from toolwise.leaderboard._html import save_html, to_html
from toolwise.leaderboard._identity import model_label, parse_model_args
from toolwise.leaderboard._plots import all_figures, save_plots
from toolwise.leaderboard._reading import LoadedRuns, TaskRun, find_results_files, load_runs
from toolwise.leaderboard._render import render, to_csv, to_latex, to_markdown
from toolwise.leaderboard._stats import bootstrap_interval, tool_use_accuracy
from toolwise.leaderboard._transcripts import transcript_link, transcript_pages

__all__ = [
    "OVERALL_DEFINITION",
    "Leaderboard",
    "LeaderboardWarning",
    "LoadedRuns",
    "ResultsError",
    "TaskRun",
    "all_figures",
    "bootstrap_interval",
    "build_leaderboard",
    "find_results_files",
    "load_runs",
    "model_label",
    "parse_model_args",
    "render",
    "save_html",
    "save_plots",
    "to_csv",
    "to_html",
    "to_latex",
    "to_markdown",
    "tool_use_accuracy",
    "transcript_link",
    "transcript_pages",
]
