"""The leaderboard on folders written by lm-eval itself: the scripted policies on the core's toy task.

lm-eval's EvaluationTracker writes the results and samples files exactly as ``lm_eval --output_path
--log_samples`` does; the three policies even share one folder (lm-eval names it with a seeded random id,
as their model_args carry no ``pretrained``/``model``), so the models must come from ``model_args``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolwise.leaderboard import build_leaderboard, load_runs, to_markdown


@pytest.fixture(scope="module")
def lm_eval_output(toy_task_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from toolwise.bench.lmeval_hooks import register_model, tasks_dir

    register_model()
    out = tmp_path_factory.mktemp("lm-eval-output")
    manager = TaskManager(include_path=[tasks_dir(), str(toy_task_dir)], include_defaults=False)
    for backend in ("never", "always", "oracle"):
        tracker = EvaluationTracker(output_path=str(out))
        results = simple_evaluate(
            model="toolwise",
            model_args=f"backend={backend},progress=False",
            tasks=["toy_tool"],
            task_manager=manager,
            log_samples=True,
            evaluation_tracker=tracker,
            bootstrap_iters=0,
        )
        assert results is not None
        samples = results.pop("samples")
        tracker.save_results_aggregated(results=results, samples=samples)
        for task in results["configs"]:
            tracker.save_results_samples(task_name=task, samples=samples[task])
    return out


def test_scripted_policies_rank_and_score_as_calibrated(lm_eval_output: Path) -> None:
    board = build_leaderboard(load_runs([lm_eval_output]), baseline="never")
    assert board.models == ["oracle", "always", "never"]
    tua = {m: board.cell(m, "toy_tool", "tool_use_acc")["value"] for m in board.models}
    assert tua == {"oracle": 1.0, "always": 0.5, "never": 0.5}
    rate = {m: board.cell(m, "toy_tool", "tool_rate")["value"] for m in board.models}
    assert rate["always"] == 1.0 and rate["never"] == 0.0
    # the policies share what they know without tools, so their paired no-tool difference is exactly 0
    assert board.cell("oracle", "toy_tool", "acc_no_tool", baseline="never")["ci_hi"] == 0.0
    assert "| oracle | **100.0** |" in to_markdown(board)


def test_samples_recompute_the_values_lm_eval_reported(lm_eval_output: Path) -> None:
    board = build_leaderboard(load_runs([lm_eval_output]))
    for path in lm_eval_output.rglob("results_*.json"):
        data = json.loads(path.read_text())
        model = data["config"]["model_args"].split(",")[0].removeprefix("backend=")
        reported = data["results"]["toy_tool"]
        for metric in ("acc_no_tool", "acc_choice", "tool_use_acc", "tool_rate", "n_ET", "n_EN", "n_HT", "n_HN"):
            assert board.cell(model, "toy_tool", metric)["value"] == pytest.approx(reported[f"{metric},none"])
        assert board.cell(model, "toy_tool", "acc_no_tool")["source"] == "samples"
