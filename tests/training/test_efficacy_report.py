"""The efficacy benchmark's report: paired gains, the split by the model's own easy/hard, the goal checks."""

from __future__ import annotations

from typing import Any

import pytest

from toolwise.training.config import setting_help
from toolwise.training.examples.efficacy import (
    by_difficulty,
    family_table,
    goals,
    interval,
    main,
    paired_gain,
    table,
)


def outcome(easy: bool, used: bool, choice: float, family: str = "t/f", p_tool: float = 0.5) -> dict[str, Any]:
    return {
        "task": "t",
        "family": family,
        "acc_no_tool": float(easy),
        "acc_choice": choice,
        "easy_used": [easy, used],
        "tool_rate": float(used),
        "p_tool": p_tool,
    }


def adapted(n: int = 40) -> list[dict[str, Any]]:
    """Half easy and answered directly, half hard and solved with the tool."""
    easy = [outcome(True, False, 1.0, "t/easy", 0.1) for _ in range(n // 2)]
    hard = [outcome(False, True, 1.0, "t/hard", 0.9) for _ in range(n // 2)]
    return easy + hard


def never_calls(n: int = 40) -> list[dict[str, Any]]:
    """The same problems: right without tools on half of the easy family, never a call."""
    right = [outcome(True, False, 1.0, "t/easy", 0.0) for _ in range(n // 4)]
    wrong = [outcome(False, False, 0.0, "t/easy", 0.0) for _ in range(n // 4)]
    hard = [outcome(False, False, 0.0, "t/hard", 0.0) for _ in range(n // 2)]
    return right + wrong + hard


def test_a_model_that_adapts_meets_every_goal_and_one_that_never_calls_does_not() -> None:
    evals = {"base": {"outcomes": never_calls(), "seconds": 60}, "wkd_tua": {"outcomes": adapted(), "seconds": 60}}
    text, met = goals(evals)
    assert met and "NO" not in text
    _, met_alone = goals({"base": evals["base"], "wkd_tua": evals["base"]})
    assert not met_alone


def test_paired_gain_of_tool_use_accuracy() -> None:
    point, lo, hi = paired_gain(never_calls(), adapted(), "tool_use_acc")
    assert point == pytest.approx(0.5)  # 1.0 (adapted) - 0.5 (never calls)
    assert lo <= point <= hi and lo > 0


def test_rates_split_by_the_models_own_difficulty() -> None:
    assert by_difficulty(adapted(), "tool_rate") == (0.0, 1.0)
    assert by_difficulty(adapted(), "p_tool") == pytest.approx((0.1, 0.9))
    point, lo, hi = interval(adapted(), "acc_choice")
    assert (point, lo, hi) == (1.0, 1.0, 1.0)


def test_tables_name_every_model_and_family() -> None:
    evals = {
        "base": {"outcomes": never_calls(), "seconds": 60},
        "wkd": {"outcomes": never_calls(), "seconds": 60},
        "wkd_tua": {"outcomes": adapted(), "seconds": 120},
    }
    overall = table(evals)
    assert "| WKD+TUA | 40 |" in overall and "0.00 / 1.00" in overall and "2 min" in overall
    families = family_table(evals)
    assert "| t/easy | 20 |" in families and "| t/hard | 20 |" in families


def test_flags_that_set_config_fields_show_the_fields_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # one line per flag: argparse would break words at hyphens
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for flag, key, default in [
        ("--tasks", "task", "climate_tool"),
        ("--n-train", "collect.n_train", "240"),
        ("--k-samples", "tua.k_samples", "2"),
        ("--direct-form", "tua.direct_form", "lead"),
        ("--learning-rate", "wkd.learning_rate", "0.001"),
        ("--grad-accum", "wkd.gradient_accumulation_steps", "1"),
    ]:
        entry = " ".join(out[out.index(f"  {flag} ") :].split("\n  -")[0].split())  # the flag's help, one line
        assert setting_help(key) in entry and entry.endswith(f"(default here: {default})"), entry
