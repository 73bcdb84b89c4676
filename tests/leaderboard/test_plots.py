"""The plots draw what the table says: bar heights, interval whiskers, class shares and per-level tool rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lb_results import outcomes, write_run
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from toolwise.leaderboard import all_figures, build_leaderboard, load_runs, save_plots
from toolwise.leaderboard._plots import plot_accuracy, plot_breakdown, plot_tool_rate_by_level, plot_tool_use


@pytest.fixture
def board(tmp_path: Path):  # type: ignore[no-untyped-def]
    math = [*outcomes("m1", "111 011 110 000", "Level 1"), *outcomes("m2", "011 011 100", "Level 2")]
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": outcomes("p", "110 011 011 000"), "math_tool": math})
    write_run(tmp_path, {"backend": "never"}, {"pde_tool": outcomes("p", "110 000 000 000"), "math_tool": math[:5]})
    return build_leaderboard(load_runs([tmp_path]))


def bars(ax) -> list[Rectangle]:  # type: ignore[no-untyped-def]
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_accuracy_bars_have_the_table_heights_and_intervals(board) -> None:  # type: ignore[no-untyped-def]
    figure = plot_accuracy(board)
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["math", "pde"]
    pde = axes[1]
    heights = [round(b.get_height(), 6) for b in bars(pde)]
    # no tool (oracle, never), then tools (oracle, never), in %
    expected = [
        board.cell(m, "pde_tool", metric)["value"] * 100
        for metric in ("acc_no_tool", "acc_choice")
        for m in board.models
    ]
    assert heights == pytest.approx(expected)
    whiskers = [c for c in pde.collections if isinstance(c, LineCollection)]
    assert len(whiskers) == 2  # one error-bar set per mode


def test_tool_use_points_sit_at_the_table_values_with_a_50_percent_reference(board) -> None:  # type: ignore[no-untyped-def]
    ax = plot_tool_use(board).axes[0]
    assert {tuple(line.get_ydata()) for line in ax.lines if line.get_linestyle() == "--"} == {(50, 50)}
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(points) == len(board.models)
    oracle_y = points[0].get_ydata()
    assert oracle_y[1] == pytest.approx(100 * board.cell("oracle", "pde_tool", "tool_use_acc")["value"])


def test_breakdown_bars_stack_to_100_percent_per_model(board) -> None:  # type: ignore[no-untyped-def]
    figure = plot_breakdown(board)
    pde = next(ax for ax in figure.axes if ax.get_title() == "pde")
    widths = np.array([b.get_width() for b in bars(pde)]).reshape(4, len(board.models))  # 4 classes x models
    assert widths.sum(axis=0) == pytest.approx([100.0, 100.0])
    # oracle on pde: EN 1, ET 0, HT 2, HN 1 of 4
    assert widths[:, board.models.index("oracle")] == pytest.approx([25.0, 0.0, 50.0, 25.0])


def test_tool_rate_by_level_only_where_tasks_have_levels(board, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    figure = plot_tool_rate_by_level(board)
    assert figure is not None
    (ax,) = [ax for ax in figure.axes if ax.get_visible()]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Level 1", "Level 2"]
    oracle = next(c for c in ax.containers if c.get_label() == "oracle")
    assert list(oracle.lines[0].get_ydata()) == pytest.approx([50.0, 200 / 3])  # 2 of 4, then 2 of 3 called
    write_run(tmp_path / "flat", {"backend": "oracle"}, {"pde_tool": outcomes("p", "110 011")})
    assert plot_tool_rate_by_level(build_leaderboard(load_runs([tmp_path / "flat"]))) is None


def test_save_plots_writes_png_and_svg(board, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    written = save_plots(board, tmp_path / "plots")
    assert sorted(p.name for p in written) == sorted(
        f"{name}.{ext}" for name in all_figures(board) for ext in ("png", "svg")
    )
    assert len(written) == 8
    for path in written:
        head = path.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in head
