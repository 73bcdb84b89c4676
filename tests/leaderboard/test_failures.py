"""Runs with failed problems are marked, and refused above --max-failed unless --allow-failed (issue 14, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lb_results import metrics_from_outcomes, outcomes, write_run
from typer.testing import CliRunner

from toolwise.leaderboard import build_leaderboard, load_runs, to_html, to_markdown
from toolwise.leaderboard._errors import LeaderboardWarning, ResultsError
from toolwise.leaderboard.cli import app

PDE = outcomes("p", "110 011 011 000 110 011 011 000 110 011")  # ten problems


def _write(root: Path, model: str, failed: int) -> None:
    metrics = metrics_from_outcomes(PDE) | {"n_failed": float(failed), "tool_errors": 0.0}
    write_run(root, {"backend": model}, {"pde_tool": metrics})


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    _write(root, "oracle", failed=0)
    _write(root, "always", failed=3)
    return root


def test_a_run_with_too_many_failures_is_refused_with_the_fix(results: Path) -> None:
    refused = pytest.raises(ResultsError, match=r"always on pde_tool: 3 of 10 problems failed \(30%\).*--allow-failed")
    with pytest.warns(LeaderboardWarning), refused:
        build_leaderboard(load_runs([results]))


def test_allowed_failures_are_ranked_but_marked(results: Path) -> None:
    with pytest.warns(LeaderboardWarning, match="3 of 10 problems failed"):
        board = build_leaderboard(load_runs([results]), allow_failed=True)
    text = to_markdown(board)
    always_row = next(line for line in text.splitlines() if line.startswith("| always"))
    oracle_row = next(line for line in text.splitlines() if line.startswith("| oracle"))
    assert "¶" in always_row and "¶" not in oracle_row
    assert "¶ some problems of the run failed" in text
    assert board.cell("always", "pde_tool", "n_failed")["value"] == 3
    page = to_html(board)
    assert page.count("¶") >= 3  # the two accuracy cells of the run and the footnote


def test_a_threshold_of_your_choice(results: Path) -> None:
    with pytest.warns(LeaderboardWarning):
        board = build_leaderboard(load_runs([results]), max_failed=0.3)
    assert set(board.models) == {"oracle", "always"}


def test_the_command_line_refuses_in_one_line_and_takes_the_override(results: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(app, ["leaderboard", str(results)])
    assert refused.exit_code == 2
    assert "3 of 10 problems failed" in refused.stderr and "Traceback" not in refused.stderr
    allowed = runner.invoke(app, ["leaderboard", str(results), "--allow-failed"])
    assert allowed.exit_code == 0 and "¶" in allowed.stdout
    assert "warning:" in allowed.stderr and "3 of 10 problems failed" in allowed.stderr
