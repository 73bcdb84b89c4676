"""End to end through lm-eval: the scripted oracle answers every question right, in choice mode, with tools."""

from __future__ import annotations

import pytest

from toolwise.bench.evaluate import evaluate


def _metrics(task: str, backend: str, limit: int | None = None) -> dict[str, float]:
    row = evaluate([task], f"backend={backend}", limit=limit, log_samples=False)["results"][task]
    return {k.split(",")[0]: v for k, v in row.items() if k.endswith(",none")}


def test_oracle_gets_every_multiple_choice_question_right() -> None:
    oracle = _metrics("epidemiology_tool", "oracle")
    assert oracle["acc_choice"] == 1.0
    assert oracle["tool_use_acc"] == 1.0
    assert oracle["n_HT"] + oracle["n_EN"] == 120  # tools exactly on the questions it does not "know"


def test_oracle_open_answers_score_one_and_never_calling_tools_scores_less() -> None:
    oracle = _metrics("epidemiology_open_tool", "oracle", limit=20)
    never = _metrics("epidemiology_open_tool", "never", limit=20)
    assert oracle["acc_choice"] == 1.0
    assert never["acc_choice"] < 1.0


@pytest.mark.slow
def test_oracle_scores_one_on_every_open_question() -> None:
    assert _metrics("epidemiology_open_tool", "oracle")["acc_choice"] == 1.0
