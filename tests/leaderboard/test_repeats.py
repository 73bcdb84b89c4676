"""Repeats: runs of one model on one task that differ only in their seed are averaged, with spread and pass^k."""

from __future__ import annotations

from pathlib import Path

import pytest
from lb_results import outcomes, write_run

from toolwise.leaderboard import LeaderboardWarning, build_leaderboard, load_runs, to_latex, to_markdown

SAMPLING = {"temperature": 0.7, "do_sample": True}
# three repeats of four problems: (no tool, with tools, called a tool) per problem
REPEATS = ["110 011 011 000", "110 100 001 011", "011 011 011 000"]


def write_repeats(root: Path, model: dict[str, str], patterns: list[str], start: int = 0) -> None:
    for seed, pattern in enumerate(patterns, start=start):
        stamp = f"2026-11-20T10-00-0{seed}.000000"
        write_run(root, model, {"pde_tool": outcomes("p", pattern)}, stamp=stamp, gen_kwargs=SAMPLING | {"seed": seed})


def test_repeats_are_averaged_with_their_spread_and_pass_k(tmp_path: Path) -> None:
    write_repeats(tmp_path, {"backend": "always"}, REPEATS)
    board = build_leaderboard(load_runs([tmp_path]), n_boot=200)
    assert board.repeats == {("always", "pde_tool"): 3}
    # per repeat, with tools: 0.75, 0.5, 0.75 -> mean 2/3; without: 0.25, 0.5, 0 -> mean 1/4
    assert board.cell("always", "pde_tool", "acc_choice")["value"] == pytest.approx(2 / 3)
    assert board.cell("always", "pde_tool", "acc_no_tool")["value"] == pytest.approx(1 / 4)
    assert board.cell("always", "pde_tool", "acc_choice_sd")["value"] == pytest.approx(0.144337567, abs=1e-6)
    # right with tools in all three repeats: only p-0000 -> 1 of 4
    assert board.cell("always", "pde_tool", "pass_k")["value"] == 0.25
    lo, hi = (board.cell("always", "pde_tool", "acc_choice")[k] for k in ("ci_lo", "ci_hi"))
    assert lo <= 2 / 3 <= hi
    assert board.cell("always", "pde_tool", "n_HT")["value"] == 2 + 2 + 3  # counts add up over the repeats
    markdown = to_markdown(board)
    headline = next(line for line in markdown.splitlines() if line.startswith("| always"))
    score = board.cell("always", "pde_tool", "score")
    assert f"{100 * score['value']:.1f} ±" in headline
    assert "| pass^k |" in markdown and "25.0 (k=3)" in markdown and "66.7 ±14.4 [" in markdown
    assert r"$\pm$" in to_latex(board)


def test_runs_with_other_settings_are_not_repeats(tmp_path: Path) -> None:
    write_repeats(tmp_path, {"backend": "always"}, REPEATS[:2])
    write_run(
        tmp_path, {"backend": "always"}, {"pde_tool": outcomes("p", REPEATS[2])},
        stamp="2026-11-19T10-00-00.000000", gen_kwargs={"temperature": 1.0, "seed": 5},
    )  # fmt: skip
    with pytest.warns(LeaderboardWarning, match="2 repeats"):
        board = build_leaderboard(load_runs([tmp_path]), n_boot=100)
    assert board.repeats == {("always", "pde_tool"): 2}
    assert board.cell("always", "pde_tool", "acc_choice")["value"] == pytest.approx(0.625)


def test_differences_to_a_repeated_baseline_pair_problems_across_repeats(tmp_path: Path) -> None:
    write_repeats(tmp_path, {"backend": "always"}, REPEATS)
    write_repeats(tmp_path, {"backend": "never"}, ["010 000 000 000", "000 010 000 000"])
    board = build_leaderboard(load_runs([tmp_path]), baseline="never", n_boot=200)
    diff = board.cell("always", "pde_tool", "acc_choice", baseline="never")
    assert diff["value"] == pytest.approx(2 / 3 - 1 / 4)
    assert diff["ci_lo"] <= diff["value"] <= diff["ci_hi"]


def test_a_single_run_has_no_repeat_rows(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "always"}, {"pde_tool": outcomes("p", REPEATS[0])}, gen_kwargs={"seed": 3})
    board = build_leaderboard(load_runs([tmp_path]), n_boot=50)
    assert board.repeats == {} and board.cell("always", "pde_tool", "pass_k") is None
    assert "pass^k" not in to_markdown(board)
