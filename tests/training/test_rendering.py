"""Token ids and assistant-only masks: loss on what the assistant writes, never on prompts or tool results."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import trl
from train_helpers import train_problems
from transformers import AutoTokenizer

from toolwise.bench.backends.base import Conversation
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.backends.scripted import OracleBackend
from toolwise.bench.loop import Request, run_conversations
from toolwise.training.conversations import no_tool_example, tool_transcript_example
from toolwise.training.rendering import (
    PROBE_CONVERSATIONS,
    MaskingError,
    Renderer,
    chat_form,
    make_renderer,
    shipped_templates,
)

PROBLEM = train_problems(1)[0]
CHATML_NO_TOOLS = (
    "{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '\n' + m['content'] + '<|eot_id|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def tokenizer(tiny_llama_dir: Path):  # type: ignore[no-untyped-def]
    return AutoTokenizer.from_pretrained(tiny_llama_dir)


def tool_example() -> dict:
    transcript = run_conversations([Request(PROBLEM, "forced")], OracleBackend(), progress=False)[0]
    return tool_transcript_example(PROBLEM, transcript)


def masked_text(tokenizer, row: dict) -> str:  # type: ignore[no-untyped-def]
    return tokenizer.decode([t for t, m in zip(row["input_ids"], row["assistant_masks"], strict=True) if m])


def conversations_to_compare() -> list[tuple[list[dict], object, dict]]:
    example = tool_example()
    tools = example["tools"]
    no_system = example["messages"][1:]
    dict_result = copy.deepcopy(example["messages"])
    dict_result[3]["content"] = {"product": 36.0}
    return [
        (example["messages"], tools, {}),
        (example["messages"], tools, {"tools_in_user_message": False}),
        (example["messages"], tools, {"date_string": "1 Jan 2030"}),
        (no_system, tools, {}),
        (dict_result, tools, {}),
        (no_tool_example(PROBLEM, PROBLEM.solution)["messages"], None, {}),
        (example["messages"][:2], tools, {}),
    ]


def test_shipped_llama_template_renders_exactly_like_trls(tokenizer) -> None:  # type: ignore[no-untyped-def]
    ours = shipped_templates()["llama3_1_training.jinja"]
    original = (Path(trl.__file__).parent / "chat_templates" / "llama3_1.jinja").read_text()
    for messages, tools, extra in conversations_to_compare():
        for gen in (False, True):
            kwargs = {"tools": tools, "tokenize": False, "add_generation_prompt": gen, **extra}
            rendered = tokenizer.apply_chat_template(messages, chat_template=ours, **kwargs)
            assert rendered == tokenizer.apply_chat_template(messages, chat_template=original, **kwargs)


def test_llama_gets_the_generation_tagged_template(tokenizer) -> None:  # type: ignore[no-untyped-def]
    renderer, source = make_renderer(tokenizer)
    assert renderer.native_tools and renderer.masking == "generation-markers"
    assert "llama3_1_training.jinja" in source


def test_mask_covers_calls_and_answers_but_not_prompts_or_tool_results(tokenizer) -> None:  # type: ignore[no-untyped-def]
    renderer, _ = make_renderer(tokenizer)
    row = renderer.tokenize(tool_example()["messages"], tool_example()["tools"])
    text = masked_text(tokenizer, row)
    a, b = PROBLEM.reference_calls[0].arguments["a"], PROBLEM.reference_calls[0].arguments["b"]
    expected = (
        f'{{"name": "toy_multiply", "parameters": {{"a": {a}, "b": {b}}}}}<|eot_id|>the answer is {PROBLEM.answer}'
    )
    assert text == expected + "<|eot_id|>"
    full = tokenizer.decode(row["input_ids"])
    assert "product" in full and "product" not in text  # the tool result is in the sequence, never in the loss
    assert "What is" in full and "What is" not in text


def test_turn_by_turn_masks_agree_with_generation_markers(tokenizer) -> None:  # type: ignore[no-untyped-def]
    markers, _ = make_renderer(tokenizer)
    by_prefix, _ = make_renderer(tokenizer, masking="prefix-render")
    assert by_prefix.masking == "prefix-render"
    for messages, tools, _extra in [*conversations_to_compare()[:1], *[(m, t, {}) for m, t in PROBE_CONVERSATIONS]]:
        assert markers.tokenize(messages, tools) == by_prefix.tokenize(messages, tools)


def test_the_training_prompt_is_what_the_hf_backend_sends(tiny_llama_dir: Path, tokenizer) -> None:  # type: ignore[no-untyped-def]
    backend = HFBackend(pretrained=str(tiny_llama_dir), device="cpu")
    example = tool_example()
    for end in (2, 4):  # before the call, and after the tool result
        conversation = Conversation(PROBLEM, "choice", example["messages"][:end], example["tools"])
        messages, tools = chat_form(example["messages"][:end], example["tools"], native_tools=True)
        rendered = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=True)
        assert rendered == backend.render(conversation)


def test_a_template_without_tools_gets_plain_text_calls_and_turn_by_turn_masks(tiny_llama_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    tokenizer.chat_template = CHATML_NO_TOOLS
    renderer, source = make_renderer(tokenizer)
    assert not renderer.native_tools and renderer.masking == "prefix-render", source
    example = tool_example()
    row = renderer.tokenize(example["messages"], example["tools"])
    text = masked_text(tokenizer, row)
    assert text.startswith("<tool_call>\n{") and '"name": "toy_multiply"' in text
    assert text.endswith(f"the answer is {PROBLEM.answer}<|eot_id|>\n")
    full = tokenizer.decode(row["input_ids"])
    assert "Result of tool 'toy_multiply'" in full and "Result of tool" not in text
    assert "<tool_call>" in full.split("<|eot_id|>")[0]  # the fallback tool instructions sit in the system prompt


def test_non_prefix_preserving_template_is_refused(tokenizer) -> None:  # type: ignore[no-untyped-def]
    tok = copy.deepcopy(tokenizer)
    # Shows the number of messages in the header: earlier turns change as the conversation grows.
    tok.chat_template = (
        "{{ messages | length }}{% for m in messages %}{{ m['role'] + ':' + m['content'] + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}"
    )
    renderer = Renderer(tok, native_tools=False, training_template=None)
    with pytest.raises(MaskingError, match="not prefix-preserving"):
        renderer.tokenize(no_tool_example(PROBLEM, "x")["messages"], None)
