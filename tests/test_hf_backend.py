"""The hf backend on a tiny random Llama: real tokenizer, tool template, generation and parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from toy_domain import toy_problems

from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.backends.tool_parsing import FALLBACK_INSTRUCTIONS
from toolwise.bench.evaluate import evaluate
from toolwise.bench.prompts import opening_messages
from toolwise.tools import get_tool

PROBLEM = toy_problems(1)[0]


@pytest.fixture(scope="module")
def hf_backend(tiny_llama_dir: Path) -> HFBackend:
    return HFBackend(pretrained=str(tiny_llama_dir), batch_size=4, device="cpu")


def conversation(mode: str = "choice") -> Conversation:
    tools = [get_tool("toy_multiply").schema()] if mode != "no_tool" else None
    return Conversation(PROBLEM, mode, opening_messages(PROBLEM, mode), tools, {"max_gen_toks": 8})  # type: ignore[arg-type]


def test_llama_template_renders_tools_and_gets_a_response_parser(hf_backend: HFBackend) -> None:
    assert hf_backend.native_tools and hf_backend.structured_parser
    prompt = hf_backend.render(conversation())
    assert "Environment: ipython" in prompt and '"name": "toy_multiply"' in prompt
    assert prompt.endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert "toy_multiply" not in hf_backend.render(conversation("no_tool"))


def test_generation_counts_tokens_and_stops(hf_backend: HFBackend) -> None:
    turns = hf_backend.generate([conversation(), conversation("no_tool"), conversation()])
    assert len(turns) == 3
    for turn in turns:
        assert 0 < turn.tokens_out <= 8
        assert turn.tokens_in > 50
        assert turn.finish_reason in ("stop", "length")
    assert turns[0].tokens_in > turns[1].tokens_in  # the tool schema is in the prompt


@pytest.mark.parametrize(
    ("generated", "name", "arguments", "error"),
    [
        ('{"name": "toy_multiply", "parameters": {"a": 3, "b": 7}}<|eot_id|>', "toy_multiply", {"a": 3, "b": 7}, None),
        (
            '<|python_tag|>{"name": "toy_multiply", "parameters": {"a": 3, "b": 7}}',
            "toy_multiply",
            {"a": 3, "b": 7},
            None,
        ),
        ('{"name": "toy_multiply", "parameters": {"a": 3, "b": }', "toy_multiply", None, "not valid JSON"),
    ],
)
def test_tool_calls_are_parsed_with_the_template_parser(
    hf_backend: HFBackend, generated: str, name: str, arguments: dict | None, error: str | None
) -> None:
    conv = conversation()
    turn = hf_backend._parse(generated, hf_backend.render(conv), conv, 10, 5, "stop")
    [call] = turn.tool_calls
    assert call.name == name and call.arguments == arguments
    assert (call.parse_error is None) if error is None else (error in call.parse_error)


def test_a_plain_answer_is_not_a_tool_call(hf_backend: HFBackend) -> None:
    conv = conversation()
    turn = hf_backend._parse("21, so the answer is A<|eot_id|>", hf_backend.render(conv), conv, 10, 5, "stop")
    assert turn.tool_calls == [] and turn.content.endswith("the answer is A")


def test_json_fallback_puts_schemas_in_the_system_prompt(tiny_llama_dir: Path) -> None:
    backend = HFBackend(pretrained=str(tiny_llama_dir), tool_format="json", device="cpu")
    conv = conversation()
    conv.messages = [
        *conv.messages,
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "toy_multiply", "arguments": {"a": 3, "b": 7}}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "name": "toy_multiply", "content": '{"product": 21.0}'},
    ]
    prompt = backend.render(conv)
    assert FALLBACK_INSTRUCTIONS.splitlines()[0] in prompt
    assert '<tool_call>\n{"name": "toy_multiply", "arguments": {"a": 3, "b": 7}}\n</tool_call>' in prompt
    assert "Result of tool 'toy_multiply':\n{\"product\": 21.0}" in prompt
    turn = backend._parse(
        '<tool_call>\n{"name": "toy_multiply", "arguments": {"a": 2, "b": 5}}\n</tool_call>', prompt, conv, 1, 1, "stop"
    )
    assert turn.tool_calls[0].arguments == {"a": 2, "b": 5}


def test_lm_eval_run_with_the_tiny_model(toy_manager, tiny_llama_dir: Path) -> None:  # type: ignore[no-untyped-def]
    results = evaluate(
        ["toy_tool"],
        f"backend=hf,pretrained={tiny_llama_dir},device=cpu,batch_size=8",
        manager=toy_manager,
        limit=4,
        gen_kwargs="max_gen_toks=12",
    )
    row = results["results"]["toy_tool"]
    assert row["tokens_out,none"] > 0 and row["tokens_in,none"] > 0
    for sample in results["samples"]["toy_tool"]:
        no_tool, choice = (json.loads(r[0]) for r in sample["resps"])
        assert no_tool["turns"] == 1 and no_tool["tokens_out"] > 0
        assert choice["turns"] >= 1 and choice["messages"][0]["role"] == "system"


def test_length_buckets_limit_padding_and_batch_size() -> None:
    from toolwise.bench.backends.hf import length_buckets

    lengths = [4000, 210, 3900, 200, 3800, 1900, 205]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    batches = length_buckets(order, lengths, batch_size=2)
    assert batches == [[0, 2], [4, 5], [1, 6], [3]]
    for batch in batches:
        assert max(lengths[i] for i in batch) <= 2 * min(lengths[i] for i in batch)
    assert sorted(i for b in length_buckets(order, lengths, batch_size=8) for i in b) == list(range(7))


def sampled(backend: HFBackend, *requests: tuple[int, dict]) -> list[AssistantTurn]:
    """One turn per (problem number, gen_kwargs), all in one ``generate`` call (no-tool conversations)."""
    problems = toy_problems(2)
    convs = [
        Conversation(problems[i], "no_tool", opening_messages(problems[i], "no_tool"), None, kwargs)  # type: ignore[arg-type]
        for i, kwargs in requests
    ]
    return backend.generate(convs)


def test_requests_of_one_batch_each_get_their_own_sampling(
    hf_backend: HFBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    greedy = (0, {"max_gen_toks": 12})
    hot = (1, {"max_gen_toks": 12, "temperature": 1.5, "seed": 3})
    [alone_greedy], [alone_hot] = sampled(hf_backend, greedy), sampled(hf_backend, hot)
    calls: list[dict] = []
    generate = hf_backend.model.generate
    monkeypatch.setattr(hf_backend.model, "generate", lambda **kw: calls.append(kw) or generate(**kw))
    together = sampled(hf_backend, greedy, hot)
    assert [t.raw for t in together] == [alone_greedy.raw, alone_hot.raw]
    assert alone_hot.raw != alone_greedy.raw
    # two batches: greedy search, and sampling at T=1.5 with the request's seed
    assert sorted(len(c["input_ids"]) for c in calls) == [1, 1]
    [hot_call] = [c for c in calls if "logits_processor" in c]
    temperature, draws = hot_call["logits_processor"]
    assert temperature.temperature == 1.5 and draws.generators[0].initial_seed() == 3


def test_a_stop_string_cuts_the_reply_before_it(hf_backend: HFBackend) -> None:
    hot = {"max_gen_toks": 16, "temperature": 1.5, "seed": 1}
    [full] = sampled(hf_backend, (0, hot))
    text = full.raw
    stop = next(text[i : i + 3] for i in range(len(text) // 3, len(text) - 3) if text[i : i + 3].isalnum())
    [cut] = sampled(hf_backend, (0, hot | {"until": [stop]}))
    assert cut.raw == text[: text.index(stop)] and cut.finish_reason == "stop"
    assert 0 < cut.tokens_out < full.tokens_out == 16


def test_the_same_seed_gives_the_same_sample_whatever_shares_the_batch(hf_backend: HFBackend) -> None:
    seeded = {"max_gen_toks": 12, "do_sample": True, "seed": 11}
    [first] = sampled(hf_backend, (0, seeded))
    again, _unseeded, other_seed = sampled(
        hf_backend, (0, seeded), (1, {"max_gen_toks": 12, "do_sample": True}), (0, seeded | {"seed": 12})
    )
    assert again.raw == first.raw and first.tokens_out == 12
    assert other_seed.raw != first.raw
