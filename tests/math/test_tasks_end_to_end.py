"""math_tool and scibench_tool through lm-eval with the scripted oracle, its tool calls run in the sandbox."""

from __future__ import annotations

import json

import pytest

from toolwise.bench.evaluate import evaluate

pytestmark = pytest.mark.usefixtures("offline_sources", "sandbox_ready")


def check_oracle_run(task: str, limit: int | None) -> dict[str, float]:
    results = evaluate([task], "backend=oracle", limit=limit)
    metrics = {k.split(",")[0]: v for k, v in results["results"][task].items() if k.endswith(",none")}
    assert metrics["acc_choice"] == 1.0 and metrics["tool_use_acc"] == 1.0
    assert 0 < metrics["tool_rate"] < 1  # tools on the problems the oracle does not know, only those
    calls = 0
    for sample in results["samples"][task]:
        choice = json.loads(sample["resps"][1][0])
        for call in choice["tool_calls"]:
            calls += 1
            assert call["name"] == "run_python" and call["error"] is None
            assert float(call["result"]) == pytest.approx(float(sample["doc"]["answer"]))
    assert calls == metrics["n_HT"] > 0
    return metrics


@pytest.mark.parametrize("task", ["math_tool", "scibench_tool"])
def test_oracle_scores_one_on_the_first_problems(task: str) -> None:
    check_oracle_run(task, limit=16)


@pytest.mark.slow
@pytest.mark.parametrize("task,n", [("math_tool", 170), ("scibench_tool", 120)])
def test_oracle_scores_one_on_the_whole_offline_subsets(task: str, n: int) -> None:
    metrics = check_oracle_run(task, limit=None)
    assert metrics["n_EN"] + metrics["n_HT"] == n
