"""The pde_tool task through lm-eval with the scripted policies: the oracle's tool calls solve every problem."""

from __future__ import annotations

from toolwise.bench.evaluate import evaluate


def _metrics(backend: str, limit: int) -> dict[str, float]:
    row = evaluate(["pde_tool"], f"backend={backend}", limit=limit, log_samples=False)["results"]["pde_tool"]
    return {k.split(",")[0]: v for k, v in row.items() if k.endswith(",none")}


def test_the_oracle_answers_every_problem_with_the_pde_tools() -> None:
    oracle = _metrics("oracle", limit=40)
    assert oracle["acc_choice"] == 1.0 and oracle["tool_use_acc"] == 1.0
    # the oracle calls a tool exactly on the problems it "does not know": about half, never all or none
    assert 0.0 < oracle["tool_rate"] < 1.0 and oracle["n_HN"] == 0 and oracle["n_ET"] == 0


def test_a_policy_that_never_calls_tools_gets_only_what_it_knows() -> None:
    never = _metrics("never", limit=40)
    assert never["tool_rate"] == 0.0 and never["tool_use_acc"] == 0.5
    assert never["acc_choice"] == never["acc_no_tool"] < 1.0
