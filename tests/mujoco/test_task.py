"""mujoco_tool end to end through lm-eval, with the scripted policies."""

from __future__ import annotations

import pytest

from toolwise.bench.evaluate import evaluate, task_manager


def _metrics(backend: str, limit: int | None) -> dict[str, float]:
    row = evaluate(["mujoco_tool"], f"backend={backend}", limit=limit, log_samples=False)["results"]["mujoco_tool"]
    return {key.split(",")[0]: value for key, value in row.items() if key.endswith(",none")}


def test_lm_eval_indexes_mujoco_tool_in_the_scitool_group() -> None:
    manager = task_manager()
    assert "mujoco_tool" in manager.all_tasks


def test_oracle_answers_a_slice_perfectly_by_calling_the_simulator_when_it_does_not_know() -> None:
    metrics = _metrics("oracle", limit=24)
    assert metrics["acc_choice"] == 1.0
    assert metrics["tool_use_acc"] == 1.0
    assert 0 < metrics["tool_rate"] < 1


@pytest.mark.slow
def test_oracle_scores_acc_choice_one_on_the_whole_test_split() -> None:
    metrics = _metrics("oracle", limit=None)
    assert metrics["acc_choice"] == 1.0 and metrics["tool_use_acc"] == 1.0
