"""End to end through lm-eval in-process: the shared task class, the toolwise model and the metrics."""

from __future__ import annotations

import json

import pytest

from toolwise.bench.evaluate import evaluate


def metrics(results: dict, task: str) -> dict[str, float]:
    return {k.split(",")[0]: v for k, v in results["results"][task].items() if k.endswith(",none")}


@pytest.mark.parametrize("task", ["toy_tool", "toy_numeric_tool"])
def test_scripted_policies_give_their_calibrated_scores(toy_manager, task: str) -> None:  # type: ignore[no-untyped-def]
    oracle = metrics(evaluate([task], "backend=oracle", manager=toy_manager), task)
    always = metrics(evaluate([task], "backend=always", manager=toy_manager), task)
    never = metrics(evaluate([task], "backend=never", manager=toy_manager), task)
    assert oracle["acc_choice"] == 1.0 and oracle["tool_use_acc"] == 1.0
    assert always["tool_rate"] == 1.0 and always["tool_use_acc"] == 0.5
    assert never["tool_rate"] == 0.0 and never["tool_use_acc"] == 0.5
    # all three share what they know without tools
    assert oracle["acc_no_tool"] == always["acc_no_tool"] == never["acc_no_tool"]
    assert 0 < oracle["acc_no_tool"] < 1
    n = 12
    assert oracle["n_EN"] + oracle["n_HT"] == n and oracle["n_ET"] == oracle["n_HN"] == 0
    assert always["n_ET"] + always["n_HT"] == n
    assert never["n_EN"] + never["n_HN"] == n
    assert oracle["acc_no_tool_ci_lo"] <= oracle["acc_no_tool"] <= oracle["acc_no_tool_ci_hi"]


def test_samples_carry_both_transcripts_and_per_problem_values(toy_manager) -> None:  # type: ignore[no-untyped-def]
    results = evaluate(["toy_tool"], "backend=oracle", manager=toy_manager, limit=4)
    samples = results["samples"]["toy_tool"]
    assert len(samples) == 4
    for sample in samples:
        no_tool, choice = (json.loads(r[0]) for r in sample["resps"])
        assert no_tool["mode"] == "no_tool" and choice["mode"] == "choice"
        easy, used = sample["tool_use_acc"]
        assert used == (choice["n_tool_attempts"] > 0)
        assert easy == (sample["acc_no_tool"] == 1.0)
        gen_kwargs = [a[1] for a in sample["arguments"]] if isinstance(sample["arguments"], list) else None
        assert gen_kwargs is None or all("toolwise" in g for g in gen_kwargs)


def test_requests_of_both_modes_differ_in_gen_kwargs_for_use_cache(toy_manager) -> None:  # type: ignore[no-untyped-def]
    task = toy_manager.load(["toy_tool"])["tasks"]["toy_tool"]
    doc = next(iter(task.test_docs()))
    requests = task.construct_requests(doc, task.doc_to_text(doc), metadata=("toy_tool", 0, 1))
    assert [r.idx for r in requests] == [0, 1]
    modes = [r.args[1]["toolwise"]["mode"] for r in requests]
    assert modes == ["no_tool", "choice"]
    assert requests[0].args[0] == requests[1].args[0]  # same prompt; only gen_kwargs differ
    assert requests[0].args[1] != requests[1].args[1]
    assert len(requests[0].args[1]["toolwise"]["tools_fingerprint"]) == 16


def test_a_non_toolwise_task_gets_a_clear_error() -> None:
    from lm_eval.api.instance import Instance

    from toolwise.bench.lmeval_model import ToolAgentLM

    lm = ToolAgentLM(backend="never", progress=False)
    request = Instance("generate_until", {"question": "hi"}, ("hi", {"until": []}), 0, ("other_task", 0, 1))
    with pytest.raises(ValueError, match="not a toolwise task"):
        lm.generate_until([request])


def test_unknown_backend_is_named() -> None:
    from toolwise.bench.backends import make_backend

    with pytest.raises(ValueError, match="unknown backend 'gpt5'; choose one of: always, anthropic"):
        make_backend("gpt5")
