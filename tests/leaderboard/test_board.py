"""The tidy leaderboard: values recomputed from samples, the overall score and order, baseline differences, levels."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from lb_results import Outcome, outcomes, write_run

from toolwise.leaderboard import LeaderboardWarning, ResultsError, build_leaderboard, load_runs

# oracle-like: 3 easy (all without a call... except one), tools on the hard ones
ORACLE = outcomes("pde", "111 101 010 011 000 111 011 011")
NEVER = outcomes("pde", "110 100 000 000 000 110 000 000")


def board_of(root: Path, **options):  # type: ignore[no-untyped-def]
    return build_leaderboard(load_runs([root]), **options)


def test_values_from_samples_match_hand_counts(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE})
    board = board_of(tmp_path)
    value = {m: board.cell("oracle", "pde_tool", m)["value"] for m in ("acc_no_tool", "acc_choice", "tool_rate")}
    assert value == {"acc_no_tool": 3 / 8, "acc_choice": 6 / 8, "tool_rate": 6 / 8}
    counts = {m: board.cell("oracle", "pde_tool", m)["value"] for m in ("n_ET", "n_EN", "n_HT", "n_HN")}
    assert counts == {"n_ET": 3, "n_EN": 0, "n_HT": 3, "n_HN": 2}
    tua = board.cell("oracle", "pde_tool", "tool_use_acc")
    assert tua["value"] == pytest.approx(0.5 * 0 / 3 + 0.5 * 3 / 5)
    assert tua["source"] == "samples" and tua["n"] == 8
    assert tua["ci_lo"] <= tua["value"] <= tua["ci_hi"]
    acc = board.cell("oracle", "pde_tool", "acc_choice")
    assert 0.3 < acc["ci_lo"] < 0.75 < acc["ci_hi"] <= 1.0


def test_values_without_samples_come_from_the_results_file(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE}, samples=False)
    cell = build_leaderboard(load_runs([tmp_path])).cell("oracle", "pde_tool", "acc_no_tool")
    assert cell["source"] == "results"
    assert (cell["value"], cell["ci_lo"], cell["ci_hi"]) == pytest.approx((0.375, 0.275, 0.475))


def test_intervals_do_not_depend_on_which_other_runs_are_loaded(tmp_path: Path) -> None:
    write_run(tmp_path / "one", {"backend": "oracle"}, {"pde_tool": ORACLE})
    alone = board_of(tmp_path / "one").cell("oracle", "pde_tool", "tool_use_acc")
    write_run(tmp_path / "one", {"backend": "never"}, {"pde_tool": NEVER})
    together = board_of(tmp_path / "one").cell("oracle", "pde_tool", "tool_use_acc")
    assert (alone["ci_lo"], alone["ci_hi"]) == (together["ci_lo"], together["ci_hi"])


def test_an_empty_class_is_noted(tmp_path: Path) -> None:
    all_wrong = outcomes("pde", "011 001 000 010")  # nothing right without tools: no easy problem
    write_run(tmp_path, {"backend": "x"}, {"pde_tool": all_wrong})
    cell = board_of(tmp_path).cell("x", "pde_tool", "tool_use_acc")
    assert cell["value"] == pytest.approx(2 / 4)
    assert cell["note"] == "no easy problems: hard half only"


def test_overall_score_orders_models_and_needs_every_task(tmp_path: Path) -> None:
    climate = outcomes("clim", "111 011 100 000")
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE, "climate_tool": climate})
    write_run(tmp_path, {"backend": "never"}, {"pde_tool": NEVER, "climate_tool": outcomes("clim", "110 000 100 000")})
    write_run(tmp_path, {"backend": "hf", "pretrained": "gpt2"}, {"pde_tool": ORACLE})  # best on pde, no climate run
    board = board_of(tmp_path)
    assert board.tasks == ["climate_tool", "pde_tool"]
    overall = {m: board.cell(m, "overall", "overall") for m in board.models}

    def half(model: str, task: str) -> float:
        return 0.5 * (board.cell(model, task, "acc_choice")["value"] + board.cell(model, task, "tool_use_acc")["value"])

    for model in ("oracle", "never"):
        expected = (half(model, "climate_tool") + half(model, "pde_tool")) / 2
        assert overall[model]["value"] == pytest.approx(expected)
    assert math.isnan(overall["gpt2"]["value"]) and overall["gpt2"]["note"] == "ran 1 of 2 tasks"
    assert board.models == ["oracle", "never", "gpt2"]


def test_task_and_model_filters_and_their_errors(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE, "climate_tool": outcomes("c", "111 000")})
    write_run(tmp_path, {"backend": "never"}, {"pde_tool": NEVER})
    board = board_of(tmp_path, tasks=["pde_tool"], models=["never"])
    assert board.tasks == ["pde_tool"] and board.models == ["never"]
    with pytest.raises(ResultsError, match="no run of task math_tool; available: climate_tool, pde_tool"):
        board_of(tmp_path, tasks=["math_tool"])
    with pytest.raises(ResultsError, match="no run of model gpt-4o; available: never, oracle"):
        board_of(tmp_path, models=["gpt-4o"])


def test_baseline_differences_are_paired_on_shared_problems(tmp_path: Path) -> None:
    model = outcomes("p", "110 011 011 000 110 011")  # six problems
    base = [*outcomes("p", "110 000 000 000"), *outcomes("other", "111 111")]  # shares p-0000..p-0003
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": model})
    write_run(tmp_path, {"backend": "never"}, {"pde_tool": base})
    board = board_of(tmp_path, baseline="never")
    diff = board.cell("oracle", "pde_tool", "acc_choice", baseline="never")
    # shared p-0..p-3: oracle right with tools on 3 of 4 (110 011 011 000), never on 1 of 4
    assert diff["n"] == 4 and diff["value"] == pytest.approx(3 / 4 - 1 / 4)
    assert diff["ci_lo"] <= diff["value"] <= diff["ci_hi"]
    no_tool = board.cell("oracle", "pde_tool", "acc_no_tool", baseline="never")
    assert no_tool["value"] == 0 and (no_tool["ci_lo"], no_tool["ci_hi"]) == (0, 0)  # same answers: no spread
    tua = board.cell("oracle", "pde_tool", "tool_use_acc", baseline="never")
    # on shared problems oracle is EN, HT, HT, HN: ½·1 + ½·2/3; never is EN, HN, HN, HN: ½·1 + ½·0
    assert tua["value"] == pytest.approx((0.5 + 1 / 3) - 0.5)
    assert board.cell("never", "pde_tool", "acc_choice", baseline="never") is None  # the baseline itself


def test_baseline_without_samples_is_an_unpaired_difference_without_interval(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE}, samples=False)
    write_run(tmp_path, {"backend": "never"}, {"pde_tool": NEVER})
    diff = board_of(tmp_path, baseline="never").cell("oracle", "pde_tool", "acc_choice", baseline="never")
    assert diff["value"] == pytest.approx(6 / 8 - 2 / 8)
    assert math.isnan(diff["ci_lo"]) and diff["note"].startswith("no samples")


def test_an_unknown_baseline_lists_the_models(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE})
    with pytest.raises(ResultsError, match="baseline 'gpt-4o' has no run; models: oracle"):
        board_of(tmp_path, baseline="gpt-4o")


def test_per_level_rows_in_natural_order(tmp_path: Path) -> None:
    items = [
        *outcomes("a", "111 100 011", "Level 2"),
        *outcomes("b", "011 011", "Level 10"),
        *outcomes("c", "110 110 110 011", "Level 1"),
    ]
    write_run(tmp_path, {"backend": "oracle"}, {"math_tool": items, "pde_tool": ORACLE})
    board = board_of(tmp_path)
    assert board.levels("math_tool") == ["Level 1", "Level 2", "Level 10"]
    assert board.leveled_tasks == ["math_tool"]
    rate = {level: board.cell("oracle", "math_tool", "tool_rate", subset=level) for level in board.levels("math_tool")}
    assert {k: v["value"] for k, v in rate.items()} == {
        "Level 1": 0.25,
        "Level 2": pytest.approx(2 / 3),
        "Level 10": 1.0,
    }
    assert rate["Level 1"]["n"] == 4


def test_graded_open_answer_scores_average(tmp_path: Path) -> None:
    items = [Outcome("o-0", True, True, False), Outcome("o-1", False, False, True)]
    path = write_run(tmp_path, {"backend": "oracle"}, {"climate_open_tool": items})
    samples = next(tmp_path.rglob("samples_*.jsonl"))
    lines = [json.loads(line) for line in samples.read_text().splitlines()]
    lines[1]["acc_choice"] = 0.6  # a rubric score between 0 and 1
    samples.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    data = json.loads(path.read_text())
    data["results"]["climate_open_tool"]["acc_choice,none"] = 0.8
    path.write_text(json.dumps(data))
    assert board_of(tmp_path).cell("oracle", "climate_open_tool", "acc_choice")["value"] == pytest.approx(0.8)


def test_samples_that_disagree_with_their_results_file_warn(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": ORACLE})
    data = json.loads(path.read_text())
    data["results"]["pde_tool"]["acc_choice,none"] = 0.5
    path.write_text(json.dumps(data))
    with pytest.warns(LeaderboardWarning, match=r"disagrees with .*acc_choice 0.5 vs 0.75"):
        board = board_of(tmp_path)
    assert board.cell("oracle", "pde_tool", "acc_choice")["value"] == 0.75
